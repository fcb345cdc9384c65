"""Headings of PDFs without bookmarks (issue 17): numbers in sequence and nested by prefix, footnotes never
promoted, "Chapter N" joined with its title, a contents page confirming headings; books."""

from __future__ import annotations

from groundset.ingest.config import IngestConfig
from groundset.ingest.headings import number_of
from groundset.ingest.readers import read_path
from groundset.ingest.structure import in_sequence, nest
from tests.ingest.test_readers import make_pdf

BODY = "Body text of this section explains the matter at some length, as manuals do when they explain."


def body(y: float, n: int = 2) -> list[tuple[float, float, float, str]]:
    return [(72, y - 14 * i, 10, BODY) for i in range(n)]


def read(tmp_path, pages, name="manual.pdf"):
    path = tmp_path / name
    path.write_bytes(make_pdf(pages))
    (doc,) = read_path(path, IngestConfig())
    return doc


def sections(doc) -> list[list[str]]:
    return [b.section for b in doc.blocks if b.kind == "title"]


def test_a_section_is_filed_under_its_number_not_its_predecessor(tmp_path):
    """"8.6.1" under "8", not under "8.5 Todo List", when "8.6" itself was not found."""
    page1 = [(72, 700, 16, "8 Extensions"), *body(676), (72, 630, 14, "8.5 Todo List"), *body(606),
             (72, 560, 12, "8.6.1 Notes on the build"), *body(536), (72, 490, 12, "8.6.2 More notes"), *body(466)]
    page2 = [(72, 700, 16, "9 Index"), *body(676, 4)]
    doc = read(tmp_path, [page1, page2])
    assert sections(doc) == [["8 Extensions"], ["8 Extensions", "8.5 Todo List"],
                             ["8 Extensions", "8.6.1 Notes on the build"], ["8 Extensions", "8.6.2 More notes"],
                             ["9 Index"]]


def test_a_footnote_is_never_a_heading(tmp_path):
    page1 = [(72, 700, 16, "1 Introduction"), *body(676, 6),
             (72, 90, 7, "1 These parameters are required in latex.programlisting mode.")]
    page2 = [(72, 700, 14, "1.1 Installation"), *body(676, 4)]
    doc = read(tmp_path, [page1, page2])
    assert sections(doc) == [["1 Introduction"], ["1 Introduction", "1.1 Installation"]]
    assert not any(b.section and b.section[0].startswith("1 These") for b in doc.blocks)
    assert "1 These parameters are required" in doc.text  # kept as text, not lost


def test_numbers_out_of_sequence_are_not_headings(tmp_path):
    """A numbered list restarting at 1 inside section 2.1, and a stray "3" between 2.1 and 2.2."""
    page1 = [(72, 700, 16, "2 Drawing"), *body(676), (72, 630, 14, "2.1 Lines"), *body(606),
             (72, 560, 14, "1 Install the widget"), *body(536), (72, 490, 14, "3 Paths and shapes"), *body(466),
             (72, 420, 14, "2.2 Colours"), *body(396), (72, 350, 14, "2.3 Fonts"), *body(326)]
    doc = read(tmp_path, [page1])
    assert sections(doc) == [["2 Drawing"], ["2 Drawing", "2.1 Lines"], ["2 Drawing", "2.2 Colours"],
                             ["2 Drawing", "2.3 Fonts"]]


def test_chapter_line_joined_with_its_title_in_a_pdf(tmp_path):
    page1 = [(72, 700, 20, "Chapter 1"), (72, 666, 20, "Introduction"), *body(600, 4),
             (72, 520, 14, "1.1 Installation"), *body(496, 4)]  # two elements: the lines are far apart
    doc = read(tmp_path, [page1])
    assert sections(doc) == [["Chapter 1 Introduction"], ["Chapter 1 Introduction", "1.1 Installation"]]


