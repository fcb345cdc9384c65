"""The reader side of ingest speaks in typed messages: per file, a DocumentRead per Document, FileFailed when reading
stopped early, then FileDone; ReaderCrashed when the reader itself died; DONE ends the stream."""

from __future__ import annotations

import queue
import threading

from groundset.config import load_config
from groundset.ingest.chunk import Chunker
from groundset.ingest.reading import DocumentRead, FileDone, FileFailed, ReaderCrashed, messages, produce
from tests.ingest.fakes import HashEmbedder

BODY = "Python lists are mutable sequences. They keep their order and may hold items of any type. " * 4


def _read(files, config, workers=0):
    q: queue.Queue = queue.Queue()
    chunker = Chunker.for_embedder(HashEmbedder(), 60, 8, 5)
    produce(files, workers, config, chunker, q, threading.Event())
    return list(messages(q))


def test_messages_per_file_in_order(tmp_path):
    good = tmp_path / "a.md"
    good.write_text(f"# Lists\n\n{BODY}\n")
    bad = tmp_path / "b.pdf"
    bad.write_bytes(b"not a pdf at all")
    got = _read([good, bad], load_config(None))
    assert [type(m) for m in got] == [DocumentRead, FileDone, FileFailed, FileDone]
    doc = got[0]
    assert doc.path == str(good) and doc.chunks and all(c.source == doc.doc.source for c in doc.chunks)
    assert got[2].path == str(bad) and got[2].reason and got[2].detail


def test_a_capped_file_keeps_what_came_before_and_says_why(tmp_path):
    long = tmp_path / "long.md"
    long.write_text("\n\n".join(f"## Part {i}\n\n" + f"Sentence about part {i}. " * 60 for i in range(10)))
    got = _read([long], load_config(None, {"ingest.max_file_chunks": "2"}))
    kinds = [type(m) for m in got]
    assert kinds[-2:] == [FileFailed, FileDone] and got[-2].reason == "too_many_chunks"
    assert sum(len(m.chunks) for m in got if isinstance(m, DocumentRead)) == 2


def test_a_dying_reader_says_so(tmp_path, monkeypatch):
    def boom(path):
        raise SystemError("reader bug")

    monkeypatch.setattr("groundset.ingest.readers.streams", boom)
    got = _read([tmp_path / "a.md"], load_config(None))
    assert got == [ReaderCrashed("SystemError: reader bug")]
