"""Files -> Documents. :func:`discover` expands the paths a user gave; :func:`read_path` reads one file.

| suffix                     | how                                                                     |
|----------------------------|-------------------------------------------------------------------------|
| .pdf                       | unstructured (``[ingest] pdf_strategy``), running heads / TOC removed   |
| .html .htm .xhtml          | boilerplate stripped (clean_html), then unstructured                    |
| .epub                      | spine order, each chapter as HTML; Gutenberg licence stripped           |
| .docx                      | unstructured (heading styles give sections)                             |
| .md .markdown              | decoded by us, then unstructured                                        |
| .txt .text                 | decoded by us (encoding detected), Gutenberg stripped, then unstructured |
| .xml .xml.bz2 (+ any .bz2  | MediaWiki export, streamed: one Document per article (wikipedia.py)     |
|  holding a MediaWiki dump) |                                                                         |

A file that cannot be read raises :class:`groundset.errors.InputError` with one of these reasons: ``not_found``,
``empty_file``, ``unsupported_format``, ``binary_junk``, ``corrupt_pdf``, ``unreadable_encoding``,
``truncated_bz2``, ``malformed_xml``, ``no_text`` (nothing left after cleaning), ``partition_failed``.

>>> docs = list(read_path(Path("notes.md"), IngestConfig()))   # doctest: +SKIP
>>> docs[0].title, docs[0].blocks[0].section                   # doctest: +SKIP
('Notes', ['Notes'])
"""

from __future__ import annotations

import fnmatch
import re
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator

from lxml import etree

from groundset.errors import InputError
from groundset.ingest import partition as up
from groundset.ingest.clean_blocks import blocks_from_layout, blocks_from_markup, drop_empty_headings
from groundset.ingest.clean_html import clean_html
from groundset.ingest.clean_pdf import clean_pdf_parts
from groundset.ingest.config import IngestConfig
from groundset.ingest.text import GUTENBERG_END, GUTENBERG_START, decode_bytes, decode_html_bytes, looks_binary
from groundset.ingest.text import strip_gutenberg
from groundset.records import Block, Document

__all__ = ["discover", "read_path", "file_format", "SUPPORTED_SUFFIXES", "SKIPPED"]

SUPPORTED_SUFFIXES = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".epub": "epub",
    ".docx": "docx",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".xml": "wikipedia",
    ".bz2": "wikipedia",
}


SKIPPED = "skipped"  # InputError.reason of an unsupported file found inside a directory: listed, not a failure


def file_format(path: Path) -> str | None:
    """The reader a file goes to, from its suffix ('pdf', 'html', ...), or None when unsupported."""
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def _matches(rel: str, name: str, patterns: Iterable[str]) -> bool:
    for pat in patterns:
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatch(rel, pat[3:]):
            return True
    return False


