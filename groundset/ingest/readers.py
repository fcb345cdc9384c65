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
``dangling_link``, ``symlink_loop``, ``not_a_regular_file``, ``permission_denied`` (see discover.py),
``empty_file``, ``too_large`` (over ``[ingest] max_file_mb``), ``zip_bomb`` (a .docx / .epub that expands past
it, more than 100x), ``unsupported_format``, ``binary_junk``,
``corrupt_pdf``, ``encrypted_pdf``, ``unreadable_encoding``, ``truncated_bz2``, ``corrupt_bz2``, ``malformed_xml``,
``no_text`` (nothing left after cleaning), ``partition_failed``.

Memory stays bounded: .txt / .md files from ``STREAM_BYTES`` on are decoded piece by piece and become one Document
per segment (``path#part-0001``, ...); every paragraph is cut to ``MAX_BLOCK_CHARS`` before unstructured sees it;
any other file over ``[ingest] max_file_mb`` fails with ``too_large`` before it is opened.

>>> docs = list(read_path(Path("notes.md"), IngestConfig()))   # doctest: +SKIP
>>> docs[0].title, docs[0].blocks[0].section                   # doctest: +SKIP
('Notes', ['Notes'])
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from lxml import etree

from groundset.errors import InputError
from groundset.ingest import partition as up
from groundset.ingest.clean_blocks import blocks_from_layout, blocks_from_markup, drop_empty_headings
from groundset.ingest.clean_html import clean_html
from groundset.ingest.config import IngestConfig
from groundset.ingest.discover import SKIPPED, SUPPORTED_SUFFIXES, Skipped, check_entry, discover, file_format
from groundset.ingest.encoding import iter_decoded
from groundset.ingest.read_pdf import read_pdf
from groundset.ingest.text import GUTENBERG_END, GUTENBERG_START, decode_html_bytes, decode_text, looks_binary
from groundset.ingest.text import cap_paragraphs, strip_gutenberg
from groundset.records import Block, Document

__all__ = ["discover", "read_path", "file_format", "streams", "Skipped", "SUPPORTED_SUFFIXES", "SKIPPED"]

STREAM_BYTES = 16 << 20  # .txt / .md files from this size on are read piece by piece, one Document per segment
SEGMENT_CHARS = 4 << 20  # characters of one Document of a streamed file
MAX_BLOCK_CHARS = 20_000  # a paragraph longer than this is cut (at sentence ends) before unstructured sees it
PARTITION_CHARS = 1 << 20  # characters unstructured partitions at a time


def streams(path: Path) -> bool:
    """True for a file read in constant memory, Document by Document: Wikipedia dumps, large .txt / .md files."""
    fmt = file_format(path)
    if fmt == "wikipedia":
        return True
    try:
        return fmt in ("text", "markdown") and path.stat().st_size >= STREAM_BYTES
    except OSError:
        return False


def read_path(path: Path, cfg: IngestConfig) -> Iterator[Document]:
    """One file -> Documents: one for most files; one per article for a Wikipedia dump, streamed page by page.

    Raises InputError (see the module docstring). For a dump that breaks mid-stream, the Documents already yielded
    stay valid and the InputError comes after them.
    """
    path = Path(path)
    source = str(path)
    problem = check_entry(path)
    if problem is not None:
        raise problem
    if path.is_dir():
        raise InputError(source, "unsupported_format", "a directory: pass it to discover() to read its files")
    fmt = file_format(path)
    if fmt is None:
        raise InputError(source, "unsupported_format", f"'{path.suffix or path.name}' files are not read")
    size = path.stat().st_size
    if size == 0:
        raise InputError(source, "empty_file", "the file is empty; remove it or add content")
    if fmt == "wikipedia":
        from groundset.ingest.wikipedia import read_dump

        yield from read_dump(path)
        return
    if size > cfg.max_file_mb * 1e6:
        raise InputError(source, "too_large", f"{size / 1e6:,.1f} MB is over [ingest] max_file_mb = {cfg.max_file_mb:g}; "
                         "raise the limit or split the file (files other than .txt / .md are parsed whole and need "
                         "several times their size in memory)")
    if streams(path):
        yield from _read_segments(path, cfg, fmt)
        return
    if fmt in ("epub", "docx"):
        if not zipfile.is_zipfile(path):
            raise _not_a_container(path, fmt)
        _check_expanded_size(path, cfg)
    reader = {"pdf": read_pdf, "html": _read_html, "epub": _read_epub, "docx": _read_docx,
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


def _check_expanded_size(path: Path, cfg: IngestConfig) -> None:
    """A .docx / .epub is a zip: what it expands to must fit ``[ingest] max_file_mb`` too (zip bombs)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InputError(str(path), "partition_failed", f"a damaged zip container ({e})"[:300]) from e
    expanded = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if expanded > cfg.max_file_mb * 1e6:
        bomb = expanded / packed > 100
        raise InputError(str(path), "zip_bomb" if bomb else "too_large",
                         f"it expands to {expanded / 1e6:,.0f} MB ({expanded / packed:,.0f}x its size), over [ingest] "
                         f"max_file_mb = {cfg.max_file_mb:g}" + ("; a zip bomb or a damaged file" if bomb else
                                                                  "; raise the limit or split the file"))


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


def _partition_in_pieces(partition, text: str) -> list[up.Part]:
    """unstructured needs ~80x the text's size in memory while it partitions: feed it ``PARTITION_CHARS`` at a time
    (cut at paragraph breaks), paragraphs capped at ``MAX_BLOCK_CHARS``."""
    parts: list[up.Part] = []
    for piece in _segments(iter([text]), PARTITION_CHARS):
        parts.extend(partition(cap_paragraphs(piece, MAX_BLOCK_CHARS)))
    return parts


def _markdown_blocks(text: str) -> list[Block]:
    return blocks_from_markup(_partition_in_pieces(up.partition_markdown, text))


def _text_blocks(text: str, dropped: Counter | None = None) -> list[Block]:
    return blocks_from_layout(_partition_in_pieces(up.partition_text, text), dropped=dropped)


def _read_markdown(path: Path, cfg: IngestConfig) -> _Read:
    text, encoding, notes = decode_text(path.read_bytes(), str(path))
    title = None
    front = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if front:
        text = text[front.end() :]
        m = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", front.group(1), re.M)
        title = m.group(1) if m else None
    blocks = _markdown_blocks(text)
    return title or _first_heading(blocks), blocks, _encoding_meta(encoding, notes)


def _encoding_meta(encoding: str, notes: list[str]) -> dict[str, Any]:
    return {"encoding": encoding, **({"notes": notes} if notes else {})}


def _read_text(path: Path, cfg: IngestConfig) -> _Read:
    text, encoding, notes = decode_text(path.read_bytes(), str(path))
    fields: dict[str, str] = {}
    if cfg.strip_gutenberg:
        text, fields = strip_gutenberg(text)
    meta = _encoding_meta(encoding, notes)
    if fields:
        meta["gutenberg"] = True
        meta.update({k: v for k, v in fields.items() if k in ("author", "language")})
    dropped: Counter = Counter()
    blocks = _text_blocks(text, dropped)
    meta["dropped"] = _dropped(dropped)
    return fields.get("title"), blocks, meta


def _segments(pieces: Iterator[str], chars: int) -> Iterator[str]:
    """Text pieces -> segments of about ``chars`` characters, cut at a paragraph break where there is one."""
    buf: list[str] = []
    size = 0
    for piece in pieces:
        buf.append(piece)
        size += len(piece)
        while size >= chars:
            text = "".join(buf)
            cut = text.rfind("\n\n", chars // 2, chars)
            cut = chars if cut < 0 else cut + 2
            yield text[:cut]
            buf, size = [text[cut:]], len(text) - cut
    if size:
        yield "".join(buf)


def _read_segments(path: Path, cfg: IngestConfig, fmt: str) -> Iterator[Document]:
    """A large .txt / .md file, in constant memory: one Document per segment of ``SEGMENT_CHARS`` characters,
    with source ``f"{path}#part-0001"``; headings are found within each segment. Gutenberg boilerplate is not
    stripped here (no Gutenberg book comes near ``STREAM_BYTES``)."""
    encoding, notes, pieces = iter_decoded(path)
    blocks_of = _markdown_blocks if fmt == "markdown" else _text_blocks
    produced = 0
    for k, segment in enumerate(_segments(pieces, SEGMENT_CHARS), 1):
        blocks, empty = drop_empty_headings(blocks_of(segment))
        if not blocks:
            continue
        meta = _encoding_meta(encoding, notes)
        if empty:
            meta["dropped"] = {"empty_heading": empty}
        produced += 1
        yield Document.make(f"{path}#part-{k:04d}", f"{path.stem} (part {k})", blocks, format=fmt, segment=k,
                            streamed=True, **meta)
    if not produced:
        raise InputError(str(path), "no_text", "nothing readable was left after cleaning")


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
