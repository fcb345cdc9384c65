"""A PDF's title from its first page when the metadata has none worth keeping (issue 17: a title "1 Introduction")."""

from __future__ import annotations

import pytest

from groundset.ingest.config import IngestConfig
from groundset.ingest.pdf_code import Line, page_lines
from groundset.ingest.pdf_title import first_page_title, running_keys, useful_title
from groundset.ingest.readers import read_path
from tests.ingest.test_readers import make_pdf

BODY = "The widget library draws charts on a canvas for you, one series at a time, in any colour."


def _pages(first: list[tuple[float, float, float, str]], header: tuple[float, str] = (9, "Widget Manual")):
    size, text = header
    page = lambda n, lines: [(72, 760, size, text), (280, 30, 9, f"Page {n}")] + lines  # noqa: E731
    body = [(72, 600 - 14 * i, 10, BODY) for i in range(8)]
    return [page(1, first + body), page(2, [(72, 700, 16, "2 Drawing"), *body]), page(3, body)]


def _title(tmp_path, pages, meta: str = "", name: str = "charts.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(make_pdf(pages, title=meta))
    (doc,) = read_path(path, IngestConfig())
    return doc.title


TITLE_PAGE = [(72, 700, 24, "A Guide to"), (72, 672, 24, "Widget Charts"), (72, 640, 12, "Jane Doe"),
              (72, 620, 16, "1 Introduction")]


@pytest.mark.parametrize("meta", ["", "Microsoft Word - charts.doc", "untitled", "charts", "C:\\work\\charts.pdf"])
def test_title_from_the_largest_lines_of_the_first_page(tmp_path, meta):
    assert _title(tmp_path, _pages(TITLE_PAGE), meta) == "A Guide to Widget Charts"


def test_useful_metadata_title_wins(tmp_path):
    assert _title(tmp_path, _pages(TITLE_PAGE), "Widget Charts Reference") == "Widget Charts Reference"


def test_numbered_heading_is_not_a_title(tmp_path):
    first = [(72, 700, 16, "1 Introduction")]
    assert _title(tmp_path, _pages(first), name="widgets-guide.pdf") == "widgets-guide"  # the file name


def test_running_header_is_not_a_title(tmp_path):
    """The header is the largest text of page 1, but it stands on every page."""
    first = [(72, 700, 14, "1 Getting Started")]
    assert _title(tmp_path, _pages(first, header=(18, "Widget Manual")), name="w.pdf") == "w"
    with_title = [(72, 700, 24, "Widget Charts"), *first]
    assert _title(tmp_path, _pages(with_title, header=(18, "Widget Manual"))) == "Widget Charts"


def test_no_title_when_nothing_stands_out(tmp_path):
    first = [(72, 700, 10, "Widget Charts")]  # the body's own size
    assert _title(tmp_path, _pages(first), name="plain.pdf") == "plain"


@pytest.mark.parametrize("title", ["", "  ", "Untitled", "untitled-3", "Document1", "Microsoft Word - x.doc",
                                   "Microsoft PowerPoint - deck.pptx", "report.tex", "/tmp/out.dvi", "Slide 1",
                                   "unknown"])
def test_useless_metadata_titles(title):
    assert useful_title(title) is None


def test_useful_metadata_titles(tmp_path):
    assert useful_title("ReportLab PDF Generation User Guide") == "ReportLab PDF Generation User Guide"
    assert useful_title("Widget  Charts\n") == "Widget Charts"
    assert useful_title("widget_guide", tmp_path / "widget-guide.pdf") is None  # the file name again


def test_title_selection_rules():
    body = [Line(BODY, 10, 300 + 14 * i, 72) for i in range(6)]
    assert first_page_title([Line("Contents", 20, 80, 72), *body]) is None
    assert first_page_title([Line("Chapter 3", 20, 80, 72), *body]) is None
    assert first_page_title([Line("xii", 20, 80, 72), *body]) is None
    three = [Line("One", 20, 80, 72), Line("Two Words", 20, 104, 72), Line("Three Here", 20, 128, 72),
             Line("Four Too Many", 20, 152, 72)]
    assert first_page_title([*three, *body]) == "One Two Words Three Here"  # at most three lines
    apart = [Line("Widget Charts", 20, 80, 72), Line("Printed in 2026", 20, 400, 72)]
    assert first_page_title([*apart, *body]) == "Widget Charts"  # far below: not the same title
    assert first_page_title([]) is None
    assert running_keys({1: ["Intro"], 2: ["Manual 2", "x"], 3: ["Manual 3"]}) == {"manual #"}


def test_unreadable_page_gives_no_lines(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really a pdf")
    assert page_lines(bad) == []
