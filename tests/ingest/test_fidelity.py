"""Structure kept, not only noise removed (issue 17): code lines, table rows, ligatures and chunk boundaries."""

from __future__ import annotations

import re

from groundset.ingest.chunk import Chunker
from groundset.ingest.config import IngestConfig
from groundset.ingest.readers import read_path
from groundset.ingest.text import clean_text, normalize_compat
from groundset.records import Block, Document
from tests.ingest.pdfs import serialise

CFG = IngestConfig()


def make_pdf(lines: list[tuple[float, float, float, str, str]]) -> bytes:
    """A one-page PDF of text lines ``(x, y_from_bottom, size, font, text)``, font F1 Helvetica or F2 Courier."""
    esc = lambda s: s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")  # noqa: E731
    content = "".join(f"BT /{f} {s} Tf {x} {y} Td ({esc(t)}) Tj ET\n" for x, y, s, f, t in lines).encode("cp1252")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
            b"/Contents 6 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    return serialise(objs)


CODE = ["def hello(c):", "    from reportlab.lib.units import inch", "    # move the origin up and to the left",
        "    c.translate(inch, inch)", "    c.setFont(\"Helvetica\", 14)"]


def test_pdf_code_keeps_its_lines_and_indentation(tmp_path):
    prose = [(72, 720, 10, "F1", "The example below draws a greeting on the canvas, one statement per line, as"),
             (72, 706, 10, "F1", "every program in this guide does when it is run from the command line.")]
    code = [(72 + (len(line) - len(line.lstrip())) * 6, 680 - 12 * i, 10, "F2", line.strip())
            for i, line in enumerate(CODE)]
    path = tmp_path / "guide.pdf"
    path.write_bytes(make_pdf(prose + code))
    doc = next(read_path(path, CFG))
    blocks = [b for b in doc.blocks if b.kind == "code"]
    assert [b.text for b in blocks] == ["\n".join(CODE)]
    assert doc.metadata["code_blocks"] == 1
    assert any(b.kind == "text" and b.text.startswith("The example below") for b in doc.blocks)


def test_presentation_forms_are_normalised_but_meaning_is_kept(tmp_path):
    assert normalize_compat("speciﬁed ﬂow ｆｕｌｌ") == "specified flow full"
    for kept in ("x² + y²", "H₂O", "½ cup", "Model™", "i ≠ j", "a → b", "print('ﬁ'.upper())"[:5]):
        assert normalize_compat(kept) == kept
    assert clean_text("eﬃcient  and speciﬁed") == "efficient and specified"
    path = tmp_path / "notes.md"
    path.write_text("# Conﬁguration\n\nThe ﬁle is speciﬁed in the ﬁrst section. x² stays x².\n", encoding="utf-8")
    doc = next(read_path(path, CFG))
    assert "ﬁ" not in doc.text and "The file is specified in the first section." in doc.text and "x²" in doc.text
    assert doc.title == "Configuration"


def _tokens(text: str) -> set[str]:
    return set(text.split())


def test_chunk_boundaries_never_fall_inside_a_token():
    sentence = ("Call c.rect(0.2*inch, 1.5*inch, 3*inch) then run dblatex myfile.xml; writer = csv.writer(f), "
                "and version 3.11.7 of the tool reads config.toml without a word of complaint")
    text = " ".join(f"step {i}: {sentence}" for i in range(40))  # no sentence end: cut at clauses or words
    chunker = Chunker(count_tokens=lambda s: len(s.split()), chunk_tokens=30, overlap=4, min_tokens=1, limit=40)
    chunks, _ = chunker.chunk(Document.make("a.txt", "A", [Block(text=text, section=["A"])]))
    assert len(chunks) > 10
    source = _tokens(text)
    for c in chunks:
        words = c.text.split()
        assert words[0] in source and words[-1] in source, c.text


