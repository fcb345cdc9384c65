"""Parallel writers into a Qdrant server on the ray engine: each embedding actor upserts its own batches with
``wait=false`` over its own client, into a collection created with ``m = 0``; the driver waits until the server
counts every point, then switches the graph on. The server is ``qdrant_stub`` (Qdrant's REST API over local mode:
no Qdrant binary installs here); the final points equal the local engine's in the embedded store."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from groundset.config import load_config
from groundset.engines.ray_ingest import _Applied, _Upserts
from groundset.engines.ray_session import RayEngineError
from groundset.errors import StoreError
from groundset.ingest.config import StoreConfig
from groundset.ingest.pipeline import ingest
from groundset.records import Chunk
from groundset.store import open_store, open_writer
from groundset.workdir import Workdir
from tests.engines.embed_server import EmbedServer
from tests.engines.qdrant_stub import QdrantStub

HEAD = '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/">\n  <siteinfo><sitename>W</sitename></siteinfo>\n'
PAGES = 24
# qdrant-client checks the server's version in a background thread; the stub may be gone by then (end of a test)
pytestmark = pytest.mark.filterwarnings("ignore:Failed to obtain server version")
LONG = pytest.mark.skipif(os.environ.get("GROUNDSET_LONG") != "1", reason="long: set GROUNDSET_LONG=1 to run")


def _page(i: int) -> str:
    text = (f"'''Place {i}''' is a town on a river. It was founded in {1700 + i} by {i * 3} settlers. == Economy == "
            f"The town of place {i} trades in grain, wool and timber along the river.")
    return (f"  <page>\n    <title>Place {i}</title>\n    <ns>0</ns>\n    <id>{i}</id>\n"
            f"    <revision><text>{text}</text></revision>\n  </page>\n")


def _corpus(root, pages: int = PAGES):
    docs = root / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text("The committee met on 4 May 2021 in Lyon. It approved a budget of 3 million "
                                    "euros for the new library, which opens in 2024.\n")
    (docs / "dump.xml").write_text(HEAD + "".join(_page(i) for i in range(1, pages + 1)) + "</mediawiki>\n")
    return docs


def _config(engine: str, embed: EmbedServer, url: str | None = None, **extra):
    overrides = {"run.engine": engine, "run.ray_dump_part_mb": 0.0005, "run.ray_embed_actors": 2,
                 "ingest.chunk_tokens": 48, "ingest.chunk_overlap": 8, "ingest.min_chunk_tokens": 4,
                 "store.collection": "wiki", **embed.config(), **extra}
    if url:
        overrides["store.url"] = url
    return load_config(None, overrides)


def _stored(config, workdir):
    with open_store(config.store, workdir) as store:
        chunks = sorted(store.iter_chunks(), key=lambda c: c.id)
        return [c.model_dump() for c in chunks], store.vectors([c.id for c in chunks])


def _report(workdir):
    data = json.loads(workdir.ingest_report.read_text())
    return data["counts"], sorted((f["path"], f["status"]) for f in data["files"])


@pytest.mark.usefixtures("ray_cluster")
def test_actors_write_in_parallel_with_wait_false_and_the_graph_is_built_after(tmp_path):
    docs = _corpus(tmp_path)
    with EmbedServer() as embed, QdrantStub(hold_first_upsert_s=60) as qdrant:
        local_wd, ray_wd = Workdir(tmp_path / "local"), Workdir(tmp_path / "ray")
        local = ingest([docs], _config("local", embed), local_wd, progress=False)
        remote = ingest([docs], _config("ray", embed, qdrant.url), ray_wd, progress=False)

        assert (remote.documents, remote.chunks_new, remote.exit_code) == (local.documents, local.chunks_new, 0)
        assert local.documents == 1 + PAGES and remote.points == local.chunks_new
        assert _report(ray_wd) == _report(local_wd)
        local_chunks, local_vecs = _stored(_config("local", embed), local_wd)
        ray_chunks, ray_vecs = _stored(_config("ray", embed, qdrant.url), ray_wd)
        assert ray_chunks == local_chunks  # the same ids and payloads
        np.testing.assert_allclose(ray_vecs, local_vecs, rtol=0, atol=1e-6)

        ups = qdrant.upserts()
        assert ups and all(c.query.get("wait") == "false" for c in ups)  # bulk: acknowledged, applied later
        assert sum(c.points for c in ups) == local.chunks_new  # each chunk sent once
        writers = {c.pid for c in ups}
        assert len(writers) >= 2 and os.getpid() not in writers and None not in writers  # several workers
        assert qdrant.max_in_flight >= 2  # two writers' requests in flight at once

        (create,) = [i for i, c in enumerate(qdrant.calls) if c.method == "PUT" and c.path == "/collections/wiki"]
        assert qdrant.calls[create].body["hnsw_config"]["m"] == 0  # no graph while loading
        first_upsert = qdrant.calls.index(ups[0])
        (patch,) = [i for i, c in enumerate(qdrant.calls) if c.method == "PATCH"]
        assert create < first_upsert and all(qdrant.calls.index(c) < patch for c in ups)
        counts = [i for i, c in enumerate(qdrant.calls) if c.path.endswith("/points/count")]
        assert any(first_upsert < i < patch for i in counts)  # the driver polled the count before the graph
        assert qdrant.calls[patch].body["hnsw_config"]["m"] == 16 and qdrant.m["wiki"] == 16
        assert qdrant.calls[patch].points == local.chunks_new  # every write was applied when the graph was asked



@LONG
@pytest.mark.usefixtures("ray_cluster")
def test_reingest_into_a_server_skips_stored_chunks_and_deletes_stale_ones_as_locally(tmp_path):
    docs = _corpus(tmp_path)
    with EmbedServer() as embed, QdrantStub() as qdrant:
        local_wd, ray_wd = Workdir(tmp_path / "local"), Workdir(tmp_path / "ray")
        local = ingest([docs], _config("local", embed), local_wd, progress=False)
        ingest([docs], _config("ray", embed, qdrant.url), ray_wd, progress=False)
        sent = len(qdrant.upserts())
        again = ingest([docs], _config("ray", embed, qdrant.url), ray_wd, progress=False)
        assert (again.chunks_new, again.chunks_unchanged, again.chunks_deleted) == (0, local.chunks_new, 0)
        assert len(qdrant.upserts()) == sent  # nothing embedded or written again

        (docs / "notes.txt").write_text("The committee met again in June 2022 and approved a smaller budget.\n")
        changed = ingest([docs], _config("ray", embed, qdrant.url), ray_wd, progress=False)
        relocal = ingest([docs], _config("local", embed), local_wd, progress=False)
        assert (changed.chunks_new, changed.chunks_deleted) == (relocal.chunks_new, relocal.chunks_deleted) != (0, 0)
        assert _stored(_config("ray", embed, qdrant.url), ray_wd)[0] == _stored(_config("local", embed), local_wd)[0]
        assert qdrant.named("POST", "/points/delete")  # the driver deleted the stale chunks on the server


@pytest.mark.usefixtures("ray_cluster")
def test_a_server_that_refuses_writes_stops_the_ray_ingest_with_its_message(tmp_path):
    docs = _corpus(tmp_path, pages=4)
    with EmbedServer() as embed, QdrantStub(fail_upserts=True) as qdrant:
        refused = r"job failed: .*write to Qdrant at http://127.0.0.1:\d+ failed: .*500.*run again"
        with pytest.raises(RayEngineError, match=refused):
            ingest([docs], _config("ray", embed, qdrant.url, **{"run.ray_embed_actors": 1}), Workdir(tmp_path / "w"),
                   progress=False)
    data = json.loads((tmp_path / "w" / "ingest" / "report.json").read_text())
    assert data.get("interrupted") is True  # the report of what was seen is still written


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(id=Chunk.make_id("s.txt", f"text {i}"), document_id="d", source="s.txt", title="T",
                  text=f"text {i}", index=i, n_tokens=2) for i in range(n)]


def test_the_driver_waits_for_wait_false_writes_and_says_what_to_do_when_some_never_land(tmp_path):
    vectors = np.random.default_rng(0).random((300, 4), dtype=np.float32)
    with QdrantStub(apply_delay_s=0.01) as qdrant:
        cfg = StoreConfig(url=qdrant.url, collection="c")
        with open_store(cfg, Workdir(tmp_path / "w"), dim=4, model="m") as store:
            with open_writer(cfg) as writer:
                writer.upsert(_chunks(300), vectors, wait=False)
            assert store.wait_for_points(300, poll_s=0.01) == 300
        assert qdrant.m["c"] == 16  # the driver's close, not the writer's, switched the graph on
        assert [c.method for c in qdrant.calls].count("PATCH") == 1
    with QdrantStub(drop_writes=True) as qdrant:
        cfg = StoreConfig(url=qdrant.url, collection="c")
        with open_store(cfg, Workdir(tmp_path / "w"), dim=4, model="m") as store:
            with open_writer(cfg) as writer:
                writer.upsert(_chunks(10), vectors[:10], wait=False)
            with pytest.raises(StoreError, match="holds 0 of the 10 points .* run ingest again"):
                store.wait_for_points(10, timeout_s=0.2, poll_s=0.01)


class Recording:
    """The driver's store, recording what it is asked to write."""

    def __init__(self):
        self.upserts, self.deletes = [], []

    def upsert(self, chunks, vectors):
        self.upserts.append([c.id for c in chunks])

    def delete(self, ids):
        self.deletes.append(list(ids))


def test_the_driver_counts_what_workers_wrote_and_deletes_stale_chunks_itself():
    store, stored = Recording(), []
    writer = _Upserts(store, {}, None, stored.append)
    a, b, c = _chunks(3)
    writer.written = {a.id, b.id}  # the row's actor wrote a and b; c was not embedded by any actor
    writer.vectors = {c.id: np.ones(4, dtype=np.float32)}
    writer.add([a, b, c], stale={"old-1"})
    writer.flush()
    assert stored == [2, 1] and store.upserts == [[c.id]] and store.deletes == [["old-1"]]

    view = _Applied({"s.txt": {"old-1", a.id}, "other.md": {"z"}})
    assert view.ids_for_source("s.txt") == {"old-1", a.id} and view.total() == 3
    view.applied("s.txt", [a, b, c])  # after the row: its chunks are what the source holds
    assert view.ids_for_source("s.txt") == {a.id, b.id, c.id} and view.total() == 4


def test_parallel_writers_need_a_server():
    with pytest.raises(StoreError, match=r"need a Qdrant server \(\[store\] url"):
        open_writer(StoreConfig())
