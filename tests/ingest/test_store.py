"""The Qdrant store in embedded mode: upsert / get / vectors / search / delete, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from groundset.errors import StoreError
from groundset.ingest.config import StoreConfig
from groundset.records import Chunk
from groundset.store import open_store
from groundset.workdir import Workdir


def _chunk(source: str, text: str, index: int, doc: str = "doc-a", page: int | None = None) -> Chunk:
    return Chunk(id=Chunk.make_id(source, text), document_id=doc, source=source, title="T", text=text,
                 section=["S", "sub"], page=page, index=index, n_tokens=len(text.split()))


def _unit(*rows: list[float]) -> np.ndarray:
    v = np.array(rows, dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def filled(tmp_path):
    wd = Workdir(tmp_path / "work")
    chunks = [
        _chunk("a.md", "alpha one", 0, "doc-a", page=1),
        _chunk("a.md", "alpha two", 1, "doc-a", page=2),
        _chunk("b.md", "beta one", 0, "doc-b"),
        _chunk("b.md", "beta two", 1, "doc-b"),
    ]
    vectors = _unit([1, 0, 0, 0], [0.9, 0.1, 0, 0], [0, 1, 0, 0], [0, 0.9, 0.1, 0])
    with open_store(StoreConfig(collection="c1"), wd, dim=4, model="m") as store:
        store.upsert(chunks, vectors)
        yield store, chunks, vectors


def test_roundtrip_counts_get_and_vectors_in_given_order(filled):
    store, chunks, vectors = filled
    assert store.count() == 4
    assert store.collections() == {"c1": 4}
    order = [chunks[2].id, chunks[0].id, "00000000-0000-0000-0000-000000000000", chunks[3].id]
    got = store.get(order)
    assert [c.id for c in got] == [chunks[2].id, chunks[0].id, chunks[3].id]  # unknown id left out
    assert got[1] == chunks[0]  # payload → Chunk: every field survives
    v = store.vectors([chunks[3].id, chunks[0].id])
    assert np.allclose(v, vectors[[3, 0]], atol=1e-6)
    with pytest.raises(StoreError, match="not in collection"):
        store.vectors(["00000000-0000-0000-0000-000000000000"])
    assert sorted(c.id for c in store.iter_chunks(batch=3)) == sorted(c.id for c in chunks)


def test_search_with_filters(filled):
    store, chunks, vectors = filled
    hits = store.search(vectors[0], limit=2)
    assert [h[0].id for h in hits] == [chunks[0].id, chunks[1].id]
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    hits = store.search(vectors[0], limit=2, exclude_ids=[chunks[0].id])
    assert hits[0][0].id == chunks[1].id
    hits = store.search(vectors[0], limit=4, exclude_document_ids=["doc-a"])
    assert {h[0].document_id for h in hits} == {"doc-b"}
    hits = store.search(vectors[2], limit=4, document_id="doc-a")
    assert {h[0].document_id for h in hits} == {"doc-a"} and len(hits) == 2


def test_ids_for_source_and_delete(filled):
    store, chunks, _ = filled
    assert store.ids_for_source("a.md") == {chunks[0].id, chunks[1].id}
    store.delete([chunks[0].id])
    assert store.ids_for_source("a.md") == {chunks[1].id}
    assert store.count() == 3
    assert store.ids_for_source("missing.md") == set()


def test_reopen_persists_and_read_only_open_needs_no_dim(filled, tmp_path):
    store, chunks, _ = filled
    store.close()
    with open_store(StoreConfig(collection="c1"), Workdir(tmp_path / "work")) as again:
        assert again.count() == 4 and again.dim == 4 and again.model == "m"
        assert again.ids_for_source("b.md") == {chunks[2].id, chunks[3].id}
    with open_store(StoreConfig(collection="other"), Workdir(tmp_path / "work")) as empty:
        assert empty.count() == 0 and list(empty.iter_chunks()) == [] and empty.get([chunks[0].id]) == []
        with pytest.raises(StoreError, match="groundset ingest"):
            empty.search([1, 0, 0, 0])


def test_dimension_or_model_mismatch_says_what_to_do(filled, tmp_path):
    store, _, _ = filled
    store.close()
    wd = Workdir(tmp_path / "work")
    with pytest.raises(StoreError, match=r"4-dim vectors but the embedding model gives 8-dim.*--collection"):
        open_store(StoreConfig(collection="c1"), wd, dim=8)
    with pytest.raises(StoreError, match="filled with embedding model 'm', not 'other-model'"):
        open_store(StoreConfig(collection="c1"), wd, dim=4, model="other-model")
    # the failed opens released the directory
    with open_store(StoreConfig(collection="c1"), wd, dim=4, model="m") as ok:
        assert ok.count() == 4


def test_second_process_on_the_embedded_store_gets_a_clear_error(filled, tmp_path):
    with pytest.raises(StoreError, match="in use by another groundset process"):
        open_store(StoreConfig(collection="c1"), Workdir(tmp_path / "work"), dim=4)


def test_unreachable_server_names_the_fix(tmp_path):
    cfg = StoreConfig(url="http://127.0.0.1:9", collection="c1")
    with pytest.raises(StoreError, match="cannot reach Qdrant at http://127.0.0.1:9.*docker compose"):
        open_store(cfg, Workdir(tmp_path / "work"), dim=4)


def test_embedded_store_is_tuned_for_bulk_writes(filled):
    """Fails loudly if qdrant-client's local persistence internals change (the WAL hook would silently stop)."""
    store, _, _ = filled
    assert store._tune_local()
    conn = store._client._client.collections["c1"].storage.storage
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
