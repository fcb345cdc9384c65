"""A generate run SIGKILLed at arbitrary moments and restarted ends with exactly the records of an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from groundset.config import load_config
from groundset.workdir import Workdir
from groundset.generate.runner import generate
from groundset.llm.fake import FakeLLM
from tests.generate.fakes import BowEmbedder, echo_reply, fill_store

REPO = Path(__file__).resolve().parents[2]
TASKS = {"qa": 6, "multihop": 3, "conversation": 2, "textbook": 3, "rag": 3}
OVERRIDES = {"generate.tasks": TASKS, "generate.batch_size": "2", "generate.conversation.turns": "2",
             "generate.reuse_chunks": "true", "llm.spec": "fake"}  # the fake backend the test runs (multihop: write)

CHILD = """
import json, sys
import groundset.embed
from tests.generate.test_kill_resume import BowEmbedder, make_llm
groundset.embed.load_embedder = lambda cfg: BowEmbedder()
from groundset.config import load_config
from groundset.generate.runner import generate
from groundset.workdir import Workdir
generate(load_config(None, json.loads(sys.argv[2])), Workdir(sys.argv[1]), make_llm(float(sys.argv[3])), progress=False)
"""


def make_llm(sleep: float) -> FakeLLM:
    """Echo replies, except an unusable one for every third request seed (deterministic -> some rejects)."""

    def reply(request):
        if sleep:
            time.sleep(sleep)
        return "Sure! Here you go." if request.seed % 3 == 0 else echo_reply(request)

    return FakeLLM(default=reply)


def _start(workdir: Path, sleep: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(workdir), json.dumps(OVERRIDES), str(sleep)],
                            env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _records(workdir: Path) -> int:
    d = workdir / "samples"
    return sum(p.read_text().count("\n") for p in d.glob("*.jsonl")) if d.exists() else 0


def _files(workdir: Path) -> dict[str, list[str]]:
    return {p.name: p.read_text().splitlines() for p in sorted((workdir / "samples").glob("*.jsonl"))}


def _prepare(path: Path) -> Path:
    wd = Workdir(path).ensure()
    fill_store(load_config(None, OVERRIDES), wd)
    return path


def test_sigkill_at_any_moment_then_resume_equals_uninterrupted_run(tmp_path, monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    reference = _prepare(tmp_path / "reference")
    assert generate(load_config(None, OVERRIDES), Workdir(reference), make_llm(0.0), progress=False).complete
    expected = _files(reference)
    assert sum(len(v) for v in expected.values()) > sum(TASKS.values())  # samples and some rejects

    killed = _prepare(tmp_path / "killed")
    rng = random.Random(7)
    kills = 0
    for _ in range(3):
        before = _records(killed)
        proc = _start(killed, 0.03)
        deadline = time.monotonic() + 120
        while _records(killed) <= before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.25))  # somewhere in the middle of a batch, a write, or a retrieval
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=60)
    assert kills >= 2
    proc = _start(killed, 0.0)
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, out.decode()[-3000:]

    got = _files(killed)
    assert got.keys() == expected.keys()
    for name in expected:
        ids = [json.loads(line)["id"] for line in got[name]]
        assert len(ids) == len(set(ids)), f"duplicates in {name}"
        assert sorted(got[name]) == sorted(expected[name]), f"{name} differs from the uninterrupted run"
