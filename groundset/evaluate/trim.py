"""Trimming: remove the trailing unsupported sentences of an answer or passage instead of dropping the sample.

>>> trim_text("Rollo led the Normans. He had 900 ships.\\nThey settled in Normandy.", ["He had 900 ships."])
'Rollo led the Normans.\\nThey settled in Normandy.'
>>> trailing_cut([0.9, 0.2], 0.5, prefix_adherence=[0.8, 0.3])
1
>>> trailing_cut([0.2, 0.9], 0.5, prefix_adherence=[0.1, 0.3]) is None   # the unsupported sentence leads
True

Only a supported *beginning* is kept: an answer whose first sentence is unsupported is rejected, not rewritten
(what remains after a wrong opening seldom answers the question). The kept part must itself pass the judge
(``prefix_adherence``), keep at least ``min_keep`` of the sentences, and, when the removed sentences hold the
question's key terms and the kept ones none, it no longer answers the question and nothing is trimmed.
"""

from __future__ import annotations

import re
from typing import Sequence

from groundset.evaluate.text import content_words, question_stems

__all__ = ["trim_text", "trailing_cut", "still_answers"]


def trim_text(text: str, sentences: list[str]) -> str | None:
    """``text`` without ``sentences`` (matched ignoring whitespace differences), or None if one is not found."""
    out = text
    for s in sentences:
        pattern = r"\s*".join(re.escape(w) for w in s.split())
        m = re.search(pattern, out)
        if not m:
            return None
        out = out[: m.start()] + out[m.end() :]
    out = re.sub(r"[ \t]+\n", "\n", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    out = re.sub(r"[ \t]{2,}", " ", out)
    return "\n".join(line.strip() for line in out.strip().splitlines())


def trailing_cut(supports: Sequence[float], threshold: float, prefix_adherence: Sequence[float] | None = None,
                 min_keep: float = 0.5) -> int | None:
    """How many leading claims to keep when only trailing ones are below ``threshold`` (None: do not trim).

    ``prefix_adherence[k - 1]`` is the judge's adherence of the first k claims alone; without it the weakest kept
    support stands in.
    """
    k = len(supports)
    while k and supports[k - 1] < threshold:
        k -= 1
    if k == 0 or k == len(supports) or any(s < threshold for s in supports[:k]) or k < min_keep * len(supports):
        return None
    kept = prefix_adherence[k - 1] if prefix_adherence else min(supports[:k])
    return k if kept >= threshold else None


def still_answers(question: str | None, kept: Sequence[str], removed: Sequence[str]) -> bool:
    """False when the question's key terms are only in the removed sentences (the kept part no longer answers)."""
    key = question_stems(question)
    if not key:
        return True
    in_kept = key & set(content_words(" ".join(kept)))
    in_removed = key & set(content_words(" ".join(removed)))
    return bool(in_kept) or not in_removed
