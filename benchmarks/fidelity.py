"""Text fidelity of ingest on ../shared/corpus: is the structure kept (headings, tables, code lines), is the text
clean (ligatures), do chunks start and end on whole tokens?

    .venv/bin/python benchmarks/fidelity.py [--corpus ../shared/corpus] [--json OUT]

For a before/after comparison, run the same script against another checkout of the package:

    git archive 6394f8d groundset | tar -x -C /tmp/before && PYTHONPATH=/tmp/before .venv/bin/python benchmarks/fidelity.py

Per file (per dump for Wikipedia), with chunks cut by the bundled MiniLM tokenizer at the default size:

- ``outline``: PDF bookmarks (pypdf) found as heading blocks, e.g. ``180/208`` (titles compared without spaces/case);
  ``outline_without_bookmarks``: the same, reading a copy of the PDF without its bookmarks (pages and metadata
  only), where headings come from the layout, the numbering and the contents pages;
- ``tables``: tables in the source (``<table>``, ``{|``, infoboxes) / table blocks kept / source table cells whose
  text is found in the chunks;
- ``code lines``: lines of monospace text boxes (PDF) or ``<pre>`` lines (HTML) / of them found whole as a line of a
  chunk;
- ``ligatures``: characters U+FB00-FB06 left in the chunks (PDFs: ``ligatures_in_source``, those of the text
  layer as pdfminer reads it). The shared corpus has none, so a last row reads a PDF made here whose text layer
  carries 25 ligature glyphs (``tests/ingest/pdfs.py``, as LaTeX-made manuals do); ``--no-fixture`` leaves it out;
- ``chapters`` (plain-text books): distinct "Chapter N" / "Letter N" / "Book N" / "Part N" lines of the file found
  as headings, out of those in the file (its contents list repeats them: counted once);
- ``mid-token``: chunks whose first or last word is not a whole word of the document text (a boundary inside
  ``0.2`` or ``myfile.xml``), out of all chunks.
"""

from __future__ import annotations

import argparse
import bz2
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: a checkout given there is the one measured

from groundset.ingest.chunk import Chunker  # noqa: E402
from groundset.ingest.config import EmbedConfig, IngestConfig  # noqa: E402
from groundset.ingest.readers import discover, read_path  # noqa: E402

_LIG = re.compile("[\ufb00-\ufb06]")
_CHAPTER = re.compile(r"^\s*(chapter|letter|book|part)\s+([0-9]+|[ivxlcdm]+)\b", re.I | re.M)
_SQ = re.compile(r"\W+")


def _sq(text: str) -> str:
    return _SQ.sub("", text).lower()


def _outline(pdf: Path) -> list[str]:
    import pypdf

    def walk(items):
        for it in items:
            if isinstance(it, list):
                yield from walk(it)
            else:
                yield str(it.title)

    try:
        return list(walk(pypdf.PdfReader(str(pdf)).outline))
    except Exception:  # noqa: BLE001 - no outline
        return []


def _without_bookmarks(pdf: Path, out: Path) -> Path:
    """A copy of ``pdf`` with its pages and metadata but no outline."""
    import pypdf

    reader = pypdf.PdfReader(str(pdf))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.add_metadata({k: v for k, v in (reader.metadata or {}).items() if isinstance(v, str)})
    copy = out / pdf.name
    with copy.open("wb") as f:
        writer.write(f)
    return copy


