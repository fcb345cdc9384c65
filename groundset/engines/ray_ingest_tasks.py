"""The worker half of ingest on Ray Data (the driver is ``ray_ingest``): what tasks and actors run.

```
files, dump parts ──flat_map (tasks): read, partition, clean, chunk──▶ one row per Document (+ failures)
    ──map_batches (actor pool, [run] ray_embed_actors): embed the chunks not already stored──▶
    ──driver, rows in input order: report, stale chunks, upsert through the single store writer
```
(with a Qdrant server the actors upsert, in parallel; the driver deletes stale chunks and waits for the points)

A Wikipedia dump is split into parts (``groundset.ingest.dump_parts``) so that one dump feeds many tasks. Each task
uses the same readers and ``Chunker`` as the local engine, each actor the same ``load_embedder``; the driver does
the local engine's bookkeeping (new / unchanged / stale chunks, ``ingest/report.json``), so a run gives the same
chunk ids. Vectors come from other batches than locally (other padding), equal within the embedder's own check.

With a Qdrant server (``[store] url``) the actors are the writers: each upserts the chunks it embedded over its
own client (``wait=False`` batches into a collection created with ``m = 0``); the driver keeps the bookkeeping
against the ids stored when the run began (the server already holds chunks of rows the driver has not reached),
waits until the server counts every point, then switches the graph on.

Differences from the local engine, on purpose: ``[ingest] max_file_chunks`` counts per dump part, not per dump;
a broken dump part is reported and the parts after it are still read (the local reader stops at the break); the
embedded store has one writer (the driver); with parallel writers, when two Documents of one source (a dump with a
page title twice) share a chunk text, the stored payload is either one's (locally: the first's). A killed run is
resumed as locally: chunks already stored are skipped before they are embedded again.
"""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

__all__ = ["plan_units", "read_unit", "EmbedActor"]

_CHUNKERS: dict[str, Any] = {}  # per worker process: (embed, ingest) config → (embedder, chunker)
DOC_BATCH = 16  # documents per embedding call of an actor


def _tools(embed_cfg: dict, ingest_cfg: dict):
    """(embedder, chunker) of this worker process, built once per config."""
    key = json.dumps([embed_cfg, ingest_cfg], sort_keys=True)
    if key not in _CHUNKERS:
        from groundset.embed import load_embedder
        from groundset.ingest.chunk import Chunker
        from groundset.ingest.config import EmbedConfig, IngestConfig

        cfg = IngestConfig.model_validate(ingest_cfg)
        embedder = load_embedder(EmbedConfig.model_validate(embed_cfg))
        _CHUNKERS[key] = (embedder, Chunker.for_embedder(embedder, cfg.chunk_tokens, cfg.chunk_overlap,
                                                         cfg.min_chunk_tokens), cfg)
    return _CHUNKERS[key]


def plan_units(files: list[Path], part_bytes: int) -> list[dict[str, Any]]:
    """One unit of reading per file, or per part of a Wikipedia dump; ``last`` marks a file's final unit."""
    from groundset.ingest.discover import file_format
    from groundset.ingest.dump_parts import dump_parts

    units: list[dict[str, Any]] = []
    for f in files:
        parts: list[Any] = []
        if file_format(f) == "wikipedia":
            try:
                parts = dump_parts(f, part_bytes)
            except OSError:
                parts = []
            if len(parts) == 1 or (parts and parts[0].kind == "xml" and parts[0].start >= f.stat().st_size):
                parts = []  # one part, or no <page> found: the whole-file reader (and its errors) as locally
        if not parts:
            units.append({"path": str(f), "kind": "file", "start": 0, "end": -1, "last": True})
            continue
        for k, p in enumerate(parts):
            units.append({"path": str(f), "kind": p.kind, "start": p.start, "end": -1 if p.end is None else p.end,
                          "last": k == len(parts) - 1})
    return units


def _row(unit: dict, kind: str, **kw: Any) -> dict[str, Any]:
    row = {"kind": kind, "path": unit["path"], "doc": b"", "chunks": b"", "dropped": "{}", "secs": 0.0,
           "reason": "", "detail": "", "last": bool(unit["last"])}
    row.update(kw)
    return row


