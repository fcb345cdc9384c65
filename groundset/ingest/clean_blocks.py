"""Parts (partition.Part) -> Blocks (records.Block) with section paths.

Two ways to know the headings:

- **markup** (HTML, Markdown, DOCX, EPUB): a heading is a heading because the source says so (``<h2>``, "Heading 2"
  style); its depth comes with it.
- **layout** (PDF, plain text): unstructured *guesses* titles (its fast PDF strategy calls about half the lines of a
  manual titles), so a guessed title becomes a heading only if it reads like one and body text follows it:

  * strong: numbered ("2.3 Paragraph styles" -> level 2) or a keyword heading ("Chapter 4", "Letter 1", "CHAPTER IV.")
  * weak: short (<= 10 words), starts with a capital, no closing punctuation, not code ("canvas.setFont(...)"), not a
    figure caption; with page layout (PDF) also set in a larger font than body lines and at the body's left edge
    (or centred); without layout accepted only in documents that have no strong headings.

  A heading is rejected when another candidate of the same or a higher level comes before any body text (tables
  of contents, figure labels); a weak one also when any candidate does. Rejected titles stay in the text; runs of them merge into one block.

>>> from groundset.ingest.partition import Part
>>> parts = [Part("title", "Chapter 1 Intro"), Part("title", "1.1 Basics"), Part("text", "Body text of the section here."),
...          Part("title", "Figure 1-1: A chart"), Part("text", "More body text comes after it.")]
>>> [(b.kind, b.text, b.section) for b in blocks_from_layout(parts)][:3]
[('title', 'Chapter 1 Intro', ['Chapter 1 Intro']), ('title', '1.1 Basics', ['Chapter 1 Intro', '1.1 Basics']), ('text', 'Body text of the section here.', ['Chapter 1 Intro', '1.1 Basics'])]
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from groundset.ingest.headings import (CODE_IN_NUMBERED, Item, heading_strength, is_body, looks_like_code, number_of,
                                       words)
from groundset.ingest.partition import Part
from groundset.ingest.structure import apply_outline, book_structure, join_chapter_titles, keep_in_sequence, nest
from groundset.ingest.text import clean_text
from groundset.records import Block

__all__ = ["blocks_from_markup", "blocks_from_layout", "drop_empty_headings", "heading_strength", "looks_like_code",
           "DROP_KINDS"]

DROP_KINDS = {"header", "footer", "page_number", "image", "page_break"}
_BLOCK_KIND = {"text": "text", "caption": "text", "list": "list", "table": "table", "code": "code", "title": "title"}
_TRAILING_ANCHOR = re.compile(r"\s*[¶§]\s*$")


def _clean(part: Part) -> str:
    keep = part.kind in ("code", "table")
    text = clean_text(part.text, keep_newlines=keep)
    if not keep and not any(c.isalnum() for c in text):
        return ""  # a lone bullet "• •", a rule "-----"
    if part.kind == "title":
        text = _TRAILING_ANCHOR.sub("", text)
    return text


def _emit(blocks: list[Block], kind: str, text: str, section: list[str], page: int | None) -> None:
    """Append a block; consecutive list items of one section merge into one list block."""
    if not text:
        return
    if kind == "list":
        text = f"- {text}"
        prev = blocks[-1] if blocks else None
        if prev is not None and prev.kind == "list" and prev.section == section and prev.page == page:
            prev.text += "\n" + text
            return
    blocks.append(Block(text=text, section=list(section), page=page, kind=kind))


def blocks_from_markup(parts: list[Part]) -> list[Block]:
    """Parts whose titles carry a markup depth -> Blocks. Titles without depth (guesses) become text."""
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    for part in parts:
        if part.kind in DROP_KINDS:
            continue
        text = _clean(part)
        if not text:
            continue
        if part.kind == "title" and part.depth is not None:
            while stack and stack[-1][0] >= part.depth:
                stack.pop()
            stack.append((part.depth, text))
            _emit(blocks, "title", text, [t for _, t in stack], part.page)
        else:
            kind = "text" if part.kind == "title" else _BLOCK_KIND.get(part.kind, "text")
            _emit(blocks, kind, text, [t for _, t in stack], part.page)
    return blocks


@dataclass
class _Layout:
    """Typical geometry of body text in a paged document: its left edge and the height of one line."""

    body_left: float
    line: float
    text_line: float = 0.0  # the same, from body text only (0: no short body line to tell)

    @classmethod
    def of(cls, parts: list[Part]) -> "_Layout | None":
        lefts = [p.left for p in parts if p.left is not None and p.kind == "text" and len(p.text.split()) >= 8]
        lines = [round(p.height, 4) for p in parts if p.height and p.kind in ("text", "title") and len(p.text.split()) <= 12]
        if not lefts or not lines:
            return None
        text = [round(p.height, 4) for p in parts if p.height and p.kind == "text" and 3 <= len(p.text.split()) <= 12]
        return cls(statistics.median(lefts), Counter(lines).most_common(1)[0][0],
                   Counter(text).most_common(1)[0][0] if text else 0.0)

    def footnote(self, part: Part) -> bool:
        """In the bottom quarter of the page and set smaller than the body's short lines: a footnote."""
        line = self.text_line or self.line
        return part.height is not None and part.top is not None and part.top > 0.75 and part.height < 0.85 * line

    def heading_like(self, part: Part) -> bool:
        """An unnumbered heading sits at the body's left edge (or is centred and big) in a larger font."""
        if part.height is None or part.left is None:
            return False
        scale = part.height / self.line if self.line else 0
        if not 1.1 <= scale <= 2.6:
            return False
        at_left = abs(part.left - self.body_left) <= 0.02
        centred = part.right is not None and abs((part.left + part.right) / 2 - 0.5) <= 0.03 and scale >= 1.4
        return at_left or centred


