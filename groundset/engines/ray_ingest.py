"""Ingest on Ray Data (``[run] engine = "ray"``): same Documents, Chunks, ids and report as the local engine.

>>> result = ingest_on_ray([Path("docs"), Path("enwiki.xml")], config, Workdir("work"))   # doctest: +SKIP
>>> result.chunks_new, result.exit_code                                                  # doctest: +SKIP
(412, 0)

The pipeline and the worker side are described in ``ray_ingest_tasks``. Here is the driver: it plans the units
(files, dump parts), runs the Dataset, and consumes its rows in input order exactly as ``ingest.pipeline`` consumes
its reader's queue: counts, ``ingest/report.json``, stale chunks deleted after the new ones are stored.
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
from groundset.engines.ray_ingest_tasks import DOC_BATCH, EmbedActor, _embed_texts, _probe, plan_units, read_unit
from groundset.engines.ray_session import RayEngineError, connect, root_cause
from groundset.ingest.pipeline import FLUSH_CHUNKS, _progress, _write_report_after_crash
from groundset.ingest.report import IngestResult, ReportBuilder, summary_table
from groundset.records import Chunk
from groundset.workdir import Workdir

__all__ = ["ingest_on_ray", "resolved_embed", "cpu_shares"]


class _Upserts:
    """The single store writer: chunks with their vectors, upserted in bulk; stale ids deleted after a flush."""

    def __init__(self, store, embed_cfg: dict, ray, on_stored):
        self.store, self.embed_cfg, self.ray, self.on_stored = store, embed_cfg, ray, on_stored
        self.pending: dict[str, tuple[Chunk, np.ndarray | None]] = {}
        self.stale: set[str] = set()
        self.seconds = 0.0

    def add(self, chunks: list[Chunk], vectors: dict[str, np.ndarray], stale: set[str]) -> None:
        for c in chunks:
            if c.id not in self.pending:
                self.pending[c.id] = (c, vectors.get(c.id))
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
    ingest_cfg, embed_cfg = config.ingest.model_dump(mode="json"), resolved_embed(config)
    actors = config.run.ray_embed_actors
    actor_cpus, read_cpus = cpu_shares(float(ray.cluster_resources().get("CPU", 1.0)), actors)
    ds = ray.data.from_items(units, override_num_blocks=max(1, len(units)))
    ds = ds.flat_map(read_unit, fn_kwargs={"ingest_cfg": ingest_cfg, "embed_cfg": embed_cfg}, num_cpus=read_cpus)
    return ds.map_batches(EmbedActor, fn_constructor_kwargs={"embed_cfg": embed_cfg, "skip": skip},
                          compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=actor_cpus,
                          batch_size=DOC_BATCH, batch_format="numpy")


def ingest_on_ray(paths: list[Path], config: Config, workdir: Workdir, progress: bool = True) -> IngestResult:
    """``groundset.ingest.pipeline.ingest`` on Ray Data (same arguments, same result and report)."""
    from groundset.ingest.readers import Skipped, discover
    from groundset.store import open_store

    started = time.perf_counter()
    workdir.ensure()
    cfg = config.ingest
    ray = connect(config.run)
    files, errors = discover([Path(p) for p in paths], include=tuple(cfg.include), exclude=tuple(cfg.exclude))
    result = IngestResult(files=len(files) + len(errors))
    t_load = time.perf_counter()
    embed_cfg = resolved_embed(config)
    try:
        info = ray.get(ray.remote(_probe).remote(embed_cfg, cfg.model_dump(mode="json")))
    except Exception as e:  # noqa: BLE001 - a Ray task error wraps ours: say it once, plainly
        raise RayEngineError(f"the embedding model could not be loaded on the Ray workers: {root_cause(e)}; check "
                             "[embed] model (every node needs it at the same path, or in its Hugging Face cache)"
                             ) from None
    report = ReportBuilder(limit=info["limit"])
    if info["clamped"]:
        report.notes.append(f"[ingest] chunk_tokens {cfg.chunk_tokens} is above what {info['name']} reads "
                            f"({info['limit']} tokens of text); used {info['limit']}")
    for e in errors:
        if isinstance(e, Skipped):
            report.skipped(e.source, e.detail, e.reason)
            result.skipped.append((e.source, e.reason, e.detail))
        else:
            report.failed(e.source, e.reason, e.detail)
            result.failed.append((e.source, e.reason, e.detail))
    result.timings["load"] = time.perf_counter() - t_load
    units = plan_units(files, int(config.run.ray_dump_part_mb * 1e6))
    embed_secs = 0.0
    with open_store(config.store, workdir, dim=info["dim"], model=info["name"]) as store, \
            _progress(progress) as bar:
        files_task = bar.add_task("files", total=len(files), note="")
        chunks_task = bar.add_task("chunks", total=0, note="embedded")
        writer = _Upserts(store, embed_cfg, ray, lambda n: bar.advance(chunks_task, n))
        try:
            ds = _dataset(ray, units, config, ray.put(store.ids()) if units else set())
            for row in (ds.iter_rows() if units else ()):
                kind, path = row["kind"], row["path"]
                if kind == "doc":
                    doc, chunks = pickle.loads(row["doc"]), pickle.loads(row["chunks"])
                    dropped = json.loads(row["dropped"])
                    embed_secs += float(row["embed_secs"])
                    stored = store.ids_for_source(doc.source)
                    new = [c for c in chunks if c.id not in stored]
                    stale = stored - {c.id for c in chunks}
                    result.documents += 1
                    result.chunks_new += len(new)
                    result.chunks_unchanged += len(chunks) - len(new)
                    result.chunks_deleted += len(stale)
                    report.document(path, doc, chunks, Counter(dropped), len(new))
                    bar.update(chunks_task, total=result.chunks_new)
                    bar.update(files_task, note=Path(path).name[:40])
                    writer.add(new, _vectors(row, info["dim"]), stale)
                elif kind == "failed":
                    report.failed(path, row["reason"], row["detail"])
                    result.failed.append((path, row["reason"], row["detail"]))
                else:  # a unit finished
                    result.timings["read"] = result.timings.get("read", 0.0) + float(row["secs"])
                    if row["last"]:
                        bar.advance(files_task)
            writer.flush()
        except BaseException as e:
            _write_report_after_crash(report, result, workdir, e, started, paths=[str(p) for p in paths])
            if isinstance(e, Exception) and type(e).__module__.startswith("ray"):
                raise RayEngineError(f"the Ray ingest job failed: {root_cause(e)}; run again: stored chunks are "
                                     "skipped, the rest is read again") from None
            raise
        result.points = store.count()
    result.dropped = dict(report.dropped)
    result.timings.update({"embed": embed_secs, "store": writer.seconds})
    result.seconds = time.perf_counter() - started
    data = report.write(
        workdir.ingest_report, result, paths=[str(p) for p in paths], collection=config.store.collection,
        store=config.store.url or str(workdir.qdrant_dir), embed_model=info["name"],
        chunk_tokens=info["size"], chunk_overlap=info["overlap"], engine="ray",
    )
    if progress:
        from rich.console import Console

        Console(stderr=True).print(summary_table(data))
    return result
