"""A PDF's title when its metadata has none worth keeping: the largest-font line(s) of the first page.

Metadata titles that say nothing ("Microsoft Word - report.doc", "untitled", "Document1", a file name or path) are
ignored (``useful_title``). The first page's title is the line set in its largest font, with the lines right
under it in the same font ("A Guide to" / "Widget Charts"), when that font is clearly larger than the page's body
text; it is not taken when it is a numbered or chapter heading ("1 Introduction", "Chapter 2"), a section name
("Contents", "Abstract"), a running header (a line that repeats on other pages) or a page number. Then there is
no title from the page, and the reader falls back to the file name.

>>> from groundset.ingest.pdf_code import Line
>>> lines = [Line("Widget Manual", 9, 30, 72), Line("A Guide to", 24, 90, 72), Line("Widget Charts", 24, 120, 72),
...          Line("Jane Doe", 12, 170, 72), Line("1 Introduction", 16, 240, 72)] + [Line("Body text.", 10, 300, 72)] * 5
>>> first_page_title(lines, running={"widget manual"})
'A Guide to Widget Charts'
>>> first_page_title([Line("1 Introduction", 16, 90, 72)] + [Line("Body text.", 10, 300, 72)] * 5) is None
True
>>> useful_title("Microsoft Word - report.doc"), useful_title("Widget Charts")
(None, 'Widget Charts')
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from groundset.ingest.headings import heading_strength
from groundset.ingest.pdf_code import Line

__all__ = ["first_page_title", "useful_title", "running_keys"]

_JUNK = re.compile(
    r"^(?:untitled(?:[\s\-_]*\d+)?|unknown|no\s+title|title|none|null|\(?anonymous\)?|document\s*\d*|slide\s*\d*"
    r"|microsoft\s+(?:word|powerpoint|excel)\s*-.*|.*\.(?:docx?|pdf|tex|dvi|ps|odt|rtf|pptx?|xlsx?|txt|html?|indd|qxd))$",
    re.I,
)
_SECTION_NAMES = frozenset(
    "contents abstract introduction preface foreword acknowledgements acknowledgments index summary overview "
    "references bibliography appendix glossary".split()
) | {"table of contents"}
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?(?:\d{1,4}|[ivxlcdm]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_MIN_SCALE = 1.2  # the title's font against the body's
_MAX_LINES = 3


def useful_title(title: str | None, path: Path | None = None) -> str | None:
    """``title`` unless it says nothing: empty, a placeholder, an application's default, a file name or path."""
    title = " ".join((title or "").split())
    if not title or _JUNK.match(title) or "\\" in title or title.startswith("/"):
        return None
    if path is not None and _squeeze(title) == _squeeze(path.stem):
        return None
    return title


def _squeeze(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def running_keys(texts_by_page: dict[int | None, list[str]]) -> set[str]:
    """Keys (lower case, digits as '#') of the texts that stand on at least two pages other than the first."""
    pages: dict[str, set] = {}
    for page, texts in texts_by_page.items():
        if page != 1:
            for t in texts:
                pages.setdefault(_key(t), set()).add(page)
    return {k for k, p in pages.items() if len(p) >= 2}


def _is_title_text(text: str) -> bool:
    words = text.split()
    if not words or len(words) > 25 or len(text) > 200 or _PAGE_NUMBER.match(text):
        return False
    if not any(sum(c.isalpha() for c in w) >= 3 for w in words):
        return False
    if text.lower().strip(" .:") in _SECTION_NAMES:
        return False
    strength = heading_strength(text)
    return not (strength and strength[0] == "strong")  # "1 Introduction", "2.3 Basics", "Chapter 4"


def first_page_title(lines: list[Line], running: set[str] | None = None) -> str | None:
    """The title set on the first page (``lines`` top to bottom), or None; ``running``: keys of running headers."""
    lines = [ln for ln in lines if _key(ln.text) not in (running or set())]
    if not lines:
        return None
    body = Counter()
    for ln in lines:
        body[ln.size] += len(ln.text)
    body_size = body.most_common(1)[0][0]
    top_size = max(ln.size for ln in lines)
    if top_size < _MIN_SCALE * body_size:
        return None
    start = next(i for i, ln in enumerate(lines) if ln.size == top_size)
    picked = [lines[start]]
    for ln in lines[start + 1 :]:
        if len(picked) == _MAX_LINES or abs(ln.size - top_size) > 0.05 * top_size:
            break
        if ln.top - picked[-1].top > 2.2 * top_size:
            break
        picked.append(ln)
    title = " ".join(ln.text for ln in picked)
    return title if _is_title_text(title) else None
