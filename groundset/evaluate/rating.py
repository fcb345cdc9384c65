"""Optional LLM quality rating 1–5 (self-curation rubric of instruction backtranslation), kept as a column.

>>> from groundset.records import Sample
>>> from groundset.llm.fake import FakeLLM
>>> s = Sample(id="1", task="qa", question="What is a list?", answer="A mutable sequence.")
>>> rate([s], FakeLLM(["Accurate but terse.\\nScore: 4"]))
[(4, 'Accurate but terse.')]
"""

from __future__ import annotations

from typing import Sequence

from groundset.evaluate.prompts import parse_rating, rate_messages
from groundset.llm.base import LLM, ChatRequest
from groundset.records import Sample

__all__ = ["rate", "instruction_and_answer"]


def instruction_and_answer(s: Sample) -> tuple[str, str]:
    """What the rubric calls the instruction and the answer, for each task."""
    if s.turns is not None:
        users = [t for t in s.turns if t.role == "user"]
        first = users[0].content if users else ""
        rest = s.turns[s.turns.index(users[0]) + 1 :] if users else s.turns
        transcript = "\n\n".join(f"{t.role.capitalize()}: {t.content}" for t in rest)
        return first, transcript
    if s.passage is not None:
        topic = s.question or s.attributes.get("topic", "the topic")
        return f"Write a textbook passage about: {topic}", s.passage
    return s.question or "", s.answer or ""


def rate(samples: Sequence[Sample], llm: LLM, max_tokens: int = 256) -> list[tuple[int | None, str]]:
    """Per sample: (rating 1–5, reasoning), or (None, error message) when the reply had no 'Score: N' line."""
    requests = [
        ChatRequest(messages=rate_messages(*instruction_and_answer(s)), temperature=0.0, max_tokens=max_tokens)
        for s in samples
    ]
    out: list[tuple[int | None, str]] = []
    for res in llm.chat(requests):
        if not res.ok:
            out.append((None, f"rating failed: {res.error}"))
            continue
        parsed = parse_rating(res.text)
        out.append(parsed if parsed else (None, f"no 'Score: N' line in the rating reply: {res.text[-200:]!r}"))
    return out