def discover(
    paths: list[Path], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[list[Path], list[InputError]]:
    """Files and directories -> (files to read, errors), deterministic and without duplicates.

    Directories are walked recursively in sorted order, skipping hidden files and directories (``.git``).
    ``include`` / ``exclude`` are glob patterns matched against the path relative to the directory given and
    against the file name (``*.html``, ``drafts/*``, ``**/index.html``); a file given by name is kept even when it
    does not match ``include`` but ``exclude`` still applies. A path that does not exist comes back as
    ``InputError(reason="not_found")``. A file of an unsupported type comes back as an error too, never silently
    dropped: ``reason="unsupported_format"`` when it was named on its own (the user asked for it: a failure), and
    ``reason="skipped"`` when it was met while walking a directory (a ``.css`` or ``.png`` beside the documents:
    listed in the report, not a failure).
    """
    include, exclude = tuple(include), tuple(exclude)
    files: list[Path] = []
    errors: list[InputError] = []
    seen: set[Path] = set()

    def add(path: Path, rel: str, explicit: bool) -> None:
        key = path.resolve()
        if key in seen:
            return
        if exclude and _matches(rel, path.name, exclude):
            return
        if include and not explicit and not _matches(rel, path.name, include):
            return
        seen.add(key)
        if file_format(path) is None:
            errors.append(
                InputError(str(path), "unsupported_format" if explicit else SKIPPED,
                           f"'{path.suffix or path.name}' files are not read; supported: "
                           + " ".join(sorted(SUPPORTED_SUFFIXES)) + " (use [ingest] exclude to skip them quietly)")
            )
        else:
            files.append(path)

    for given in paths:
        given = Path(given)
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                rel = path.relative_to(given)
                if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                    continue
                add(path, rel.as_posix(), explicit=False)
        elif given.is_file():
            add(given, given.name, explicit=True)
        else:
            errors.append(InputError(str(given), "not_found", "no such file or directory; check the path"))
    return files, errors


def read_path(path: Path, cfg: IngestConfig) -> Iterator[Document]:
    """One file -> Documents: one for most files; one per article for a Wikipedia dump, streamed page by page.

    Raises InputError (see the module docstring). For a dump that breaks mid-stream, the Documents already yielded
    stay valid and the InputError comes after them.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputError(source, "not_found", "no such file; check the path")
    if path.is_dir():
        raise InputError(source, "unsupported_format", "a directory: pass it to discover() to read its files")
    fmt = file_format(path)
    if fmt is None:
        raise InputError(source, "unsupported_format", f"'{path.suffix or path.name}' files are not read")
    if path.stat().st_size == 0:
        raise InputError(source, "empty_file", "the file is empty; remove it or add content")
    if fmt == "wikipedia":
        from groundset.ingest.wikipedia import read_dump

        yield from read_dump(path)
        return
    if fmt in ("epub", "docx") and not zipfile.is_zipfile(path):
        raise _not_a_container(path, fmt)
    reader = {"pdf": _read_pdf, "html": _read_html, "epub": _read_epub, "docx": _read_docx,
              "markdown": _read_markdown, "text": _read_text}[fmt]
    try:
        title, blocks, metadata = reader(path, cfg)
    except up.PartitionError as e:
        raise InputError(source, "partition_failed", f"unstructured could not read it: {e}"[:500]) from e
    blocks, empty = drop_empty_headings(blocks)
    if empty:
        metadata["dropped"] = _dropped(Counter(metadata.get("dropped", {})), Counter(empty_heading=empty))
    if not blocks:
        hint = " (a scanned PDF has no text layer: try [ingest] pdf_strategy = \"ocr_only\")" if fmt == "pdf" else ""
        raise InputError(source, "no_text", f"nothing readable was left after cleaning{hint}")
    yield Document.make(source, title or path.stem, blocks, format=fmt, **metadata)


def _head(path: Path, n: int = 8192) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


def _not_a_container(path: Path, fmt: str) -> InputError:
    head = _head(path)
    if looks_binary(head):
        return InputError(str(path), "binary_junk", f"not a .{fmt} file (not a zip container)")
    return InputError(str(path), "unsupported_format", f"not a .{fmt} file (not a zip container); is it plain text?")


# ---------------------------------------------------------------------------------------------------- formats
_Read = tuple[str | None, list[Block], dict[str, Any]]


def _dropped(*counters: Counter) -> dict[str, int]:
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return {k: v for k, v in sorted(total.items()) if v}


def _read_pdf(path: Path, cfg: IngestConfig) -> _Read:
    head = _head(path, 1024)
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
    parts, dropped = clean_pdf_parts(parts, up.english_words().__contains__)
    blocks = blocks_from_layout(parts)
    title = info.get("title") or next((b.text for b in blocks if b.kind == "title"), None)
    meta = {"pages": info.get("pages"), "dropped": _dropped(dropped)}
    if info.get("author"):
        meta["author"] = info["author"]
    return title, blocks, meta


_JUNK_PDF_TITLE = re.compile(r"^(untitled|microsoft word - .*|document\d*|.*\.(docx?|pdf|tex|dvi))$", re.I)


def _pdf_info(path: Path) -> dict[str, Any]:
    """Page count, title and author from the PDF itself (pypdf); raises corrupt_pdf when it has no readable pages."""
    import logging

    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        pages = len(reader.pages)
        meta = reader.metadata or {}
        title = str(meta.get("/Title") or "").strip()
        author = str(meta.get("/Author") or "").strip()
    except Exception as e:  # pypdf raises PdfReadError, ValueError, KeyError... on broken files
        raise InputError(str(path), "corrupt_pdf", f"the PDF cannot be parsed ({type(e).__name__}: {e})"[:300]) from e
    if pages == 0:
        raise InputError(str(path), "corrupt_pdf", "the PDF has no pages")
    return {"pages": pages, "title": None if not title or _JUNK_PDF_TITLE.match(title) else title, "author": author}


def _html_parts(html: str) -> tuple[list[up.Part], str | None, Counter]:
    page = clean_html(html)
    return up.partition_html(page.html), page.title, page.removed


def _strip_gutenberg_parts(parts: list[up.Part], dropped: Counter) -> list[up.Part]:
    """Drop the parts before a Gutenberg START marker and from the END marker on (HTML / EPUB editions)."""
    start = next((i for i, p in enumerate(parts) if GUTENBERG_START.search(p.text)), None)
    if start is None:
        return parts
    end = next((i for i in range(start + 1, len(parts)) if GUTENBERG_END.search(parts[i].text)), len(parts))
    dropped["gutenberg_boilerplate"] += start + 1 + len(parts) - end
    return parts[start + 1 : end]


def _read_html(path: Path, cfg: IngestConfig) -> _Read:
    raw = path.read_bytes()
    if looks_binary(raw) and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(str(path), "binary_junk", "the file holds binary data, not HTML")
    html, encoding = decode_html_bytes(raw, str(path))
    parts, title, removed = _html_parts(html)
    dropped: Counter = Counter()
    if cfg.strip_gutenberg:
        parts = _strip_gutenberg_parts(parts, dropped)
    return title, blocks_from_markup(parts), {"encoding": encoding, "dropped": _dropped(removed, dropped)}


def _read_markdown(path: Path, cfg: IngestConfig) -> _Read:
    text, encoding = decode_bytes(path.read_bytes(), str(path))
    title = None
    front = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if front:
        text = text[front.end() :]
        m = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", front.group(1), re.M)
        title = m.group(1) if m else None
    blocks = blocks_from_markup(up.partition_markdown(text))
    return title or _first_heading(blocks), blocks, {"encoding": encoding}


def _read_text(path: Path, cfg: IngestConfig) -> _Read:
    text, encoding = decode_bytes(path.read_bytes(), str(path))
    fields: dict[str, str] = {}
    if cfg.strip_gutenberg:
        text, fields = strip_gutenberg(text)
    meta: dict[str, Any] = {"encoding": encoding}
    if fields:
        meta["gutenberg"] = True
        meta.update({k: v for k, v in fields.items() if k in ("author", "language")})
    return fields.get("title"), blocks_from_layout(up.partition_text(text)), meta


def _read_docx(path: Path, cfg: IngestConfig) -> _Read:
    blocks = blocks_from_markup(up.partition_docx(path))
    title = None
    try:
        with zipfile.ZipFile(path) as z:
            core = etree.fromstring(z.read("docProps/core.xml"))
        title = (core.findtext("{http://purl.org/dc/elements/1.1/}title") or "").strip() or None
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile):
        pass
    return title or _first_heading(blocks), blocks, {}


def _first_heading(blocks: list[Block]) -> str | None:
    titles = [b for b in blocks if b.kind == "title"]
    if not titles:
        return None
    return min(titles, key=lambda b: len(b.section)).text


_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"


def _read_epub(path: Path, cfg: IngestConfig) -> _Read:
    """EPUB 2/3: the OPF spine gives the chapter order; files outside it (cover pages excepted, calibre bookmarks,
    stylesheets, images) are never read."""
    src = str(path)
    try:
        with zipfile.ZipFile(path) as z:
            container = etree.fromstring(z.read("META-INF/container.xml"))
            rootfile = container.find(".//{*}rootfile")
            opf_path = rootfile.get("full-path") if rootfile is not None else None
            if not opf_path:
                raise InputError(src, "partition_failed", "not a valid EPUB: container.xml names no package file")
            opf = etree.fromstring(z.read(opf_path))
            base = PurePosixPath(opf_path).parent
            manifest = {it.get("id"): it for it in opf.iter(f"{_OPF}item")}
            title = (opf.findtext(f".//{_DC}title") or "").strip() or None
            author = (opf.findtext(f".//{_DC}creator") or "").strip()
            parts: list[up.Part] = []
            removed: Counter = Counter()
            chapters = spine = 0
            for ref in opf.iter(f"{_OPF}itemref"):
                item = manifest.get(ref.get("idref"))
                if item is None or "html" not in (item.get("media-type") or ""):
                    continue
                name = str(base / item.get("href")) if str(base) != "." else item.get("href")
                try:
                    html, _ = decode_html_bytes(z.read(name.split("#")[0]), f"{src}!{name}")
                except InputError:  # an empty or undecodable chapter file: count it, read the others
                    removed["unreadable_chapter"] += 1
                    continue
                chapter, _, gone = _html_parts(html)
                removed.update(gone)
                parts.extend(chapter)
                spine += 1
                chapters += any(p.text.strip() and p.kind not in ("image", "page_break") for p in chapter)
    except InputError:
        raise
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, ValueError) as e:
        raise InputError(src, "partition_failed", f"not a valid EPUB ({type(e).__name__}: {e})"[:300]) from e
    dropped: Counter = Counter()
    if cfg.strip_gutenberg:
        parts = _strip_gutenberg_parts(parts, dropped)
    meta: dict[str, Any] = {"spine_items": spine, "chapters": chapters, "dropped": _dropped(removed, dropped)}
    if author:
        meta["author"] = author
    return title, blocks_from_markup(parts), meta
