"""The rating prompt of the gate, and the pure functions that build it and parse the reply (the claim-level
verification prompt of the ``llm`` judge lives in ``judges/llm_verdict.py``).

- ``RATE``: quality rating 1–5, after the self-curation rubric of instruction backtranslation (Li et al. 2023,
  "Self-Alignment with Instruction Backtranslation"): a short reasoning, then a last line ``Score: N``.

>>> parse_rating("Clear and complete.\\nScore: 4")
(4, 'Clear and complete.')
"""

from __future__ import annotations

import re

__all__ = ["RATE_SYSTEM", "rate_messages", "parse_rating"]

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
