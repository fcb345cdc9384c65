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
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from groundset.config import Config
from groundset.errors import InputError
from groundset.ingest.chunk import Chunker
from groundset.ingest.report import IngestResult, ReportBuilder, summary_table
from groundset.records import Chunk, Document
from groundset.workdir import Workdir

__all__ = ["ingest", "IngestResult", "FLUSH_CHUNKS"]

FLUSH_CHUNKS = 256  # chunks gathered before one length-sorted encode + bulk upsert
PROCESS_BYTES = 1 << 20  # unset [ingest] workers: read in a process from this much input on
_DONE = object()


def _failure(e: BaseException, cfg: Any) -> tuple[str, str]:
    """(reason, detail) of an exception that stopped reading one file."""
    if isinstance(e, InputError):
        return e.reason, e.detail
    if isinstance(e, MemoryError):
        return "out_of_memory", ("reading it ran out of memory (a reader process may use [ingest] reader_memory_mb = "
                                 f"{cfg.reader_memory_mb}); split the file, raise that limit, or lower "
                                 "[ingest] max_file_mb to skip such files")
    return "error", f"{type(e).__name__}: {e}"[:500]


def _limit_process_memory(megabytes: int | None) -> None:
    """Reader-process initializer: cap the address space so that a file needing too much memory raises MemoryError
    in that process (reported as ``out_of_memory``) instead of waking the kernel's OOM killer."""
    if not megabytes:
        return
    try:
        import resource

        limit = int(megabytes) << 20
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        resource.setrlimit(resource.RLIMIT_DATA, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (ImportError, ValueError, OSError):  # not on Linux / not permitted: no limit
        pass


def _read_file(path: Path, cfg: Any) -> tuple[list[Document], tuple[str, str] | None, float]:
    """Every Document of one file, the failure that stopped reading (reason, detail) or None, and the seconds.

    Runs in a reader process when ``reader_processes`` > 0 (Documents pickle; the chunker stays in the parent).
    """
    from groundset.ingest.readers import read_path

    t0 = time.perf_counter()
    docs: list[Document] = []
    failure = None
    try:
        docs.extend(read_path(path, cfg))
    except Exception as e:  # noqa: BLE001 - a reader bug (or MemoryError) on one file must not stop the run
        docs = docs if isinstance(e, InputError) else []
        failure = _failure(e, cfg)
    return docs, failure, time.perf_counter() - t0


class _ChunkCap:
    """``[ingest] max_file_chunks``: counts one file's chunks and says when to stop reading it."""

    def __init__(self, limit: int):
        self.limit, self.n = limit, 0

    def take(self, chunks: list[Chunk]) -> tuple[list[Chunk], tuple[str, str] | None]:
        """The chunks still within the limit, and the failure once it is reached."""
        room = self.limit - self.n
        self.n += len(chunks)
        if len(chunks) <= room:
            return chunks, None
        return chunks[: max(room, 0)], ("too_many_chunks", (
            f"stopped at [ingest] max_file_chunks = {self.limit}: the chunks before are stored, the rest of the file "
            "is not read; raise the limit (embedded Qdrant keeps every point in memory) or split the file"))


def _stream_file(path: Path, config: Config, chunker: Chunker, out: "queue.Queue[Any]", stop: threading.Event):
    """Read one file in this thread, Document by Document (constant memory for dumps and large text files)."""
    from groundset.ingest.readers import read_path

    t0 = time.perf_counter()
    cap = _ChunkCap(config.ingest.max_file_chunks)
    try:
        for doc in read_path(path, config.ingest):
            chunks, dropped = chunker.chunk(doc)
            chunks, over = cap.take(chunks)
            if chunks or not over:
                out.put(("doc", str(path), doc, chunks, dropped, time.perf_counter() - t0))
            t0 = time.perf_counter()
            if over:
                out.put(("failed", str(path), *over))
                break
            if stop.is_set():
                break
    except Exception as e:  # noqa: BLE001 - a reader bug (or MemoryError) on one file must not stop the run
        out.put(("failed", str(path), *_failure(e, config.ingest)))
    out.put(("file", str(path), time.perf_counter() - t0))


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


def _pooled(files: list[Path], workers: int, config: Config, chunker: Chunker, out: "queue.Queue[Any]",
            stop: threading.Event) -> list[Path]:
    """Read files in ``workers`` processes (2 per worker in flight), chunk them here, in order.

    Returns the files left unread because the pool broke (a worker died), for the caller to read in-thread.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_limit_process_memory, initargs=(config.ingest.reader_memory_mb,))
    running: deque = deque()
    todo = list(files)
    try:
        while (todo or running) and not stop.is_set():
            while todo and len(running) < 2 * workers:
                path = todo.pop(0)
                running.append((path, pool.submit(_read_file, path, config.ingest)))
            path, future = running.popleft()
            try:
                docs, failure, secs = future.result()
            except BrokenProcessPool:
                out.put(("failed", str(path), "reader_crashed",
                         "a reader process died on this file (or a neighbour); the other files are read in this "
                         "process. From a Python script, guard the call with `if __name__ == '__main__':` (reader "
                         "processes re-import the script), or set [ingest] workers = 0"))
                out.put(("file", str(path), 0.0))
                return [p for p, _ in running] + todo
            cap = _ChunkCap(config.ingest.max_file_chunks)
            for doc in docs:
                chunks, dropped = chunker.chunk(doc)
                chunks, over = cap.take(chunks)
                if chunks or not over:
                    out.put(("doc", str(path), doc, chunks, dropped, 0.0))
                if over:
                    failure = over
                    break
            if failure:
                out.put(("failed", str(path), *failure))
            out.put(("file", str(path), secs))
        return []
    finally:
        pool.shutdown(wait=not stop.is_set(), cancel_futures=True)


def _produce(files: list[Path], workers: int, config: Config, chunker: Chunker, out: "queue.Queue[Any]",
             stop: threading.Event):
    """Background thread: read and chunk every file, putting ('doc', path, doc, chunks, dropped, secs),
    ('failed', path, reason, detail) and ('file', path, secs) items on ``out``; ``_DONE`` at the end.

    With ``workers`` > 0, files other than Wikipedia dumps and large text files are read in that many processes;
    those are always streamed here, Document by Document (constant memory).
    """
    from groundset.ingest.readers import streams

    try:
        dumps = [f for f in files if streams(f)]
        others = [f for f in files if not streams(f)]
        if workers > 0 and others:
            others = _pooled(others, workers, config, chunker, out, stop)
        for path in [*others, *dumps]:
            if stop.is_set():
                break
            _stream_file(path, config, chunker, out, stop)
    except BaseException as e:  # noqa: BLE001 - e.g. a worker process died: tell the main thread, then stop
        out.put(("crashed", "", f"{type(e).__name__}: {e}"))
    finally:
        out.put(_DONE)


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


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(), console=Console(stderr=True), disable=not enabled, transient=False,
    )


def _items(q: "queue.Queue[Any]") -> Iterator[Any]:
    while (item := q.get()) is not _DONE:
        yield item


def _write_report_after_crash(report: ReportBuilder, result: IngestResult, workdir: Workdir, error: BaseException,
                              started: float, **extra: Any) -> None:
    """The run is dying: still write ``ingest/report.json`` with every file seen so far (best effort)."""
    report.notes.append(f"the run stopped early ({type(error).__name__}: {error}"[:300] + "); files not listed "
                        "were not read")
    result.seconds = time.perf_counter() - started
    result.dropped = dict(report.dropped)
    try:
        report.write(workdir.ingest_report, result, interrupted=True, **extra)
    except Exception:  # noqa: BLE001 - the original error matters more than a failed report
        pass


def ingest(paths: list[Path], config: Config, workdir: Workdir, progress: bool = True) -> IngestResult:
    """Ingest ``paths`` (files, directories, Wikipedia dumps) into the collection ``config.store.collection``.

    Writes ``workdir.ingest_report`` and marks the stage done (with the config fingerprint) unless nothing was
    usable. Raises only for errors that concern the whole run (embedding model, store); a bad file is reported.
    """
    from groundset.embed import load_embedder
    from groundset.engines import uses_ray
    from groundset.ingest.readers import Skipped, discover, streams
    from groundset.store import open_store

    if uses_ray(config):  # [run] engine = "ray": the same stage on Ray Data (groundset.engines.ray_ingest)
        from groundset.engines.ray_ingest import ingest_on_ray

        return ingest_on_ray(paths, config, workdir, progress=progress)
    started = time.perf_counter()
    workdir.ensure()
    cfg = config.ingest
    files, errors = discover([Path(p) for p in paths], include=tuple(cfg.include), exclude=tuple(cfg.exclude))
    result = IngestResult(files=len(files) + len(errors))
    t_load = time.perf_counter()
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
    result.timings["load"] = time.perf_counter() - t_load

    with open_store(config.store, workdir, dim=embedder.dim, model=embedder.name) as store, _progress(progress) as bar:
        files_task = bar.add_task("files", total=len(files), note="")
        chunks_task = bar.add_task("chunks", total=0, note="embedded")
        q: queue.Queue[Any] = queue.Queue(maxsize=64)
        stop = threading.Event()
        workers = reader_processes([f for f in files if not streams(f)], cfg.workers)
        producer = threading.Thread(target=_produce, args=(files, workers, config, chunker, q, stop), daemon=True,
                                    name="groundset-read")
        writer = _Writer(store, embedder, config.embed.batch_size, lambda n: bar.advance(chunks_task, n),
                         reading=producer.is_alive, readers=workers)
        producer.start()
        try:
            for item in _items(q):
                kind, path = item[0], item[1]
                if kind == "doc":
                    _, _, doc, chunks, dropped, secs = item
                    result.timings["read"] = result.timings.get("read", 0.0) + secs
                    stored = store.ids_for_source(doc.source)
                    ids = {c.id for c in chunks}
                    new = [c for c in chunks if c.id not in stored]
                    stale = stored - ids
                    result.documents += 1
                    result.chunks_new += len(new)
                    result.chunks_unchanged += len(chunks) - len(new)
                    result.chunks_deleted += len(stale)
                    report.document(path, doc, chunks, dropped, len(new))
                    bar.update(chunks_task, total=result.chunks_new)
                    bar.update(files_task, note=Path(path).name[:40])
                    writer.add(new, stale)
                elif kind == "crashed":
                    raise RuntimeError(f"reading files failed: {item[2]}")
                elif kind == "failed":
                    report.failed(path, item[2], item[3])
                    result.failed.append((path, item[2], item[3]))
                else:  # a file finished
                    result.timings["read"] = result.timings.get("read", 0.0) + item[2]
                    bar.advance(files_task)
                if q.empty() and len(writer.pending) >= writer.batch_size:
                    writer.flush()  # the reader is busy (a long PDF): embed what we have rather than wait idle
            writer.reading = lambda: False  # everything is read: the encoder may use every core
            writer.flush()
            writer.release()
        except BaseException as e:
            writer.release()
            stop.set()
            _write_report_after_crash(report, result, workdir, e, started, paths=[str(p) for p in paths])
            deadline = time.monotonic() + 10
            while producer.is_alive() and time.monotonic() < deadline:  # unblock it so it sees the stop flag
                try:
                    q.get(timeout=0.1)
                except queue.Empty:
                    pass
            raise
        producer.join()
        result.points = store.count()
    result.dropped = dict(report.dropped)
    result.timings.update(writer.timings)
    result.seconds = time.perf_counter() - started
    data = report.write(
        workdir.ingest_report, result, paths=[str(p) for p in paths], collection=config.store.collection,
        store=config.store.url or str(workdir.qdrant_dir), embed_model=embedder.name,
        chunk_tokens=chunker.size, chunk_overlap=chunker.overlap,
    )
    if progress:
        from rich.console import Console

        Console(stderr=True).print(summary_table(data))
    return result  # the caller records the stage (groundset.stages.record), ingest itself writes no run state
