"""Answer spans for qa's answer-first mode: pick what the answer is before asking for the question.

>>> s = pick_span("The module used to create and manage virtual environments is called venv. It is fast.")
>>> s.kind, s.text, s.sentence
('term', 'venv', 'The module used to create and manage virtual environments is called venv.')

A span is one of (in this order of preference): a defined ``term`` ("… is called X", "X is known as …"), a code
``identifier`` (``str.format()``, ``__init__``, ``sys.path``), a ``number`` with its unit ("2 seconds", "256
bytes"), a named ``entity`` (a run of capitalised words not at the start of the sentence), or the subject of a
``definition`` ("A module is a file containing …" → "module"). The answer of the sample is the span's whole
sentence, verbatim (``chunk.text[start:end]``), taken from the chunk's stand-alone prose (``passages.prose_runs``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from groundset.generate.passages import prose_runs

__all__ = ["Span", "pick_span", "find_spans", "SPAN_KINDS"]

SPAN_KINDS = ("term", "identifier", "number", "entity", "definition")

_WORDS = r"[\w\-]+(?:\.[\w\-]+)*(?:\(\))?(?: [\w\-]+(?:\.[\w\-]+)*){0,2}?"
_TERM = re.compile(r"\b(?:(?:is|are) (?:called|named|known as|referred to as)|(?:an?|the) \w+ (?:called|named)) "
                   r"(?:an? |the )?(" + _WORDS + r")(?=[.,;:)]|\s+(?:and|or|which|that|for|because|in|to)\b|$)", re.I)
_TERM_FIRST = re.compile(r"^(?:The |An? )?([\w.\-]+(?: [\w.\-]+){0,2}) (?:is|are) (?:known|referred to) as\b")
_IDENT = re.compile(r"(?<![\w.])((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*\(\)|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|_\w+_|"
                    r"[a-z]+_[a-z_]+|\.[a-z]{1,4}\b)(?![\w(])")
_NUMBER = re.compile(r"\b\d[\d,.]*\s?(?:%|percent|bytes?|bits?|[KMG]i?B|seconds?|milliseconds?|minutes?|hours?|days?|"
                     r"years?|times|characters?|digits?|items?|elements?|spaces?|lines?|arguments?|levels?)\b")
_ENTITY = re.compile(r"(?<=[a-z,;] )((?:[A-Z][A-Za-z0-9]+)(?: (?:[A-Z][A-Za-z0-9]+|of|the|for))*(?: [A-Z][A-Za-z0-9]+)?)")
_DEFINITION = re.compile(r"^(?:The |An? )?([a-z][\w\-]*(?: [a-z][\w\-]*)?) (?:is|are) (?:an?|the) \w+")
_FILE_WORDS = frozenset("this that these those there here it they which what".split())


@dataclass(frozen=True)
class Span:
    """An answer span ``text`` of kind ``kind`` inside ``sentence`` == chunk.text[start:end] (the sample's answer)."""

    text: str
    kind: str
    sentence: str
    start: int
    end: int


def _candidates(sentence: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _TERM.finditer(sentence):
        out.append(("term", m.group(1)))
    m = _TERM_FIRST.match(sentence)
    if m:
        out.append(("term", m.group(1)))
    out += [("identifier", m.group(1)) for m in _IDENT.finditer(sentence)]
    out += [("number", m.group(0)) for m in _NUMBER.finditer(sentence)]
    out += [("entity", m.group(1)) for m in _ENTITY.finditer(sentence) if m.group(1) not in ("I",)]
    m = _DEFINITION.match(sentence)
    if m:
        out.append(("definition", m.group(1)))
    return [(k, t.strip()) for k, t in out if t.strip() and t.strip().lower() not in _FILE_WORDS]


def find_spans(text: str, title: str = "", max_words: int = 60) -> list[Span]:
    """Every candidate span of ``text``'s stand-alone prose, best kind first (then in text order). A one-word
    entity that is a word of ``title`` (the document's subject, "Python" in a Python tutorial) is no answer."""
    title_words = {w.lower() for w in re.findall(r"\w+", title)} | {"python"}
    spans: list[Span] = []
    for run in prose_runs(text):
        for start, end, sentence in run:
            if len(sentence.split()) > max_words or len(sentence.split()) < 6:
                continue
            for kind, span in _candidates(sentence):
                if kind == "entity" and " " not in span and span.lower() in title_words:
                    continue
                spans.append(Span(span, kind, sentence, start, end))
    rank = {k: i for i, k in enumerate(SPAN_KINDS)}
    return sorted(spans, key=lambda s: rank[s.kind])


def pick_span(text: str, title: str = "", index: int = 0) -> Span | None:
    """The ``index``-th best span of ``text`` (cycling), or None when the chunk has none."""
    spans = find_spans(text, title)
    return spans[index % len(spans)] if spans else None
