"""Question-answer checks of the gate that need no judge: off-topic questions and degenerate answers.

- ``off_topic_question``: the question is not about its sources: a name, number, quote or identifier it asks
  about is missing from them, half or more of its key terms are, or a key term the sources lack is what the
  answer talks about too (a question about a "list of tuples" over a chunk that never mentions tuples);
- ``degenerate_answer``: the answer repeats itself (one word triple four times and as 15% of its triples, half its
  triples repeats, fewer than 40% distinct content words), restates the question without adding anything, or is
  a tautology ("A list is a list.").

Each returns the reason's explanation ('' when the sample passes), for the rejected record.

>>> off_topic("What is the difference between a list of tuples and a list of lists?",
...           ["A list can contain other lists: nested lists."], "The list of tuples contains lists.")
"key term 'tupl' of the question is absent from the sources and the answer builds on it"
>>> degenerate("What is a list?", "A list is a list.")
"tautology: 'A list is a list.'"
"""

from __future__ import annotations

import re
from functools import lru_cache

from groundset.evaluate.facts import Evidence, extract_facts
from groundset.evaluate.text import content_words, normalise, question_stems, split_claims, stem, words

__all__ = ["off_topic", "degenerate", "key_terms", "topic_words"]

_COPULA = re.compile(r"^(.+?)\s+(?:is|are|was|were|means|mean|refers to|is called|are called|equals)\s+(.+?)[.!]?$",
                     re.IGNORECASE)


# verbs of a question that the sources often word differently ("led" / "leader"): not key terms
_VERBS = frozenset("""led made gave took came went began wrote built won held sent found left ran saw told paid sold
bought kept rose fell grew knew drew chose spoke broke drove stood get got give go make take come see say know
happen become""".split())


def key_terms(question: str) -> set[str]:
    """Stems of the question's words that name what it is about: no question words, verbs (-ed, -ing, 'led'),
    or stems shorter than 4 letters."""
    stems = question_stems(question)
    out = set()
    for w in words(question):
        s = stem(w)
        if s in stems and w not in _VERBS and not w.endswith(("ed", "ing")) and len(s) >= 4:
            out.add(s)
    return out


_PATH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
_PATH_NOISE = frozenset("http https www html htm xhtml pdf txt md rst docx epub xml json com org net index".split())


def topic_words(source: str = "", title: str = "", section: list[str] | tuple[str, ...] = ()) -> str:
    """What a source is about besides its own text, for a question to name: its document title, its section path
    and the words of its path or URL (a corpus filed as ``python-tutorial/inputoutput.html`` is about Python)
    without extensions and URL parts.

    >>> topic_words("groundset/demo/python-tutorial/inputoutput.html", "7. Input and Output", ["7.2. Files"])
    '7. Input and Output 7.2. Files groundset demo python tutorial inputoutput'
    """
    path = " ".join(w for w in _PATH_WORD.findall(source or "") if w.lower() not in _PATH_NOISE)
    return " ".join(t for t in (title or "", " ".join(section), path) if t)


@lru_cache(maxsize=1024)
def _vocabulary(text: str) -> tuple[frozenset[str], Evidence]:
    return frozenset(content_words(text)), Evidence(text)


def off_topic(question: str | None, contexts: list[str], answer: str = "") -> str:
    """Why ``question`` is not about ``contexts`` ('' when it is)."""
    if not question or not contexts:
        return ""
    vocabulary, evidence = _vocabulary("\n".join(contexts))
    for fact in extract_facts(question):
        if fact.kind != "number" and not evidence.has(fact):
            return f"the question asks about '{fact.text}', which the sources never mention"
    key = key_terms(question)
    if not key:
        return ""
    absent = sorted(k for k in key if k not in vocabulary)
    if len(key) >= 2 and len(absent) * 2 >= len(key):
        return f"{len(absent)} of the question's {len(key)} key terms are absent from the sources: {', '.join(absent)}"
    answer_stems = set(content_words(answer))
    built_on = [k for k in absent if k in answer_stems]
    if built_on:
        return f"key term '{built_on[0]}' of the question is absent from the sources and the answer builds on it"
    return ""


def degenerate(question: str | None, answer: str) -> str:
    """Why ``answer`` is degenerate ('' when it is not): repetition, a restated question, a tautology."""
    tokens = words(answer)
    grams = [" ".join(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    if len(grams) >= 4:  # a looping model: one phrase four times, or half the phrases repeats
        top = max(sorted(set(grams)), key=grams.count)
        looping = len(grams) >= 10 and len(set(grams)) / len(grams) < 0.5
        if grams.count(top) >= max(4, 0.15 * len(grams)) or looping:
            return f"repeats the phrase '{top}'"
    content = content_words(answer)
    if len(content) >= 8 and len(set(content)) / len(content) < 0.4:
        return f"few distinct content words ({len(set(content))} of {len(content)})"
    if question:
        q = set(content_words(question))
        a = set(content)
        if len(a) >= 2 and a <= q and not any(f.kind in ("number", "entity") for f in extract_facts(answer)
                                               if f.text not in question):
            return "restates the question without adding anything"
    for seg in split_claims(answer):
        m = _COPULA.match(seg.text.strip())
        if m:
            left, right = set(content_words(m.group(1))), set(content_words(m.group(2)))
            if left and left == right and normalise(m.group(1)) != "":
                return f"tautology: '{seg.text.strip()}'"
    return ""