def test_sequence_and_nesting_rules():
    assert in_sequence([]) == set()
    assert in_sequence([(1,), (1, 1), (3,), (1, 2), (2,), (2, 1)]) == {0, 1, 3, 4, 5}
    assert in_sequence([(2,), (2, 1), (1,), (2, 2), (2, 3)]) == {0, 1, 3, 4}  # a list item "1" inside 2.1
    assert number_of("A.2 Options") > number_of("9.4 Last one")  # appendices come after the chapters
    assert number_of("Chapter 8", chapters=True) == (8,) and number_of("Chapter 8") is None
    stack = [(1, "Chapter 8", (8,), True), (2, "8.5 Todo", (8, 5), True)]
    assert nest(stack, 2, (8, 6)) == stack[:1]
    assert nest(stack, 3, (9, 1, 1)) == []  # chapter 9 was not found: not under chapter 8 either
    assert nest(stack, 3, None) == stack  # an unnumbered heading nests below
    assert nest([(1, "Preface", None, False)], 2, (1, 1)) == [(1, "Preface", None, False)]


def test_contents_page_confirms_headings_without_bookmarks(tmp_path):
    """Entries of the contents page make headings of lines the layout alone would not (a heading in the body's
    font, one run into its paragraph); the contents page itself is dropped and counted."""
    dots = " " + ". " * 30
    entries = [(72, "1 Getting Started", 2), (90, "1.1 Installation", 2), (90, "Changing Colours", 2),
               (72, "2 Advanced Use", 3), (90, "2.1 Running it", 3), (90, "2.2 Options", 3)]
    toc = [(72, 700, 16, "Contents")] + [(x, 660 - 30 * i, 10, f"{t}{dots}{n}") for i, (x, t, n) in enumerate(entries)]
    page2 = [(72, 700, 16, "1 Getting Started"), *body(676), (72, 630, 14, "1.1 Installation"), *body(606),
             (72, 560, 10, "Changing Colours"), *body(546)]
    page3 = [(72, 700, 16, "2 Advanced Use"), *body(676),
             (72, 630, 10, "2.1 Running it To install it, unpack the archive and run the setup script there."),
             *body(616), (72, 560, 14, "2.2 Options"), *body(536)]
    doc = read(tmp_path, [toc, page2, page3])
    assert sections(doc) == [["1 Getting Started"], ["1 Getting Started", "1.1 Installation"],
                             ["1 Getting Started", "Changing Colours"], ["2 Advanced Use"],
                             ["2 Advanced Use", "2.1 Running it"], ["2 Advanced Use", "2.2 Options"]]
    assert any(b.text.startswith("To install it, unpack") and b.section[-1] == "2.1 Running it" for b in doc.blocks)
    assert doc.metadata["dropped"]["table_of_contents"] >= 5 and ". . ." not in doc.text


def test_contents_entries_levels_and_leaders():
    from groundset.ingest.clean_pdf import contents_entries
    from groundset.ingest.partition import Part

    lines = [("Contents", 0.12), ("Chapter 1 Introduction . . . . . . 6", 0.13), ("1.1 About it . . . . . . . 6", 0.17),
             ("1.2 More . . . . . . . 7", 0.17), ("Chapter 2 Drawing . . . . . . 11", 0.13),
             ("2.1 Lines . . . . . . . 12", 0.17), ("11", 0.85)]
    parts = [Part("title", t, page=2, left=left, top=0.1 + 0.02 * i) for i, (t, left) in enumerate(lines)]
    assert contents_entries(parts) == [(1, "Chapter 1 Introduction"), (2, "1.1 About it"), (2, "1.2 More"),
                                       (1, "Chapter 2 Drawing"), (2, "2.1 Lines")]
    assert contents_entries(parts[:5]) == []  # not a contents page: fewer than five leader lines


def test_table_cells_are_never_headings(tmp_path):
    """Cells set like the body ("Property", "Column 1", "Option") stay text, however short and capitalised."""
    cells = [(72, 630 - 30 * i, 10, cell) for i, cell in enumerate(["Property", "Column 1", "Option"])]
    page1 = [(72, 700, 16, "1 Options"), *body(676), *cells, *body(520, 3)]
    doc = read(tmp_path, [page1])
    assert sections(doc) == [["1 Options"]]
    assert all(b.section == ["1 Options"] for b in doc.blocks)
    assert all(cell in doc.text for cell in ("Property", "Column 1", "Option"))
