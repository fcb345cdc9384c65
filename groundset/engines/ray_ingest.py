"""Ingest on Ray Data (``[run] engine = "ray"``): same Documents, Chunks, ids and report as the local engine.

>>> result = ingest_on_ray([Path("docs"), Path("enwiki.xml")], config, Workdir("work"))   # doctest: +SKIP
>>> result.chunks_new, result.exit_code                                                  # doctest: +SKIP
(412, 0)

The pipeline and the worker side are described in ``ray_ingest_tasks``. Here is the driver: it plans the units
(files, dump parts), runs the Dataset, and hands its rows, in input order, to the local pipeline's own ``_apply``
(counts, ``ingest/report.json``, stale chunks deleted after the new ones are stored). With a Qdrant server the
embedding actors write the points themselves (parallel writers); the driver then waits for the server to count
them all (``Store.wait_for_points``) before its close switches the HNSW graph on. The driver loads the
embedder once too, as the local engine does: for its name, dimension and the chunker's limits.
"""

from __future__ import annotations

import json
import pickle
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from groundset.config import Config
from groundset.engines.ray_ingest_tasks import DOC_BATCH, EmbedActor, _embed_texts, plan_units, read_unit
from groundset.engines.ray_session import RayEngineError, connect, quiet_deprecations, retries, root_cause
from groundset.ingest.pipeline import FLUSH_CHUNKS
from groundset.ingest.report import IngestResult
from groundset.records import Chunk
from groundset.workdir import Workdir

__all__ = ["ingest_on_ray", "resolved_embed", "cpu_shares"]


class _Upserts:
    """The driver's store writes: chunks with their vectors upserted in bulk, stale ids deleted after a flush.

    With parallel writers (``written``: the ids the current row's actor already sent to the server) the driver
    only counts those; it still writes the rare chunk no actor wrote (below) and deletes the stale ones.
    """

    def __init__(self, store, embed_cfg: dict, ray, on_stored):
        self.store, self.embed_cfg, self.ray, self.on_stored = store, embed_cfg, ray, on_stored
        self.pending: dict[str, tuple[Chunk, np.ndarray | None]] = {}
        self.stale: set[str] = set()
        self.seconds = 0.0
        self.vectors: dict[str, np.ndarray] = {}  # the current row's, set before the pipeline's ``_apply``
        self.written: set[str] = set()  # parallel writers: the current row's chunks already sent by its actor

    def add(self, chunks: list[Chunk], stale: set[str]) -> None:
        """What ``pipeline._apply`` calls: the new chunks of one Document (their vectors: ``self.vectors``)."""
        sent = 0
        for c in chunks:
            if c.id in self.written:
                sent += 1
            elif c.id not in self.pending:
                self.pending[c.id] = (c, self.vectors.get(c.id))
        if sent:
            self.on_stored(sent)
        self.stale |= stale
        if len(self.pending) >= FLUSH_CHUNKS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            items = list(self.pending.values())
            self.pending = {}
            missing = [i for i, (_, v) in enumerate(items) if v is None]
            if missing:  # skipped by the actors (stored when the run began) but deleted since: embed them now
                remote = self.ray.remote(_embed_texts)
                got = self.ray.get(remote.remote(self.embed_cfg, [items[i][0].text for i in missing]))
                for i, v in zip(missing, got):
                    items[i] = (items[i][0], v)
            t0 = time.perf_counter()
            self.store.upsert([c for c, _ in items], np.stack([v for _, v in items]))
            self.seconds += time.perf_counter() - t0
            self.on_stored(len(items))
        if self.stale:
            t0 = time.perf_counter()
            self.store.delete(sorted(self.stale))
            self.stale = set()
            self.seconds += time.perf_counter() - t0


class _Applied:
    """The store as the driver has applied it, for ``pipeline._apply``: the ids of each source when the run began,
    replaced by a Document's chunk ids once its row is applied. With parallel writers the server already holds the
    chunks actors sent for rows the driver has not reached: asking the server would count them as unchanged.

    >>> view = _Applied({"a.md": {"1", "2"}})
    >>> view.ids_for_source("a.md"), view.total()
    ({'1', '2'}, 2)
    """

    def __init__(self, by_source: dict[str, set[str]]):
        self.by_source = dict(by_source)

    def ids_for_source(self, source: str) -> set[str]:
        return set(self.by_source.get(source, ()))

    def applied(self, source: str, chunks: list[Chunk]) -> None:
        """After ``_apply``: what is stored for ``source`` is this Document's chunks (new ones in, stale ones out)."""
        self.by_source[source] = {c.id for c in chunks}

    def total(self) -> int:
        """The points the collection holds once every write has landed (ids include their source: no overlap)."""
        return sum(len(ids) for ids in self.by_source.values())


def _vectors(row: dict[str, Any], dim: int) -> dict[str, np.ndarray]:
    ids = json.loads(row["vec_ids"])
    if not ids:
        return {}
    mat = np.frombuffer(row["vectors"], dtype=np.float32).reshape(len(ids), dim)
    return dict(zip(ids, mat))


def resolved_embed(config: Config) -> dict[str, Any]:
    """[embed] with ``auto`` resolved here, on the driver: every node embeds with the backend and precision this
    machine would use (a node with AMX would otherwise pick bf16, one without it onnx int8)."""
    from groundset.embed import resolve_backend, resolve_precision

    cfg = config.embed
    backend = resolve_backend(cfg)
    update = {"precision": resolve_precision(cfg)}
    if backend in ("onnx", "sentence-transformers"):  # "openai" is not a backend setting: nothing to pin
        update["backend"] = backend
    return cfg.model_copy(update=update).model_dump(mode="json")


