"""The generate runner over a real embedded Qdrant (tmp_path) with scripted LLM replies."""

from __future__ import annotations

import json

import pytest

from groundset.config import load_config
from groundset.errors import StoreError
from groundset.generate.runner import generate, stage_fingerprint
from groundset.llm.fake import FakeLLM
from groundset.records import Sample
from groundset.stages import record
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, echo_llm, echo_reply, fill_store


@pytest.fixture(autouse=True)
def _bow_embedder(monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())


@pytest.fixture
def workdir(tmp_path):
    return Workdir(tmp_path / "work").ensure()


def cfg(tasks, **extra):
    # the fake backend these tests run (on "local", multihop's mode "auto" is bridge: tests/generate/test_multihop_bridge.py)
    return load_config(None, {"generate.tasks": tasks, "llm.spec": "fake", **extra})


def samples(workdir, task):
    return [Sample.model_validate(r) for r in read_jsonl(workdir.samples(task))]


def test_every_task_end_to_end(workdir):
    config = cfg({"qa": 3, "multihop": 2, "conversation": 2, "textbook": 2, "rag": 2},
                 **{"generate.conversation.turns": 2})
    chunks = {c.id: c for c in fill_store(config, workdir)}
    llm = echo_llm()
    result = generate(config, workdir, llm, progress=False)
    assert result.complete, {t: (r.accepted, dict(r.rejected), r.note) for t, r in result.tasks.items()}
    for task, n in config.generate.tasks.items():
        got = samples(workdir, task)
        assert len(got) == n and len({s.id for s in got}) == n
        for s in got:
            assert s.task == task and s.generation.model == "fake"
            assert s.contexts and all(c.chunk_id in chunks and c.text == chunks[c.chunk_id].text for c in s.contexts)
            assert set(s.generation.seed_chunk_ids) <= set(chunks)
    conv = samples(workdir, "conversation")[0]
    assert len(conv.turns) == 4 and all(t.chunk_ids for t in conv.turns if t.role == "assistant")
    assert result.tasks["conversation"].llm_calls == 2 * 2 * 2
    assert result.llm_calls == len(llm.history) and result.tokens > 0
    summary = json.loads(workdir.generate_summary.read_text())
    assert summary["tasks"]["qa"]["accepted"] == 3 and summary["complete"] is True
    assert record("generate", config, workdir, result) and workdir.is_done("generate", stage_fingerprint(config))


def test_seeds_are_spread_and_not_reused(workdir):
    config = cfg({"qa": 8})
    fill_store(config, workdir)
    generate(config, workdir, echo_llm(), progress=False)
    got = samples(workdir, "qa")
    seeds = [s.generation.seed_chunk_ids[0] for s in got]
    assert len(set(seeds)) == len(seeds)  # no chunk twice before the corpus is covered
    first4 = {s.contexts[0].document_id for s in got[:4]}
    assert len(first4) >= 3  # the first seeds come from different documents


def test_rejects_are_written_counted_and_retried_until_n(workdir):
    config = cfg({"qa": 3})
    fill_store(config, workdir)
    bad = ["Sure, here are some questions: 1. What?", '{"question": "According to the passage, what is it?", '
           '"answer": "It is a thing."}']
    llm = FakeLLM(bad, default=echo_reply)
    result = generate(config, workdir, llm, progress=False)
    rep = result.tasks["qa"]
    assert rep.accepted == 3 and rep.complete and rep.attempts == 5
    assert dict(rep.rejected) == {"invalid_json": 1, "not_standalone": 1}
    rejects = list(read_jsonl(workdir.rejects("qa")))
    assert [r["reason"] for r in rejects] == ["invalid_json", "not_standalone"]
    assert rejects[0]["raw"] == bad[0] and rejects[0]["seed_chunk_ids"] and rejects[0]["id"]
    assert len(samples(workdir, "qa")) == 3


def test_incomplete_run_says_why_and_is_not_marked_done(workdir):
    config = cfg({"qa": 2})
    fill_store(config, workdir)
    result = generate(config, workdir, FakeLLM(default="nonsense"), progress=False)
    rep = result.tasks["qa"]
    assert not result.complete and rep.accepted == 0
    assert rep.attempts == rep.max_attempts == 8  # ceil(2 × 3) + 2
    assert "max_attempts_factor" in rep.note
    assert not record("generate", config, workdir, result)
    assert not workdir.is_done("generate", stage_fingerprint(config))


def test_more_samples_than_seeds_needs_reuse_chunks(workdir):
    config = cfg({"qa": 20})
    fill_store(config, workdir)
    rep = generate(config, workdir, echo_llm(), progress=False).tasks["qa"]
    assert rep.accepted == rep.seed_units < 20 and "reuse_chunks" in rep.note
    rep = generate(cfg({"qa": 20}, **{"generate.reuse_chunks": "true"}), workdir, echo_llm(), progress=False).tasks["qa"]
    assert rep.complete