def test_code_and_table_chunks_end_at_line_ends():
    code = "\n".join(f"    value_{i} = compute(items[{i}], factor={i}.5)  # step {i}" for i in range(120))
    table = "\n".join(f"Year: {1900 + i}; Winner: Team {i}; Score: {i}-{i + 1}" for i in range(120))
    chunker = Chunker(count_tokens=lambda s: len(s.split()), chunk_tokens=60, overlap=8, min_tokens=1, limit=80)
    doc = Document.make("a.md", "A", [Block(text="Some prose before the code.", section=["A"]),
                                      Block(text=code, section=["A"], kind="code"),
                                      Block(text=table, section=["A"], kind="table")])
    chunks, _ = chunker.chunk(doc)
    lines = set(code.split("\n")) | set(table.split("\n")) | {"Some prose before the code."}
    assert len(chunks) > 5
    for c in chunks:
        assert all(line in lines for line in c.text.split("\n") if line), c.text
    assert chunks[0].text.startswith("Some prose before the code.\n\n    value_0")  # a short piece merged back
    assert all(re.search(r"value_\d+ = compute", line) for line in chunks[1].text.split("\n") if "value" in line)


def test_pdf_bookmarks_decide_the_headings(tmp_path):
    import io

    import pypdf

    from tests.ingest.test_readers import make_pdf as make_pages

    body = "Body text of this section explains the matter at some length, as manuals do. " * 2
    page1 = [(72, 740, 18, "Chapter 1"), (72, 718, 18, "Introduction"), (72, 690, 10, body[:90]),
             (72, 676, 10, body[90:]), (72, 640, 14, "1.1 Installation"), (72, 616, 10, body[:90]),
             (72, 600, 10, "Property"), (72, 586, 10, body[:90]),
             (72, 100, 8, "3 These parameters are required in latex mode.")]
    page2 = [(72, 680, 14, "1.2 Running it To install it, unpack the archive and run the setup script there."),
             (72, 656, 10, body[:90]), (72, 640, 10, body[90:])]
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pages([page1, page2])))
    chapter = writer.add_outline_item("Chapter 1 Introduction", 0)
    writer.add_outline_item("1.1 Installation", 0, parent=chapter)
    writer.add_outline_item("1.2 Running it", 1, parent=chapter)
    out = io.BytesIO()
    writer.write(out)
    path = tmp_path / "manual.pdf"
    path.write_bytes(out.getvalue())
    doc = next(read_path(path, CFG))
    heads = [b.section for b in doc.blocks if b.kind == "title"]
    assert heads == [["Chapter 1 Introduction"], ["Chapter 1 Introduction", "1.1 Installation"],
                     ["Chapter 1 Introduction", "1.2 Running it"]]  # two-line chapter joined; no footnote root
    assert any(b.text.startswith("To install it, unpack") and b.section[-1] == "1.2 Running it" for b in doc.blocks)
    assert not any(b.section and b.section[-1] in ("Property", "3 These parameters are required in latex mode.")
                   for b in doc.blocks)


def test_plain_text_book_contents_front_matter_and_two_line_chapters(tmp_path):
    para = lambda topic: (f"The story of the {topic} goes on for a while, and the narrator tells it at length, "  # noqa: E731
                          "with many words about the sea, the ship and the men aboard her.")
    contents = ["CONTENTS", "CHAPTER 1. Loomings.", "CHAPTER 2. The Carpet-Bag.", "CHAPTER 3. The Spouter-Inn.",
                "Epilogue"]
    body = ["ETYMOLOGY.", para("whale's name"), "EXTRACTS.", para("old books"),
            "CHAPTER 1.", "Loomings.", para("first day"), para("second day"),
            "CHAPTER 2.", "The Carpet-Bag.", para("bag"),
            "CHAPTER 3.", "The Spouter-Inn.", para("inn")]
    text = ("*** START OF THE PROJECT GUTENBERG EBOOK MOBY-DICK ***\n\n" + "\n\n".join(contents + body)
            + "\n\n*** END OF THE PROJECT GUTENBERG EBOOK MOBY-DICK ***\n")
    path = tmp_path / "moby.txt"
    path.write_text(text, encoding="utf-8")
    doc = next(read_path(path, CFG))
    assert [b.text for b in doc.blocks if b.kind == "title"] == [
        "CHAPTER 1. Loomings", "CHAPTER 2. The Carpet-Bag", "CHAPTER 3. The Spouter-Inn"]
    front = [b for b in doc.blocks if "whale's name" in b.text or "old books" in b.text]
    assert front and all(b.section == [] for b in front)  # front matter is not filed under the last chapter
    assert doc.metadata["dropped"]["table_of_contents"] == 4  # "CONTENTS" and its three chapter lines
    assert "CHAPTER 2. The Carpet-Bag." not in doc.text


