"""The ingest stage: files → Documents → Chunks → vectors in Qdrant, with a report. One bad file never stops a run.

>>> result = ingest([Path("docs")], load_config(None), Workdir("work"))   # doctest: +SKIP
>>> result.documents, result.chunks_new, result.exit_code                 # doctest: +SKIP
(17, 412, 0)

Reading runs beside embedding: in a reader process for inputs of a megabyte or more (``[ingest] workers``;
pure-Python PDF parsing in a thread holds the GIL the encoder needs between its kernels: measured, it halved the
encoder's speed), else in a background thread; chunking, and Wikipedia dumps (streamed), always in a background
thread. While reading goes on, the encoder gets the cores the readers leave free, then all of them. Chunks are
embedded in buffers sorted by length (less padding) as soon as the reader has nothing new, and upserted in bulk.
A chunk whose id (hash of source + text) is already stored is not embedded again, so re-ingesting an unchanged
corpus encodes nothing; the stale chunks of a changed document are deleted after its new ones are stored.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from groundset.config import Config
from groundset.ingest.chunk import Chunker
from groundset.ingest.reading import DocumentRead, FileDone, FileFailed, Message, messages, produce
from groundset.ingest.report import IngestResult, ReportBuilder
from groundset.progress import Finished, Progress, Tick, progress_callback
from groundset.records import Chunk
from groundset.workdir import Workdir

__all__ = ["ingest", "IngestResult", "FLUSH_CHUNKS"]

FLUSH_CHUNKS = 256  # chunks gathered before one length-sorted encode + bulk upsert
PROCESS_BYTES = 1 << 20  # unset [ingest] workers: read in a process from this much input on


def reader_processes(files: list[Path], workers: int | None) -> int:
    """How many reader processes read ``files`` (Wikipedia dumps excluded): ``[ingest] workers``, or when unset 1
    from ``PROCESS_BYTES`` of input on, else 0 (a thread: no start-up cost for a handful of small files)."""
    if workers is not None:
        return min(workers, len(files))  # never more processes than files
    size = 0
    for f in files:
        try:
            size += f.stat().st_size
        except OSError:
            continue
    return 1 if size >= PROCESS_BYTES else 0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Writer:
    """Main-thread side: skip stored chunks, embed new ones in length-sorted buffers, upsert, delete stale.

    While files are still being read (``reading()``), the embedder gets the cores the readers leave free (if it can
    be told: ``set_threads``): more compute threads than free cores make every thread wait on the slowest.
    """

    def __init__(self, store, embedder, batch_size: int, on_stored, reading=lambda: False, readers: int = 0):
        self.store, self.embedder, self.batch_size, self.on_stored = store, embedder, batch_size, on_stored
        # a reader thread takes a core as much as a reader process does: at least one core is the readers'
        self.reading, self.readers, self.cores = reading, max(readers, 1), _cores()
        self._set_threads = getattr(embedder, "set_threads", None)
        self.pending: dict[str, Chunk] = {}
        self.stale: set[str] = set()
        self.timings: Counter[str] = Counter()

    def release(self) -> None:
        """Give the embedder every core again (it outlives this run: generate and evaluate use it too)."""
        if self._set_threads is not None:
            self._set_threads(self.cores)

    def add(self, chunks: list[Chunk], stale: set[str]) -> None:
        """Queue chunks; embed + upsert once ``FLUSH_CHUNKS`` are pending (the loop also flushes when idle)."""
        for c in chunks:
            self.pending.setdefault(c.id, c)
        self.stale |= stale
        if len(self.pending) >= FLUSH_CHUNKS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            chunks = sorted(self.pending.values(), key=lambda c: c.n_tokens)
            self.pending = {}
            t0 = time.perf_counter()
            step = self.batch_size * 4  # re-decide the thread count every few batches
            parts = []
            for i in range(0, len(chunks), step):
                if self._set_threads is not None:
                    self._set_threads(max(1, self.cores - self.readers) if self.reading() else self.cores)
                parts.append(self.embedder.encode([c.text for c in chunks[i : i + step]], batch_size=self.batch_size))
            vectors = np.concatenate(parts)
            t1 = time.perf_counter()
            self.store.upsert(chunks, vectors)
            self.timings["embed"] += t1 - t0
            self.timings["store"] += time.perf_counter() - t1
            self.on_stored(len(chunks))
        if self.stale:
            t0 = time.perf_counter()
            self.store.delete(sorted(self.stale))
            self.stale = set()
            self.timings["store"] += time.perf_counter() - t0


@dataclass
class _Run:
    """What the steps of one ``ingest`` call share: inputs, the embedder and chunker, the result and the report."""

    paths: list[Path]
    config: Config
    workdir: Workdir
    emit: Progress
    files: list[Path]
    embedder: Any
    chunker: Chunker
    result: IngestResult
    report: ReportBuilder
    started: float = field(default_factory=time.perf_counter)


def ingest(paths: list[Path], config: Config, workdir: Workdir, progress: Progress | None = None) -> IngestResult:
    """Ingest ``paths`` (files, directories, Wikipedia dumps) into the collection ``config.store.collection``.

    Writes ``workdir.ingest_report``; the caller records the stage (``groundset.stages.record``), ingest itself
    writes no run state. Raises only for errors that concern the whole run (embedding model, store); a bad file is
    reported. ``progress`` (``groundset.progress``) gets the bars "files" and "chunks" and ``Finished("ingest",
    report)``. The steps: ``_prepare`` (discover, load), ``_read_and_store`` (the reader thread's messages →
    the store), ``_write_report``.
    """
    from groundset.engines import uses_ray
    from groundset.store import open_store

    if uses_ray(config):  # [run] engine = "ray": the same steps on Ray Data (groundset.engines.ray_ingest)
        from groundset.engines.ray_ingest import ingest_on_ray

        return ingest_on_ray(paths, config, workdir, progress)
    emit = progress_callback(progress)
    data = None
    try:
        run = _prepare(paths, config, workdir, emit)
        with open_store(config.store, workdir, dim=run.embedder.dim, model=run.embedder.name) as store:
            timings = _read_and_store(run, store)
            run.result.points = store.count()
        run.result.timings.update(timings)
        data = _write_report(run)
    finally:
        emit(Finished("ingest", data))  # the CLI stops the bars (and draws the summary table when there is one)
    return run.result


def _prepare(paths: list[Path], config: Config, workdir: Workdir, emit: Progress) -> _Run:
    """Find the files (what is skipped or unreadable goes to the report), load the embedder and the chunker."""
    from groundset.embed import load_embedder
    from groundset.ingest.readers import Skipped, discover

    started = time.perf_counter()
    workdir.ensure()
    cfg = config.ingest
    files, errors = discover([Path(p) for p in paths], include=tuple(cfg.include), exclude=tuple(cfg.exclude))
    result = IngestResult(files=len(files) + len(errors))
    embedder = load_embedder(config.embed)
    chunker = Chunker.for_embedder(embedder, cfg.chunk_tokens, cfg.chunk_overlap, cfg.min_chunk_tokens)
    report = ReportBuilder(limit=chunker.limit)
    if chunker.clamped:
        report.notes.append(f"[ingest] chunk_tokens {cfg.chunk_tokens} is above what {embedder.name} reads "
                            f"({chunker.limit} tokens of text); used {chunker.limit}")
    for e in errors:
        if isinstance(e, Skipped):
            report.skipped(e.source, e.detail, e.reason)
            result.skipped.append((e.source, e.reason, e.detail))
        else:
            report.failed(e.source, e.reason, e.detail)
            result.failed.append((e.source, e.reason, e.detail))
    result.timings["load"] = time.perf_counter() - started
    return _Run([Path(p) for p in paths], config, workdir, emit, files, embedder, chunker, result, report, started)


def _read_and_store(run: _Run, store: Any) -> Counter[str]:
    """Start the reader thread and apply its messages until it is done; returns the writer's timings.

    When anything goes wrong (a crashed reader, the store, Ctrl-C) the report of what was seen is still written,
    the reader is stopped, and the error goes on up."""
    from groundset.ingest.readers import streams

    q: queue.Queue[Any] = queue.Queue(maxsize=64)
    stop = threading.Event()
    workers = reader_processes([f for f in run.files if not streams(f)], run.config.ingest.workers)
    producer = threading.Thread(target=produce, args=(run.files, workers, run.config, run.chunker, q, stop),
                                daemon=True, name="groundset-read")
    writer = _Writer(store, run.embedder, run.config.embed.batch_size,
                     lambda n: run.emit(Tick("ingest", "chunks", advance=n)), reading=producer.is_alive,
                     readers=workers)
    run.emit(Tick("ingest", "files", done=0, total=len(run.files), note=""))
    run.emit(Tick("ingest", "chunks", done=0, total=0, note="embedded"))
    producer.start()
    try:
        for msg in messages(q):
            _apply(run, msg, store, writer)
            if q.empty() and len(writer.pending) >= writer.batch_size:
                writer.flush()  # the reader is busy (a long PDF): embed what we have rather than wait idle
        writer.reading = lambda: False  # everything is read: the encoder may use every core
        writer.flush()
        writer.release()
    except BaseException as e:
        writer.release()
        stop.set()
        _write_report_after_crash(run, e)
        deadline = time.monotonic() + 10
        while producer.is_alive() and time.monotonic() < deadline:  # unblock it so it sees the stop flag
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass
        raise
    producer.join()
    return writer.timings


def _apply(run: _Run, msg: Message, store: Any, writer: _Writer) -> None:
    """One reader message: a Document's chunks to the writer (new ones only, stale ones deleted), a failed file to
    the report, a finished file to the files bar."""
    result = run.result
    if isinstance(msg, DocumentRead):
        result.timings["read"] = result.timings.get("read", 0.0) + msg.seconds
        stored = store.ids_for_source(msg.doc.source)
        new = [c for c in msg.chunks if c.id not in stored]
        stale = stored - {c.id for c in msg.chunks}
        result.documents += 1
        result.chunks_new += len(new)
        result.chunks_unchanged += len(msg.chunks) - len(new)
        result.chunks_deleted += len(stale)
        run.report.document(msg.path, msg.doc, msg.chunks, msg.dropped, len(new))
        run.emit(Tick("ingest", "chunks", total=result.chunks_new))
        run.emit(Tick("ingest", "files", note=Path(msg.path).name[:40]))
        writer.add(new, stale)
    elif isinstance(msg, FileFailed):
        run.report.failed(msg.path, msg.reason, msg.detail)
        result.failed.append((msg.path, msg.reason, msg.detail))
    elif isinstance(msg, FileDone):
        result.timings["read"] = result.timings.get("read", 0.0) + msg.seconds
        run.emit(Tick("ingest", "files", advance=1))
    else:  # ReaderCrashed
        raise RuntimeError(f"reading files failed: {msg.error}")


def _write_report(run: _Run) -> dict[str, Any]:
    """Write ``workdir.ingest_report``; returns its data (the CLI's summary table reads it)."""
    result, config = run.result, run.config
    result.dropped = dict(run.report.dropped)
    result.seconds = time.perf_counter() - run.started
    return run.report.write(
        run.workdir.ingest_report, result, paths=[str(p) for p in run.paths], collection=config.store.collection,
        store=config.store.url or str(run.workdir.qdrant_dir), embed_model=run.embedder.name,
        chunk_tokens=run.chunker.size, chunk_overlap=run.chunker.overlap,
    )


def _write_report_after_crash(run: _Run, error: BaseException) -> None:
    """The run is dying: still write ``ingest/report.json`` with every file seen so far (best effort)."""
    run.report.notes.append(f"the run stopped early ({type(error).__name__}: {error}"[:300] + "); files not listed "
                            "were not read")
    run.result.seconds = time.perf_counter() - run.started
    run.result.dropped = dict(run.report.dropped)
    try:
        run.report.write(run.workdir.ingest_report, run.result, interrupted=True, paths=[str(p) for p in run.paths])
    except Exception:  # noqa: BLE001 - the original error matters more than a failed report
        pass
