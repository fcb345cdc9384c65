"""What makes a line a heading in a document without markup (PDF, plain text): numbering, keywords, shape.

Shared by the layout reader (clean_blocks.py) and the structure rules (structure.py): the patterns of a numbered
("2.3 Paragraph styles") or keyword ("Chapter 4", "CHAPTER IV.") heading, ``heading_strength``, and ``Item``, a
part with its cleaned text and heading strength while the blocks are being decided.

>>> number_of("8.6.1 Notes on the build"), number_of("Chapter 4"), number_of("Figure 2")
((8, 6, 1), None, None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from groundset.ingest.partition import Part

__all__ = ["NUMBERED", "KEYWORD", "CODE_IN_NUMBERED", "looks_like_code", "heading_strength", "number_of", "Item",
           "is_body", "words", "heading_key"]

NUMBERED = re.compile(r"^((?:\d{1,2}|[A-Z](?=\.\d))(?:\.\d{1,3}){0,4})\.?\s+(?=[A-Z\"'“(])(\S.*)$")
KEYWORD = re.compile(
    r"^(chapter|part|book|section|appendix|letter|volume|act|scene|lecture|lesson|stave|canto)\s+"
    r"(\d{1,3}|[ivxlcdm]{1,7}|[a-z]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|first|second|third)"
    r"\b[.:]?(\s+\S.*)?$",
    re.I,
)
CODE_IN_NUMBERED = re.compile(r"[={}\[\]<>]|\w\(|^>>>|\w\.\w+\(")
_CODE = re.compile(r"[=_{}\[\]<>@#$%^*|\\/~`]|\w\.\w|\w\(|^\(|\)$|^>>>")
_CAPTION = re.compile(r"^(figure|fig\.|table|listing|example|image|plate|chart)\s*[\dIVX][\d\-.:]*", re.I)
_SQ = re.compile(r"\W+")


def words(text: str) -> list[str]:
    return text.split()


def heading_key(text: str) -> str:
    """``text`` without spaces, punctuation or case: how a heading is compared with an outline entry."""
    return _SQ.sub("", text).lower()


def looks_like_code(text: str) -> bool:
    return bool(_CODE.search(text))


def number_of(text: str, chapters: bool = False) -> tuple[int, ...] | None:
    """The section number of a numbered heading ("8.6.1 ..." -> (8, 6, 1)); appendix letters come after every
    chapter number ("A.2" -> (101, 2)). ``chapters``: also "Chapter 8" -> (8,) (a keyword heading with digits)."""
    m = NUMBERED.match(text)
    if m:
        return tuple(int(p) if p.isdigit() else 100 + ord(p.upper()) - 64 for p in m.group(1).split("."))
    k = KEYWORD.match(text) if chapters else None
    return (int(k.group(2)),) if k and k.group(2).isdigit() else None


def heading_strength(text: str) -> tuple[str, int] | None:
    """('strong', level) for numbered / keyword headings, ('weak', 0) for a plausible unnumbered one, else None.

    >>> heading_strength("2.3 Paragraph styles"), heading_strength("Image methods"), heading_strength("This produces it.")
    (('strong', 2), ('weak', 0), None)
    """
    ws = words(text)
    if not ws or len(text) > 120:
        return None
    m = NUMBERED.match(text)
    if m and len(ws) <= 14 and not CODE_IN_NUMBERED.search(m.group(2)) and not m.group(2).endswith((",", ";")):
        return "strong", m.group(1).count(".") + 1
    if KEYWORD.match(text) and len(ws) <= 14 and not looks_like_code(text):
        return "strong", 1
    if len(ws) > 10 or len(text) > 80 or not text[0].isupper() or text[-1] in ".,;:!?-–—":
        return None
    if looks_like_code(text) or _CAPTION.match(text):
        return None
    letters = sum(c.isalpha() for c in text if not c.isspace())
    if letters < 0.6 * sum(not c.isspace() for c in text):
        return None
    if len(ws) == 1 and len(text) <= 4:
        return None  # "NOTE", "Tip": labels, not sections
    if not any(sum(c.isalpha() for c in w) >= 3 for w in ws):
        return None  # "T U V", "Î î": glyph tables
    return "weak", 0


@dataclass
class Item:
    """A part while the blocks are decided: its cleaned text and its heading strength (None: not a heading)."""

    part: Part
    text: str
    strength: tuple[str, int] | None = None


def is_body(item: Item) -> bool:
    """Body text: code, a table, or a line of four words or more that is not a heading candidate."""
    if item.strength is not None:
        return False
    if item.part.kind in ("code", "table"):
        return True
    return len(words(item.text)) >= 4 or (item.part.kind == "title" and looks_like_code(item.text))
