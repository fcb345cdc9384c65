"""Bad, odd and huge inputs (issue 16): bounded memory, true reasons, nothing vanishing, one file never the run."""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from collections import Counter
from pathlib import Path

import pytest

import groundset.embed as embed_mod
from groundset.config import load_config
from groundset.errors import InputError
from groundset.ingest import readers
from groundset.ingest.chunk import WINDOW_CHARS, Chunker
from groundset.ingest.config import IngestConfig
from groundset.ingest.discover import Skipped, discover
from groundset.ingest.encoding import decode_text
from groundset.ingest.pipeline import ingest
from groundset.ingest.reading import ChunkCap as _ChunkCap
from groundset.ingest.reading import read_file as _read_file
from groundset.ingest.readers import read_path
from groundset.records import Block, Document
from groundset.workdir import Workdir
from tests.ingest.fakes import HashEmbedder
from tests.ingest.test_readers import _manual_pages, make_pdf

CFG = IngestConfig()
BODY = "A good file about vectors and their payloads in a store, with words enough for one chunk of text. " * 2


def reason_of(path: Path, cfg: IngestConfig = CFG) -> str:
    with pytest.raises(InputError) as e:
        list(read_path(path, cfg))
    return e.value.reason


@pytest.fixture
def fake_embedder(monkeypatch):
    emb = HashEmbedder()
    monkeypatch.setattr(embed_mod, "load_embedder", lambda cfg: emb)
    return emb


# ---------------------------------------------------------------------------------------------------- encodings
def test_latin1_french_is_not_read_as_cp1257():
    text = "Un sentiment de déjà vu : le garçon, naïve, mangeait une crème brûlée à Noël. " * 4
    got, enc, notes = decode_text(text.encode("latin-1"))
    assert got == text and enc == "cp1252"
    assert notes and "not UTF-8" in notes[0]  # a guess is said to be one


@pytest.mark.parametrize("text,codec", [
    ("Zażółć gęślą jaźń. Źródło wiedzy jest w książkach i szkołach. ", "cp1250"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy. ", "cp1250"),
    ("Привет, как дела? Это тестовый текст на русском языке. ", "cp1251"),
    ("¿Dónde está el niño? Mañana será otro día. ", "latin-1"),
    ("Ich möchte Käse und Brötchen für das Frühstück. Grüße! ", "latin-1"),
])
def test_other_code_pages_still_decode(text, codec):
    got, _, _ = decode_text((text * 5).encode(codec))
    assert got == text * 5


def test_mostly_utf8_markdown_stays_utf8_and_says_so(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes("# Café notes\n\nThe naïve approach works. ".encode() + b"One stray byte: caf\xe9.\n")
    doc = next(read_path(path, CFG))
    assert doc.metadata["encoding"] == "utf-8"
    assert "Café notes" in doc.text and "naïve" in doc.text and "café." in doc.text
    assert doc.metadata["notes"] == ["not all of it is valid UTF-8: 1 invalid byte read as cp1252"]


def test_cp1252_markdown_is_decoded_with_a_note_in_the_report(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "old.md").write_bytes(("# Résumé\n\n" + "Le café était très animé ce soir-là, déjà. " * 8).encode("cp1252"))
    wd = Workdir(tmp_path / "w")
    ingest([docs], load_config(None), wd, progress=False)
    entry = json.loads(wd.ingest_report.read_text())["files"][0]
    assert entry["status"] == "ok" and entry["notes"][0].startswith("not UTF-8: decoded as cp1252")


# ---------------------------------------------------------------------------------------------------- folder walks
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symbolic links")
def test_fifos_and_broken_links_are_listed_never_dropped(tmp_path):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "a.md").write_text("Some words here.")
    os.mkfifo(root / "pipe.txt")
    os.symlink(root / "gone.md", root / "dangling.md")
    os.symlink(root / "loop2.md", root / "loop1.md")
    os.symlink(root / "loop1.md", root / "loop2.md")
    os.symlink(root, root / "sub" / "back")  # a folder link to an ancestor
    files, errors = discover([root])
    assert [f.name for f in files] == ["a.md"]
    got = sorted((Path(e.source).name, e.reason, isinstance(e, Skipped)) for e in errors)
    assert got == [("back", "symlink_loop", True), ("dangling.md", "dangling_link", True),
                   ("loop1.md", "symlink_loop", True), ("loop2.md", "symlink_loop", True),
                   ("pipe.txt", "not_a_regular_file", True)]
    # named on the command line they are failures with the same true reasons (not "not_found")
    _, errors = discover([root / "pipe.txt", root / "dangling.md", root / "loop1.md"])
    assert [(e.reason, isinstance(e, Skipped)) for e in errors] == [
        ("not_a_regular_file", False), ("dangling_link", False), ("symlink_loop", False)]
    assert "FIFO" in errors[0].detail and "gone.md" in errors[1].detail
    assert reason_of(root / "pipe.txt") == "not_a_regular_file"  # read_path never opens it (it would block)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_in_a_folder_are_in_the_report(tmp_path, fake_embedder):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text(f"# A\n\n{BODY}\n")
    os.mkfifo(root / "pipe.md")
    os.symlink(root / "gone.md", root / "dangling.md")
    wd = Workdir(tmp_path / "w")
    result = ingest([root], load_config(None), wd, progress=False)
    assert result.exit_code == 0
    files = {Path(f["path"]).name: (f["status"], f.get("reason")) for f in json.loads(wd.ingest_report.read_text())["files"]}
    assert files == {"a.md": ("ok", None), "pipe.md": ("skipped", "not_a_regular_file"),
                     "dangling.md": ("skipped", "dangling_link")}


# ---------------------------------------------------------------------------------------------------- labels
def test_encrypted_pdf_has_its_own_reason_and_a_hint(tmp_path):
    import pypdf

    def encrypted(user: str) -> bytes:
        writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf(_manual_pages(), title="Widget Manual")))
        writer.encrypt(user_password=user, owner_password="owner-secret", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypted("secret"))
    with pytest.raises(InputError) as e:
        list(read_path(locked, CFG))
    assert e.value.reason == "encrypted_pdf" and "qpdf --decrypt" in e.value.detail
    owner_only = tmp_path / "owner-only.pdf"  # opens without a password: it is read
    owner_only.write_bytes(encrypted(""))
    assert "2 Advanced Use" in next(read_path(owner_only, CFG)).text


