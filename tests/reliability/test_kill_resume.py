"""``kill -9`` at random moments of ingest, generate (with accepted samples) and evaluate, resumed each time until
it completes: the result equals an uninterrupted run (same ids and texts, 0 lost, 0 duplicated, 0 torn lines, the
same Qdrant points and payloads, state.json current). See kills.py for the method.

CI kills each stage 3 times; ``GROUNDSET_LONG=1`` (and ``benchmarks/faults.py --kills 20``) 20 times. The export
stage has its own 20-kill test (tests/export/test_publish.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys

import pytest

from tests.reliability import kills as K

KILLS = 20 if os.environ.get("GROUNDSET_LONG") == "1" else 3

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="needs fork() and /proc")


@pytest.mark.parametrize("stage", K.STAGES)
def test_killed_at_random_moments_then_resumed_equals_an_uninterrupted_run(tmp_path, stage):
    h = K.prepare(tmp_path / "k", upto=stage)
    rep = K.kill_and_resume(h, stage, kills=KILLS, seed=int(os.environ.get("TEST_SEED") or 0))
    assert rep.kills == KILLS, rep.row()
    assert rep.records > 0
    assert (rep.lost, rep.duplicated, rep.torn) == (0, 0, 0), rep.row()
    assert rep.broken_after_kill == [] and rep.litter == [], rep.row()
    assert rep.differences == [] and rep.equal, rep.row()
    assert rep.chains >= 1
    if stage == "generate":  # the series is about accepted samples of every task, not rejects only
        samples = h.root / "kill-generate" / "reference" / "samples"
        accepted = {p.stem: len(p.read_text().splitlines()) for p in samples.glob("*.jsonl")
                    if not p.name.endswith(".rejects.jsonl")}
        assert sorted(accepted) == sorted(["qa", "multihop", "conversation", "textbook", "rag"])
        assert all(n > 0 for n in accepted.values()), accepted




def _die_on_call(real, n: int):
    """``real``, except that its n-th call SIGKILLs this process first (no cleanup runs, as with kill -9)."""
    calls = []

    def hook(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    return hook


@pytest.mark.parametrize("point", ["summary", "rejected"])
def test_evaluate_killed_while_writing_its_outputs_leaves_one_evaluation(tmp_path, point, monkeypatch):
    """A kill while kept / rejected are being written leaves the previous evaluation's three files as they were (never
    the new kept beside the old rejected and summary), and the next run leaves no temporary file behind."""
    from groundset.evaluate import runner

    h = K.prepare(tmp_path / "k", upto="evaluate")
    wd = h.root / "w"
    shutil.copytree(h.root / "base", wd)  # evaluated already
    before = {n: (wd / "evaluated" / n).read_bytes() for n in ("kept.jsonl", "rejected.jsonl", "summary.json")}
    qa = wd / "samples" / "qa.jsonl"
    qa.write_text("".join(qa.read_text().splitlines(keepends=True)[1:]))  # one sample fewer: a new evaluation
    if point == "summary":  # the samples are judged, the summary is being built: nothing written yet
        monkeypatch.setattr(runner, "build_summary", _die_on_call(runner.build_summary, 1))
    else:  # kept is written (to its temporary file), rejected is being written
        monkeypatch.setattr(runner, "_stage", _die_on_call(runner._stage, 2))
    status, _ = h.run_forked(wd, "evaluate", h.root / "child.log")
    monkeypatch.undo()
    assert status == -signal.SIGKILL
    assert {n: (wd / "evaluated" / n).read_bytes() for n in before} == before
    _, _, broken = K.check_after_kill(wd, "evaluate")
    assert broken == []
    assert h.run_here(wd, "evaluate") == 0
    summary = json.loads((wd / "evaluated" / "summary.json").read_text())
    kept = len((wd / "evaluated" / "kept.jsonl").read_text().splitlines())
    rejected = len((wd / "evaluated" / "rejected.jsonl").read_text().splitlines())
    assert (summary["kept"], summary["rejected"]) == (kept, rejected) and kept + rejected == summary["total"]
    assert sorted(p.name for p in (wd / "evaluated").iterdir()) == ["kept.jsonl", "rejected.jsonl", "summary.json"]
