"""Structure rules of documents without markup, applied to the candidate headings of the layout reader:

- ``in_sequence``: numbered headings must follow each other (8.5 < 8.6.1 < 9): a number off the longest increasing
  run is not a heading (a footnote "3 These parameters ..." in chapter 8, a list restarting at "1");
- ``nest``: a numbered heading is filed under the heading whose number is its prefix, never under a predecessor
  ("8.6.1" under "8", not under "8.5 Todo List", when "8.6" was not found);
- ``apply_outline``: the document's own outline (PDF bookmarks) decides which lines are headings; a table of
  contents read from the document (``strict=False``) only confirms them;
- ``book_structure``: a plain-text book's table of contents is dropped and counted;
- ``join_chapter_titles``: a chapter line without a title is joined with the short title line under it
  ("CHAPTER IV." / "Down the Rabbit-Hole", "Chapter 1" / "Introduction").

>>> in_sequence([(1,), (1, 1), (3,), (1, 2), (2,), (2, 1)])
{0, 1, 3, 4, 5}
>>> nest([(1, "8 Build", (8,)), (2, "8.5 Todo List", (8, 5))], 3, (8, 6, 1))
[(1, '8 Build', (8,))]
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any

from groundset.ingest.headings import KEYWORD, NUMBERED, Item, heading_key, heading_strength, is_body, number_of, words

__all__ = ["apply_outline", "book_structure", "join_chapter_titles", "in_sequence", "nest", "keep_in_sequence"]


def in_sequence(numbers: list[tuple[int, ...]]) -> set[int]:
    """Indexes of the longest strictly increasing run of ``numbers`` (the earliest such run on ties)."""
    tails: list[tuple[int, ...]] = []  # tails[k]: the smallest last number of an increasing run of length k + 1
    tail_at: list[int] = []
    before: list[int] = []
    for i, n in enumerate(numbers):
        k = bisect.bisect_left(tails, n)
        if k == len(tails):
            tails.append(n)
            tail_at.append(i)
        else:
            tails[k], tail_at[k] = n, i
        before.append(tail_at[k - 1] if k else -1)
    out: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        out.add(i)
        i = before[i]
    return out


def keep_in_sequence(items: list[Item]) -> None:
    """Numbered heading candidates off the longest increasing run of numbers lose their strength (see module)."""
    idx = [i for i, it in enumerate(items) if it.strength and it.strength[0] == "strong" and number_of(it.text)]
    keep = in_sequence([number_of(items[i].text) for i in idx])
    for j, i in enumerate(idx):
        if j not in keep:
            items[i].strength = None


def nest(stack: list[tuple[Any, ...]], level: int, number: tuple[int, ...] | None) -> list[tuple[Any, ...]]:
    """``stack`` ((level, text, number, ...) outermost first) with what a new heading of ``level`` / ``number``
    closes removed: every entry of the same or a deeper level, then numbered entries that are not its prefix."""
    stack = [s for s in stack]
    while stack and stack[-1][0] >= level:
        stack.pop()
    while number and stack and stack[-1][2] and stack[-1][2] != number[: len(stack[-1][2])]:
        stack.pop()
    return stack


def apply_outline(items: list[Item], outline: list[tuple[int, str]], strict: bool = True) -> list[Item]:
    """The document's own outline (PDF bookmarks) decides: a line that is an outline entry (or a run of up to three
    lines that together are one: "Chapter 1" + "Introduction") is a heading of the entry's level, each entry once;
    a line followed by another entry of the same or a higher level is a list of entries (a table of contents), not
    a heading; a heading that runs into its paragraph ("2.5 MS Windows systems To install ...") is cut off it; a
    numbered line not in the outline is not a heading unless it is numbered deeper than the outline goes (footnotes,
    numbered lists, contents lines); unnumbered guesses still pass the usual checks and nest below the outline.
    ``strict=False`` (an outline read from the document's contents pages): numbered lines not in it keep their
    strength."""
    wanted: dict[str, int] = {}
    for level, title in outline:
        wanted.setdefault(heading_key(title), level)
    prefixes = {k[:i] for k in wanted for i in range(1, len(k))}
    depth = max(level for level, _ in outline)
    out: list[Item] = []
    i = 0
    while i < len(items):
        it = items[i]
        k = heading_key(it.text)
        run = [it]
        while k in prefixes and k not in wanted and len(run) < 3 and i + len(run) < len(items):
            run.append(items[i + len(run)])
            k += heading_key(run[-1].text)
        after = heading_key(items[i + len(run)].text) if i + len(run) < len(items) else ""
        listed = k in wanted and after in wanted and wanted[after] <= wanted[k]  # a list of entries, no body
        if k in wanted and not listed and len(words(" ".join(r.text for r in run))) <= 20:
            title = " ".join(r.text for r in run)
            out.append(Item(it.part, title, ("outline", wanted.pop(k))))
            i += len(run)
            continue
        head = next((t for _, t in outline if heading_key(t) in wanted and it.text.startswith(t + " ")
                     and len(it.text) > len(t) + 20), None) if it.part.kind in ("text", "title") else None
        if head is not None:
            out.append(Item(it.part, head, ("outline", wanted.pop(heading_key(head)))))
            out.append(Item(it.part, it.text[len(head):].strip()))
            i += 1
            continue
        if strict and it.strength and it.strength[0] == "strong" and it.strength[1] <= depth:
            it.strength = None  # numbered as deep as the outline goes, yet not in it: a footnote, a list item
        out.append(it)
        i += 1
    return out


def book_structure(items: list[Item], dropped: Counter) -> list[Item]:
    """Plain-text books: a table of contents (three or more chapter lines with no body between them, and the
    "Contents" line before them) is dropped and counted."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        j = i
        while j < len(items) and not is_body(items[j]) and items[j].part.kind != "table":
            j += 1
        strong = [k for k in range(i, j) if items[k].strength and items[k].strength[0] == "strong"]
        if strong and j < len(items) and j - strong[-1] <= 2:
            strong.pop()  # the heading right before body text (or before its title line) is that text's heading
        kinds = Counter(_entry_kind(items[k].text) for k in strong)
        if strong and kinds.most_common(1)[0][1] >= 2:  # "Chapter 1", "Chapter 2" with no text between: contents
            end = strong[-1] + 1
            dropped["table_of_contents"] += end - i
            i = end
            continue
        out.append(items[i])
        i += 1
    return out


def join_chapter_titles(items: list[Item]) -> list[Item]:
    """A keyword heading without a title ("CHAPTER IV.", "Chapter 1") and the short title line right after it (on
    the same page) become one heading: "CHAPTER IV. Down the Rabbit-Hole"."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        it = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        m = KEYWORD.match(it.text) if it.strength and it.strength[0] == "strong" else None
        if (m and not m.group(3) and nxt is not None and (nxt.strength is None or nxt.strength[0] == "weak")
                and nxt.part.kind == "title" and nxt.part.page == it.part.page and _title_line(nxt.text)):
            out.append(Item(it.part, f"{it.text} {nxt.text.rstrip('.')}", it.strength))
            i += 2
            continue
        out.append(it)
        i += 1
    return out


def _entry_kind(text: str) -> str:
    """'chapter', 'letter', ... for a keyword heading, 'numbered-2' for "2.3 ...": what a contents list repeats."""
    m = KEYWORD.match(text)
    if m:
        return m.group(1).lower()
    n = NUMBERED.match(text)
    return f"numbered-{n.group(1).count('.') + 1}" if n else "other"


def _title_line(text: str) -> bool:
    """A chapter's title on the line after "CHAPTER IV.": short, no digits, no clause marks, a period only after
    a word or three ("Loomings.")."""
    ws = words(text)
    if not ws or len(ws) > 8 or any(c.isdigit() for c in text) or any(c in text for c in ";:"):
        return False
    if text.endswith(".") and len(ws) > 3:
        return False
    return heading_strength(text.rstrip(".")) == ("weak", 0)


