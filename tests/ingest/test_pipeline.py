"""The ingest pipeline end to end with the real bundled embedder (loaded once) and the embedded store."""

from __future__ import annotations

import json

import pytest

import groundset.embed as embed_mod
from groundset.config import load_config
from groundset.stages import record
from groundset.ingest.pipeline import ingest
from groundset.store import open_store
from groundset.workdir import Workdir

PARA = ("Qdrant stores vectors with a payload. Groundset puts every chunk of a document into it, with the section "
        "path and the page, so that generators can cite where a fact came from. ")


class CountingEmbedder:
    """The real session embedder, counting how many texts it was asked to encode."""

    def __init__(self, inner):
        self.inner = inner
        self.encoded = 0
        for attr in ("name", "dim", "max_tokens", "text_limit"):
            setattr(self, attr, getattr(inner, attr))

    def count_tokens(self, text):
        return self.inner.count_tokens(text)

    def encode(self, texts, batch_size=None):
        self.encoded += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)


@pytest.fixture(scope="session")
def real_embedder():
    from groundset.embed.config import EmbedConfig

    return embed_mod.load_embedder(EmbedConfig())


@pytest.fixture
def embedder(real_embedder, monkeypatch):
    counting = CountingEmbedder(real_embedder)
    monkeypatch.setattr(embed_mod, "load_embedder", lambda cfg: counting)
    return counting


def _write_docs(root):
    root.mkdir(parents=True, exist_ok=True)
    (root / "guide.md").write_text(
        "# Guide\n\n" + PARA * 3 + "\n\n## Install\n\n" + "Run pip install groundset on your machine. " * 12 + "\n",
        encoding="utf-8")
    (root / "notes.txt").write_text("Notes about vectors.\n\n" + "Cosine similarity compares directions. " * 30,
                                    encoding="utf-8")
    return root


def test_ingest_reingest_and_a_changed_document(tmp_path, embedder):
    docs = _write_docs(tmp_path / "docs")
    wd = Workdir(tmp_path / "work")
    cfg = load_config(None, {"ingest.chunk_tokens": "64", "ingest.chunk_overlap": "8"})

    first = ingest([docs], cfg, wd, progress=False)
    assert first.exit_code == 0 and first.documents == 2 and not first.failed
    assert first.chunks_new >= 4 and first.chunks_unchanged == 0
    assert embedder.encoded == first.chunks_new
    assert first.points == first.chunks_new
    report = json.loads(wd.ingest_report.read_text())
    assert {f["status"] for f in report["files"]} == {"ok"}
    assert report["quality"]["tokens"]["over_limit"] == 0 and report["quality"]["languages"] == {"en": 2}
    assert "ingest" not in wd.state()  # the library writes no run state; its caller records the stage
    assert record("ingest", cfg, wd, first) and wd.state()["ingest"]["chunks"] == first.chunks

    with open_store(cfg.store, wd) as store:
        guide_ids = store.ids_for_source(str(docs / "guide.md"))
        notes_ids = store.ids_for_source(str(docs / "notes.txt"))
        sections = {tuple(c.section) for c in store.get(sorted(guide_ids))}
    assert ("Guide", "Install") in sections

    embedder.encoded = 0
    again = ingest([docs], cfg, wd, progress=False)
    assert again.chunks_new == 0 and again.chunks_deleted == 0 and again.chunks_unchanged == first.chunks_new
    assert embedder.encoded == 0  # nothing embedded twice
    assert again.points == first.points

    (docs / "notes.txt").write_text("Notes about vectors.\n\n" + "Dot products of unit vectors are cosines. " * 30,
                                    encoding="utf-8")
    embedder.encoded = 0
    changed = ingest([docs], cfg, wd, progress=False)
    assert changed.chunks_new > 0 and changed.chunks_deleted == len(notes_ids)
    assert embedder.encoded == changed.chunks_new
    with open_store(cfg.store, wd) as store:
        assert store.ids_for_source(str(docs / "guide.md")) == guide_ids  # untouched
        new_notes = store.ids_for_source(str(docs / "notes.txt"))
        assert new_notes and not (new_notes & notes_ids)
        assert store.count() == len(guide_ids) + len(new_notes)


def test_a_bad_file_never_stops_the_run(tmp_path, embedder):
    docs = _write_docs(tmp_path / "docs")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf \x00\x01\x02")
    wd = Workdir(tmp_path / "work")
    result = ingest([docs], load_config(None), wd, progress=False)
    assert result.exit_code == 3 and result.documents == 2
    failed = {s.rsplit("/", 1)[-1]: reason for s, reason, _ in result.failed}
    assert set(failed) == {"empty.txt", "broken.pdf"}
    report = json.loads(wd.ingest_report.read_text())
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in report["files"]}
    assert by_name["empty.txt"]["status"] == "failed" and by_name["empty.txt"]["reason"] == failed["empty.txt"]
    assert by_name["guide.md"]["status"] == "ok" and by_name["guide.md"]["chunks"] > 0
    assert report["counts"]["files_failed"] == 2


