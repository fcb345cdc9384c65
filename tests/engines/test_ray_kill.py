"""A Ray worker process SIGKILLed in the middle of its work: Ray restarts the actor / runs the task again
(``[run] ray_retries``) and the run ends with the ids of an uninterrupted run. A worker that dies every time
stops the stage after the retries with a message that says so."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from groundset.config import load_config
from groundset.engines.ray_generate import load_ray_llm
from groundset.engines.ray_session import RayEngineError
from groundset.generate.echo import echo_reply
from groundset.generate.runner import generate
from groundset.ingest.pipeline import ingest
from groundset.llm.base import ChatRequest
from groundset.llm.fake import FakeLLM
from groundset.store import open_store
from groundset.workdir import Workdir
from tests.engines.embed_server import EmbedServer
from tests.engines.qdrant_stub import pid_of_peer
from tests.engines.test_ray_generate_evaluate import _config as _gen_config
from tests.engines.test_ray_generate_evaluate import _files, _llm
from tests.engines.test_ray_parallel_writers import _corpus

pytestmark = pytest.mark.usefixtures("ray_cluster")


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class KillFirstSender:
    """``EmbedServer.on_batch``: SIGKILL the process that sent the first real embedding batch, while it waits for
    the reply (an embedding actor in the middle of ``__call__``); later batches are answered."""

    def __init__(self):
        self.killed: int | None = None
        self.senders: list[int | None] = []

    def __call__(self, texts, port):
        pid = pid_of_peer(port)
        self.senders.append(pid)
        if self.killed is None and pid is not None and pid != os.getpid():
            self.killed = pid
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while not _dead(pid) and time.monotonic() < deadline:
                time.sleep(0.05)


def _ingest_config(engine: str, embed: EmbedServer):
    return load_config(None, {"run.engine": engine, "run.ray_dump_part_mb": 0.0005, "ingest.chunk_tokens": 48,
                              "ingest.chunk_overlap": 8, "ingest.min_chunk_tokens": 4, **embed.config()})


def _stored(config, workdir):
    with open_store(config.store, workdir) as store:
        return sorted((c.id, c.source, c.index) for c in store.iter_chunks())


def test_an_embedding_actor_killed_mid_batch_is_restarted_and_the_chunks_are_the_same(tmp_path):
    docs = _corpus(tmp_path, pages=8)
    killer = KillFirstSender()
    with EmbedServer() as plain, EmbedServer(on_batch=killer) as dying:
        local = ingest([docs], _ingest_config("local", plain), Workdir(tmp_path / "local"), progress=False)
        remote = ingest([docs], _ingest_config("ray", dying), Workdir(tmp_path / "ray"), progress=False)
    assert killer.killed is not None and _dead(killer.killed)
    later = [p for p in killer.senders[1:] if p is not None]
    assert later and killer.killed not in later  # a restarted actor (another process) embedded the rest
    assert (remote.documents, remote.chunks_new, remote.exit_code) == (local.documents, local.chunks_new, 0)
    assert _stored(_ingest_config("ray", dying), Workdir(tmp_path / "ray")) == \
        _stored(_ingest_config("local", plain), Workdir(tmp_path / "local"))
    counts = [json.loads((tmp_path / d / "ingest" / "report.json").read_text())["counts"] for d in ("local", "ray")]
    assert counts[0] == counts[1]


class DiesOnce:
    """A raw backend whose first call (in whichever worker gets it) records its pid in ``marker`` and waits to be
    killed; every later call (the retried task, on another worker) answers as ``FakeLLM(echo_reply)``."""

    name = "echo"

    def __init__(self, marker: str):
        self.marker, self.inner = marker, FakeLLM(default=echo_reply, name="echo")

    def chat(self, requests):
        marker = Path(self.marker)
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # exactly one caller ever gets here
        except FileExistsError:
            return self.inner.chat(requests)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        time.sleep(120)  # the test kills this process long before
        raise RuntimeError("DiesOnce was not killed")


def _kill_when_marked(marker: Path, killed: list[int]) -> threading.Thread:
    def run():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = marker.read_text() if marker.exists() else ""
            if text:
                os.kill(int(text), signal.SIGKILL)
                killed.append(int(text))
                return
            time.sleep(0.05)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_an_llm_worker_killed_mid_round_is_replaced_and_the_journal_is_the_uninterrupted_one(tmp_path):
    from tests.generate.fakes import fill_store

    def config(engine):
        return _gen_config(engine, **{"generate.tasks": {"qa": 3, "multihop": 1}})

    local = Workdir(tmp_path / "local").ensure()
    fill_store(config("local"), local)
    shutil.copytree(local.root, tmp_path / "ray")  # the same store, before anything is generated
    remote = Workdir(tmp_path / "ray")
    generate(config("local"), local, _llm("local", local), progress=False)

    marker, killed = tmp_path / "dies-once.pid", []
    thread = _kill_when_marked(marker, killed)
    llm = load_ray_llm(config("ray"), remote, "generate", backend=DiesOnce(str(marker)))
    result = generate(config("ray"), remote, llm, progress=False)
    thread.join(timeout=5)
    assert killed and killed[0] != os.getpid() and _dead(killed[0])
    assert result.complete and _files(remote) == _files(local)  # same sample ids, records and order


class AlwaysDies:
    """A raw backend that SIGKILLs its own worker on every call (a segfaulting model, the OOM killer)."""

    name = "doomed"

    def chat(self, requests):
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_that_dies_every_time_stops_the_round_after_the_retries():
    config = load_config(None, {"run.engine": "ray", "run.ray_retries": 1, "llm.spec": "fake"})
    llm = load_ray_llm(config, None, "generate", backend=AlwaysDies())
    with pytest.raises(RayEngineError, match=r"\(doomed\): .*worker.*died.*run again"):
        llm.chat([ChatRequest(messages=[{"role": "user", "content": "hi"}])])
