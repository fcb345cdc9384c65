"""Clean the element stream of a PDF before it becomes blocks.

- running headers and footers: a line in the top or bottom band of the page (or the first / last two elements of
  a page without positions) whose text, digits ignored, repeats on at least 3 pages and 20 % of them;
  page numbers ("12", "Page 12", "12 of 134", "xii") in those bands; what unstructured itself labels header/footer;
- table-of-contents lines with dot leaders ("1.2 Basics . . . . . 6"), and whole pages full of them (their entries
  are read first by ``contents_entries``: they confirm the headings of a PDF without bookmarks);
- short labels in the left margin ("NOTE");
- fragments without a single word of two letters: axis ticks, glyph tables, figure coordinates ("(4, 2.5)", "0A");
  pdfminer's "(cid:127)" placeholders for unmapped glyphs;
- hyphenated line breaks joined ("exam- ple" -> "example", "non- text" -> "non-text");
- a paragraph split by a page break joined again (it ends without punctuation, the next page starts lower case);
- a chapter heading glued to the paragraph under it split off again when the page's running header names it
  ("Chapter 4 Exposing PDF ... PDF provides a number of ..." -> title + text).

>>> parts = [Part("text", "My Manual", page=p, top=0.03) for p in (1, 2, 3)]
>>> parts += [Part("text", "A para- graph that goes on", page=1, top=0.5), Part("text", "and ends here.", page=2, top=0.1)]
>>> cleaned, dropped = clean_pdf_parts(parts, is_word=lambda w: w == "paragraph")
>>> [p.text for p in cleaned], dict(dropped)
(['A paragraph that goes on and ends here.'], {'running_header_footer': 3})
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import replace
from typing import Callable

from groundset.ingest.partition import Part
from groundset.ingest.text import dehyphenate

__all__ = ["clean_pdf_parts", "contents_entries"]

_BAND = 0.09  # top / bottom share of the page height where running heads live
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?(?:\d{1,4}|[ivxlcdm]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_DOT_LEADER = re.compile(r"(?:\.\s*){4,}\d*\s*$|(?:\.\s?){6,}|…{2,}")
_LABELED_KINDS = {"header": "header_footer", "footer": "header_footer", "page_number": "page_number"}
_END_OF_SENTENCE = tuple('.!?:;"”’)]')
_CID = re.compile(r"\(cid:\d+\)")
_LEADER_TAIL = re.compile(r"\s*(?:(?:\.\s?){3,}|…+)\s*(?:\d{1,4}|[ivxlcdm]{1,6})?\s*$", re.I)
_WORD = re.compile(r"[^\W\d_]{2,}")


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _in_band(part: Part, index_on_page: int, n_on_page: int) -> bool:
    if part.top is not None:
        return part.top < _BAND or part.top > 1 - _BAND
    return index_on_page < 2 or index_on_page >= n_on_page - 2


def _toc_pages(parts: list[Part]) -> set[int | None]:
    """Pages with five or more dot-leader lines: contents pages."""
    leaders: Counter = Counter(p.page for p in parts if _DOT_LEADER.search(p.text))
    return {page for page, n in leaders.items() if n >= 5}


_CONTENTS_TITLE = re.compile(r"^(?:table of )?contents$", re.I)


def contents_entries(parts: list[Part]) -> list[tuple[int, str]]:
    """The entries of the contents pages as (level, title): dot leaders and page numbers cut off, the level from the
    entry's indentation (the leftmost entries are level 1). [] when there are fewer than three."""
    pages = _toc_pages(parts)
    found: list[tuple[float | None, str]] = []
    for p in parts:
        if p.page not in pages or p.kind in _LABELED_KINDS or p.kind not in ("title", "text", "list"):
            continue
        text = _LEADER_TAIL.sub("", _CID.sub("", p.text)).strip()
        if not _WORD.search(text) or _PAGE_NUMBER.match(text) or _CONTENTS_TITLE.match(text) or len(text) > 150:
            continue
        found.append((p.left, text))
    if len(found) < 3:
        return []
    indents = sorted({round(left, 2) for left, _ in found if left is not None})

    def level(left: float | None) -> int:
        if left is None or not indents:
            return 1
        return 1 + sum(1 for x in indents if x < round(left, 2) - 0.005)
    return [(min(level(left), 4), text) for left, text in found]


