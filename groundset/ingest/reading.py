"""The reader side of ingest: read and chunk files in a background thread (and reader processes), telling the main
thread what happened through typed messages on a queue.

Per file, in order: one ``DocumentRead`` per Document (its chunks, the chunks the chunker dropped, seconds), a
``FileFailed`` when reading stopped early (reason, detail: the file's other Documents are kept), then ``FileDone``.
``ReaderCrashed`` when the reader itself died; ``DONE`` ends the stream.

>>> out = queue.Queue()
>>> produce([Path("docs/a.md")], 0, config, chunker, out, threading.Event())   # doctest: +SKIP
>>> [type(m).__name__ for m in messages(out)]                                   # doctest: +SKIP
['DocumentRead', 'FileDone']
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Union

from groundset.config import Config
from groundset.errors import InputError
from groundset.ingest.chunk import Chunker
from groundset.records import Chunk, Document

__all__ = ["DocumentRead", "FileFailed", "FileDone", "ReaderCrashed", "Message", "DONE", "messages", "produce",
           "read_file", "ChunkCap", "limit_process_memory"]

DONE = object()  # the end of the stream


@dataclass(frozen=True)
class DocumentRead:
    """One Document of ``path``, chunked: the ``chunks`` to store, what the chunker ``dropped`` (by reason)."""

    path: str
    doc: Document
    chunks: list[Chunk]
    dropped: Counter
    seconds: float


@dataclass(frozen=True)
class FileFailed:
    """Reading ``path`` stopped (``reason``, ``detail`` for the report); what it gave before is kept."""

    path: str
    reason: str
    detail: str


@dataclass(frozen=True)
class FileDone:
    """``path`` is finished (read fully or not); ``seconds`` of reading not counted by its ``DocumentRead``s."""

    path: str
    seconds: float


@dataclass(frozen=True)
class ReaderCrashed:
    """The reader thread itself died (not one file): the run stops with ``error``."""

    error: str


Message = Union[DocumentRead, FileFailed, FileDone, ReaderCrashed]


def messages(q: "queue.Queue[Any]") -> Iterator[Message]:
    """The messages of ``q`` until ``DONE``."""
    while (item := q.get()) is not DONE:
        yield item


def failure_of(e: BaseException, cfg: Any) -> tuple[str, str]:
    """(reason, detail) of an exception that stopped reading one file."""
    if isinstance(e, InputError):
        return e.reason, e.detail
    if isinstance(e, MemoryError):
        return "out_of_memory", ("reading it ran out of memory (a reader process may use [ingest] reader_memory_mb = "
                                 f"{cfg.reader_memory_mb}); split the file, raise that limit, or lower "
                                 "[ingest] max_file_mb to skip such files")
    return "error", f"{type(e).__name__}: {e}"[:500]


def limit_process_memory(megabytes: int | None) -> None:
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


def read_file(path: Path, cfg: Any) -> tuple[list[Document], tuple[str, str] | None, float]:
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
        failure = failure_of(e, cfg)
    return docs, failure, time.perf_counter() - t0


class ChunkCap:
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


def stream_file(path: Path, config: Config, chunker: Chunker, out: "queue.Queue[Message]", stop: threading.Event):
    """Read one file in this thread, Document by Document (constant memory for dumps and large text files)."""
    from groundset.ingest.readers import read_path

    t0 = time.perf_counter()
    cap = ChunkCap(config.ingest.max_file_chunks)
    try:
        for doc in read_path(path, config.ingest):
            chunks, dropped = chunker.chunk(doc)
            chunks, over = cap.take(chunks)
            if chunks or not over:
                out.put(DocumentRead(str(path), doc, chunks, dropped, time.perf_counter() - t0))
            t0 = time.perf_counter()
            if over:
                out.put(FileFailed(str(path), *over))
                break
            if stop.is_set():
                break
    except Exception as e:  # noqa: BLE001 - a reader bug (or MemoryError) on one file must not stop the run
        out.put(FileFailed(str(path), *failure_of(e, config.ingest)))
    out.put(FileDone(str(path), time.perf_counter() - t0))


def pooled(files: list[Path], workers: int, config: Config, chunker: Chunker, out: "queue.Queue[Message]",
            stop: threading.Event) -> list[Path]:
    """Read files in ``workers`` processes (2 per worker in flight), chunk them here, in order.

    Returns the files left unread because the pool broke (a worker died), for the caller to read in-thread.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=limit_process_memory, initargs=(config.ingest.reader_memory_mb,))
    running: deque = deque()
    todo = list(files)
    try:
        while (todo or running) and not stop.is_set():
            while todo and len(running) < 2 * workers:
                path = todo.pop(0)
                running.append((path, pool.submit(read_file, path, config.ingest)))
            path, future = running.popleft()
            try:
                docs, failure, secs = future.result()
            except BrokenProcessPool:
                out.put(FileFailed(str(path), "reader_crashed",
                         "a reader process died on this file (or a neighbour); the other files are read in this "
                         "process. From a Python script, guard the call with `if __name__ == '__main__':` (reader "
                         "processes re-import the script), or set [ingest] workers = 0"))
                out.put(FileDone(str(path), 0.0))
                return [p for p, _ in running] + todo
            cap = ChunkCap(config.ingest.max_file_chunks)
            for doc in docs:
                chunks, dropped = chunker.chunk(doc)
                chunks, over = cap.take(chunks)
                if chunks or not over:
                    out.put(DocumentRead(str(path), doc, chunks, dropped, 0.0))
                if over:
                    failure = over
                    break
            if failure:
                out.put(FileFailed(str(path), *failure))
            out.put(FileDone(str(path), secs))
        return []
    finally:
        pool.shutdown(wait=not stop.is_set(), cancel_futures=True)


def produce(files: list[Path], workers: int, config: Config, chunker: Chunker, out: "queue.Queue[Message]",
             stop: threading.Event):
    """Background thread: read and chunk every file, putting ``Message``s on ``out`` (per file: ``DocumentRead``
    per Document, ``FileFailed`` when reading stopped early, then ``FileDone``); ``DONE`` at the end.

    With ``workers`` > 0, files other than Wikipedia dumps and large text files are read in that many processes;
    those are always streamed here, Document by Document (constant memory).
    """
    from groundset.ingest.readers import streams

    try:
        dumps = [f for f in files if streams(f)]
        others = [f for f in files if not streams(f)]
        if workers > 0 and others:
            others = pooled(others, workers, config, chunker, out, stop)
        for path in [*others, *dumps]:
            if stop.is_set():
                break
            stream_file(path, config, chunker, out, stop)
    except BaseException as e:  # noqa: BLE001 - e.g. a worker process died: tell the main thread, then stop
        out.put(ReaderCrashed(f"{type(e).__name__}: {e}"))
    finally:
        out.put(DONE)
