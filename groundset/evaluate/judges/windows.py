"""Windows of a long context for a model with a fixed input length: token budget, overlap, sentence-aligned starts.

A verifier reads (premise, claim) pairs of at most ``max_length`` tokens. A sample's cited chunks are joined and cut
into windows of ``budget`` tokens (what is left once the claim and the model's template are counted); a window
starts at a sentence and shares at least ``overlap`` tokens with the previous one, so a sentence that lies across
the seam of two windows is whole in one of them. Pure functions over the tokenizer's character offsets:

>>> text = "One two. Three four. Five six."
>>> spans = [(0, 3), (4, 7), (7, 8), (9, 14), (15, 19), (19, 20), (21, 25), (26, 29), (29, 30)]
>>> [w.text for w in windows(text, spans, budget=6, overlap=2)]
['One two. Three four.', 'Three four. Five six.']
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Window", "windows", "sentence_starts", "join_contexts"]

_SENTENCE_END = re.compile(r"(?<=[.!?。])[\"')\]]*\s+(?=\S)|\n+(?=\S)")
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Window:
    """A slice ``text[start:end]`` of the joined context, ``tokens`` long."""

    text: str
    start: int
    end: int
    tokens: int


def join_contexts(contexts: Sequence[str]) -> str:
    """The cited chunks as one text (a blank line between chunks: a chunk boundary is a sentence boundary)."""
    return SEPARATOR.join(c.strip() for c in contexts if c and c.strip())


def sentence_starts(text: str) -> list[int]:
    """Character offsets where a sentence or a line starts (0 included)."""
    return [0] + [m.end() for m in _SENTENCE_END.finditer(text)]


def windows(text: str, spans: Sequence[tuple[int, int]], budget: int, overlap: int) -> list[Window]:
    """Cut ``text`` (tokenized into character ``spans``, special tokens excluded) into windows of ≤ ``budget`` tokens.

    A window ends before a sentence start when one lies in its second half; the next starts at the latest sentence
    start that leaves ≥ ``overlap`` shared tokens (at a token when no sentence start fits, e.g. in a very long one).
    """
    n = len(spans)
    budget = max(1, budget)
    overlap = max(0, min(overlap, budget // 2))
    if n == 0:
        return [Window(text, 0, len(text), 0)] if text else []
    if n <= budget:
        return [Window(text[spans[0][0] : spans[-1][1]], spans[0][0], spans[-1][1], n)]
    token_starts = [s for s, _ in spans]
    bounds = sorted({min(bisect.bisect_left(token_starts, c), n) for c in sentence_starts(text)} | {0})
    out: list[Window] = []
    s = 0
    while True:
        e = s + budget
        if e >= n:
            out.append(_window(text, spans, s, n))
            break
        i = bisect.bisect_right(bounds, e) - 1  # the last sentence start ≤ e
        if bounds[i] > s + budget // 2:
            e = bounds[i]
        out.append(_window(text, spans, s, e))
        want = e - overlap  # the next window starts at or before this token
        j = bisect.bisect_right(bounds, want) - 1
        nxt = bounds[j] if j >= 0 and bounds[j] >= s + max(1, (budget - overlap) // 2) else want
        s = max(s + 1, nxt)
    return out


def _window(text: str, spans: Sequence[tuple[int, int]], s: int, e: int) -> Window:
    start, end = spans[s][0], spans[e - 1][1]
    return Window(text[start:end], start, end, e - s)