def clean_pdf_parts(parts: list[Part], is_word: Callable[[str], bool]) -> tuple[list[Part], Counter]:
    """PDF Parts -> (cleaned Parts, Counter of dropped parts by reason)."""
    dropped: Counter = Counter()
    kept: list[Part] = []
    heads: dict[int | None, list[str]] = defaultdict(list)
    for p in parts:
        if p.kind in _LABELED_KINDS:
            dropped[_LABELED_KINDS[p.kind]] += 1
            heads[p.page].append(p.text.strip())
        elif p.kind in ("image", "page_break"):
            continue
        else:
            kept.append(p)

    by_page: dict[int | None, list[int]] = defaultdict(list)
    for i, p in enumerate(kept):
        by_page[p.page].append(i)
    n_pages = len(by_page)
    banded: set[int] = set()
    pages_of_key: dict[str, set] = defaultdict(set)
    for idxs in by_page.values():
        for j, i in enumerate(idxs):
            if _in_band(kept[i], j, len(idxs)):
                banded.add(i)
                pages_of_key[_key(kept[i].text)].add(kept[i].page)
    threshold = max(3, 0.2 * n_pages)
    running = {k for k, pages in pages_of_key.items() if len(pages) >= threshold}

    toc_pages = _toc_pages(kept)
    lefts = [p.left for p in kept if p.left is not None and p.kind == "text" and len(p.text.split()) >= 8]
    body_left = statistics.median(lefts) if lefts else None

    out: list[Part] = []
    for i, p in enumerate(kept):
        text = _CID.sub("", p.text).strip()
        if i in banded and (_key(text) in running or _PAGE_NUMBER.match(text)):
            dropped["running_header_footer" if _key(text) in running else "page_number"] += 1
            heads[p.page].append(text)
        elif p.page in toc_pages:
            dropped["table_of_contents"] += 1
        elif _DOT_LEADER.search(text):
            dropped["table_of_contents"] += 1
        elif body_left is not None and p.left is not None and p.left < body_left - 0.04 and len(text.split()) <= 3:
            dropped["margin_note"] += 1
        elif p.kind != "code" and not _WORD.search(text):
            dropped["fragment"] += 1
        else:
            text = text if p.kind == "code" else dehyphenate(text, is_word)
            out.extend(_split_heading(replace(p, text=text), heads.get(p.page, [])))
    return _join_across_pages(out, is_word), dropped


def _split_heading(part: Part, running_heads: list[str]) -> list[Part]:
    """A text part starting with this page's running header (3+ words) -> [title part, rest]."""
    if part.kind != "text":
        return [part]
    for head in running_heads:
        if len(head.split()) >= 3 and part.text.startswith(head + " ") and len(part.text) > len(head) + 20:
            return [replace(part, kind="title", text=head), replace(part, text=part.text[len(head) :].strip())]
    return [part]


def _join_across_pages(parts: list[Part], is_word: Callable[[str], bool]) -> list[Part]:
    """Merge a paragraph cut by a page break: last text of page n without end punctuation + lower-case start on n+1."""
    out: list[Part] = []
    for p in parts:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind in ("text", "title")
            and p.kind in ("text", "title")
            and prev.page is not None
            and p.page == prev.page + 1
            and not prev.text.endswith(_END_OF_SENTENCE)
            and p.text[:1].islower()
        ):
            out[-1] = replace(prev, kind="text", text=dehyphenate(f"{prev.text} {p.text}", is_word))
        else:
            out.append(p)
    return out