def _pdf_code_lines(pdf: Path) -> tuple[list[str], int]:
    """Lines of the PDF's monospace text boxes (pdfminer), independent of the reader under test, and the ligature
    characters of its whole text layer."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine

    lines = []
    ligatures = 0
    for page in extract_pages(str(pdf), laparams=LAParams()):
        for box in page:
            if not isinstance(box, LTTextBox):
                continue
            for line in box:
                if not isinstance(line, LTTextLine):
                    continue
                ligatures += len(_LIG.findall(line.get_text()))
                chars = [c for c in line if isinstance(c, LTChar) and not c.get_text().isspace()]
                if len(chars) >= 4 and all("courier" in c.fontname.lower() or "mono" in c.fontname.lower()
                                           for c in chars):
                    lines.append(line.get_text().strip())
    return lines, ligatures


def _html_tables_and_pre(path: Path) -> tuple[int, list[str], list[str]]:
    import lxml.html

    doc = lxml.html.fromstring(path.read_bytes())
    cells = [" ".join(td.text_content().split()) for td in doc.iter("td")]
    pre = [ln.strip() for el in doc.iter("pre") for ln in el.text_content().split("\n") if len(ln.strip()) > 3]
    return len(list(doc.iter("table"))), [c for c in cells if len(c) > 3], pre


def _wiki_tables(path: Path) -> tuple[int, int]:
    text = bz2.open(path).read().decode("utf-8", "replace")
    return text.count("{|"), len(re.findall(r"\{\{\s*[Ii]nfobox", text))


def measure(path: Path, docs: list, chunks: list) -> dict:
    words = {w for d in docs for b in d.blocks for w in b.text.split()}
    chunk_lines = {ln.strip() for c in chunks for ln in c.text.split("\n")}
    chunk_sq = _sq(" ".join(c.text for c in chunks))
    row = {"file": path.name, "documents": len(docs), "chunks": len(chunks),
           "title": docs[0].title if len(docs) == 1 else f"{len(docs)} titles",
           "ligatures": sum(len(_LIG.findall(c.text)) for c in chunks),
           "mid_token": sum(1 for c in chunks if c.text.split() and
                            (c.text.split()[0] not in words or c.text.split()[-1] not in words)),
           "table_blocks": sum(1 for d in docs for b in d.blocks if b.kind == "table"),
           "code_blocks": sum(1 for d in docs for b in d.blocks if b.kind == "code")}
    heads = {_sq(b.text) for d in docs for b in d.blocks if b.kind == "title"}
    if path.suffix == ".pdf":
        outline = _outline(path)
        row["outline"] = f"{sum(1 for t in outline if _sq(t) in heads)}/{len(outline)}"
        if outline:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                bare = [b for d in read_path(_without_bookmarks(path, Path(tmp)), IngestConfig()) for b in d.blocks]
            found = {_sq(b.text) for b in bare if b.kind == "title"}
            row["outline_without_bookmarks"] = f"{sum(1 for t in outline if _sq(t) in found)}/{len(outline)}"
        code, row["ligatures_in_source"] = _pdf_code_lines(path)
        row["code_lines"] = f"{sum(1 for ln in code if ln in chunk_lines)}/{len(code)}"
    elif path.suffix == ".html":
        tables, cells, pre = _html_tables_and_pre(path)
        row["tables_in_source"] = tables
        row["table_cells_kept"] = f"{sum(1 for c in cells if _sq(c) in chunk_sq)}/{len(cells)}"
        row["code_lines"] = f"{sum(1 for ln in pre if ln in chunk_lines)}/{len(pre)}"
    elif path.suffix == ".txt":
        source = {(m.group(1).lower(), m.group(2).lower())
                  for m in _CHAPTER.finditer(path.read_bytes().decode("utf-8", "replace"))}
        found = {(m.group(1).lower(), m.group(2).lower())
                 for d in docs for b in d.blocks if b.kind == "title" for m in [_CHAPTER.match(b.text)] if m}
        row["chapters"] = f"{len(source & found)}/{len(source)}"
    elif path.suffix == ".bz2":
        tables, infoboxes = _wiki_tables(path)
        row["tables_in_source"] = f"{tables} tables + {infoboxes} infoboxes"
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    ap.add_argument("--no-fixture", action="store_true", help="leave out the PDF with ligature glyphs made here")
    args = ap.parse_args()
    from groundset.embed import load_embedder

    import groundset

    print(f"package measured: {Path(groundset.__file__).parent}")
    emb = load_embedder(EmbedConfig())
    cfg = IngestConfig()
    chunker = Chunker.for_embedder(emb, cfg.chunk_tokens, cfg.chunk_overlap, cfg.min_chunk_tokens)
    files, _ = discover([args.corpus / d for d in ("html", "pdf", "books", "wikipedia")])
    if not args.no_fixture:
        import tempfile

        from tests.ingest.pdfs import ligature_pdf

        fixture = Path(tempfile.mkdtemp(prefix="fidelity-")) / "ligature-fixture.pdf"
        fixture.write_bytes(ligature_pdf())
        files.append(fixture)
    rows = []
    for f in files:
        docs = list(read_path(f, cfg))
        chunks = [c for d in docs for c in chunker.chunk(d)[0]]
        rows.append(measure(f, docs, chunks))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    if not args.no_fixture:
        import shutil

        shutil.rmtree(fixture.parent, ignore_errors=True)
    html = [r for r in rows if r["file"].endswith(".html")]
    total = lambda key: [sum(int(r[key].split("/")[i]) for r in html) for i in (0, 1)]  # noqa: E731
    print("\nhtml (17 pages): table cells kept {}/{}, <pre> lines kept whole {}/{}; mid-token chunks {}/{}".format(
        *total("table_cells_kept"), *total("code_lines"), sum(r["mid_token"] for r in html),
        sum(r["chunks"] for r in html)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