def test_symbol_rich_code_and_tables_are_not_boilerplate():
    """Found by benchmarks/fidelity.py: three listings of the Python tutorial ("(1, 2, 3) < (1, 2, 4)", the
    Fibonacci loop and its output) were dropped as symbol soup once they stood alone in a chunk."""
    code = "\n".join(["(1, 2, 3)              < (1, 2, 4)", "[1, 2, 3]              < [1, 2, 4]",
                      "'ABC' < 'C' < 'Pascal' < 'Python'", "(1, 2, 3, 4)           < (1, 2, 4)",
                      "(1, 2)                 < (1, 2, -1)", "(1, 2, 3)             == (1.0, 2.0, 3.0)"])
    table = "\n".join(f"No.: {i}; Time: 1:{i:02d}.{i * 7 % 100:02d}; Lap: {i * 3}/{i * 5}" for i in range(1, 9))
    prose = lambda k: f"Sequence objects of kind {k} may be compared to other objects of the same type. " * 6  # noqa: E731
    soup = " ".join(["» « · | ¶ — 1 2 3"] * 5)
    doc = Document.make("a.html", "A", [Block(text=prose(1), section=["A"]), Block(text=code, section=["A"], kind="code"),
                                        Block(text=prose(2), section=["A"]), Block(text=table, section=["A"], kind="table"),
                                        Block(text=prose(3), section=["A"]), Block(text=soup, section=["B"])])
    chunker = Chunker(count_tokens=lambda s: len(s.split()), chunk_tokens=60, overlap=8, min_tokens=4, limit=80)
    chunks, dropped = chunker.chunk(doc)
    lines = {ln for c in chunks for ln in c.text.split("\n")}
    assert set(code.split("\n")) <= lines and set(table.split("\n")) <= lines
    assert dropped == {"boilerplate": 1} and not any("»" in c.text for c in chunks)  # prose soup still goes


def test_pdf_ligature_glyphs_are_read_as_letters(tmp_path):
    """A text layer with ﬁ/ﬂ/ﬃ glyphs (tests/ingest/pdfs.py): none is left in the document, its title or its
    chunks, and the hyphenated "transmogri- ﬁcation" is joined."""
    from pdfminer.high_level import extract_text

    from tests.ingest.pdfs import ligature_pdf

    path = tmp_path / "engine.pdf"
    path.write_bytes(ligature_pdf())
    assert len(re.findall("[\ufb00-\ufb06]", extract_text(str(path)))) == 25  # the fixture carries them
    doc = next(read_path(path, CFG))
    chunker = Chunker(count_tokens=lambda s: len(s.split()), chunk_tokens=40, overlap=4, min_tokens=1, limit=60)
    chunks, _ = chunker.chunk(doc)
    assert not re.search("[\ufb00-\ufb06]", doc.title + doc.text + "".join(c.text for c in chunks))
    assert doc.title == "Configuration of the Workflow Engine"
    assert "The configuration file is specified in the first section" in doc.text
    assert "efficient workflow keeps the offset" in doc.text and "baffling" in doc.text
    assert "the transmogrification of the output" in doc.text
    assert [b.text for b in doc.blocks if b.kind == "title"] == ["2 Defining a Flow"]