def test_deeply_nested_html_keeps_its_text(tmp_path):
    path = tmp_path / "nested.html"
    path.write_text("<html><body>" + "<div>" * 10_000 + "<p>The treasure lies under the old oak tree.</p>"
                    + "</div>" * 10_000 + "</body></html>")
    doc = next(read_path(path, CFG))
    assert doc.text == "The treasure lies under the old oak tree."
    assert doc.metadata["dropped"]["nesting_too_deep"] > 9_000  # counted, not silent


def test_bz2_labels(tmp_path):
    rnd = tmp_path / "random.xml.bz2"
    rnd.write_bytes(random.Random(0).randbytes(5000))
    assert reason_of(rnd) == "binary_junk"
    damaged = tmp_path / "damaged.xml.bz2"
    damaged.write_bytes(b"BZh91AY&SY" + random.Random(1).randbytes(5000))
    assert reason_of(damaged) == "corrupt_bz2"


def test_zip_bomb_and_oversized_files(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * 3_000_000)
    small_limit = IngestConfig(max_file_mb=1)
    with pytest.raises(InputError) as e:
        list(read_path(bomb, small_limit))
    assert e.value.reason == "zip_bomb" and "[ingest] max_file_mb = 1" in e.value.detail
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"word " * 300_000 + b"</p>")
    with pytest.raises(InputError) as e:
        list(read_path(big, small_limit))
    assert e.value.reason == "too_large" and "[ingest] max_file_mb = 1" in e.value.detail


# ---------------------------------------------------------------------------------------------------- memory
def test_a_single_line_file_is_cut_into_bounded_blocks(tmp_path):
    words = random.Random(0).choices(["alpha", "beta", "gamma", "delta"], k=60_000)
    path = tmp_path / "one-line.txt"
    path.write_text(" ".join(words))
    doc = next(read_path(path, CFG))
    assert max(len(b.text) for b in doc.blocks) <= readers.MAX_BLOCK_CHARS
    assert doc.text.split() == words  # every word kept, in order


def test_large_text_files_stream_as_segments(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "STREAM_BYTES", 10_000)
    monkeypatch.setattr(readers, "SEGMENT_CHARS", 8_000)
    paras = [f"Paragraph {i} talks about topic {i} in some detail here." for i in range(600)]
    path = tmp_path / "big.txt"
    path.write_text("\n\n".join(paras) + "\n")
    assert readers.streams(path)
    docs = list(read_path(path, CFG))
    assert len(docs) >= 3 and [d.source for d in docs[:2]] == [f"{path}#part-0001", f"{path}#part-0002"]
    assert all(d.metadata["streamed"] for d in docs)
    assert " ".join(d.text for d in docs).split() == " ".join(paras).split()


