"""Structure rules of documents without markup, applied to the candidate headings of the layout reader:

- ``apply_outline``: the document's own outline (PDF bookmarks) decides which lines are headings;
- ``book_structure``: a plain-text book's table of contents is dropped and counted, and a chapter line without a
  title joined with the short title line under it ("CHAPTER IV." / "Down the Rabbit-Hole").
"""

from __future__ import annotations

from collections import Counter

from groundset.ingest.headings import KEYWORD, NUMBERED, Item, heading_key, heading_strength, is_body, words

__all__ = ["apply_outline", "book_structure"]


def apply_outline(items: list[Item], outline: list[tuple[int, str]]) -> list[Item]:
    """The document's own outline (PDF bookmarks) decides: a line that is an outline entry (or a run of up to three
    lines that together are one: "Chapter 1" + "Introduction") is a heading of the entry's level, each entry once;
    a line followed by another entry of the same or a higher level is a list of entries (a table of contents), not
    a heading; a heading that runs into its paragraph ("2.5 MS Windows systems To install ...") is cut off it; a
    numbered line not in the outline is not a heading unless it is numbered deeper than the outline goes (footnotes,
    numbered lists, contents lines); unnumbered guesses still pass the usual checks and nest below the outline."""
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
        if it.strength and it.strength[0] == "strong" and it.strength[1] <= depth:
            it.strength = None  # numbered as deep as the outline goes, yet not in it: a footnote, a list item
        out.append(it)
        i += 1
    return out


def book_structure(items: list[Item], dropped: Counter) -> list[Item]:
    """Plain-text books: a table of contents (three or more chapter lines with no body between them, and the
    "Contents" line before them) is dropped and counted; a chapter line without a title followed by a short title
    line ("CHAPTER IV." / "Down the Rabbit-Hole") becomes one heading."""
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
        it = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        m = KEYWORD.match(it.text) if it.strength and it.strength[0] == "strong" else None
        if (m and not m.group(3) and nxt is not None and nxt.strength is None and nxt.part.kind == "title"
                and _title_line(nxt.text)):
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


