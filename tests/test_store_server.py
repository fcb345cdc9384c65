"""Bulk loading into a Qdrant server as Qdrant documents it, against a recording stub over Qdrant's local mode
(no server binary installs here): m = 0 at creation, batches of 256 over a few streams, m = 16 after the load,
readers wait for green. The embedded store keeps its old path."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from groundset.errors import StoreError
from groundset.records import Chunk
from groundset.store import HNSW_M, SERVER_BATCH, SERVER_STREAMS, Store


class Recorder:
    """A QdrantClient stand-in: Qdrant local mode underneath, every call recorded; it reports the HNSW ``m`` it
    was given (local mode ignores it) and a scripted sequence of collection statuses."""

    def __init__(self, statuses=("green",)):
        self.inner = QdrantClient(":memory:")
        self.calls: list[tuple[str, dict]] = []
        self.m = HNSW_M
        self.statuses = list(statuses)
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()

    def _log(self, name, kwargs):
        with self.lock:
            self.calls.append((name, kwargs))

    def collection_exists(self, name):
        return self.inner.collection_exists(name)

    def create_collection(self, name, **kw):
        self._log("create_collection", kw)
        if "hnsw_config" in kw:
            self.m = kw["hnsw_config"].m
        return self.inner.create_collection(name, **kw)

    def create_payload_index(self, name, field, **kw):
        return self.inner.create_payload_index(name, field, **kw)

    def update_collection(self, name, **kw):
        self._log("update_collection", kw)
        if kw.get("hnsw_config") is not None:
            self.m = kw["hnsw_config"].m
        return True

    def get_collection(self, name):
        info = self.inner.get_collection(name)
        info.config.hnsw_config.m = self.m
        info.status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return info

    def upsert(self, name, points, wait=True):
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(0.02)
        self._log("upsert", {"n": len(points.ids)})
        try:
            return self.inner.upsert(name, points=points, wait=wait)
        finally:
            with self.lock:
                self.in_flight -= 1

    def count(self, name, exact=True):
        return self.inner.count(name, exact=exact)

    def close(self):
        self.inner.close()

    def names(self):
        return [n for n, _ in self.calls]


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(id=Chunk.make_id("s.txt", f"text {i}"), document_id="d", source="s.txt", title="T", text=f"text {i}",
                  index=i, n_tokens=2)
            for i in range(n)]


def _vectors(n: int) -> np.ndarray:
    return np.random.default_rng(0).random((n, 4), dtype=np.float32) + 0.1


def test_server_collection_is_bulk_loaded_then_indexed():
    rec = Recorder()
    store = Store(rec, "c", local=False, where="http://stub:6333")
    store._prepare(4, "model-x")
    assert rec.calls[0][0] == "create_collection" and rec.calls[0][1]["hnsw_config"].m == 0
    store.upsert(_chunks(1000), _vectors(1000))
    sizes = [kw["n"] for name, kw in rec.calls if name == "upsert"]
    assert sorted(sizes) == sorted([SERVER_BATCH] * 3 + [1000 - 3 * SERVER_BATCH])
    assert 1 < rec.max_in_flight <= SERVER_STREAMS
    assert "update_collection" not in rec.names()  # no graph while loading
    store.close()
    assert rec.names()[-1] == "update_collection" and rec.calls[-1][1]["hnsw_config"].m == HNSW_M
    assert rec.inner is not None and rec.m == HNSW_M


def test_reader_builds_a_graph_left_at_m0_and_waits_for_green():
    rec = Recorder(statuses=("yellow", "grey", "yellow", "green"))
    rec.inner.create_collection("c", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    rec.m = 0  # a load that was cut off before its close
    store = Store(rec, "c", local=False, where="http://stub:6333")
    store._prepare(None, None)
    assert store.ready(poll_s=0) == "green"
    updates = [kw for name, kw in rec.calls if name == "update_collection"]
    assert updates[0]["hnsw_config"].m == HNSW_M
    assert len(updates) == 2 and updates[1]["optimizers_config"] is not None  # grey: optimizations triggered once
    assert rec.statuses == ["green"]


def test_red_collection_stops_with_what_to_do_and_a_slow_one_is_used_after_the_timeout():
    rec = Recorder(statuses=("red",))
    rec.inner.create_collection("c", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    store = Store(rec, "c", local=False, where="http://stub:6333")
    store._prepare(None, None)
    with pytest.raises(StoreError, match="delete and ingest it again"):
        store.ready(poll_s=0)
    rec.statuses = ["yellow"]
    assert store.ready(timeout_s=0.05, poll_s=0.01) == "yellow"


def test_embedded_store_is_unchanged():
    rec = Recorder()
    store = Store(rec, "c", local=True, where="/tmp/x")
    store._prepare(4, "model-x")
    assert "hnsw_config" not in rec.calls[0][1]
    store.upsert(_chunks(300), _vectors(300))
    assert [kw["n"] for name, kw in rec.calls if name == "upsert"] == [300]
    assert store.ready() == "green"
    store.close()
    assert "update_collection" not in rec.names()


def test_generate_waits_for_the_store_to_be_ready(tmp_path, monkeypatch):
    import contextlib

    from groundset.config import load_config
    from groundset.generate.runner import generate
    from groundset.workdir import Workdir
    from tests.generate.fakes import MemoryStore, echo_llm, make_chunks

    calls = []

    class ServerStore(MemoryStore):
        def ready(self):
            calls.append("ready")
            return "green"

    @contextlib.contextmanager
    def open_store(cfg, workdir, dim=None, **kw):
        yield ServerStore(make_chunks())

    monkeypatch.setattr("groundset.store.open_store", open_store)
    config = load_config(None, {"generate.tasks": {"qa": 1}})
    assert generate(config, Workdir(tmp_path / "w"), echo_llm(), progress=False).complete
    assert calls == ["ready"]
    generate(config, Workdir(tmp_path / "w2"), echo_llm(), dry_run=True, progress=False)
    assert calls == ["ready"]  # a dry run searches nothing


def test_a_load_cut_off_at_m0_resumes_in_bulk_mode_and_is_indexed_at_close():
    rec = Recorder()
    rec.inner.create_collection("c", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    rec.m = 0  # an ingest killed before its close
    store = Store(rec, "c", local=False, where="http://stub:6333")
    store._prepare(4, None)  # the resumed ingest opens it to write
    store.upsert(_chunks(10), _vectors(10))
    assert "update_collection" not in rec.names()
    store.close()
    assert rec.calls[-1] == ("update_collection", rec.calls[-1][1]) and rec.m == HNSW_M