def _loose_line(text: str) -> bool:
    """A short line that is neither a sentence nor code (a table-of-contents entry, a byline): merged with its
    neighbours into one block instead of standing alone."""
    return len(words(text)) <= 14 and not text.endswith((".", "!", "?")) and not looks_like_code(text)


def drop_empty_headings(blocks: list[Block]) -> tuple[list[Block], int]:
    """Remove title blocks whose section holds no text at all ("Contents" over a removed table, "THE END").

    Returns (blocks kept, number of headings removed).
    """
    keep: list[Block] = []
    for i, b in enumerate(blocks):
        if b.kind == "title":
            n = len(b.section)
            has_body = False
            for nxt in blocks[i + 1 :]:
                if nxt.section[:n] != b.section:
                    break
                if nxt.kind != "title":
                    has_body = True
                    break
            if not has_body:
                continue
        keep.append(b)
    return keep, len(blocks) - len(keep)



def _accepted(items: list[Item], i: int, lookahead: int = 12) -> bool:
    """Body text must follow before a heading of the same or a higher level (a strong heading may be followed
    directly by deeper ones: "Chapter 2" then "2.1 Basics")."""
    kind, level = items[i].strength
    for nxt in items[i + 1 : i + 1 + lookahead]:
        if nxt.strength is not None:
            if kind == "weak" or (nxt.strength[0] == "strong" and nxt.strength[1] <= level):
                return False
            continue
        if is_body(nxt):
            return True
    return False


def blocks_from_layout(parts: list[Part], allow_weak: bool | None = None,
                       outline: list[tuple[int, str]] | None = None, dropped: Counter | None = None,
                       contents: list[tuple[int, str]] | None = None) -> list[Block]:
    """Parts with guessed titles (PDF, plain text) -> Blocks whose sections come from accepted headings only.

    ``allow_weak``: accept unnumbered headings; default: when the parts have page layout or no strong heading exists.
    ``outline``: the document's own (level, title) outline, e.g. PDF bookmarks: see
    :func:`groundset.ingest.structure.apply_outline`; ``contents``: entries read from its contents pages, which
    confirm headings without ruling out others. Numbered headings must be in sequence and nest by their numbers; a
    numbered line in a smaller font than the body is a footnote, not a heading (structure.py). Without page layout
    (plain text) a table of contents is dropped, counted in ``dropped``; two-line chapter headings are joined.
    """
    items = []
    for part in parts:
        if part.kind in DROP_KINDS:
            continue
        text = _clean(part)
        if not text:
            continue
        item = Item(part, text)
        if part.kind in ("title", "text") and len(words(text)) <= 14:
            strength = heading_strength(text)
            if strength and (part.kind == "title" or strength[0] == "strong"):
                item.strength = strength
        items.append(item)
    strong = any(it.strength and it.strength[0] == "strong" for it in items)
    layout = _Layout.of([it.part for it in items])
    if layout is None and strong:
        items = book_structure(items, dropped if dropped is not None else Counter())
    items = join_chapter_titles(items)
    if allow_weak is None:
        allow_weak = layout is not None or not strong
    for it in items:
        if it.strength and it.strength[0] == "weak":
            if not allow_weak or (layout is not None and not layout.heading_like(it.part)):
                it.strength = None
        elif it.strength and layout is not None and layout.footnote(it.part):
            it.strength = None  # "3 These parameters are required ...": a footnote
    keep_in_sequence(items)
    if outline:
        items = apply_outline(items, outline)
    elif contents:
        items = apply_outline(items, contents, strict=False)
    accepted = [bool(it.strength) and (it.strength[0] == "outline" or _accepted(items, i)) for i, it in enumerate(items)]

    blocks: list[Block] = []
    stack: list[tuple[int, str, tuple[int, ...] | None, bool]] = []  # (level, text, number, numbered or outline)
    loose: list[str] = []  # rejected titles waiting to merge into one block
    loose_page: int | None = None

    def flush() -> None:
        nonlocal loose
        if loose:
            _emit(blocks, "text", "\n".join(loose), [t for _, t, _, _ in stack], loose_page)
            loose = []

    for it, ok in zip(items, accepted):
        if ok:
            flush()
            kind, level = it.strength
            if kind == "weak":
                numbered = [lv for lv, _, _, num in stack if num]
                level = (max(numbered) + 1) if numbered else 1
            number = number_of(it.text, chapters=True) if kind != "weak" else None
            stack = nest(stack, level, number)
            stack.append((level, it.text, number, kind in ("strong", "outline")))
            _emit(blocks, "title", it.text, [t for _, t, _, _ in stack], it.part.page)
        elif it.part.kind == "title" and _loose_line(it.text):
            if loose and loose_page != it.part.page:
                flush()
            loose_page = it.part.page
            loose.append(it.text)
        else:
            flush()
            kind = _BLOCK_KIND.get(it.part.kind, "text")
            if kind == "title":
                kind = "code" if CODE_IN_NUMBERED.search(it.text) else "text"
            _emit(blocks, kind, it.text, [t for _, t, _, _ in stack], it.part.page)
    flush()
    return blocks