def test_nothing_usable_is_exit_1_and_not_marked_done(tmp_path, embedder):
    (tmp_path / "empty.txt").write_bytes(b"")
    wd = Workdir(tmp_path / "work")
    result = ingest([tmp_path / "empty.txt"], load_config(None), wd, progress=False)
    assert result.exit_code == 1 and result.documents == 0
    assert not record("ingest", load_config(None), wd, result) and "ingest" not in wd.state()
    assert embedder.encoded == 0


def test_worker_processes_give_the_same_chunks(tmp_path, embedder):
    docs = _write_docs(tmp_path / "docs")
    (docs / "more.md").write_text("# More\n\n" + PARA.replace("Qdrant", "A store") * 2, encoding="utf-8")
    (docs / "empty.txt").write_bytes(b"")
    cfg = load_config(None, {"ingest.workers": "2"})
    pooled = ingest([docs], cfg, Workdir(tmp_path / "w2"), progress=False)
    single = ingest([docs], load_config(None), Workdir(tmp_path / "w1"), progress=False)
    assert pooled.exit_code == single.exit_code == 3
    assert (pooled.documents, pooled.chunks_new) == (single.documents, single.chunks_new)
    assert [f[:2] for f in pooled.failed] == [f[:2] for f in single.failed]
    with open_store(cfg.store, Workdir(tmp_path / "w2")) as a, open_store(cfg.store, Workdir(tmp_path / "w1")) as b:
        assert {c.id for c in a.iter_chunks()} == {c.id for c in b.iter_chunks()}


def test_unsupported_files_in_a_folder_are_skipped_not_failed(tmp_path, embedder):
    docs = _write_docs(tmp_path / "docs")
    (docs / "style.css").write_text("body { color: red }", encoding="utf-8")
    (docs / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    wd = Workdir(tmp_path / "w")
    result = ingest([docs], load_config(None), wd, progress=False)
    assert result.exit_code == 0 and result.failed == []
    assert sorted(s[0].rsplit("/", 1)[1] for s in result.skipped) == ["logo.png", "style.css"]
    report = json.loads(wd.ingest_report.read_text())
    assert report["counts"]["files_skipped"] == 2 and report["counts"]["files_failed"] == 0
    assert {f["path"].rsplit("/", 1)[1]: f["status"] for f in report["files"]} == {
        "guide.md": "ok", "notes.txt": "ok", "logo.png": "skipped", "style.css": "skipped"}

    # the same file named on the command line is something the user asked for: a failure (exit 3)
    named = ingest([docs / "guide.md", docs / "logo.png"], load_config(None), Workdir(tmp_path / "w2"), progress=False)
    assert named.exit_code == 3 and [f[1] for f in named.failed] == ["unsupported_format"]


def test_reader_process_choice(tmp_path):
    from groundset.ingest.pipeline import PROCESS_BYTES, reader_processes

    small, big = tmp_path / "a.txt", tmp_path / "b.pdf"
    small.write_bytes(b"x" * 100)
    big.write_bytes(b"x" * PROCESS_BYTES)
    assert reader_processes([small], None) == 0  # a handful of small files: a thread, no process start-up
    assert reader_processes([small, big], None) == 1  # a megabyte or more: one reader process beside the encoder
    assert reader_processes([small, big], 0) == 0 and reader_processes([small, big, small], 3) == 3
    assert reader_processes([small, big], 3) == 2 and reader_processes([big], 3) == 1  # never more than the files


def test_encoder_gets_the_cores_the_readers_leave_free(tmp_path, embedder, monkeypatch):
    import groundset.ingest.pipeline as pl

    calls = []
    embedder.set_threads = calls.append
    monkeypatch.setattr(pl, "_cores", lambda: 4)
    monkeypatch.setattr(pl, "PROCESS_BYTES", 1)  # force one reader process even for these small files
    docs = _write_docs(tmp_path / "docs")
    result = ingest([docs], load_config(None, {"embed.batch_size": "2"}), Workdir(tmp_path / "w"), progress=False)
    assert result.exit_code == 0 and result.chunks_new > 0
    assert calls and set(calls) <= {3, 4}  # 3 while the reader process runs, 4 once reading is over
    assert calls[-1] == 4


def test_a_dead_reader_process_fails_its_file_and_the_rest_is_read_in_thread(tmp_path, embedder, monkeypatch):
    import concurrent.futures
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class DeadPool:  # what a reader process killed by the OOM killer (or a segfault in a C parser) looks like
        def __init__(self, *args, **kwargs):
            pass

        def submit(self, fn, *args):
            future = Future()
            future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
            return future

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", DeadPool)
    docs = _write_docs(tmp_path / "docs")
    result = ingest([docs], load_config(None, {"ingest.workers": "1"}), Workdir(tmp_path / "w"), progress=False)
    assert result.exit_code == 3
    assert [(f[0].rsplit("/", 1)[1], f[1]) for f in result.failed] == [("guide.md", "reader_crashed")]
    assert result.documents == 1 and result.chunks_new > 0  # notes.txt, read in the ingest thread instead