def read_unit(unit: dict[str, Any], ingest_cfg: dict, embed_cfg: dict) -> Iterator[dict[str, Any]]:
    """Ray task body (a generator: a large file or dump part streams out Document by Document): the Document rows
    of one unit, then its failure (if any) and a ``done`` row with the seconds it took."""
    from groundset.ingest.dump_parts import DumpPart, read_part
    from groundset.ingest.quality import guess_language
    from groundset.ingest.reading import ChunkCap, failure_of
    from groundset.ingest.readers import read_path

    t0 = time.perf_counter()
    _, chunker, cfg = _tools(embed_cfg, ingest_cfg)
    path = Path(unit["path"])
    if unit["kind"] == "file":
        docs = read_path(path, cfg)
    else:
        docs = read_part(DumpPart(str(path), unit["kind"], unit["start"], None if unit["end"] < 0 else unit["end"]))
    cap = ChunkCap(cfg.max_file_chunks)
    try:
        for doc in docs:
            chunks, dropped = chunker.chunk(doc)
            chunks, over = cap.take(chunks)
            if chunks or not over:
                # the report's language guess, here rather than on the driver (its largest per-document cost)
                doc.metadata["language"] = guess_language(doc.text[:3000])
                yield _row(unit, "doc", doc=pickle.dumps(doc), chunks=pickle.dumps(chunks),
                           dropped=json.dumps(dict(dropped)))
            if over:
                yield _row(unit, "failed", reason=over[0], detail=over[1])
                break
    except Exception as e:  # noqa: BLE001 - one bad file (or part) must not stop the run: it is reported
        reason, detail = failure_of(e, cfg)
        yield _row(unit, "failed", reason=reason, detail=detail)
    yield _row(unit, "done", secs=time.perf_counter() - t0)


class EmbedActor:
    """Ray actor: embeds the chunks of a batch of Document rows that the store does not hold yet.

    Adds ``vec_ids`` (JSON list of chunk ids) and ``vectors`` (float32 bytes, one row per id) to each row. With
    ``store_cfg`` (a Qdrant server: parallel writers) the actor upserts those chunks itself, over its own client,
    in ``wait=False`` batches, and sends no vectors back: ``vec_ids`` are then the ids it wrote.
    """

    def __init__(self, embed_cfg: dict, skip: Any, store_cfg: dict | None = None):
        import ray

        from groundset.embed import load_embedder
        from groundset.ingest.config import EmbedConfig

        cfg = EmbedConfig.model_validate(embed_cfg)
        self.embedder = load_embedder(cfg)
        self.batch_size = cfg.batch_size
        self.skip = ray.get(skip) if isinstance(skip, ray.ObjectRef) else set(skip)
        self.store_cfg, self.writer = store_cfg, None

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        t0 = time.perf_counter()
        n = len(batch["kind"])
        ids: list[list[str]] = [[] for _ in range(n)]
        todo: list[tuple[int, int, Any]] = []  # (tokens, row, chunk)
        for i in range(n):
            if batch["kind"][i] != "doc":
                continue
            seen: set[str] = set()
            for c in pickle.loads(batch["chunks"][i]):
                if c.id in self.skip or c.id in seen:
                    continue
                seen.add(c.id)
                ids[i].append(c.id)
                todo.append((c.n_tokens, i, c))
        order = sorted(range(len(todo)), key=lambda k: todo[k][0])  # length-sorted: less padding, as locally
        vectors = self.embedder.encode([todo[k][2].text for k in order], batch_size=self.batch_size) if todo else None
        t1 = time.perf_counter()
        per_row: list[list[np.ndarray]] = [[] for _ in range(n)]
        if vectors is not None and self.store_cfg is not None:
            self._write([todo[k][2] for k in order], vectors)
        elif vectors is not None:
            back = np.empty_like(vectors)
            back[np.asarray(order)] = vectors
            for k, (_, i, _) in enumerate(todo):
                per_row[i].append(back[k])
        batch["vec_ids"] = np.array([json.dumps(x) for x in ids], dtype=object)
        batch["vectors"] = np.array([np.asarray(v, dtype=np.float32).tobytes() if v else b"" for v in per_row],
                                    dtype=object)
        batch["embed_secs"] = np.full(n, (t1 - t0) / max(n, 1))
        batch["store_secs"] = np.full(n, (time.perf_counter() - t1) / max(n, 1))
        return batch

    def _write(self, chunks: list[Any], vectors: np.ndarray) -> None:
        """Parallel writer: this actor's own client to the server, ``wait=False`` batches (the driver waits)."""
        from groundset.ingest.config import StoreConfig
        from groundset.store import open_writer

        from groundset.errors import StoreError

        if self.writer is None:
            self.writer = open_writer(StoreConfig.model_validate(self.store_cfg))
        try:
            self.writer.upsert(chunks, vectors, wait=False)
        except Exception as e:  # noqa: BLE001 - HTTP errors, timeouts: one message that says where and what next
            raise StoreError(f"a Ray worker's write to Qdrant at {self.writer.where} failed: {type(e).__name__}: "
                             f"{' '.join(str(e).split())[:300]}; check the server (its log, disk, memory)") from None

    def __del__(self) -> None:
        if getattr(self, "writer", None) is not None:
            self.writer.close()


def _embed_texts(embed_cfg: dict, texts: list[str]) -> np.ndarray:
    """Ray task: vectors of chunks an actor skipped but the driver must store (a stale one of this very run)."""
    from groundset.embed import load_embedder
    from groundset.ingest.config import EmbedConfig

    return load_embedder(EmbedConfig.model_validate(embed_cfg)).encode(texts)

