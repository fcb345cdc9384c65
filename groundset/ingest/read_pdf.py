"""PDF files -> title, blocks and metadata: unstructured's partition (partition.py), running heads and contents
pages removed (clean_pdf.py), code boxes restored with their lines (pdf_code.py), headings from the PDF's own
bookmarks when it has them, else confirmed by its contents pages (clean_blocks.py), title / author / page count / outline from pypdf; without a useful
metadata title, the title set on the first page (pdf_title.py), else none (the reader uses the file name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from groundset.errors import InputError
from groundset.ingest import partition as up
from groundset.ingest.clean_blocks import blocks_from_layout
from groundset.ingest.clean_pdf import clean_pdf_parts, contents_entries
from groundset.ingest.config import IngestConfig
from groundset.ingest.encoding import looks_binary
from groundset.ingest.pdf_title import first_page_title, running_keys, useful_title
from groundset.ingest.text import clean_text
from groundset.records import Block

__all__ = ["read_pdf"]


def _head(path: Path, n: int = 1024) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


def read_pdf(path: Path, cfg: IngestConfig) -> tuple[str | None, list[Block], dict[str, Any]]:
    """A PDF -> (title, blocks, metadata); raises InputError ``binary_junk``, ``corrupt_pdf``, ``encrypted_pdf``,
    ``partition_failed``."""
    head = _head(path)
    if b"%PDF-" not in head:
        if looks_binary(head):
            raise InputError(str(path), "binary_junk", "not a PDF (no %PDF header): binary data of another kind")
        raise InputError(str(path), "corrupt_pdf", "not a PDF (no %PDF header); check the file's real type")
    info = _pdf_info(path)
    try:
        parts = up.partition_pdf(path, cfg.pdf_strategy)
    except up.PartitionError as e:
        if cfg.pdf_strategy != "fast":
            raise InputError(str(path), "partition_failed",
                             f"[ingest] pdf_strategy = '{cfg.pdf_strategy}' failed (hi_res downloads a layout model, "
                             f"ocr_only needs tesseract and poppler); 'fast' works offline: {e}"[:500]) from e
        raise InputError(str(path), "corrupt_pdf", f"the PDF cannot be parsed: {e}"[:500]) from e
    title = useful_title(info.get("title"), path) or _first_page_title(path, parts)
    title = clean_text(title) if title else None  # the page's own text: ligatures as in the blocks
    contents = None if info.get("outline") else contents_entries(parts)
    parts, restored = _restore_code(path, parts)
    parts, dropped = clean_pdf_parts(parts, up.english_words().__contains__)
    blocks = blocks_from_layout(parts, outline=info.get("outline"), contents=contents)
    meta = {"pages": info.get("pages"), "dropped": {k: v for k, v in sorted(dropped.items()) if v}, "code_blocks": restored}
    if info.get("author"):
        meta["author"] = info["author"]
    return title, blocks, meta


def _first_page_title(path: Path, parts: list[up.Part]) -> str | None:
    """The largest-font line(s) of page 1 (pdf_title.py), running headers (texts repeated on other pages) excluded."""
    if not any(p.page == 1 for p in parts):
        return None
    from groundset.ingest.pdf_code import page_lines

    by_page: dict[int | None, list[str]] = {}
    for p in parts:
        by_page.setdefault(p.page, []).append(p.text)
    return first_page_title(page_lines(path, 1), running_keys(by_page))


def _restore_code(path: Path, parts: list[up.Part]) -> tuple[list[up.Part], int]:
    """Parts that are a monospace text box of the PDF become ``code`` parts with their lines and indentation back
    (pdf_code.py); only pages with code-looking text are read again. Returns (parts, how many were restored)."""
    from dataclasses import replace

    from groundset.ingest.clean_blocks import looks_like_code
    from groundset.ingest.pdf_code import code_boxes, squeeze

    pages = {p.page for p in parts if p.page and p.kind in ("text", "list", "code") and looks_like_code(p.text)}
    boxes = {page: {sq: (text, n) for sq, text, n in found} for page, found in code_boxes(path, pages).items()}
    out: list[up.Part] = []
    restored, last = 0, None
    for p in parts:
        hit = boxes.get(p.page, {}).get(squeeze(p.text)) if p.kind in ("text", "list", "code", "title") else None
        if hit is None:
            out.append(p)
            last = None
            continue
        text, listing = hit
        if last == (p.page, listing):  # the next box of the same listing: one code block
            out[-1] = replace(out[-1], text=f"{out[-1].text}\n{text}", bottom=p.bottom)
        else:
            out.append(replace(p, kind="code", text=text))
            restored += 1
        last = (p.page, listing)
    return out, restored


def _pdf_info(path: Path) -> dict[str, Any]:
    """Page count, title and author from the PDF itself (pypdf); raises corrupt_pdf when it has no readable pages."""
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):  # an owner password alone does not stop reading
            raise InputError(str(path), "encrypted_pdf", "the PDF is protected by a password: decrypt it first, e.g. "
                             "`qpdf --decrypt --password=PASSWORD in.pdf out.pdf`, and ingest the copy")
        pages = len(reader.pages)
        meta = reader.metadata or {}
        title = str(meta.get("/Title") or "").strip()
        author = str(meta.get("/Author") or "").strip()
        outline = _outline(reader)
    except InputError:
        raise
    except Exception as e:  # pypdf raises PdfReadError, ValueError, KeyError... on broken files
        if type(e).__name__ in ("FileNotDecryptedError", "DependencyError"):  # e.g. AES without `cryptography`
            raise InputError(str(path), "encrypted_pdf", f"the PDF is encrypted and cannot be opened ({e}): decrypt it "
                             "first, e.g. `qpdf --decrypt in.pdf out.pdf`") from e
        raise InputError(str(path), "corrupt_pdf", f"the PDF cannot be parsed ({type(e).__name__}: {e})"[:300]) from e
    if pages == 0:
        raise InputError(str(path), "corrupt_pdf", "the PDF has no pages")
    return {"pages": pages, "title": title or None, "author": author, "outline": outline}


def _outline(reader) -> list[tuple[int, str]]:
    """The PDF's bookmarks as (level, title), level 1 outermost; [] when it has none or they cannot be read."""
    out: list[tuple[int, str]] = []

    def walk(items, level: int) -> None:
        for it in items:
            if isinstance(it, list):
                walk(it, level + 1)
            elif str(getattr(it, "title", "") or "").strip():
                out.append((level, " ".join(str(it.title).split())))

    try:
        walk(reader.outline, 1)
    except Exception:  # noqa: BLE001 - a broken outline is no outline
        return []
    return out if len(out) >= 3 else []
