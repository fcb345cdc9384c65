"""A generated corpus of bad, odd and huge input files, each with the outcome ingest must report for it.

``build(root)`` writes the files under ``root/docs`` and returns ``{relative name: (status, reason)}``: status is
``ok``, ``failed`` or ``skipped`` as in ``ingest/report.json``, reason None for ``ok``. Nothing is downloaded; every
file is made here from a fixed seed, so a run is the same everywhere.

    .venv/bin/python -c "from tests.reliability.bad_inputs import build; print(len(build(__import__('pathlib').Path('/tmp/bad'))))"
"""

from __future__ import annotations

import bz2
import gzip
import io
import os
import random
import zipfile
from pathlib import Path
from typing import Callable

from tests.ingest.test_readers import _manual_pages, make_pdf

__all__ = ["build", "ENTRIES"]

PROSE = ("Vector stores keep embeddings with a payload, so that a search returns the text and where it came from. "
         "Chunks carry their section path and page. ")
Expect = tuple[str, str | None]
ENTRIES: dict[str, tuple[Callable[[Path], None], Expect]] = {}


def entry(name: str, status: str = "ok", reason: str | None = None):
    def register(make: Callable[[Path], None]):
        ENTRIES[name] = (make, (status, reason))
        return make
    return register


def _rnd(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _write(data: bytes | str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return make


# ---------------------------------------------------------------------------------------------------- empty
for _suffix in ("txt", "pdf", "html", "md", "docx", "epub"):
    entry(f"empty.{_suffix}", "failed", "empty_file")(_write(b""))
entry("whitespace-only.md", "failed", "empty_file")(_write("  \n\n\t \n"))
entry("crlf-only.txt", "failed", "empty_file")(_write(b"\r\n\r\n\r\n"))
entry("bom-only.txt", "failed", "empty_file")(_write(b"\xef\xbb\xbf"))

# ---------------------------------------------------------------------------------------------------- binary junk
for _i, _suffix in enumerate(("txt", "pdf", "html", "md", "docx", "epub")):
    entry(f"junk.{_suffix}", "failed", "binary_junk")(_write(_rnd(_i, 6000)))
entry("random.xml.bz2", "failed", "binary_junk")(_write(_rnd(10, 6000)))
entry("gzip-named.txt", "failed", "binary_junk")(_write(gzip.compress(PROSE.encode() * 50)))
entry("control-chars.txt", "failed", "binary_junk")(_write(bytes(range(1, 9)) * 800))
entry("mojibake.txt", "failed", "unreadable_encoding")(
    _write(bytes(random.Random(11).randrange(0x80, 0x100) for _ in range(3000))))


# ---------------------------------------------------------------------------------------------------- PDF
def _encrypted_pdf(user: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        import pypdf

        writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf(_manual_pages(), title="Widget Manual")))
        writer.encrypt(user_password=user, owner_password="owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        path.write_bytes(out.getvalue())
    return make


entry("password.pdf", "failed", "encrypted_pdf")(_encrypted_pdf("secret"))
entry("owner-password-only.pdf")(_encrypted_pdf(""))
entry("text-named.pdf", "failed", "corrupt_pdf")(_write("This is a text file with a .pdf name."))
entry("broken.pdf", "failed", "corrupt_pdf")(_write(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n" + _rnd(12, 3000)))
entry("manual.pdf")(_write(make_pdf(_manual_pages(), title="Widget Manual")))


# ---------------------------------------------------------------------------------------------------- zip
def _zip(members: dict[str, bytes]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(name, data)
    return make


_BOMB = 140_000_000  # expands past the default [ingest] max_file_mb (128) at ~1000x
entry("zip-bomb.docx", "failed", "zip_bomb")(_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * _BOMB}))
entry("zip-bomb.epub", "failed", "zip_bomb")(_zip({"mimetype": b"application/epub+zip", "big.html": b" " * _BOMB}))
entry("epub-without-container.epub", "failed", "partition_failed")(_zip({"mimetype": b"application/epub+zip"}))
entry("plain-text-named.docx", "failed", "unsupported_format")(_write(PROSE * 3))


# ---------------------------------------------------------------------------------------------------- Wikipedia
def _dump(body: str) -> str:
    return ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><siteinfo><sitename>W</sitename></siteinfo>'
            f"{body}</mediawiki>")


def _page(title: str, text: str) -> str:
    return f"<page><title>{title}</title><ns>0</ns><id>1</id><revision><text>{text}</text></revision></page>"


_RNG = random.Random(13)
_WORDS = " ".join("".join(_RNG.choices("abcdefghij", k=6)) for _ in range(30_000))
_PAGES = "".join(_page(f"Article {i}", f"Article {i} is about {_WORDS[i * 700:(i + 1) * 700]}.") for i in range(40))
entry("dump.xml")(_write(_dump(_page("Vectors", PROSE * 4))))
entry("truncated.xml.bz2", "failed", "truncated_bz2")(lambda p: p.write_bytes(bz2.compress(_dump(_PAGES).encode())[:-4000]))
entry("damaged.xml.bz2", "failed", "corrupt_bz2")(_write(b"BZh91AY&SY" + _rnd(14, 6000)))
entry("not-mediawiki.xml", "failed", "unsupported_format")(_write('<?xml version="1.0"?><catalog><book id="1"/></catalog>'))
entry("malformed.xml", "failed", "malformed_xml")(_write(_dump(_page("Good", PROSE * 3)).replace("</mediawiki>", "")
                                                          + "<page><title>Bad</title><revision><text>x & y</revision>"))

# ---------------------------------------------------------------------------------------------------- encodings
_FRENCH = "Un sentiment de déjà vu : le garçon, naïve, mangeait une crème brûlée à Noël. " * 6
entry("latin1.txt")(_write(_FRENCH.encode("latin-1")))
entry("cp1252.md")(_write(("# Résumé\n\n" + _FRENCH).encode("cp1252")))
entry("mostly-utf8.md")(_write(("# Café\n\n" + _FRENCH).encode() + b" caf\xe9 " + PROSE.encode()))
entry("utf16-bom.txt")(_write((PROSE * 3).encode("utf-16")))
entry("utf16-no-bom.txt")(_write((PROSE * 3).encode("utf-16-le")))
entry("utf32.txt")(_write((PROSE * 3).encode("utf-32")))
entry("utf16.html")(_write(f"<html><body><h1>Vectors</h1><p>{PROSE * 3}</p></body></html>".encode("utf-16")))
entry("nul-bytes.txt")(_write((PROSE * 2 + "\0\0" + PROSE * 2).encode()))
entry("cp1251.txt")(_write(("Векторные базы хранят тексты и их источники. " * 10).encode("cp1251")))

# ---------------------------------------------------------------------------------------------------- structure
entry("nested-10000-divs.html")(_write("<html><body>" + "<div>" * 10_000 + f"<p>{PROSE}</p>" + "</div>" * 10_000
                                       + "</body></html>"))
entry("only-navigation.html", "failed", "no_text")(_write(
    '<html><body><nav><a href="a">A</a> <a href="b">B</a></nav><script>var x = 1;</script></body></html>'))
entry("only-rules.md", "failed", "no_text")(_write("----\n\n****\n\n____\n"))
entry("huge-table.md")(_write("| id | name | value |\n|---|---|---|\n"
                              + "".join(f"| {i} | item {i} | {i * 7} |\n" for i in range(3000))))
entry("huge-table.html")(_write("<html><body><table><tr><th>id</th><th>name</th></tr>"
                                + "".join(f"<tr><td>{i}</td><td>item number {i}</td></tr>" for i in range(3000))
                                + "</table></body></html>"))
entry("long-code-fence.md")(_write("# Code\n\n```python\n" + "".join(f"x_{i} = compute({i})\n" for i in range(5000)) + "```\n"))
entry("single-line-2mb.txt")(lambda p: p.write_text(" ".join(random.Random(15).choices(
    ["alpha", "beta", "gamma", "delta", "vector", "payload", "search."], k=320_000))))
entry("no-spaces-1mb.txt")(_write("a" * 1_000_000))

# ---------------------------------------------------------------------------------------------------- size limits
def _sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with path.open("wb") as f:
            f.truncate(size)  # a hole: no disk used, but stat() says `size`
    return make


entry("sparse-200mb.html", "failed", "too_large")(_sparse(200_000_000))
entry("sparse-2gb.txt", "failed", "too_large")(_sparse(2_000_000_000))

# ---------------------------------------------------------------------------------------------------- names
for _name in ("spaces and ünïcödé ☃.md", "-leading-dash.txt", "UPPER.MD", "semi;colon&amp.md", "new\nline.md",
              "very-" + "long-" * 40 + "name.md", "dots.in.the.name.txt"):
    entry(_name)(_write(f"# Odd name\n\n{PROSE * 2}"))
entry("no-suffix", "skipped", "skipped")(_write(PROSE))
entry("logo.png", "skipped", "skipped")(_write(b"\x89PNG\r\n\x1a\n" + _rnd(16, 200)))
entry("style.css", "skipped", "skipped")(_write("body { color: red }"))


# ---------------------------------------------------------------------------------------------------- special files
def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _link(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        os.symlink(path.parent / target, path)
    return make


entry("fifo.txt", "skipped", "not_a_regular_file")(_fifo)
entry("dangling.md", "skipped", "dangling_link")(_link("gone.md"))
entry("self-loop.md", "skipped", "symlink_loop")(_link("self-loop.md"))
entry("folder-loop", "skipped", "symlink_loop")(_link("."))


def build(root: Path) -> dict[str, Expect]:
    """Write every entry under ``root/docs``; returns {name relative to root/docs: (status, reason)}."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (make, expect) in ENTRIES.items():
        make(docs / name)
        expected[name] = expect
    return expected