def cpu_shares(total_cpus: float, actors: int) -> tuple[float, float]:
    """(CPUs per embedding actor, CPUs per reading task). An actor takes one CPU when that leaves the readers at
    least one; on a smaller cluster both get a share, else the actors would hold every CPU and no reading task
    could start (a deadlock measured with ``num_cpus=1``).

    >>> cpu_shares(2, 1), cpu_shares(1, 1), cpu_shares(16, 4)
    ((1.0, 1.0), (0.5, 0.5), (1.0, 1.0))
    """
    actor = 1.0 if actors < total_cpus else total_cpus / (2 * actors)
    return actor, min(1.0, total_cpus - actors * actor)


def _dataset(ray, units: list[dict], config: Config, skip: Any):
    """read (tasks) → embed (actor pool; with a server, the actors write) as one Dataset, retries bounded."""
    ingest_cfg, embed_cfg = config.ingest.model_dump(mode="json"), resolved_embed(config)
    actors = config.run.ray_embed_actors
    actor_cpus, read_cpus = cpu_shares(float(ray.cluster_resources().get("CPU", 1.0)), actors)
    store_cfg = config.store.model_dump(mode="json") if config.store.url else None
    if store_cfg is not None and config.run.ray_store_url:  # the server as the workers reach it
        store_cfg["url"] = config.run.ray_store_url
    ds = ray.data.from_items(units, override_num_blocks=max(1, len(units)))
    # at most 2 batches queued per actor: a busy actor (a slow write) does not hoard the batches an idle one could take
    pool = ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=2)
    with quiet_deprecations():
        ds = ds.flat_map(read_unit, fn_kwargs={"ingest_cfg": ingest_cfg, "embed_cfg": embed_cfg},
                         num_cpus=read_cpus, **retries(config.run, actors=False))
        return ds.map_batches(EmbedActor, fn_constructor_kwargs={"embed_cfg": embed_cfg, "skip": skip,
                                                                 "store_cfg": store_cfg},
                              compute=pool, num_cpus=actor_cpus, batch_size=DOC_BATCH, batch_format="numpy",
                              **retries(config.run, actors=True))


def ingest_on_ray(paths: list[Path], config: Config, workdir: Workdir, progress: Any = None) -> IngestResult:
    """``groundset.ingest.pipeline.ingest`` on Ray Data (same arguments, same result, report and progress events):
    the pipeline's own ``_prepare``, ``_apply`` and ``_write_report`` around the Dataset's rows."""
    from groundset.ingest.pipeline import _apply, _prepare, _write_report, _write_report_after_crash
    from groundset.progress import Finished, Tick, progress_callback
    from groundset.store import open_store

    emit = progress_callback(progress)
    data = None
    ray = connect(config.run)
    try:
        run = _prepare(paths, config, workdir, emit)  # discover, the report, the embedder's name, dim and limits
        embed_cfg = resolved_embed(config)
        units = plan_units(run.files, int(config.run.ray_dump_part_mb * 1e6))
        dim = run.embedder.dim
        parallel = bool(config.store.url)  # a server: the embedding actors write, in parallel
        with open_store(config.store, workdir, dim=dim, model=run.embedder.name) as store:
            writer = _Upserts(store, embed_cfg, ray, lambda n: emit(Tick("ingest", "chunks", advance=n)))
            emit(Tick("ingest", "files", done=0, total=len(run.files), note=""))
            emit(Tick("ingest", "chunks", done=0, total=0, note="embedded"))
            embed_secs = sent_secs = 0.0
            try:
                by_source = store.ids_by_source()
                view = _Applied(by_source) if parallel else None
                skip = set().union(*by_source.values())
                ds = _dataset(ray, units, config, ray.put(skip)) if units else None
                for row in (ds.iter_rows() if ds is not None else ()):
                    if row["kind"] == "doc":
                        embed_secs += float(row["embed_secs"])
                        sent_secs += float(row["store_secs"])
                        if parallel:
                            writer.written = set(json.loads(row["vec_ids"]))
                        else:
                            writer.vectors = _vectors(row, dim)
                    msg = _message(row)
                    if msg is not None:
                        _apply(run, msg, view if view is not None else store, writer)
                        if view is not None and row["kind"] == "doc":
                            view.applied(msg.doc.source, msg.chunks)
                    elif row["kind"] == "done":  # a dump part other than the last: its reading time only
                        run.result.timings["read"] = run.result.timings.get("read", 0.0) + float(row["secs"])
                writer.flush()
                if view is not None:  # every wait=false write applied before the graph is built (at close)
                    t0 = time.perf_counter()
                    store.wait_for_points(view.total())
                    writer.seconds += time.perf_counter() - t0
            except BaseException as e:
                _write_report_after_crash(run, e)
                if isinstance(e, Exception) and type(e).__module__.startswith("ray"):
                    raise RayEngineError(f"the Ray ingest job failed: {root_cause(e)}; run again: stored chunks "
                                         "are skipped, the rest is read again") from None
                raise
            run.result.points = store.count()
        run.result.timings.update({"embed": embed_secs, "store": writer.seconds + sent_secs})
        data = _write_report(run)
    finally:
        emit(Finished("ingest", data))
    return run.result


def _message(row: dict[str, Any]):
    """A Dataset row → the reader message the local pipeline applies (None for a non-final part's end)."""
    from groundset.ingest.reading import DocumentRead, FileDone, FileFailed

    if row["kind"] == "doc":
        return DocumentRead(row["path"], pickle.loads(row["doc"]), pickle.loads(row["chunks"]),
                            Counter(json.loads(row["dropped"])), 0.0)
    if row["kind"] == "failed":
        return FileFailed(row["path"], row["reason"], row["detail"])
    return FileDone(row["path"], float(row["secs"])) if row["last"] else None
