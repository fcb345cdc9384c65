"""read_path / discover on small files made here: one test per format, one per bad input, and the offline hook."""

from __future__ import annotations

import importlib.metadata
import random
import socket
import zipfile
from pathlib import Path

import pytest

from groundset.errors import InputError
from groundset.ingest import partition
from groundset.ingest.config import IngestConfig
from groundset.ingest.readers import discover, read_path
from tests.ingest.pdfs import serialise

CFG = IngestConfig()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Reading files must never open a connection (spaCy model download, telemetry, NLTK, hub)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def read_one(path: Path):
    docs = list(read_path(path, CFG))
    assert len(docs) == 1
    return docs[0]


def reason_of(path: Path) -> str:
    with pytest.raises(InputError) as e:
        list(read_path(path, CFG))
    assert e.value.source == str(path)
    return e.value.reason


# ---------------------------------------------------------------------------------------------------- offline hook
def test_unstructured_is_the_pinned_version():
    """partition.install_offline_nlp hooks a private module of unstructured: re-check it before moving this pin."""
    assert importlib.metadata.version("unstructured") == "0.27.32"


def test_offline_hook_replaces_the_spacy_model_download():
    import unstructured.nlp.tokenize as tok

    partition.install_offline_nlp()
    nlp = tok._get_nlp()
    assert nlp.pipe_names == ["sentencizer"] and nlp.lang == "en"
    assert tok.sent_tokenize("It works. No model is downloaded!") == ["It works.", "No model is downloaded!"]
    with pytest.raises(RuntimeError, match="offline hook"):
        tok._install_spacy_model()


def test_offline_hook_fails_loudly_when_unstructured_changes(monkeypatch):
    import unstructured.nlp.tokenize as tok

    monkeypatch.setattr(partition, "_HOOKED", False)
    monkeypatch.delattr(tok, "_get_nlp")
    with pytest.raises(RuntimeError, match="must be updated"):
        partition.install_offline_nlp()


def test_pdf_strategy_is_validated():
    with pytest.raises(ValueError, match="pdf_strategy"):
        IngestConfig(pdf_strategy="fastest")


def test_telemetry_is_off():
    import os

    assert os.environ.get("DO_NOT_TRACK") and os.environ.get("SCARF_NO_ANALYTICS")


# ---------------------------------------------------------------------------------------------------- discover
def test_discover_walks_sorted_filters_and_reports(tmp_path):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("b.md", "a.html", "sub/c.txt", "sub/draft.md", "notes.xyz", ".git/config.txt"):
        (root / name).write_text("Some words here.")
    files, errors = discover([root, tmp_path / "missing.pdf", root / "a.html"])
    assert [f.relative_to(root).as_posix() for f in files] == ["a.html", "b.md", "sub/c.txt", "sub/draft.md"]
    assert sorted((Path(e.source).name, e.reason) for e in errors) == [
        ("missing.pdf", "not_found"), ("notes.xyz", "skipped")]
    _, errors = discover([root / "notes.xyz"])  # named on its own: the user asked for it, so it is a failure
    assert [e.reason for e in errors] == ["unsupported_format"]

    files, errors = discover([root], include=["*.md", "*.txt"], exclude=["sub/draft*"])
    assert [f.name for f in files] == ["b.md", "c.txt"] and errors == []


# ---------------------------------------------------------------------------------------------------- formats
HTML = """<!DOCTYPE html><html><head><title>Widgets — Example Docs</title>
<style>body { color: red }</style><script>var tracking = "script text";</script></head>
<body>
<nav class="navbar"><a href="/">Home</a> | <a href="/about">About</a></nav>
<div class="sphinxsidebar" role="navigation"><h4>Previous topic</h4><p><a href="a.html">A</a></p>
  <h4>Next topic</h4><p><a href="c.html">C</a></p><h3>This Page</h3><ul><li><a href="s.txt">Show Source</a></li></ul>
  <form class="search"><input type="text" name="q"/><input type="submit" value="Go"/></form></div>
<div class="body" role="main">
<h1>Widgets<a class="headerlink" href="#widgets" title="Permalink">¶</a></h1>
<p>A widget draws one chart on a canvas. Widgets are composed of shapes.</p>
<h2>Colours<a class="headerlink" href="#colours">¶</a></h2>
<p>Every widget has a fill colour and a stroke colour, set before drawing.</p>
<ul><li>fill colour paints the inside</li><li>stroke colour paints the outline</li></ul>
<pre>w = Widget(fill="red")
w.draw(canvas)</pre>
</div>
<div class="footer">&copy; Copyright 2024. Created using Sphinx.</div>
</body></html>"""


