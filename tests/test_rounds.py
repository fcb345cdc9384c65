"""N kept means N kept: generate and the gate alternate until n samples pass the gate, or a budget says stop.

Scripted LLM (echo replies answer from the prompt's documents; "bad" replies add a sentence the gate rejects),
bag-of-words vectors in a real embedded Qdrant under tmp_path, the real gate (sanity, round trip, judge, dedup).
"""

from __future__ import annotations

import json
import re

import pytest

from groundset.config import load_config
from groundset.llm.fake import FakeLLM
from groundset.rounds import STOP_REASONS, generate_kept, rounds_file
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, documents_of, echo_reply, fill_store

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(autouse=True)
def _bow_embedder(monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())


@pytest.fixture
def workdir(tmp_path):
    return Workdir(tmp_path / "work").ensure()


def config(**extra):
    base = {"generate.tasks": {"qa": 3}, "evaluate.dedup_embedding_threshold": None}
    return load_config(None, {**base, **extra})


def bad_reply(request):
    """Generate accepts it (a real question on the document); the gate rejects its invented second sentence."""
    reply = json.loads(echo_reply(request))
    reply["answer"] = "It was designed in 1850 by 4,000 engineers working in Paris for Napoleon."
    return json.dumps(reply)


def scripted(bad: int):
    calls = {"n": 0}

    def reply(request):
        calls["n"] += 1
        return bad_reply(request) if calls["n"] <= bad else echo_reply(request)

    return FakeLLM(default=reply)


def test_tops_up_in_rounds_until_n_kept_and_keeps_exactly_n(workdir):
    cfg = config()
    fill_store(cfg, workdir)
    result = generate_kept(cfg, workdir, scripted(bad=2), progress=False)
    t = result.tasks["qa"]
    assert (t.kept, t.stopped, t.wanted) == (3, "reached", 3) and result.complete
    assert len(result.rounds) == 2  # round 1: 3 generated, 1 kept → round 2 tops up
    assert sum(t.gate_rejects.values()) >= 2  # the two invented answers (whichever gate check caught them), and any other
    kept = [r for r in read_jsonl(workdir.kept) if r["task"] == "qa"]
    assert len(kept) == 3
    over = [r for r in read_jsonl(workdir.rejected) if "over_n" in r["evaluation"]["reasons"]]
    assert t.generated == len(kept) + len(over) + sum(t.gate_rejects.values())  # nothing vanished
    saved = json.loads(rounds_file(workdir).read_text())
    assert saved["tasks"]["qa"]["stopped"] == "reached" and saved["tasks"]["qa"]["yield_by_reason"]


def test_same_config_same_dataset(tmp_path):
    ids = []
    for name in ("a", "b"):
        wd = Workdir(tmp_path / name).ensure()
        cfg = config()
        fill_store(cfg, wd)
        generate_kept(cfg, wd, scripted(bad=2), progress=False)
        ids.append(sorted(r["id"] for r in read_jsonl(wd.kept)))
    assert ids[0] == ids[1] and len(ids[0]) == 3


@pytest.mark.parametrize("extra,reason", [
    ({"generate.reuse_chunks": True, "generate.max_attempts": 5}, "max_attempts"),
    ({}, "seeds_exhausted"),
    ({"generate.budget_tokens": 1}, "tokens"),
    ({"generate.budget_cost": 1e-9, "llm.price_prompt_per_m": 1.0}, "cost"),
    ({"generate.budget_seconds": 1e-9}, "seconds"),
    ({"generate.rounds": 1}, "rounds"),
])
def test_every_stop_reason_is_said_with_the_yield(workdir, extra, reason):
    cfg = config(**extra)
    fill_store(cfg, workdir)
    result = generate_kept(cfg, workdir, FakeLLM(default=bad_reply), progress=False)
    t = result.tasks["qa"]
    assert t.stopped == reason and reason in STOP_REASONS
    assert t.kept == 0 and not result.complete
    d = t.to_dict()
    assert d["yield"] == 0 and sum(d["yield_by_reason"].values()) >= 1  # every attempt has its reason


def test_backend_failure_stops_with_its_reason(workdir):
    cfg = config(**{"generate.batch_size": 4, "generate.tasks": {"qa": 5}})
    fill_store(cfg, workdir)
    result = generate_kept(cfg, workdir, FakeLLM(default=RuntimeError("down")), progress=False)
    assert result.tasks["qa"].stopped == "backend_failed"
    assert result.tasks["qa"].generate_rejects.get("llm_error", 0) >= 4
