"""Paid work survives a kill: a generate run over an OpenAI-compatible server, SIGKILLed in the middle of a batch,
has every reply that reached it in the response cache and every finished attempt in the sample log.

The server answers the first ``ANSWERED`` requests of the batch of 16 and holds the next ones (in flight) until the
resumed run; the kill comes once the answers have reached the client. Before per-reply journalling, the whole batch
was written at its end: the cache and the sample log held 0 rows here."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from groundset.config import load_config
from groundset.llm.base import ChatRequest
from groundset.llm.cache import ResponseCache
from groundset.workdir import Workdir
from tests.generate.fakes import echo_reply, fill_store

from .fault_server import FaultServer

REPO = Path(__file__).resolve().parents[2]
N = 16
CONCURRENCY = 2
ANSWERED = 6

CHILD = """
import json, sys
from groundset.config import load_config
from groundset.generate.runner import generate
from groundset.workdir import Workdir
generate(load_config(None, json.loads(sys.argv[2])), Workdir(sys.argv[1]), progress=False)
"""


class Gate:
    """Answers ANSWERED requests, then holds every later one until ``open`` is set."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        self.open = threading.Event()

    def __call__(self, body: dict) -> str:
        with self.lock:
            n, self.count = self.count, self.count + 1
        if n >= ANSWERED:
            self.open.wait(60)
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema")
        return echo_reply(ChatRequest(messages=body["messages"], json_schema=schema))


def _rows(path: Path) -> int:
    if not path.exists():
        return 0
    cache = ResponseCache(path)
    try:
        return len(cache)
    finally:
        cache.close()


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def test_sigkill_mid_batch_loses_at_most_the_requests_in_flight(tmp_path):
    gate = Gate()
    with FaultServer(reply=gate) as server:
        overrides = {
            "generate.tasks": {"qa": N}, "generate.batch_size": str(N), "generate.reuse_chunks": "true",
            "llm.spec": "openai:test-model", "llm.base_url": server.base_url, "llm.concurrency": str(CONCURRENCY),
            "llm.max_retries": "0", "llm.api_key_env": "GS_NO_SUCH_KEY",
        }
        wd = Workdir(tmp_path / "w").ensure()
        fill_store(load_config(None, overrides), wd)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        cmd = [sys.executable, "-c", CHILD, str(wd.root), json.dumps(overrides)]
        proc = subprocess.Popen(cmd, env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        # the two held requests keep the batch open, so whatever reaches the logs before the kill was journalled per
        # reply; wait for the sample log too (it is written just after the cache: killing in between was a race)
        while (server.served < ANSWERED or _rows(wd.llm_cache) < ANSWERED
               or _lines(wd.samples("qa")) + _lines(wd.rejects("qa")) < ANSWERED) and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, out.decode()[-2000:]
        assert server.served == ANSWERED and len(server.bodies) == ANSWERED + CONCURRENCY  # 2 held in flight

        assert _rows(wd.llm_cache) == ANSWERED  # every reply that reached the client is in the cache
        assert _lines(wd.samples("qa")) + _lines(wd.rejects("qa")) == ANSWERED  # and its attempt in the sample log

        gate.open.set()
        asked = len(server.bodies)
        proc = subprocess.run(cmd, env=env, cwd=str(REPO), capture_output=True, timeout=240)
        assert proc.returncode == 0, proc.stdout.decode()[-2000:] + proc.stderr.decode()[-2000:]
        assert _lines(wd.samples("qa")) == N
        assert len(server.bodies) - asked == N - ANSWERED  # the resumed run pays only for what was lost or unsent
