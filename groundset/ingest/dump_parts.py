"""Split one Wikipedia dump into parts that many workers read at once, with the same Documents as one reader.

- A plain ``.xml`` dump is cut into byte ranges of about ``part_bytes``, each moved forward to the next ``<page>``
  (wikitext is XML-escaped, so ``<page>`` only occurs as a tag): part k reads the pages that start in its range.
- A multistream ``.xml.bz2`` (``…-multistream.xml.bz2``) with its index beside it (``…-multistream-index.txt.bz2``,
  lines ``offset:page_id:title``) is cut at stream offsets: each bzip2 stream of 100 pages decompresses on its own.
- Any other ``.bz2`` cannot be entered in the middle: it is one part, read from the start.

A part's pages are wrapped in a ``<mediawiki>`` root and parsed by ``wikipedia.page_documents``, so the source
(``dump#title``), the text and hence the Document and Chunk ids are those of ``wikipedia.read_dump``.

>>> parts = dump_parts(Path("enwiki.xml"), part_bytes=64 << 20)       # doctest: +SKIP
>>> [p.label for p in parts][:2]                                      # doctest: +SKIP
['bytes 1234-67110000', 'bytes 67110000-134220000']
>>> docs = list(read_part(parts[1]))                                  # doctest: +SKIP
"""

from __future__ import annotations

import bz2
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from groundset.errors import InputError
from groundset.records import Document

__all__ = ["DumpPart", "dump_parts", "read_part", "multistream_index"]

_PAGE = b"<page>"
_SCAN = 1 << 20


@dataclass(frozen=True)
class DumpPart:
    """Bytes ``[start, end)`` of ``path`` (``end`` None: to the end). ``kind``: xml | multistream | whole."""

    path: str
    kind: str
    start: int = 0
    end: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "whole":
            return "whole file"
        return f"bytes {self.start}-{self.end if self.end is not None else 'end'}"


def multistream_index(path: Path) -> Path | None:
    """The index beside a multistream dump (``X-multistream.xml.bz2`` → ``X-multistream-index.txt.bz2``), if any."""
    name = path.name
    if not name.endswith(".xml.bz2"):
        return None
    candidate = path.with_name(name[: -len(".xml.bz2")] + "-index.txt.bz2")
    return candidate if candidate.is_file() else None


def _next_page(f, pos: int, size: int) -> int:
    """The offset of the first ``<page>`` at or after ``pos`` (``size`` when there is none)."""
    f.seek(pos)
    carry = b""
    base = pos
    while base < size:
        block = f.read(_SCAN)
        if not block:
            break
        data = carry + block
        i = data.find(_PAGE)
        if i != -1:
            return base - len(carry) + i
        carry = data[-(len(_PAGE) - 1):]
        base += len(block)
    return size


def _xml_parts(path: Path, part_bytes: int) -> list[DumpPart]:
    size = path.stat().st_size
    with path.open("rb") as f:
        first = _next_page(f, 0, size)
        cuts = [first]
        pos = first + part_bytes
        while pos < size:
            nxt = _next_page(f, pos, size)
            if nxt >= size:
                break
            if nxt > cuts[-1]:
                cuts.append(nxt)
            pos = max(nxt, pos) + part_bytes
    return [DumpPart(str(path), "xml", a, b) for a, b in zip(cuts, [*cuts[1:], None])]


def _stream_offsets(index: Path) -> list[int]:
    offsets: list[int] = []
    with bz2.open(index, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            head = line.split(":", 1)[0]
            if head.isdigit() and (not offsets or int(head) != offsets[-1]):
                offsets.append(int(head))
    return sorted(set(offsets))


def _multistream_parts(path: Path, index: Path, part_bytes: int) -> list[DumpPart]:
    offsets = _stream_offsets(index)
    if not offsets:
        return [DumpPart(str(path), "whole")]
    cuts = [offsets[0]]
    for off in offsets[1:]:
        if off - cuts[-1] >= part_bytes:
            cuts.append(off)
    return [DumpPart(str(path), "multistream", a, b) for a, b in zip(cuts, [*cuts[1:], None])]


def dump_parts(path: Path, part_bytes: int) -> list[DumpPart]:
    """The parts of the dump at ``path``, in file order (at least one)."""
    path = Path(path)
    with path.open("rb") as f:
        compressed = f.read(3) == b"BZh"
    if not compressed:
        return _xml_parts(path, max(1, int(part_bytes)))
    index = multistream_index(path)
    if index is None:
        return [DumpPart(str(path), "whole")]
    return _multistream_parts(path, index, max(1, int(part_bytes)))


class _Wrapped:
    """A file-like ``<mediawiki>`` + chunks + ``</mediawiki>``, read lazily (lxml's iterparse pulls ``read(n)``)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._body = chunks
        self._buf = b""
        self._stage = 0

    def _more(self) -> bytes:
        if self._stage == 0:
            self._stage = 1
            return b"<mediawiki>"
        if self._stage == 1:
            for piece in self._body:
                if piece:
                    return piece
            self._stage = 2
            return b"</mediawiki>"
        return b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            piece = self._more()
            if not piece:
                break
            self._buf += piece
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out


def _xml_bytes(part: DumpPart) -> Iterator[bytes]:
    with open(part.path, "rb") as f:
        f.seek(part.start)
        left = None if part.end is None else part.end - part.start
        while left is None or left > 0:
            block = f.read(_SCAN if left is None else min(_SCAN, left))
            if not block:
                return
            if left is not None:
                left -= len(block)
            yield block


def _trim_tail(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Drop what follows the last ``</page>`` (the dump's closing ``</mediawiki>`` in the last part)."""
    held = b""
    for block in chunks:
        held += block
        cut = held.rfind(b"</page>")
        if cut != -1:
            yield held[: cut + 7]
            held = held[cut + 7:]
    # what is left after the last </page> is whitespace or the closing tag: dropped


def _multistream_bytes(part: DumpPart) -> Iterator[bytes]:
    """Decompress the bzip2 streams in ``[start, end)`` one after another."""
    dec, fed = bz2.BZ2Decompressor(), False
    for block in _xml_bytes(part):
        while block:
            out = dec.decompress(block)
            fed = True
            if out:
                yield out
            if dec.eof:  # one stream ended: the rest of the block starts the next one
                block = dec.unused_data
                dec, fed = bz2.BZ2Decompressor(), False
            else:
                block = b""
    if fed:
        raise EOFError("the last bzip2 stream of the part ends early")


def read_part(part: DumpPart) -> Iterator[Document]:
    """The Documents of one part (see the module docstring). Raises InputError as ``read_dump`` does."""
    from lxml import etree

    from groundset.ingest.wikipedia import page_documents, read_dump

    if part.kind == "whole":
        yield from read_dump(Path(part.path))
        return
    counts = {"seen": 0, "redirect": 0, "namespace": 0, "empty": 0}
    body = _multistream_bytes(part) if part.kind == "multistream" else _xml_bytes(part)
    try:
        yield from page_documents(_Wrapped(_trim_tail(body)), part.path, counts)
    except (EOFError, OSError) as e:
        raise InputError(part.path, "corrupt_bz2" if part.kind == "multistream" else "malformed_xml",
                         f"{part.label}: cannot read it after {counts['seen']} pages ({e}); the articles before the "
                         "break were kept; re-download the dump") from e
    except etree.XMLSyntaxError as e:
        raise InputError(part.path, "malformed_xml", f"{part.label}: broken XML after {counts['seen']} pages ({e}); "
                         "the articles before the break were kept") from e