def test_html_keeps_content_and_sections_and_drops_navigation(tmp_path):
    path = tmp_path / "widgets.html"
    path.write_text(HTML, encoding="utf-8")
    doc = read_one(path)
    assert doc.title == "Widgets" and doc.source == str(path) and doc.metadata["format"] == "html"
    text = doc.text
    for junk in ("¶", "Previous topic", "Next topic", "This Page", "Show Source", "Home", "tracking", "color: red",
                 "Copyright", "Go"):
        assert junk not in text, junk
    assert [(b.kind, b.section) for b in doc.blocks] == [
        ("title", ["Widgets"]), ("text", ["Widgets"]), ("title", ["Widgets", "Colours"]),
        ("text", ["Widgets", "Colours"]), ("list", ["Widgets", "Colours"]), ("code", ["Widgets", "Colours"])]
    assert doc.blocks[4].text == "- fill colour paints the inside\n- stroke colour paints the outline"
    assert doc.blocks[5].text == 'w = Widget(fill="red")\nw.draw(canvas)'
    assert doc.metadata["dropped"]["script"] == 1


def test_html_in_a_legacy_encoding(tmp_path):
    path = tmp_path / "old.htm"
    path.write_bytes('<html><head><meta charset="windows-1252"><title>Old</title></head><body>'
                     '<p>“Smart quotes” and a café — from 1999.</p></body></html>'.encode("cp1252"))
    assert read_one(path).text == "“Smart quotes” and a café — from 1999."


