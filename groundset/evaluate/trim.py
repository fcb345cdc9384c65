"""Trimming: remove the unsupported sentences of an answer or passage instead of dropping the whole sample.

>>> trim_text("Rollo led the Normans. He had 900 ships.\\nThey settled in Normandy.", ["He had 900 ships."])
'Rollo led the Normans.\\nThey settled in Normandy.'
"""

from __future__ import annotations

import re

__all__ = ["trim_text"]


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
