"""Code in PDFs: text boxes set in a monospace font, read again with their lines and indentation; and the text
lines of a page with their font sizes (``page_lines``, for the title of the first page).

unstructured's ``fast`` strategy joins the lines of a text box with spaces, which turns a listing into one line
("def hello(c): from reportlab.lib.units import inch # move the origin ..."), comments swallowing the statements
after them. The one module that reads pdfminer's layout itself: for the pages given, every text box whose characters
are mostly in a monospace font (Courier, ``*Mono*``, ``CMTT``, Consolas, ...) comes back as code, one line per
line of the box, indented by its offset from the box's left edge in character widths.

>>> squeeze("def hello(c):\\n    c.save()")
'defhello(c):c.save()'
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import NamedTuple

__all__ = ["code_boxes", "squeeze", "is_monospace", "page_lines", "Line"]

_MONO = re.compile(r"courier|mono|cmtt|consol|menlo|inconsolata|typewriter|lucidaconsole|sourcecode|\btt\b|"
                   r"letter\s?gothic|fixed", re.I)
_WS = re.compile(r"\s+")


def is_monospace(fontname: str) -> bool:
    """True for the names of the usual fixed-width fonts ('Courier', 'ABCDEF+DejaVuSansMono', 'CMTT10')."""
    return bool(_MONO.search(fontname.split("+", 1)[-1]))


def squeeze(text: str) -> str:
    """Text without any whitespace: what a box's text and unstructured's reflowed copy of it have in common."""
    return _WS.sub("", text)


def _mono_lines(box) -> list | None:
    """The box's text lines when most of its characters are monospace, else None."""
    from pdfminer.layout import LTChar, LTTextLine

    lines = [line for line in box if isinstance(line, LTTextLine) and line.get_text().strip()]
    chars = [c for line in lines for c in line if isinstance(c, LTChar) and not c.get_text().isspace()]
    if len(chars) < 4 or sum(is_monospace(c.fontname) for c in chars) < 0.8 * len(chars):
        return None
    return lines


def _char_width(lines) -> float:
    from pdfminer.layout import LTChar

    widths = [c.width for line in lines for c in line if isinstance(c, LTChar) and not c.get_text().isspace()]
    return statistics.median(widths) if widths else 1.0


def _runs(boxes: list) -> list[list[tuple[object, list]]]:
    """Monospace boxes in one font size that follow each other down the page (gap under two line heights): one
    listing (a heading set in a larger monospace font is not part of it)."""
    runs: list[list[tuple[object, list]]] = []
    for box in boxes:
        lines = _mono_lines(box)
        if lines is None:
            continue
        prev = runs[-1][-1] if runs else None
        height = statistics.median(line.height for line in lines)
        same_size = prev is not None and abs(height - statistics.median(ln.height for ln in prev[1])) <= 0.15 * height
        if prev is not None and same_size and 0 <= prev[0].y0 - box.y1 <= 2 * height:
            runs[-1].append((box, lines))
        else:
            runs.append([(box, lines)])
    return runs


def _indented(lines, left: float, width: float) -> list[str]:
    out = []
    for line in sorted(lines, key=lambda ln: -ln.y1):
        text = line.get_text().rstrip()  # indentation: drawn as spaces, or as an offset from the listing's edge
        lead = len(text) - len(text.lstrip(" "))
        out.append(" " * (max(0, round((line.x0 - left) / width)) + lead) + text.strip())
    return out


def code_boxes(path: Path, pages: set[int]) -> dict[int, list[tuple[str, str, int]]]:
    """{page (1-based): [(squeezed text of a monospace box, its lines indented, listing number)]} for ``pages``.

    Boxes of one listing (pdfminer starts a new box where the indentation changes) share a number, and their
    indentation is measured from the listing's left edge. {} when pdfminer cannot read the file.
    """
    if not pages:
        return {}
    try:
        from pdfminer.high_level import extract_pages
        from pdfminer.layout import LAParams, LTTextBox
    except ImportError:  # pdfminer comes with unstructured's PDF support; without it PDFs are not read at all
        return {}
    found: dict[int, list[tuple[str, str, int]]] = {}
    listing = 0
    try:
        for number, page in zip(sorted(pages), extract_pages(str(path), page_numbers=[p - 1 for p in sorted(pages)],
                                                             laparams=LAParams())):
            for run in _runs([b for b in page if isinstance(b, LTTextBox)]):
                listing += 1
                all_lines = [line for _, lines in run for line in lines]
                left, width = min(line.x0 for line in all_lines), _char_width(all_lines)
                shift = min(len(t) - len(t.lstrip(" ")) for t in _indented(all_lines, left, width))
                for box, lines in run:
                    text = "\n".join(t[shift:] for t in _indented(lines, left, width))
                    found.setdefault(number, []).append((squeeze(text), text, listing))
    except Exception:  # noqa: BLE001 - pdfminer raises anything on odd files; the reflowed text stays as it was
        return found
    return found


class Line(NamedTuple):
    """One text line of a page: its text, font size (median of its characters, in points) and position (points from
    the page's top and left edge)."""

    text: str
    size: float
    top: float
    left: float


def page_lines(path: Path, page: int = 1) -> list[Line]:
    """The text lines of one page (1-based) in reading order, top to bottom; [] when pdfminer cannot read it."""
    try:
        from pdfminer.high_level import extract_pages
        from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine
    except ImportError:
        return []
    out: list[Line] = []
    try:
        for layout in extract_pages(str(path), page_numbers=[page - 1], laparams=LAParams()):
            for box in layout:
                if not isinstance(box, LTTextBox):
                    continue
                for line in box:
                    text = " ".join(line.get_text().split()) if isinstance(line, LTTextLine) else ""
                    sizes = [c.size for c in line if isinstance(c, LTChar) and not c.get_text().isspace()]
                    if text and sizes:
                        out.append(Line(text, round(statistics.median(sizes), 1), layout.height - line.y1, line.x0))
    except Exception:  # noqa: BLE001 - pdfminer raises anything on odd files: no lines, no title from them
        return []
    return sorted(out, key=lambda ln: (round(ln.top), ln.left))