def test_chunker_splits_a_huge_section_in_bounded_windows(monkeypatch):
    chunker = Chunker(count_tokens=lambda s: len(s.split()), chunk_tokens=50, overlap=5, min_tokens=1, limit=60)
    seen = []
    cls = type(chunker._splitter)
    real = cls.split_text
    monkeypatch.setattr(cls, "split_text", lambda self, text: seen.append(len(text)) or real(self, text))
    text = " ".join(_word(i) for i in range(60_000))
    chunks, _ = chunker.chunk(Document.make("a.txt", "A", [Block(text=text, section=["A"])]))
    assert max(seen) <= WINDOW_CHARS
    assert all(c.n_tokens <= 60 for c in chunks)
    assert {w for c in chunks for w in c.text.split()} == set(text.split())


def _word(i: int) -> str:
    """A distinct lower-case word for each i (letters only: digit soup would be dropped as boilerplate)."""
    out = "w"
    while True:
        i, r = divmod(i, 26)
        out += chr(97 + r)
        if not i:
            return out


def test_chunk_cap_per_file():
    cap = _ChunkCap(5)
    assert cap.take([1, 2, 3]) == ([1, 2, 3], None)
    kept, failure = cap.take([4, 5, 6, 7])
    assert kept == [4, 5] and failure[0] == "too_many_chunks" and "[ingest] max_file_chunks = 5" in failure[1]


def test_chunk_cap_stops_a_file_and_keeps_what_came_before(tmp_path, fake_embedder):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "long.md").write_text("\n\n".join(f"## Part {i}\n\n" + f"Sentence about part {i}. " * 60 for i in range(20)))
    (root / "short.md").write_text(f"# Short\n\n{BODY}\n")
    cfg = load_config(None, {"ingest.max_file_chunks": "4"})
    result = ingest([root], cfg, Workdir(tmp_path / "w"), progress=False)
    assert result.exit_code == 3 and [(Path(s).name, r) for s, r, _ in result.failed] == [("long.md", "too_many_chunks")]
    assert result.chunks_new == 4 + 1


def test_memory_error_in_one_file_is_its_failure(tmp_path, monkeypatch):
    def explode(path, cfg):
        raise MemoryError()
        yield  # pragma: no cover

    monkeypatch.setattr(readers, "read_path", explode)
    docs, failure, _ = _read_file(tmp_path / "a.txt", CFG)
    assert docs == [] and failure[0] == "out_of_memory" and "reader_memory_mb" in failure[1]


def test_memory_error_never_takes_down_the_run(tmp_path, fake_embedder, monkeypatch):
    real = readers.read_path

    def sometimes(path, cfg):
        if Path(path).name == "huge.md":
            raise MemoryError()
        yield from real(path, cfg)

    monkeypatch.setattr(readers, "read_path", sometimes)
    root = tmp_path / "docs"
    root.mkdir()
    (root / "huge.md").write_text("# Huge\n\nPretend this needs all the memory there is.\n")
    (root / "good.md").write_text(f"# Good\n\n{BODY}\n")
    wd = Workdir(tmp_path / "w")
    result = ingest([root], load_config(None), wd, progress=False)
    assert result.exit_code == 3 and result.documents == 1
    files = {Path(f["path"]).name: f["status"] for f in json.loads(wd.ingest_report.read_text())["files"]}
    assert files == {"huge.md": "failed", "good.md": "ok"}


def test_the_report_is_written_when_the_run_dies(tmp_path, fake_embedder, monkeypatch):
    def broken_encode(texts, batch_size=None):
        raise RuntimeError("the encoder broke")

    monkeypatch.setattr(fake_embedder, "encode", broken_encode)
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text(f"# A\n\n{BODY}\n")
    wd = Workdir(tmp_path / "w")
    with pytest.raises(RuntimeError):
        ingest([root], load_config(None), wd, progress=False)
    report = json.loads(wd.ingest_report.read_text())
    assert report["interrupted"] is True and "the encoder broke" in report["notes"][-1]
    assert Counter(f["status"] for f in report["files"]) == {"ok": 1}


def test_reader_process_memory_limit_turns_into_memory_error():
    resource = pytest.importorskip("resource")
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, initializer=_limit, initargs=(256,)) as pool:
        assert pool.apply(_allocate, (512,)) == "MemoryError"
        assert pool.apply(_allocate, (16,)) == "ok"  # the process lives on for the next file
    assert resource.getrlimit(resource.RLIMIT_DATA)[0] != 256 << 20  # only the reader process is limited


def _limit(mb):
    from groundset.ingest.reading import limit_process_memory as _limit_process_memory

    _limit_process_memory(mb)


def _allocate(mb):
    try:
        block = bytearray(mb << 20)
        return "ok" if block is not None else "?"
    except MemoryError:
        return "MemoryError"
