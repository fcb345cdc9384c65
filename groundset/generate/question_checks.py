"""Cheap, deterministic checks that a question written for a known answer passage is answered by it and well formed.

A small model writing the question for a verbatim passage (``backtranslate``, qa answer-first) fails in a few
recognisable ways; each is its own reject reason, counted by the runner:

- ``ungrammatical``: a broken auxiliary ("Why did the file f be closed?"), a doubled word ("the the"), a
  placeholder ("How do I …?"), an unclosed quote or bracket ("the keyword `def?");
- ``copied_heading``: it copies a numbered heading ("… using Python, 16.1.2. Executable Python Scripts");
- ``compound_question``: two questions in one ("How do I install pip, but how do I uninstall it?");
- ``self_comparison``: "What is the difference between X and X?" with the same X on both sides;
- ``asks_the_author``: a question to the writer, not about the subject ("Why did you choose …?");
- ``absent_identifier``: it names code (``weakref``, ``str.format()``, ``__all__``, a quoted name) or a capitalised
  name ("JavaScript") that neither the passage nor its section path / title mentions;
- ``purpose_not_in_passage``: it asks for the purpose or the advantage of something ("What is the purpose of the
  file?"), a small model's favourite, and the passage states none (no "used to", "for", "allows", "helps" …);
- ``misses_subject``: the passage opens by saying what its subject is or does (``Passage.subject``) and the question
  names less than half of that subject ("What is the purpose of an object?" over "Classes introduce …");
- ``question_not_in_passage``: too few of its key terms occur in the passage (or its section path).

>>> problem("Why did the file f be closed?", "Call f.close() to close the file f.")
'ungrammatical'
>>> problem("How do I use the `weakref` module?", "Python does automatic memory management.")
'absent_identifier'
>>> overlap("How do I check whether a key is in a dictionary?", "To check whether a single key is in the dictionary, "
...         "use the in keyword.")
1.0
"""

from __future__ import annotations

import re

from groundset.evaluate.qa_checks import key_terms
from groundset.evaluate.text import stem, words

__all__ = ["problem", "overlap", "covers", "QUESTION_REASONS"]

QUESTION_REASONS = ("ungrammatical", "copied_heading", "compound_question", "self_comparison", "asks_the_author",
                    "absent_identifier", "purpose_not_in_passage", "misses_subject", "question_not_in_passage")

_BAD_AUX = re.compile(r"\b(?:do|does|did)\s+(?:\S+\s+){0,4}?(?:be|is|are|was|were|been)\b", re.I)
_DOUBLED = re.compile(r"\b(\w{2,})(?:'s)?\s+\1\b", re.I)  # "the the", "the name's name"
_PLACEHOLDER = re.compile(r"(?:\.\.\.|…|\bX\b(?= (?:and|or) \bY\b))")
_HEADING = re.compile(r"\b\d+(?:\.\d+)+\.?\s+[A-Z]")
_COMPOUND = re.compile(r"(?:,|\band)\s+(?:but\s+|and\s+|also\s+)?(?:how|what|why|when|which|where|who)(?:\s+\w+)?\s+"
                       r"(?:do|does|did|is|are|can|should|would|was|were)\b|,\s*(?:and|but)\s+(?:how|what|why|when|which|"
                       r"where|who)\b|\band (?:how|where|when) to\b", re.I)  # "Explain what X does, and why it's so important"
_PURPOSE_Q = re.compile(r"\b(?:purpose|advantage|benefit|point|goal|aim|role|use of|used for)\b", re.I)
_PURPOSE_P = re.compile(r"\b(?:purpose|advantage|benefit|used (?:to|for|when|in)|is for|are for|in order to|designed|"
                        r"helps?|allows?|lets?|makes? it|so that|useful|intended|meant to|enables?|for \w+ing|to (?:avoid|make|"
                        r"get|keep|find|create|store|run|read|write|change|decouple|improve))\b", re.I)
_AUTHOR = re.compile(r"\b(?:did|do|would|could|should|will|can) you (?:choose|chose|decide|think|mean|want|prefer|"
                     r"pick|recommend|use|write)\b|\b(?:you|the author) (?:chose|decided)\b", re.I)
_COMPARE = re.compile(r"\b(?:difference|differences) between (?:the )?(.+?) (?:and|or|vs\.?) (?:the )?(.+?)"
                      r"(?: in [A-Z]\w*| in python)?\?*$", re.I)
# code-shaped tokens: `quoted`, 'quoted', name(), dotted.name, snake_case, __dunder__
_CODE = re.compile(r"`([^`]+)`|'([^'\s]{2,40})'|\"([^\"\s]{2,40})\"|(?<![\w.])((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*\(\)|"
                   r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|_\w+_|[a-z]+_[a-z_]+)(?![\w(])")


_NAME = re.compile(r"(?<![\w.])[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*(?![\w.(])")


def _unbalanced(text: str) -> bool:
    return text.count("`") % 2 == 1 or text.count("(") != text.count(")") or text.count('"') % 2 == 1 or \
        text.count("[") != text.count("]")


def _norm_code(token: str) -> str:
    return token.strip("`'\"").removesuffix("()").rstrip(".").lower()


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)}


def overlap(question: str, passage: str, about: str = "") -> float:
    """Share of the question's key terms (``qa_checks.key_terms``) found in ``passage`` or ``about`` (its section
    path, its title); 1.0 for a question without key terms."""
    key = key_terms(question)
    if not key:
        return 1.0
    present = _stems(passage) | _stems(about)
    return sum(k in present for k in key) / len(key)


def covers(question: str, subject: str) -> float:
    """Share of the content words of ``subject`` (what the passage's opening sentence is about; "A | B": the better
    of two alternatives) that the question names; 0.0 when the subject has none."""
    best = 0.0
    for part in subject.split(" | "):
        want = {stem(w) for w in words(part) if len(w) >= 3} - _stems("how to the a an of in")
        if want:
            best = max(best, sum(w in _stems(question) for w in want) / len(want))
    return best


def problem(question: str, passage: str, about: str = "", min_overlap: float = 0.6, subject: str = "",
            min_subject: float = 0.5) -> str | None:
    """The reason ``question`` is not a good question for ``passage`` (see module doc), or None. ``subject``: what
    the passage's opening sentence is about (checked when given)."""
    if _BAD_AUX.search(question) or _DOUBLED.search(question) or _PLACEHOLDER.search(question) or _unbalanced(question):
        return "ungrammatical"
    if _HEADING.search(question):
        return "copied_heading"
    if _COMPOUND.search(question):
        return "compound_question"
    m = _COMPARE.search(question)
    if m and _stems(m.group(1)) == _stems(m.group(2)):
        return "self_comparison"
    if _AUTHOR.search(question):
        return "asks_the_author"
    text = (passage + " " + about).lower()
    for m in _CODE.finditer(question):
        token = _norm_code(next(g for g in m.groups() if g))
        if token and not re.search(rf"(?<![\w]){re.escape(token)}(?![\w])", text):
            return "absent_identifier"  # as a word: `def` is not in "definitions"
    for m in _NAME.finditer(question):  # a name ("JavaScript", "ExceptionGroup") after the first word
        if m.start() > 0 and m.group(0).lower() not in text:
            return "absent_identifier"
    if _PURPOSE_Q.search(question) and not _PURPOSE_P.search(passage):
        return "purpose_not_in_passage"
    if overlap(question, passage, about) < min_overlap:
        return "question_not_in_passage"
    if subject and covers(question, subject) < min_subject:
        return "misses_subject"
    return None