def test_resume_extends_without_redoing(workdir):
    fill_store(cfg({"qa": 1}), workdir)
    llm = echo_llm()
    generate(cfg({"qa": 2}), workdir, llm, progress=False)
    first = [s.id for s in samples(workdir, "qa")]
    assert len(llm.history) == 2
    result = generate(cfg({"qa": 4}), workdir, llm, progress=False)
    assert [s.id for s in samples(workdir, "qa")][:2] == first and len(samples(workdir, "qa")) == 4
    assert len(llm.history) == 4 and result.tasks["qa"].resumed == 2
    again = generate(cfg({"qa": 4}), workdir, llm, progress=False)
    assert len(llm.history) == 4 and again.complete and again.llm_calls == 0


def test_torn_last_line_is_cut_and_that_sample_made_again(workdir):
    config = cfg({"qa": 3})
    fill_store(config, workdir)
    generate(config, workdir, echo_llm(), progress=False)
    path = workdir.samples("qa")
    complete = path.read_text().splitlines()
    path.write_text("\n".join(complete[:2]) + "\n" + complete[2][: len(complete[2]) // 2])  # killed mid-write
    llm = echo_llm()
    generate(config, workdir, llm, progress=False)
    assert path.read_text().splitlines() == complete and len(llm.history) == 1


def test_backend_failures_are_retried_on_the_next_run(workdir):
    config = cfg({"qa": 2})
    fill_store(config, workdir)
    down = FakeLLM(default=RuntimeError("connection refused"))
    rep = generate(config, workdir, down, progress=False).tasks["qa"]
    assert rep.accepted == 0 and rep.rejected["llm_error"] >= 2
    rep = generate(config, workdir, echo_llm(), progress=False).tasks["qa"]
    assert rep.complete and rep.accepted == 2


def test_changed_parameters_give_new_ids_and_old_records_are_reported(workdir):
    fill_store(cfg({"qa": 1}), workdir)
    generate(cfg({"qa": 2}), workdir, echo_llm(), progress=False)
    rep = generate(cfg({"qa": 2}, **{"generate.qa.temperature": "0.9"}), workdir, echo_llm(), progress=False).tasks["qa"]
    assert rep.accepted == 2 and rep.resumed == 0 and rep.other_records == 2


def test_dry_run_estimates_without_a_model(workdir, monkeypatch):
    config = cfg({"qa": 3, "conversation": 2}, **{"generate.conversation.turns": 2})
    fill_store(config, workdir)

    def no_model(*a, **k):
        raise AssertionError("dry run must not load a model")

    monkeypatch.setattr("groundset.llm.load_llm", no_model, raising=False)
    result = generate(config, workdir, None, dry_run=True, progress=False)
    qa, conv = result.tasks["qa"], result.tasks["conversation"]
    assert qa.planned_calls == 3 and qa.planned_calls_max == qa.max_attempts
    assert conv.planned_calls == 2 * 2 * 2
    assert qa.estimated_prompt_tokens > 3 * 200 and qa.estimated_completion_tokens > 0
    assert conv.estimated_prompt_tokens > qa.estimated_prompt_tokens
    assert not workdir.samples("qa").exists() and result.llm_calls == 0
    # after a partial run, the dry run plans only what is left
    generate(cfg({"qa": 2}), workdir, echo_llm(), progress=False)
    assert generate(config, workdir, None, dry_run=True, progress=False).tasks["qa"].planned_calls == 1


def test_empty_store_says_to_ingest(workdir):
    with pytest.raises(StoreError, match="groundset ingest"):
        generate(cfg({"qa": 1}), workdir, echo_llm(), progress=False)


def test_tasks_share_each_llm_call(workdir):
    config = cfg({"qa": 2, "multihop": 1, "textbook": 1, "rag": 1})
    fill_store(config, workdir)
    llm = echo_llm()
    batches = []
    inner = llm.chat
    llm.chat = lambda reqs: (batches.append(len(reqs)), inner(reqs))[1]
    assert generate(config, workdir, llm, progress=False).complete
    assert batches[0] == 5  # first round: every task's first attempts in one call


def test_max_attempts_caps_cost(workdir):
    config = cfg({"qa": 5}, **{"generate.max_attempts": "2"})
    fill_store(config, workdir)
    rep = generate(config, workdir, FakeLLM(default="no json"), progress=False).tasks["qa"]
    assert rep.attempts == rep.max_attempts == 2 and not rep.complete
