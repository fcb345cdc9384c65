"""What ``--llm fake`` answers: replies grounded in the prompt's own documents, so a whole run works without a model.

>>> from groundset.llm.base import ChatRequest
>>> req = ChatRequest(messages=[{"role": "user", "content": 'SOURCES:\\n[1] Paris is the capital of France.\\n\\n'
...     'STATEMENTS:\\n1. Paris is the capital of France.\\n2. Berlin hosts the Louvre.\\n\\nReply with JSON'}],
...     json_schema={"type": "object", "properties": {"verdicts": {}}})
>>> [v["supported"] for v in json.loads(grounded_reply(req))["verdicts"]]
[True, False]

- Generator requests (documents between ``<document>`` tags): extractive, schema-valid replies built from the
  quoted documents (``groundset.generate.echo``), which pass generate's checks.
- The llm judge's verification requests (one statement, or a numbered list): supported when nearly all of a
  statement's content words are in the sources (extractive answers are; invented ones are not), with the source
  sentence that shares most words as the quote.
- The rating request (and any other plain-text request): a one-line review ending in ``Score: 4``.
- Any other schema: a minimal instance of it (``schema_example``).

Deterministic, instant, and not a model: the text is copied from the corpus. Use it to rehearse a configuration
end to end (ingest → generate → evaluate → export), never to make data to train on.
"""

from __future__ import annotations

import json
import re

from groundset.llm.base import ChatRequest
from groundset.llm.fake import schema_example

__all__ = ["grounded_reply"]

_WORD = re.compile(r"[a-z0-9]+")


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 3}


def _verdicts(prompt: str) -> str:
    sources, _, rest = prompt.partition("STATEMENTS:")
    statements = re.findall(r"^\s*(\d+)\.\s+(.+)$", rest.split("\n\n")[0] if rest.strip() else "", re.M)
    have = _content_words(sources)
    verdicts = []
    for sid, text in statements:
        words = _content_words(text)
        share = len(words & have) / len(words) if words else 1.0
        verdicts.append({"id": int(sid), "reasoning": f"{share:.0%} of its content words are in the sources",
                         "supported": share >= 0.8})
    return json.dumps({"verdicts": verdicts})


def _claim_verdict(prompt: str) -> str:
    sources, _, rest = prompt.partition("STATEMENT:")
    claim = rest.strip().split("\n\n")[0].strip()
    words = _content_words(claim)
    have = _content_words(sources)
    share = len(words & have) / len(words) if words else 1.0
    body = re.sub(r"^\s*SOURCES:\s*", "", sources)
    sentences = [x.strip() for x in re.split(r"(?<=[.!?])\s+|\n+", body) if x.strip()]
    sentences = [re.sub(r"^\[\d+\]\s*", "", x) for x in sentences]
    quote = max(sentences, key=lambda x: len(_content_words(x) & words), default="") if share >= 0.8 else ""
    return json.dumps({"quote": quote, "verdict": "supported" if share >= 0.8 else "unsupported"})


def grounded_reply(request: ChatRequest) -> str:
    """The fake backend's reply to ``request`` (see the module docstring)."""
    schema = request.json_schema
    prompt = request.messages[-1].get("content", "") if request.messages else ""
    if schema is None:
        return "The answer is clear, complete and taken from the sources.\nScore: 4"
    props = set(schema.get("properties") or {})
    if props == {"verdicts"}:
        return _verdicts(prompt)
    if props == {"quote", "verdict"}:
        return _claim_verdict(prompt)
    from groundset.generate.echo import echo_reply  # the generators' prompt formats live with the generators

    text = echo_reply(request)
    return text if text != "{}" else json.dumps(schema_example(schema))
