"""Sanity filters: cheap checks that catch broken samples before any judge looks at them.

``check(sample)`` returns the reasons to reject (empty list = keep):

- ``empty``: no question / answer / passage / assistant turn, or an empty turn;
- ``truncated``: generation stopped at the token limit, an unclosed code fence, or a long text ending mid-sentence;
- ``question_equals_answer``: the answer repeats the question (or an assistant turn the user turn before it);
- ``copied_context``: the answer is a source chunk copied verbatim (all of it, or ``copy_ratio`` of it);
- ``repeated_turns``: two turns of the same role say the same; ``repetitive``: a sentence repeated (a looping model);
- ``off_topic_question`` / ``degenerate_answer`` (qa, multihop, rag): see ``qa_checks``; the explanation is
  recorded in ``sample.evaluation.details["sanity"]``.

>>> from groundset.records import Sample
>>> check(Sample(id="1", task="qa", question="What is X?", answer="What is X?"))
['question_equals_answer']
"""

from __future__ import annotations

import re

from groundset.evaluate.qa_checks import degenerate, off_topic, topic_words
from groundset.evaluate.text import normalise, split_claims
from groundset.generate.task import task_shape
from groundset.records import Sample

__all__ = ["check", "REASONS"]

REASONS = ("empty", "truncated", "question_equals_answer", "copied_context", "repeated_turns", "repetitive",
           "off_topic_question", "degenerate_answer")


_NOT_PROSE = re.compile(r"^\s*(?:[-*•+|#>]|\d{1,3}[.)]\s|```)")


def _truncated(text: str) -> bool:
    """An unclosed code fence, or 15+ words whose last line is prose ending without a sentence end."""
    if text.count("```") % 2 == 1:
        return True
    stripped = text.rstrip()
    if len(stripped.split()) < 15 or _NOT_PROSE.match(stripped.splitlines()[-1]):
        return False
    return stripped[-1].isalnum() or stripped[-1] in ",;:(-"


def _similar(a: str, b: str) -> bool:
    wa, wb = set(a.split()), set(b.split())
    if a == b:
        return True
    if min(len(wa), len(wb)) < 5:
        return False
    return len(wa & wb) / len(wa | wb) >= 0.9


def _copied(text: str, chunks: list[str], ratio: float) -> bool:
    t = normalise(text)
    if len(t.split()) < 8:
        return False
    for chunk in chunks:
        c = normalise(chunk)
        if c and (t == c or (t in c and len(t) >= ratio * len(c)) or (c in t and len(c) >= ratio * len(t))):
            return True
    return False


def _repetitive(text: str) -> bool:
    seen: set[str] = set()
    for seg in split_claims(text):
        n = normalise(seg.text)
        if len(n.split()) >= 5:
            if n in seen:
                return True
            seen.add(n)
    return False


def _qa_reasons(sample: Sample, chunks: list[str]) -> list[str]:
    """off_topic_question / degenerate_answer, with their explanation written to ``details["sanity"]``.

    The question may name what the sources are about (``qa_checks.topic_words``: their titles, section headings
    and source paths: "… in Python" over ``python-tutorial/…``); an answer that is the corpus's own text
    (``answer_origin == "corpus"``) is not judged degenerate — a person wrote it."""
    about = [t for c in sample.contexts if (t := topic_words(c.source, c.title, c.section))]
    found = {"off_topic_question": off_topic(sample.question, chunks + about, sample.answer or ""),
             "degenerate_answer": "" if sample.answer_origin == "corpus" else degenerate(sample.question,
                                                                                         sample.answer or "")}
    found = {k: v for k, v in found.items() if v}
    if found:
        sample.evaluation.details.setdefault("sanity", {}).update(found)
    return list(found)


def check(sample: Sample, copy_ratio: float = 0.9) -> list[str]:
    """Reasons to reject ``sample`` (see module docstring); an empty list means it passes."""
    reasons: list[str] = []
    texts = sample.claims_text()
    chunks = [c.text for c in sample.contexts]
    if sample.turns is not None:
        turns = sample.turns
        if not any(t.role == "assistant" for t in turns) or not any(t.role == "user" for t in turns) or any(
            not t.content.strip() for t in turns
        ):
            return ["empty"]
        norm = [(t.role, normalise(t.content)) for t in turns]
        for i, (role, n) in enumerate(norm):
            if any(r == role and _similar(n, m) for r, m in norm[:i]):
                reasons.append("repeated_turns")
                break
        for prev, cur in zip(norm, norm[1:]):
            if prev[0] == "user" and cur[0] == "assistant" and prev[1] == cur[1]:
                reasons.append("question_equals_answer")
                break
    elif sample.passage is not None or task_shape(sample.task) == "passage":
        if not (sample.passage or "").strip():
            return ["empty"]
    else:
        if not (sample.answer or "").strip() or (task_shape(sample.task) == "qa" and not (sample.question or "").strip()):
            return ["empty"]
        if sample.question and normalise(sample.question) == normalise(sample.answer or ""):
            reasons.append("question_equals_answer")
    gen = sample.generation
    cut = gen.finish_reason == "length" and not gen.salvaged  # salvaged: cut back to its last full sentence
    if cut or any(_truncated(t) for t in texts):
        reasons.append("truncated")
    if sample.answer_origin != "corpus" and any(_copied(t, chunks, copy_ratio) for t in texts):
        reasons.append("copied_context")
    if any(_repetitive(t) for t in texts):
        reasons.append("repetitive")
    if not reasons and task_shape(sample.task) == "qa" and sample.turns is None and sample.passage is None:
        reasons.extend(_qa_reasons(sample, chunks))  # only a sample with no other fault: one reason per problem
    return reasons
