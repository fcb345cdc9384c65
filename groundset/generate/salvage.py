"""Keep the complete sentences of an output that ran out of tokens mid-string (small local models ramble).

>>> salvage_truncated('{"question": "What is a list?", "answer": "A list is a sequence. It can grow. It can gr',
...                   ["question", "answer"])
{'question': 'What is a list?', 'answer': 'A list is a sequence. It can grow.'}

Only the LAST required field may be cut (a field after it would be missing), only string fields, and only at a
sentence end: what is kept is text the model really wrote, minus the unfinished sentence and repeated sentences.
Returns None when nothing sound can be kept. Samples built this way carry ``generation.salvaged = "truncated"``.
"""

from __future__ import annotations

import json
import re

__all__ = ["salvage_truncated"]

_SENTENCE = re.compile(r"[^.!?]*[.!?](?=\s|$)")


def _string_at(text: str, pos: int) -> tuple[str, bool, int]:
    """The JSON string starting after the quote at ``pos``: (raw content, closed?, end index)."""
    i, esc = pos, False
    while i < len(text):
        ch = text[i]
        if esc:
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == '"':
            return text[pos:i], True, i + 1
        i += 1
    return text[pos:], False, len(text)


def _decode(raw: str) -> str | None:
    raw = re.sub(r"\\u[0-9a-fA-F]{0,3}$|\\$", "", raw)  # a cut escape sequence
    try:
        return json.loads(f'"{raw}"')
    except json.JSONDecodeError:
        return None


def _complete_sentences(text: str, max_sentences: int) -> str:
    kept: list[str] = []
    for m in _SENTENCE.finditer(text):
        s = m.group(0).strip()
        if s and s not in kept:
            kept.append(s)
        if len(kept) == max_sentences:
            break
    return " ".join(kept)


def salvage_truncated(text: str, fields: list[str], max_sentences: int = 3) -> dict[str, str] | None:
    """``fields`` (string fields, in schema order) from a JSON object cut off inside the last one, or None."""
    start = text.find("{")
    if start == -1:
        return None
    out: dict[str, str] = {}
    pos = start + 1
    for k, name in enumerate(fields):
        m = re.compile(r'\s*,?\s*"' + re.escape(name) + r'"\s*:\s*"').match(text, pos)
        if not m:
            return None
        raw, closed, pos = _string_at(text, m.end())
        value = _decode(raw)
        if value is None:
            return None
        if not closed:
            if k != len(fields) - 1:
                return None
            value = _complete_sentences(value, max_sentences)
            if len(value.split()) < 3:
                return None
        out[name] = value
    return out
