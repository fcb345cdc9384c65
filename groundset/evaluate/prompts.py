"""Prompts of the LLM-based parts of the gate, and the pure functions that build them and parse the replies.

- ``VERIFY``: claim-by-claim verification (ChainPoll-style: reason first, then a verdict, per claim; asked
  ``[evaluate] llm_polls`` times and averaged), JSON output.
- ``RATE``: quality rating 1–5, after the self-curation rubric of instruction backtranslation (Li et al. 2023,
  "Self-Alignment with Instruction Backtranslation"): a short reasoning, then a last line ``Score: N``.

>>> parse_verdicts({"verdicts": [{"id": 1, "reasoning": "stated", "supported": True}, {"id": 2, "supported": "no"}]}, 2)
[True, False]
>>> parse_rating("Clear and complete.\\nScore: 4")
(4, 'Clear and complete.')
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["VERIFY_SYSTEM", "VERIFY_SCHEMA", "verify_messages", "parse_verdicts", "RATE_SYSTEM", "rate_messages",
           "parse_rating"]

VERIFY_SYSTEM = (
    "You check whether statements are supported by source documents. A statement is supported only if the "
    "sources state it or it follows directly from them. Statements that add facts, numbers, names or dates the "
    "sources do not contain, or that contradict them, are not supported. Do not use outside knowledge."
)

VERIFY_TEMPLATE = """SOURCES:
{sources}

STATEMENTS:
{statements}

For each statement, think step by step: find the passage of the sources it relies on, compare every detail, and
decide. Reply with JSON only, in this form:
{{"verdicts": [{{"id": 1, "reasoning": "<one or two sentences>", "supported": true}}, ...]}}
with one verdict per statement, in order."""

VERIFY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdicts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "reasoning": {"type": "string"},
                    "supported": {"type": "boolean"},
                },
                "required": ["id", "reasoning", "supported"],
            },
        }
    },
    "required": ["verdicts"],
}


def verify_messages(claims: list[str], contexts: list[str]) -> list[dict[str, str]]:
    """Chat messages asking for one verdict per claim against the numbered sources."""
    sources = "\n\n".join(f"[{i}] {c.strip()}" for i, c in enumerate(contexts, 1)) or "(none)"
    statements = "\n".join(f"{i}. {c}" for i, c in enumerate(claims, 1))
    return [
        {"role": "system", "content": VERIFY_SYSTEM},
        {"role": "user", "content": VERIFY_TEMPLATE.format(sources=sources, statements=statements)},
    ]


def _as_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return bool(v)
    if isinstance(v, str):
        t = v.strip().lower()
        if t in ("true", "yes", "supported", "1", "y"):
            return True
        if t in ("false", "no", "unsupported", "not supported", "0", "n"):
            return False
    return None


def parse_verdicts(parsed: Any, n_claims: int) -> list[bool] | str:
    """The verdicts in claim order, or an error string. Accepts a parsed object or raw JSON text.

    Verdicts are matched by ``id`` when ids are 1..n, else by position; a missing verdict is an error.
    """
    if isinstance(parsed, str):
        m = re.search(r"\{.*\}", parsed, re.S)
        try:
            parsed = json.loads(m.group(0)) if m else None
        except json.JSONDecodeError as e:
            return f"invalid_json: {e}"
    if isinstance(parsed, list):
        parsed = {"verdicts": parsed}
    if not isinstance(parsed, dict) or not isinstance(parsed.get("verdicts"), list):
        return "no 'verdicts' list in the judge's reply"
    items = [v for v in parsed["verdicts"] if isinstance(v, dict)]
    ids = [v.get("id") for v in items]
    by_id = all(isinstance(i, int) for i in ids) and sorted(ids) == list(range(1, len(ids) + 1))
    ordered = sorted(items, key=lambda v: v["id"]) if by_id else items
    if len(ordered) < n_claims:
        return f"judge gave {len(ordered)} verdicts for {n_claims} statements"
    out: list[bool] = []
    for v in ordered[:n_claims]:
        b = _as_bool(v.get("supported", v.get("verdict")))
        if b is None:
            return f"verdict without a true/false 'supported': {v!r}"[:200]
        out.append(b)
    return out


RATE_SYSTEM = "You are a careful reviewer of training data for AI assistants."

RATE_TEMPLATE = """Below is an instruction from a user and a candidate answer. Evaluate whether the answer is a good
example of how an AI assistant should respond to the instruction, using this 5-point scale:

1: The answer is incomplete, vague, off-topic, or not what the user asked for.
2: The answer addresses most of the request but misses key parts or does not directly answer it.
3: The answer is helpful and addresses the basic request, but reads like an excerpt from elsewhere rather than
   an assistant's reply (e.g. personal tone, references to other pages, promotional text).
4: The answer is written from an AI assistant's perspective, clear, complete and well organised; it could be
   more concise or focused.
5: A perfect answer from an AI assistant: focused, helpful, accurate, engaging, with nothing irrelevant.

INSTRUCTION:
{instruction}

ANSWER:
{answer}

First give a brief reasoning for your rating, then write "Score: <rating>" on the last line."""


def rate_messages(instruction: str, answer: str) -> list[dict[str, str]]:
    """Chat messages asking for a 1–5 rating of ``answer`` to ``instruction``."""
    return [
        {"role": "system", "content": RATE_SYSTEM},
        {"role": "user", "content": RATE_TEMPLATE.format(instruction=instruction.strip(), answer=answer.strip())},
    ]


def parse_rating(text: str) -> tuple[int, str] | None:
    """``(score, reasoning)`` from a reply ending in 'Score: N' (the last such line wins), or None."""
    matches = list(re.finditer(r"score\s*[:=]\s*\**\s*([1-5])(?:\s*/\s*5)?\b", text or "", re.I))
    if not matches:
        return None
    last = matches[-1]
    return int(last.group(1)), (text[: last.start()].strip() or "")
