"""Wiki tables and infoboxes -> text a question can cite: one line per row, each cell with its column header.

``render`` turns a cell's wikitext into plain text (wikipedia.py passes its link / template renderer).

>>> table = '''{| class="wikitable"
... |+ Sample albedos
... ! Surface !! Typical albedo
... |-
... | Fresh asphalt || 0.04
... |-
... | [[Deciduous trees]] || 0.15 to 0.18
... |}'''
>>> print(table_text(table.split("\\n"), lambda s: s.replace("[[", "").replace("]]", "")))
Sample albedos
Surface: Fresh asphalt; Typical albedo: 0.04
Surface: Deciduous trees; Typical albedo: 0.15 to 0.18
>>> print(infobox_text("{{Infobox person\\n| name = Ada Lovelace\\n| image = Ada.jpg\\n| birth_place = London\\n}}", str))
Name: Ada Lovelace
Birth place: London
"""

from __future__ import annotations

import re
from typing import Callable

__all__ = ["table_text", "infobox_text", "split_outside"]

_SPAN = re.compile(r"""colspan\s*=\s*["']?(\d+)""", re.I)
_ATTRS = re.compile(r"""^\s*(?:[\w-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s|]+)\s*)+$""")
_SKIP_KEYS = re.compile(r"(image|logo|caption|alt|size|map|signature|coord|pushpin|footnote|module|embed|label\d|"
                        r"data\d|class|style|width|float|bodystyle|onlysourced|qid|child|nocat|colou?r|glotto|iso\d|refs?$)", re.I)


def split_outside(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` where it is not inside ``[[...]]`` or ``{{...}}``."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(text):
        two = text[i : i + 2]
        if two in ("[[", "{{"):
            depth += 1
            i += 2
        elif two in ("]]", "}}"):
            depth = max(0, depth - 1)
            i += 2
        elif depth == 0 and text.startswith(sep, i):
            out.append(text[start:i])
            i += len(sep)
            start = i
        else:
            i += 1
    out.append(text[start:])
    return out


def _cell(raw: str, render: Callable[[str], str]) -> tuple[str, int]:
    """(plain text, colspan) of one cell: ``style="..." | content`` loses its attributes."""
    parts = split_outside(raw, "|")
    span = 1
    if len(parts) > 1 and _ATTRS.match(parts[0]):
        m = _SPAN.search(parts[0])
        span = min(int(m.group(1)), 50) if m else 1
        raw = "|".join(parts[1:])
    return " ".join(render(raw).split()), span


def _cells(line: str, marker: str, render) -> list[tuple[str, bool]]:
    header = marker == "!"
    seps = ["!!", "||"] if header else ["||"]
    pieces = [line]
    for sep in seps:
        pieces = [p for piece in pieces for p in split_outside(piece, sep)]
    out: list[tuple[str, bool]] = []
    for piece in pieces:
        text, span = _cell(piece, render)
        out.extend([(text, header)] + [("", header)] * (span - 1))
    return out


def _rows(lines: list[str], render) -> tuple[str, list[list[tuple[str, bool]]]]:
    caption, rows, depth = "", [[]], 0
    for line in lines:
        s = line.strip()
        if s.startswith("{|"):
            depth += 1
            continue
        if s.startswith("|}"):
            depth -= 1
            continue
        if depth != 1:
            continue  # a nested table: its rows are not this table's rows
        if s.startswith("|+"):
            caption = _cell(s[2:], render)[0]
        elif s.startswith("|-"):
            rows.append([])
        elif s[:1] in ("!", "|"):
            rows[-1].extend(_cells(s[1:], s[0], render))
        elif s and rows[-1]:  # a cell continued on the next line
            text, header = rows[-1][-1]
            rows[-1][-1] = (f"{text} {' '.join(render(s).split())}".strip(), header)
    return caption, [r for r in rows if any(text for text, _ in r)]


def table_text(lines: list[str], render: Callable[[str], str]) -> str:
    """The lines of one ``{| ... |}`` table -> its caption, then one line per data row: "Header: cell; ..." (cells
    without a column header are joined by " | "). Empty when the table holds no text."""
    caption, rows = _rows(lines, render)
    headers: list[str] = []
    out = [caption] if caption else []
    for row in rows:
        if all(header for _, header in row):
            headers = [text for text, _ in row]  # a (new) header row
            continue
        cells = [text for text, _ in row]
        if headers and len(headers) >= len(cells) - 1:
            pairs = [(headers[i] if i < len(headers) else "", c) for i, c in enumerate(cells)]
            out.append("; ".join(f"{h}: {c}" if h else c for h, c in pairs if c))
        else:
            out.append(" | ".join(c for c in cells if c))
    return "\n".join(line for line in out if line.strip()) if rows else ""


def infobox_text(template: str, render: Callable[[str], str]) -> str:
    """``{{Infobox ...|key = value|...}}`` -> one "Key: value" statement per line (images, captions, styling and
    empty values left out)."""
    import mwparserfromhell

    nodes = mwparserfromhell.parse(template).filter_templates(recursive=False)
    if not nodes:
        return ""
    lines = []
    for param in nodes[0].params:
        if not param.showkey:
            continue
        key = str(param.name).strip()
        if not key or _SKIP_KEYS.search(key):
            continue
        value = " ".join(render(str(param.value)).split()).strip(" ,;")
        if value:
            lines.append(f"{key.replace('_', ' ').strip().capitalize()}: {value}")
    return "\n".join(lines)
