"""End to end with the bundled local model (SmolLM2-135M, CPU): every task on two ingested demo pages.

A 135M model writes weak data; this checks the plumbing — prompts fit, constrained JSON parses, retrieval works,
every outcome is recorded as a sample or a reject with a known reason — not the quality. Few samples, short outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from groundset.config import load_config
from groundset.records import Sample
from groundset.workdir import Workdir, read_jsonl

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

DEMO = Path(__file__).resolve().parents[2] / "groundset" / "demo" / "python-tutorial"
PAGES = ["appetite.html", "interpreter.html"]
REASONS = {
    "invalid_json", "truncated", "schema_mismatch", "llm_error", "preamble", "not_standalone", "not_a_question",
    "unanswered", "copied_demo", "off_topic", "too_short", "single_hop", "uncited", "no_partner", "no_distractors",
}
OVERRIDES = {
    "generate.tasks": {"qa": 1, "multihop": 1, "conversation": 1, "textbook": 1, "rag": 1},
    "generate.max_attempts": "1",  # one round: the plumbing, not the acceptance rate (benchmarks/ for that)
    "generate.min_seed_tokens": "16",
    "generate.qa.max_tokens": "64",
    "generate.rag.max_tokens": "64",
    "generate.rag.distractors": "2",
    "generate.multihop.max_tokens": "96",
    "generate.multihop.mode": "write",  # the model writes Q and A (bridge mode: tests/generate/test_local_multihop.py;
                                        # two pages hold no pair of the same kind, so it would make no attempt)
    "generate.multihop.min_similarity": "0.1",
    "generate.conversation.turns": "1",
    "generate.conversation.max_tokens": "48",
    "generate.textbook.max_tokens": "128",
    "generate.textbook.min_words": "15",
    "generate.textbook.context_chunks": "2",
}


@pytest.fixture(scope="module")
def demo_workdir(tmp_path_factory):
    from groundset.ingest.pipeline import ingest

    wd = Workdir(tmp_path_factory.mktemp("local") / "work").ensure()
    result = ingest([DEMO / p for p in PAGES], load_config(None), wd)
    assert result.chunks_new > 5
    return wd


def test_every_task_with_the_bundled_model(demo_workdir, capsys):
    from groundset.generate.runner import generate
    from groundset.store import open_store

    config = load_config(None, OVERRIDES)
    result = generate(config, demo_workdir, progress=False)  # load_llm(config.llm): the local SmolLM2
    with open_store(config.store, demo_workdir) as store:
        stored = {c.id for c in store.iter_chunks()}
    lines = []
    for task, rep in result.tasks.items():
        samples = [Sample.model_validate(r) for r in read_jsonl(demo_workdir.samples(task))]
        rejects = list(read_jsonl(demo_workdir.rejects(task)))
        assert rep.attempts == len(samples) + len(rejects) > 0, task
        assert rep.accepted == len(samples)
        assert {r["reason"] for r in rejects} <= REASONS, task
        assert all(r["raw"] or r["reason"] in ("no_partner",) for r in rejects if r["reason"] != "llm_error")
        for s in samples:
            assert s.task == task and s.contexts and {c.chunk_id for c in s.contexts} <= stored
            assert s.generation.model and s.generation.calls >= 1
        lines.append(f"{task}: {rep.accepted}/{rep.attempts} accepted, {rep.llm_calls} calls, "
                     f"rejects {dict(rep.rejected)}")
    assert result.llm_calls > 0 and result.tokens > 0
    with capsys.disabled():
        print("\n" + "\n".join(lines))
