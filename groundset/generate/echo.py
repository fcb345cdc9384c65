"""Grounded scripted replies to the generators' requests, for a model-free dry rehearsal of a whole run.

>>> from groundset.llm.fake import FakeLLM
>>> llm = FakeLLM(default=echo_reply, name="echo")     # every generate task then accepts its samples

Each reply is built from the documents quoted in the request (their first full sentences, the labels they carry)
and follows the request's JSON schema, so samples are well-formed and grounded — useful to exercise ingest →
generate → evaluate → export without a model, and in tests. The text is extractive, not a model's: not for training.
"""

from __future__ import annotations

import json
import re

from groundset.llm.base import ChatRequest

__all__ = ["echo_reply", "documents_of"]

_DOC = re.compile(r"<document id=\"(C\d+)\"[^\n]*>\n(.*?)\n</document>", re.S)
_CONVERSATION = re.compile(r"<document id=\"conversation\">\n(.*?)\n</document>", re.S)
_SUBJECTS = re.compile(r"\nSubjects: ([^;\n]+); ([^\n]+)\n")


def documents_of(request: ChatRequest) -> list[tuple[str, str]]:
    """(label, text) of the documents quoted in the request's last user message."""
    return _DOC.findall(request.messages[-1]["content"]) if request.messages else []


def _sentences(text: str) -> list[str]:
    """Sentences of 5+ words (headings and interpreter lines are skipped)."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text.strip()) if p.strip()]
    return [p for p in parts if len(p.split()) >= 5 and not p.startswith(">>>")]


def _first_sentence(text: str) -> str:
    """The first sentence of 5+ words (headings and interpreter lines are skipped)."""
    return next(iter(_sentences(text)), text.strip()[:200])


def _subject(text: str, n: int = 8) -> str:
    """The first words of the first sentence (at most half of it: the answer must add something)."""
    words = re.findall(r"[A-Za-z]+", _first_sentence(text))
    return " ".join(words[: max(3, min(n, len(words) // 2))])



def _said_before(request: ChatRequest) -> str:
    """The conversation so far, as quoted in the request (empty when there is none)."""
    m = _CONVERSATION.search(request.messages[-1]["content"]) if request.messages else None
    return m.group(1) if m else ""


def echo_reply(request: ChatRequest) -> str:
    """A well-formed, extractive reply for any generator request (chosen by its JSON schema's properties).

    Questions are built from the documents' own words ("What is known about …?"), answers are their sentences, a
    conversation's reply takes a sentence it has not said yet, and a passage is the documents' sentences, each once:
    so the samples pass generate's checks and the gate's sanity checks."""
    props = set((request.json_schema or {}).get("properties", {}))
    docs = documents_of(request)
    text = docs[0][1] if docs else "Python code runs in an interpreter that reads statements."
    if props == {"question", "answer"}:
        return json.dumps({"question": f"What is known about {_subject(text)}?", "answer": _first_sentence(text)})
    if props == {"question", "answer", "cited"}:
        parts = [f"{_first_sentence(t)} [{lab}]" for lab, t in docs[:2]]
        subjects = " and ".join(_subject(t, 5) for _, t in docs[:2])
        return json.dumps({"question": f"What is known about {subjects}?", "answer": " ".join(parts),
                           "cited": [lab for lab, _ in docs[:2]]})
    if props == {"question"} and "\nStyle: " in (request.messages[-1]["content"] if request.messages else ""):
        if request.prefix:  # backtranslate with a forced opening ("What does the struct module"): finish it
            return request.prefix + (" do?" if re.search(r"\b(?:does|do)\s+\S", request.prefix) else "?") + '"}'
        return json.dumps({"question": f"What is known about {_subject(text)}?"})  # backtranslate
    subjects = _SUBJECTS.search(request.messages[-1]["content"]) if request.messages else None
    if props == {"question"} and subjects:  # multihop bridge: the two subjects it names
        return json.dumps({"question": f"How do {subjects.group(1)} and {subjects.group(2)} differ?"})
    if props == {"question"}:
        before = _said_before(request)
        turn = request.messages[-1]["content"].count("\n") % 7
        last = before.strip().splitlines()[-1].split(":", 1)[-1] if before.strip() else text
        return json.dumps({"question": f"Could you explain more about {_subject(last, 6)} and case {turn}?"})
    if props == {"answer", "cited"}:
        before = _said_before(request)
        fresh = [(lab, x) for lab, t in docs for x in _sentences(t) if x not in before]
        lab, answer = fresh[0] if fresh else ((docs[0][0], _first_sentence(text)) if docs else ("", text))
        return json.dumps({"answer": answer, "cited": [lab] if lab else []})
    if props == {"title", "passage"}:
        sentences = list(dict.fromkeys(x for _, t in docs for x in _sentences(t)))
        passage = " ".join(sentences)
        recap = [f"In short, {x[0].lower()}{x[1:]}" for x in sentences]
        while len(passage.split()) < 60 and recap:  # long enough for the task, never the same sentence twice
            passage += " " + recap.pop(0)
        return json.dumps({"title": f"About {_subject(text, 4)}", "passage": passage})
    return "{}"