def test_markdown_front_matter_headings_code(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text("---\ntitle: The Guide\n---\n# Install\n\nRun the installer and wait for it to finish.\n\n"
                    "## Options\n\nPass `--quiet` to hide the progress output entirely.\n\n"
                    "```python\nimport guide\nguide.run()\n```\n\n- one item here\n- two items here\n",
                    encoding="utf-8")
    doc = read_one(path)
    assert doc.title == "The Guide"
    assert [(b.kind, b.section) for b in doc.blocks] == [
        ("title", ["Install"]), ("text", ["Install"]), ("title", ["Install", "Options"]),
        ("text", ["Install", "Options"]), ("code", ["Install", "Options"]), ("list", ["Install", "Options"])]
    assert "guide.run()" in doc.blocks[4].text and "---" not in doc.text


def test_docx_headings_table_and_title(tmp_path):
    import docx

    d = docx.Document()
    d.core_properties.title = "Widget Handbook"
    d.add_heading("Introduction", level=1)
    d.add_paragraph("Widgets draw charts on a canvas and are configured with styles.")
    d.add_heading("Styles", level=2)
    d.add_paragraph("A style sets the fill colour, the stroke colour and the font of a widget.")
    d.add_paragraph("Bars are filled with the fill colour", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([("Name", "Default"), ("fill", "red")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "handbook.docx"
    d.save(path)
    doc = read_one(path)
    assert doc.title == "Widget Handbook" and doc.metadata["format"] == "docx"
    by_kind = {b.kind: b for b in doc.blocks}
    assert by_kind["table"].section == ["Introduction", "Styles"]
    assert by_kind["table"].text == "Name | Default\nfill | red"  # one line per row
    assert by_kind["list"].text == "- Bars are filled with the fill colour"
    assert [b.section for b in doc.blocks if b.kind == "title"] == [["Introduction"], ["Introduction", "Styles"]]


def _epub(path: Path, chapters: list[tuple[str, str]], extra: dict[str, str] | None = None) -> Path:
    """A minimal EPUB 2: container.xml, an OPF whose spine lists ``chapters`` in order, and stray files."""
    manifest = "".join(f'<item id="c{i}" href="text/{n}" media-type="application/xhtml+xml"/>'
                       for i, (n, _) in enumerate(chapters))
    manifest += '<item id="orphan" href="text/orphan.xhtml" media-type="application/xhtml+xml"/>'
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                   'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                   '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                   '</rootfiles></container>')
        z.writestr("OEBPS/content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                   'version="2.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A Tiny Tale'
                   f'</dc:title><dc:creator>Jane Doe</dc:creator></metadata><manifest>{manifest}</manifest>'
                   f'<spine>{spine}</spine></package>')
        for name, body in chapters:
            z.writestr(f"OEBPS/text/{name}", '<?xml version="1.0" encoding="utf-8"?><html '
                       f'xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>{body}</body></html>')
        z.writestr("OEBPS/text/orphan.xhtml", "<html><body><p>Orphan text outside the spine.</p></body></html>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def test_epub_spine_order_and_gutenberg_stripped(tmp_path):
    path = _epub(tmp_path / "tale.epub", [
        ("front.xhtml", "<p>The Project Gutenberg eBook of A Tiny Tale. This ebook is for the use of anyone.</p>"
                        "<p>*** START OF THE PROJECT GUTENBERG EBOOK A TINY TALE ***</p>"),
        ("ch1.xhtml", "<h2>CHAPTER I. The Door</h2><p>Alice found a little door behind the curtain.</p>"),
        ("ch2.xhtml", "<h2>CHAPTER II. The Key</h2><p>The golden key fitted the lock of the door.</p>"),
        ("back.xhtml", "<p>*** END OF THE PROJECT GUTENBERG EBOOK A TINY TALE ***</p>"
                       "<h2>THE FULL PROJECT GUTENBERG LICENSE</h2><p>Please read this before you distribute.</p>"),
    ], extra={"META-INF/calibre_bookmarks.txt": "encoding=json+base64:\nW3sicG9zIjogImVwdWJjZmki",
              "OEBPS/cover.jpg": "\xff\xd8 not really a jpeg"})
    doc = read_one(path)
    assert doc.title == "A Tiny Tale" and doc.metadata["author"] == "Jane Doe"
    assert [b.text for b in doc.blocks] == [
        "CHAPTER I. The Door", "Alice found a little door behind the curtain.",
        "CHAPTER II. The Key", "The golden key fitted the lock of the door."]
    assert doc.blocks[3].section == ["CHAPTER II. The Key"]
    assert doc.metadata["dropped"]["gutenberg_boilerplate"] == 5  # 2 parts before START, 3 from END on


def test_plain_text_cp1252_gutenberg_chapters(tmp_path):
    body = "\r\n\r\n".join(
        ["Chapter 1", "The “dæmon” walked on the ice — alone.", "It was cold and the sea was near the ship.",
         "Chapter 2", "Morning came; the château was empty.", "Nobody answered the bell at the gate that day."])
    raw = (f"The Project Gutenberg eBook of Ice\r\n\r\nTitle: Ice Tales\r\n\r\n"
           f"*** START OF THE PROJECT GUTENBERG EBOOK ICE ***\r\n\r\nCONTENTS\r\n\r\nChapter 1\r\nChapter 2\r\n\r\n"
           f"{body}\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK ICE ***\r\nLicense text here.\r\n").encode("cp1252")
    path = tmp_path / "ice.txt"
    path.write_bytes(raw)
    doc = read_one(path)
    assert doc.title == "Ice Tales" and doc.metadata["encoding"] == "cp1252" and doc.metadata["gutenberg"]
    assert "dæmon" in doc.text and "château" in doc.text and "License" not in doc.text
    titles = [b.section for b in doc.blocks if b.kind == "title"]
    assert titles == [["Chapter 1"], ["Chapter 2"]]  # the CONTENTS list is not a heading
    assert doc.blocks[-1].section == ["Chapter 2"]


# ---------------------------------------------------------------------------------------------------- PDF
def make_pdf(pages: list[list[tuple[float, float, float, str]]], title: str = "") -> bytes:
    """A valid PDF 1.4 with Helvetica text lines ``(x, y_from_bottom, font_size, text)`` per page."""
    esc = lambda s: s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")  # noqa: E731
    n = len(pages)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            ("<< /Type /Pages /Kids [" + " ".join(f"{4 + 2 * i} 0 R" for i in range(n)) + f"] /Count {n} >>").encode(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    for i, lines in enumerate(pages):
        content = "".join(f"BT /F1 {s} Tf {x} {y} Td ({esc(t)}) Tj ET\n" for x, y, s, t in lines).encode("cp1252")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {5 + 2 * i} 0 R >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objs.append(f"<< /Title ({esc(title)}) >>".encode())
    return serialise(objs, info=True)


def _manual_pages() -> list[list[tuple[float, float, float, str]]]:
    def page(n, lines):
        return [(72, 760, 9, "Widget Manual"), (280, 30, 9, f"Page {n}")] + lines

    body = lambda y, text: (72, y, 10, text)  # noqa: E731
    return [
        page(1, [(72, 700, 16, "1 Getting Started"),
                 body(670, "The widget library draws charts on a canvas for you. This exam-"),
                 body(658, "ple shows the basic steps needed to draw a first chart."),
                 (72, 620, 14, "1.1 Installation"),
                 body(590, "Install the package with pip and import it in your own program."),
                 (250, 540, 10, "Figure 1-1: A chart"),
                 body(500, "After the import the canvas is ready for drawing widgets on it.")]),
        page(2, [(72, 700, 12, "Changing Colours"),
                 body(670, "Each bar takes the fill colour of its series when it is drawn."),
                 body(640, "A stroke colour can be set for the outline and the colour")]),
        page(3, [body(700, "is applied to every bar of the chart at the same time."),
                 (72, 660, 16, "2 Advanced Use"),
                 body(630, "Charts can be nested inside other charts to build a dashboard.")]),
    ]


def test_pdf_running_heads_hyphens_sections_pages(tmp_path):
    path = tmp_path / "manual.pdf"
    path.write_bytes(make_pdf(_manual_pages(), title="Widget Manual"))
    doc = read_one(path)
    assert doc.title == "Widget Manual" and doc.metadata["pages"] == 3
    text = doc.text
    assert "Page 1" not in text and "Page 3" not in text
    assert not any(b.text == "Widget Manual" for b in doc.blocks)  # running header gone, 3 times
    assert "This example shows" in text and "exam-" not in text
    assert "the colour is applied to every bar" in text  # paragraph joined across the page break
    sections = {tuple(b.section) for b in doc.blocks}
    assert sections == {("1 Getting Started",), ("1 Getting Started", "1.1 Installation"),
                        ("1 Getting Started", "1.1 Installation", "Changing Colours"), ("2 Advanced Use",)}
    assert not any(b.kind == "title" and b.text.startswith("Figure") for b in doc.blocks)
    assert all(b.page in (1, 2, 3) for b in doc.blocks)
    assert next(b.page for b in doc.blocks if b.text == "2 Advanced Use") == 3
    dropped = doc.metadata["dropped"]
    assert dropped.get("running_header_footer", 0) + dropped.get("header_footer", 0) == 6


# ---------------------------------------------------------------------------------------------------- bad inputs
def test_empty_files(tmp_path):
    for name in ("empty.txt", "empty.pdf", "empty.html", "empty.md", "empty.docx", "empty.epub"):
        (tmp_path / name).write_bytes(b"")
        assert reason_of(tmp_path / name) == "empty_file"
    (tmp_path / "blank.md").write_text("  \n\n \t\n")
    assert reason_of(tmp_path / "blank.md") == "empty_file"


def test_binary_junk_with_text_suffixes(tmp_path):
    junk = random.Random(0).randbytes(5000)
    for name in ("junk.txt", "junk.pdf", "junk.html", "junk.md", "junk.docx", "junk.epub"):
        (tmp_path / name).write_bytes(junk)
        assert reason_of(tmp_path / name) == "binary_junk", name


def test_corrupt_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n" + random.Random(2).randbytes(3000))
    assert reason_of(path) == "corrupt_pdf"
    text_pdf = tmp_path / "actually-text.pdf"
    text_pdf.write_text("This is a text file with a .pdf name.")
    assert reason_of(text_pdf) == "corrupt_pdf"


def test_truncated_pdf(tmp_path):
    data = make_pdf(_manual_pages())
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    assert reason_of(path) in ("corrupt_pdf", "no_text")


def test_undecodable_text(tmp_path):
    path = tmp_path / "mojibake.txt"
    path.write_bytes(bytes(random.Random(1).randrange(0x80, 0x100) for _ in range(3000)))
    assert reason_of(path) == "unreadable_encoding"


def test_unsupported_and_missing(tmp_path):
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04 whatever")
    assert reason_of(path) == "unsupported_format"
    assert reason_of(tmp_path / "nope.txt") == "not_found"


def test_no_text_left_after_cleaning(tmp_path):
    path = tmp_path / "nav-only.html"
    path.write_text('<html><body><nav><a href="/">Home</a></nav><script>x()</script></body></html>')
    assert reason_of(path) == "no_text"


def test_text_file_named_docx(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_text("plain notes, not a Word file")
    assert reason_of(path) == "unsupported_format"
