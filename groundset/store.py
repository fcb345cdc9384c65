"""Chunks and their vectors in Qdrant. The only module that touches qdrant-client.

>>> with open_store(StoreConfig(), Workdir("work"), dim=384, model="all-MiniLM-L6-v2") as store:  # doctest: +SKIP
...     store.upsert(chunks, vectors)                     # point id = chunk id (a content-hash UUID)
...     hits = store.search(vectors[0], limit=5, exclude_ids=[chunks[0].id])   # [(Chunk, cosine), ...]

By default Qdrant runs embedded (local mode) under ``workdir.qdrant_dir``; ``[store] url`` points at a server
(API key from the environment variable ``[store] api_key_env``). Embedded mode is exact brute force in Python: fine up
to ~20k chunks; use a server beyond that. Only one process can hold an embedded store at a time. Its SQLite file
is switched to WAL mode (see ``Store._tune_local``): 50x faster upserts.

A server collection is bulk-loaded as Qdrant documents it: it is created with ``hnsw_config.m = 0`` (no graph
while points stream in), points go up in batches of ``SERVER_BATCH`` over ``SERVER_STREAMS`` parallel requests,
and closing the store after loading sets ``m = 16`` so the server builds the graph once. ``Store.ready()`` (called
by generate before it searches) switches the graph on when it finds ``m = 0`` (a load that was cut off) and waits
until the collection is green (optimizations done). The embedded store is unchanged.

Parallel writers (the ray engine with a server): the driver prepares the collection as above, each worker opens
its own ``open_writer(cfg)`` and sends ``upsert(..., wait=False)`` batches; the driver then ``wait_for_points``
(the exact count reaches what was written) and its close switches the graph on.

Each point's payload is the chunk without its id: document_id, source, title, section, page, index, text, n_tokens.
The collection's metadata records the embedding model, so vectors of two different models never get mixed.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from groundset.errors import StoreError
from groundset.ingest.config import StoreConfig
from groundset.records import Chunk
from groundset.workdir import Workdir

__all__ = ["Store", "open_store", "open_writer", "PAYLOAD_INDEXES", "SERVER_BATCH", "SERVER_STREAMS", "HNSW_M"]

log = logging.getLogger(__name__)
SERVER_BATCH = 256  # points per upsert request to a server (Qdrant's bulk-upload advice: 64–256)
SERVER_STREAMS = 4  # upsert requests in flight at once
HNSW_M = 16  # the graph's degree once loading is done (Qdrant's default)
GREEN_TIMEOUT_S = 600.0
# payload fields generation filters on, and their index type
PAYLOAD_INDEXES = {"document_id": "keyword", "source": "keyword", "page": "integer", "index": "integer"}
_CHUNK_FIELDS = tuple(f for f in Chunk.model_fields if f != "id")
_PAGE = 1024  # points per scroll / upsert request


def open_store(cfg: StoreConfig, workdir: Workdir, dim: int | None = None, *, model: str | None = None) -> "Store":
    """Open the collection ``cfg.collection``: embedded under ``workdir.qdrant_dir`` unless ``cfg.url`` is set.

    With ``dim`` the collection is created when missing, and an existing one must have that dimension (and, when
    ``model`` is given, must have been filled by that embedding model); without ``dim`` the store is read-only in
    spirit (a missing collection reads as empty). Raises StoreError with what to do next.
    """
    from qdrant_client import QdrantClient

    if cfg.url:
        client, where = _server_client(cfg), cfg.url
    else:
        path = workdir.qdrant_dir
        path.mkdir(parents=True, exist_ok=True)
        try:
            client = QdrantClient(path=str(path))
        except RuntimeError as e:
            if "already accessed" in str(e):
                raise StoreError(
                    f"the embedded Qdrant store {path} is in use by another groundset process. Wait for it to finish, "
                    "or run a Qdrant server (`docker compose up -d qdrant`) and pass --qdrant-url for concurrent use."
                ) from None
            raise StoreError(f"cannot open the embedded Qdrant store {path}: {e}") from None
        where = str(path)
    store = Store(client, cfg.collection, local=not cfg.url, where=where)
    try:
        store._prepare(dim, model)
    except BaseException:
        store.close()
        raise
    return store


def _server_client(cfg: StoreConfig) -> Any:
    """A client to the server ``cfg.url`` (API key from ``$[store] api_key_env``), checked with one request."""
    from qdrant_client import QdrantClient

    key = os.environ.get(cfg.api_key_env) or None
    try:
        client = QdrantClient(url=cfg.url, api_key=key, timeout=60)
        client.get_collections()
    except Exception as e:  # noqa: BLE001 - connection errors come in many types
        raise StoreError(
            f"cannot reach Qdrant at {cfg.url}: {type(e).__name__}: {e}. Start it (`docker compose up -d qdrant`), "
            f"check [store] url / {cfg.api_key_env}, or leave the url unset to use the embedded store."
        ) from None
    return client


def open_writer(cfg: StoreConfig) -> "Store":
    """One parallel writer's own client to the server collection that the driver prepared (``open_store`` with
    ``dim``: created at ``m = 0``). A Ray worker sends its batches with ``upsert(chunks, vectors, wait=False)``
    beside the other workers; closing a writer builds nothing: the driver waits for the points
    (``wait_for_points``) and switches the graph on once, at its own close. Raises StoreError without a server.
    """
    if not cfg.url:
        raise StoreError("parallel writers need a Qdrant server ([store] url / --qdrant-url): the embedded store "
                         "has a single writer")
    store = Store(_server_client(cfg), cfg.collection, local=False, where=cfg.url)
    store._exists = True  # the driver created it; a writer only adds points
    return store


class Store:
    """One Qdrant collection of chunks. A context manager; ``close()`` releases the client (always call it)."""

    def __init__(self, client: Any, collection: str, *, local: bool, where: str):
        self._client = client
        self.collection = collection
        self.local = local
        self.where = where
        self.dim: int | None = None
        self.model: str | None = None
        self._exists = False
        self._by_source: dict[str, set[str]] | None = None  # local mode: source -> ids, built on first use
        self._bulk = False  # a server collection loading with m = 0: the graph is switched on at close

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            try:
                if self._bulk:
                    self.build_index()
            finally:
                try:
                    self._client.close()
                finally:
                    self._client = None

    def build_index(self) -> None:
        """Server: switch the HNSW graph on (``m = 16``) after a bulk load; the server builds it in the background."""
        from qdrant_client import models

        self._need()
        if self.local or not self._exists:
            return
        self._client.update_collection(self.collection, hnsw_config=models.HnswConfigDiff(m=HNSW_M))
        self._bulk = False

    def ready(self, timeout_s: float = GREEN_TIMEOUT_S, poll_s: float = 1.0) -> str:
        """Server: wait until the collection is green (graph built, optimizations done) before searching; a
        collection left at ``m = 0`` by a cut-off load gets its graph first. Returns the last status seen; raises
        StoreError when the collection is red."""
        from qdrant_client import models

        self._need()
        if self.local or not self._exists:
            return "green"
        info = self._client.get_collection(self.collection)
        hnsw = getattr(info.config, "hnsw_config", None)
        if getattr(hnsw, "m", None) == 0:
            self.build_index()
        deadline = time.monotonic() + timeout_s
        nudged = False
        while True:
            status = str(getattr(info.status, "value", info.status)).lower()
            if status == "green":
                return status
            if status == "red":
                raise StoreError(f"Qdrant reports collection {self.collection!r} at {self.where} as red (an "
                                 "optimization failed): check the server's log, then delete and ingest it again")
            if status == "grey" and not nudged:  # optimizations pending but not triggered: an empty diff starts them
                self._client.update_collection(self.collection, optimizers_config=models.OptimizersConfigDiff())
                nudged = True
            if time.monotonic() >= deadline:
                log.warning("collection %r is still %s after %.0f s; searching anyway (slower until it is green)",
                            self.collection, status, timeout_s)
                return status
            time.sleep(poll_s)
            info = self._client.get_collection(self.collection)

    def wait_for_points(self, expected: int, timeout_s: float = GREEN_TIMEOUT_S, poll_s: float = 0.5) -> int:
        """Server, after parallel ``wait=False`` writers: poll the exact point count until it reaches ``expected``
        (every acknowledged upsert applied). Returns the count; raises StoreError when the collection is red or the
        count is still short after ``timeout_s`` (a rerun of ingest writes the missing chunks)."""
        self._need()
        deadline = time.monotonic() + timeout_s
        while True:
            n = self.count()
            if n >= expected:
                return n
            info = self._client.get_collection(self.collection)
            if str(getattr(info.status, "value", info.status)).lower() == "red":
                raise StoreError(f"Qdrant reports collection {self.collection!r} at {self.where} as red while "
                                 "loading: check the server's log, then run ingest again")
            if time.monotonic() >= deadline:
                raise StoreError(f"collection {self.collection!r} at {self.where} holds {n} of the {expected} points "
                                 f"the workers wrote after {timeout_s:.0f} s: the server may be overloaded or have "
                                 "dropped writes; run ingest again (stored chunks are skipped, the missing ones "
                                 "are written)")
            time.sleep(poll_s)

    def _prepare(self, dim: int | None, model: str | None) -> None:
        from qdrant_client import models

        c = self._client
        if c.collection_exists(self.collection):
            info = c.get_collection(self.collection)
            vectors = info.config.params.vectors
            size = vectors.size if hasattr(vectors, "size") else None
            meta = info.config.metadata or {}
            self.dim, self.model, self._exists = size, meta.get("embed_model"), True
            self._tune_local()
            if dim is not None and not self.local and getattr(info.config.hnsw_config, "m", None) == 0:
                self._bulk = True  # a load that was cut off: more points come, the graph is built at close
            if dim is not None and size != dim:
                raise StoreError(
                    f"collection {self.collection!r} in {self.where} holds {size}-dim vectors but the embedding model "
                    f"gives {dim}-dim ones. Use another collection (--collection NAME) or delete the old one "
                    f"(for the embedded store: remove {self.where}) and ingest again."
                )
            if dim is not None and model and self.model and self.model != model:
                raise StoreError(
                    f"collection {self.collection!r} was filled with embedding model {self.model!r}, not {model!r}; "
                    "mixing them would make search meaningless. Use another collection (--collection NAME) or the "
                    "same [embed] model."
                )
            return
        if dim is None:
            return
        extra: dict[str, Any] = {}
        if not self.local:  # bulk load: no graph while the points stream in (built at close)
            extra["hnsw_config"] = models.HnswConfigDiff(m=0)
            self._bulk = True
        c.create_collection(
            self.collection,
            vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE),
            metadata={"embed_model": model} if model else None,
            **extra,
        )
        with warnings.catch_warnings():  # local mode ignores payload indexes and says so; a server uses them
            warnings.simplefilter("ignore")
            for field, kind in PAYLOAD_INDEXES.items():
                schema = models.PayloadSchemaType.KEYWORD if kind == "keyword" else models.PayloadSchemaType.INTEGER
                c.create_payload_index(self.collection, field, field_schema=schema)
        self.dim, self.model, self._exists = dim, model, True
        self._tune_local()

    def _tune_local(self) -> bool:
        """Embedded mode: put the collection's SQLite file in WAL mode with synchronous=NORMAL.

        qdrant-client's local persistence commits (and fsyncs) once per point: ~50 points/s on a plain disk. In WAL
        mode a commit survives a killed process but is not fsynced until a checkpoint: ~2,500 points/s. Reaches into
        qdrant-client internals (``tests/ingest/test_store.py`` fails loudly if they change); returns whether it
        applied.
        """
        if not self.local:
            return False
        try:
            conn = self._client._client.collections[self.collection].storage.storage
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return True
        except (AttributeError, KeyError, TypeError):
            return False
        except Exception:  # noqa: BLE001 - sqlite3 errors: keep the safe defaults
            return False

    def _need(self) -> None:
        if self._client is None:
            raise StoreError("the store is closed")

    # --- writing -----------------------------------------------------------------------------------------------
    def upsert(self, chunks: list[Chunk], vectors: np.ndarray, *, wait: bool = True) -> None:
        """Insert or replace ``chunks`` with their ``vectors`` (one row each), in bulk requests. ``wait=False``
        (parallel writers into a server): each request returns once the server has it in its write-ahead log, not
        once it is applied; ``wait_for_points`` on the driver waits for them all."""
        from qdrant_client import models

        self._need()
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        if not chunks:
            return
        if not self._exists:
            self._prepare(int(vectors.shape[1]), None)
        vectors = np.asarray(vectors, dtype=np.float32)
        page = _PAGE if self.local else SERVER_BATCH

        def send(i: int) -> None:
            part = chunks[i : i + page]
            self._client.upsert(
                self.collection,
                points=models.Batch(
                    ids=[c.id for c in part],
                    vectors=vectors[i : i + page].tolist(),
                    payloads=[c.model_dump(exclude={"id"}) for c in part],
                ),
                wait=wait,
            )

        starts = range(0, len(chunks), page)
        if self.local or len(starts) == 1:
            for i in starts:
                send(i)
        else:  # a server: a few requests in flight at once
            with ThreadPoolExecutor(max_workers=SERVER_STREAMS, thread_name_prefix="groundset-qdrant") as pool:
                list(pool.map(send, starts))
        if self._by_source is not None:
            for c in chunks:
                self._by_source[c.source].add(c.id)

    def delete(self, ids: Iterable[str]) -> None:
        """Remove the points with these ids (unknown ids are ignored)."""
        from qdrant_client import models

        self._need()
        ids = list(ids)
        if not ids or not self._exists:
            return
        for i in range(0, len(ids), _PAGE):
            self._client.delete(self.collection, points_selector=models.PointIdsList(points=ids[i : i + _PAGE]))
        if self._by_source is not None:
            gone = set(ids)
            for s in list(self._by_source):
                self._by_source[s] -= gone

    # --- reading -----------------------------------------------------------------------------------------------
    def count(self) -> int:
        """Number of points in the collection (0 when it does not exist yet)."""
        self._need()
        if not self._exists:
            return 0
        return int(self._client.count(self.collection, exact=True).count)

    def collections(self) -> dict[str, int]:
        """Every collection of this Qdrant (embedded dir or server) with its point count."""
        self._need()
        names = [c.name for c in self._client.get_collections().collections]
        return {n: int(self._client.count(n, exact=True).count) for n in sorted(names)}

    def _scroll(self, flt: Any = None, payload: Any = True, vectors: bool = False, batch: int = _PAGE) -> Iterator[Any]:
        if not self._exists:
            return
        offset = None
        while True:
            points, offset = self._client.scroll(
                self.collection, scroll_filter=flt, limit=batch, offset=offset, with_payload=payload,
                with_vectors=vectors,
            )
            yield from points
            if offset is None:
                return

    def ids_by_source(self) -> dict[str, set[str]]:
        """Every point id, by the ``source`` of its chunk (one scroll; the Ray engine skips these chunks before it
        embeds them on other machines, and with parallel writers keeps its bookkeeping against them)."""
        self._need()
        index: dict[str, set[str]] = defaultdict(set)
        for p in self._scroll(payload=["source"]):
            index[(p.payload or {}).get("source", "")].add(str(p.id))
        return index

    def ids_for_source(self, source: str) -> set[str]:
        """Ids of the chunks stored for ``source`` (a path, URL or dump#title)."""
        from qdrant_client import models

        self._need()
        if self.local:  # brute-force filters cost a full scan each: index sources once, keep it current
            if self._by_source is None:
                self._by_source = self.ids_by_source()
            return set(self._by_source.get(source, ()))
        flt = models.Filter(must=[models.FieldCondition(key="source", match=models.MatchValue(value=source))])
        return {str(p.id) for p in self._scroll(flt, payload=False)}

    def iter_chunks(self, batch: int = 256) -> Iterator[Chunk]:
        """Every stored chunk (payload → Chunk), in point-id order."""
        self._need()
        for p in self._scroll(batch=batch):
            yield _to_chunk(p)

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids, in the given order; ids not in the store are left out."""
        self._need()
        if not ids or not self._exists:
            return []
        found = {str(p.id): _to_chunk(p) for p in self._client.retrieve(self.collection, ids=list(ids), with_payload=True)}
        return [found[i] for i in ids if i in found]

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of these ids, one row each in the given order. Raises StoreError for unknown ids."""
        self._need()
        if not ids:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        points = self._client.retrieve(self.collection, ids=list(ids), with_vectors=True) if self._exists else []
        found = {str(p.id): p.vector for p in points}
        missing = [i for i in ids if i not in found]
        if missing:
            raise StoreError(f"{len(missing)} chunk id(s) not in collection {self.collection!r}, e.g. {missing[0]}; "
                             "re-run `groundset ingest` if the corpus changed")
        return np.asarray([found[i] for i in ids], dtype=np.float32)

    def search(
        self,
        vector: Sequence[float] | np.ndarray,
        limit: int = 10,
        *,
        exclude_ids: Iterable[str] = (),
        exclude_document_ids: Iterable[str] = (),
        document_id: str | None = None,
    ) -> list[tuple[Chunk, float]]:
        """The ``limit`` chunks nearest to ``vector`` (cosine, best first), optionally within one document or
        excluding given chunks / documents."""
        from qdrant_client import models

        self._need()
        if not self._exists:
            raise StoreError(f"collection {self.collection!r} does not exist yet: run `groundset ingest PATH` first")
        must: list[Any] = []
        must_not: list[Any] = []
        if document_id is not None:
            must.append(models.FieldCondition(key="document_id", match=models.MatchValue(value=document_id)))
        ex_ids = list(exclude_ids)
        if ex_ids:
            must_not.append(models.HasIdCondition(has_id=ex_ids))
        ex_docs = list(exclude_document_ids)
        if ex_docs:
            must_not.append(models.FieldCondition(key="document_id", match=models.MatchAny(any=ex_docs)))
        flt = models.Filter(must=must or None, must_not=must_not or None) if (must or must_not) else None
        query = np.asarray(vector, dtype=np.float32).tolist()
        res = self._client.query_points(self.collection, query=query, query_filter=flt, limit=limit, with_payload=True)
        return [(_to_chunk(p), float(p.score)) for p in res.points]


def _to_chunk(point: Any) -> Chunk:
    payload = point.payload or {}
    return Chunk(id=str(point.id), **{k: payload[k] for k in _CHUNK_FIELDS if k in payload})
