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


def documents_of(request: ChatRequest) -> list[tuple[str, str]]:
    """(label, text) of the documents quoted in the request's last user message."""
    return _DOC.findall(request.messages[-1]["content"]) if request.messages else []


def _first_sentence(text: str) -> str:
    """The first sentence of 5+ words (headings and interpreter lines are skipped)."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text.strip()) if p.strip()]
    return next((p for p in parts if len(p.split()) >= 5 and not p.startswith(">>>")), text.strip()[:200])


def echo_reply(request: ChatRequest) -> str:
    """A well-formed, extractive reply for any generator request (chosen by its JSON schema's properties)."""
    props = set((request.json_schema or {}).get("properties", {}))
    docs = documents_of(request)
    text = docs[0][1] if docs else "Python code runs in an interpreter that reads statements."
    subject = " ".join(re.findall(r"[A-Za-z]+", text)[:4])
    if props == {"question", "answer"}:
        return json.dumps({"question": f"What is said about {subject}?",  # only words of the document
                           "answer": _first_sentence(text)})
    if props == {"question", "answer", "cited"}:
        parts = [f"{_first_sentence(t)} [{lab}]" for lab, t in docs[:2]]
        return json.dumps({"question": f"How do {subject} relate to the other topic?", "answer": " ".join(parts),
                           "cited": [lab for lab, _ in docs[:2]]})
    if props == {"question"}:
        turn = request.messages[-1]["content"].count("\n") % 7
        return json.dumps({"question": f"Could you explain more about {subject} and case {turn}?"})
    if props == {"answer", "cited"}:
        return json.dumps({"answer": _first_sentence(text), "cited": [docs[0][0]] if docs else []})
    if props == {"title", "passage"}:
        body = " ".join(t for _, t in docs)
        return json.dumps({"title": f"About {subject}", "passage": (body + " ") * 2})
    return "{}"
