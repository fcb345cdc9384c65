"""The readers on the real files of ../shared/corpus (skipped when it is absent). Each file is read once per module."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from groundset.ingest.config import IngestConfig
from groundset.ingest.readers import discover, read_path
from groundset.ingest.text import gutenberg_markers
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
CFG = IngestConfig()


def one(path: Path):
    docs = list(read_path(path, CFG))
    assert len(docs) == 1
    return docs[0]


@pytest.fixture(scope="module")
def html_docs():
    files, errors = discover([CORPUS / "html"])
    assert errors == [] and len(files) == 17
    return {f.name: one(f) for f in files}


@pytest.fixture(scope="module")
def pdf_doc():
    return one(CORPUS / "pdf" / "reportlab-userguide.pdf")  # ~15 s: partitioned once for all PDF tests


@pytest.fixture(scope="module")
def epub_doc():
    return one(CORPUS / "books" / "pg11_alice_in_wonderland.epub")


@pytest.fixture(scope="module")
def wiki_docs():
    (dump,) = (CORPUS / "wikipedia").glob("*.bz2")
    return dump, list(read_path(dump, CFG))


# ---------------------------------------------------------------------------------------------------- HTML
SPHINX_JUNK = ["¶", "Previous topic", "Next topic", "This Page", "Show Source", "Report a Bug", "Quick search",
               "Navigation", "modules |", "previous |", "»", "Found a bug", "Created using", "Please donate",
               "Last updated on", "Python Software Foundation", "Theme", "DOCUMENTATION_OPTIONS", "jQuery",
               "@media", "3.11.2 Documentation"]


def test_html_pages_have_no_navigation_or_script_text(html_docs):
    for name, doc in html_docs.items():
        found = [junk for junk in SPHINX_JUNK if junk in doc.text]
        assert found == [], f"{name}: {found}"


def test_html_titles_and_sections(html_docs):
    for name, doc in html_docs.items():
        assert doc.title == doc.blocks[0].text, name  # the page's h1, without "— Python 3.11.2 documentation"
        assert all(b.section and b.section[0] == doc.title for b in doc.blocks), name
    flow = html_docs["controlflow.html"]
    assert ["4. More Control Flow Tools", "4.8. More on Defining Functions", "4.8.3. Special parameters",
            "4.8.3.5. Recap"] in [b.section for b in flow.blocks if b.kind == "title"]
    assert any(b.kind == "code" and b.text.startswith(">>> ") for b in flow.blocks)


def test_html_toc_page_keeps_its_prose_not_its_link_list(html_docs):
    index = html_docs["index.html"]
    assert "Python is an easy to learn, powerful programming language." in index.text
    assert "Whetting Your Appetite" not in index.text  # the toctree (a list of links) is navigation
    assert index.metadata["dropped"]["link_list"] >= 1


# ---------------------------------------------------------------------------------------------------- PDF
def test_pdf_title_pages_and_no_running_heads(pdf_doc):
    assert pdf_doc.title == "ReportLab PDF Generation User Guide" and pdf_doc.metadata["pages"] == 134
    pages = [b.page for b in pdf_doc.blocks]
    assert all(p is not None and 1 <= p <= 134 for p in pages) and pages == sorted(pages)
    texts = [b.text for b in pdf_doc.blocks]
    assert not any(t in ("User Guide", "Table of contents") or re.fullmatch(r"Page \d+", t) for t in texts)
    assert not any(re.search(r"(\. ){5,}", t) for t in texts)  # table-of-contents dot leaders
    assert not any(t == "NOTE" for t in texts)  # margin labels
    dropped = pdf_doc.metadata["dropped"]
    assert dropped["header_footer"] >= 2 * 130 and dropped["table_of_contents"] > 100


def test_pdf_sections_are_sane_in_a_title_heavy_stream(pdf_doc):
    """unstructured's fast strategy labels ~1,700 of the guide's ~3,600 elements as titles; few become headings."""
    headings = [b for b in pdf_doc.blocks if b.kind == "title"]
    assert 100 <= len(headings) <= 260
    chapters = [b.text for b in headings if len(b.section) == 1]
    for n, name in [(1, "Introduction"), (2, "Graphics and Text with pdfgen"), (4, "Exposing PDF Special Capabilities"),
                    (6, "Paragraphs"), (7, "Tables and TableStyles"), (11, "Graphics")]:
        assert f"Chapter {n} {name}" in chapters
    sections = [b.section for b in headings]
    assert ["Chapter 2 Graphics and Text with pdfgen", "2.3 Drawing Operations"] in sections
    assert ["Chapter 2 Graphics and Text with pdfgen", "2.5 The toolbox: the \"state change\" operations",
            "Changing Colors"] in sections  # an unnumbered heading nests under the numbered one
    for b in headings:  # no code line, figure caption or sentence became a heading
        assert not re.search(r"\w\(|=|^Figure|\.$", b.text) or re.match(r"\d+\.\d+ ", b.text), b.text
    with_section = sum(bool(b.section) for b in pdf_doc.blocks)
    assert with_section / len(pdf_doc.blocks) > 0.97  # only the cover page precedes Chapter 1
    assert len({tuple(b.section) for b in pdf_doc.blocks}) <= len(headings) + 1


def test_pdf_hyphenation_and_code(pdf_doc):
    text = pdf_doc.text
    assert not re.search(r"[a-z]{2,}- (?!and |or |to )[a-z]{2,}", text)
    assert any(b.kind == "code" and b.text.startswith("canvas.") for b in pdf_doc.blocks)


# ---------------------------------------------------------------------------------------------------- books
def test_epub_chapters_without_gutenberg_or_calibre_junk(epub_doc):
    assert epub_doc.title == "Alice's Adventures in Wonderland" and epub_doc.metadata["author"] == "Lewis Carroll"
    assert epub_doc.metadata["spine_items"] == 15 and epub_doc.metadata["chapters"] == 13
    chapters = [b.section[-1] for b in epub_doc.blocks if b.kind == "title" and b.text.startswith("CHAPTER")]
    assert len(chapters) == 12 and chapters[0] == "CHAPTER I. Down the Rabbit-Hole"
    lowered = epub_doc.text.lower()
    for junk in ("gutenberg", "license", "calibre", "base64", "contents"):
        assert junk not in lowered, junk
    assert epub_doc.text.count("Alice") > 300


def test_frankenstein_cp1252_decodes_exactly(tmp_path):
    path = CORPUS / "books" / "pg84_frankenstein_cp1252_crlf.txt"
    raw = path.read_bytes()
    doc = one(path)
    assert doc.metadata["encoding"] == "cp1252"
    truth = raw.decode("cp1252").replace("\r\n", "\n")
    start, end = gutenberg_markers(truth)
    expected = Counter(c for c in truth[start:end] if ord(c) > 127)
    got = Counter(c for c in doc.text if ord(c) > 127)
    assert got == expected and sum(got.values()) > 1000  # 0 wrong, 0 lost ("dæmon", not "dćmon")
    assert doc.text.count("dæmon") == truth[start:end].count("dæmon") > 0 and "dćmon" not in doc.text
    assert "\r" not in doc.text and "Project Gutenberg" not in doc.text
    assert doc.title == "Frankenstein; Or, The Modern Prometheus"
    headings = [b.text for b in doc.blocks if b.kind == "title"]
    assert headings == [f"Letter {i}" for i in range(1, 5)] + [f"Chapter {i}" for i in range(1, 25)]


# ---------------------------------------------------------------------------------------------------- Wikipedia
def test_wikipedia_slice_gives_106_clean_articles(wiki_docs):
    dump, docs = wiki_docs
    assert len(docs) == 106 and len({d.title for d in docs}) == 106
    assert docs[0].title == "Anarchism" and docs[0].source == f"{dump}#Anarchism"
    assert docs[-1].metadata["dump_skipped"] == {"redirect": 99, "namespace": 1, "empty": 0}
    for doc in docs:
        for junk in ("{{cite", "{{Infobox", "|url=", "[[", "]]", "<ref", "</", "{|", "thumb|", "File:",
                     "'''", "__NOTOC__"):
            assert junk not in doc.text, (doc.title, junk)
        prose = "\n".join(b.text for b in doc.blocks if b.kind != "table")  # a table may have a "Category" column
        assert "Category:" not in prose, doc.title
        assert not any(s and s[0] in ("References", "External links", "See also") for s in (b.section for b in doc.blocks))
    anarchism = docs[0]
    assert ["History", "Origins"] in [b.section for b in anarchism.blocks if b.kind == "title"]
    assert anarchism.blocks[0].text.startswith("Anarchism is a political philosophy")
