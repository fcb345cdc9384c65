"""A scripted backend for tests — ours and our users'. Replies are taken in order; requests are recorded.

>>> from groundset.llm.base import ChatRequest
>>> llm = FakeLLM(['{"question": "Q?", "answer": "A."}'])
>>> r = llm.chat([ChatRequest(messages=[{"role": "user", "content": "go"}], json_schema={"type": "object"})])[0]
>>> r.parsed["answer"], len(llm.history)
('A.', 1)

A reply may also be a callable ``(request) -> str`` (to answer from the prompt) or an ``Exception`` instance, which
becomes a failed result with that error. When the queue is empty, ``default`` is used (or the request fails).
Replies to requests with a ``json_schema`` are parsed like the real backends' (code fences and prose tolerated, then
validated); wrap a FakeLLM with ``groundset.llm.wrap`` to also get the cache, the repair attempt and usage.
``schema_example(schema)`` builds a minimal instance of a schema, handy as a ``default``.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterable, Union

from groundset.llm.base import ChatRequest, ChatResult
from groundset.llm.spec import BackendSpec
from groundset.registry import BACKENDS

__all__ = ["FakeLLM", "schema_example"]

Reply = Union[str, Exception, Callable[[ChatRequest], str]]


class FakeLLM:
    """Deterministic stand-in for an LLM backend."""

    def __init__(self, replies: Iterable[Reply] = (), name: str = "fake", default: Reply | None = None):
        self.name = name
        self.queue: deque[Reply] = deque(replies)
        self.default = default
        self.history: list[ChatRequest] = []

    def enqueue(self, replies: Iterable[Reply]) -> "FakeLLM":
        self.queue.extend(replies)
        return self

    def chat(self, requests: list[ChatRequest],
             on_result: Callable[[int, ChatResult], None] | None = None) -> list[ChatResult]:
        """One result per request, in order; ``on_result(i, result)`` as each is made (as the real backends do)."""
        results = []
        for i, request in enumerate(requests):
            results.append(self._one(request))
            if on_result is not None:
                on_result(i, results[-1])
        return results

    def _one(self, request: ChatRequest) -> ChatResult:
        self.history.append(request)
        reply = self.queue.popleft() if self.queue else self.default
        if reply is None:
            return ChatResult(error="fake_queue_empty", finish_reason="error")
        if isinstance(reply, Exception):
            return ChatResult(error=f"{type(reply).__name__}: {reply}", finish_reason="error")
        text = reply(request) if callable(reply) else reply
        if request.prefix and not text.startswith(request.prefix):  # a reply given as what follows a forced opening
            text = request.prefix + text
        prompt_tokens = sum(len(m["content"].split()) for m in request.messages)
        result = ChatResult(
            text=text, finish_reason="stop", prompt_tokens=prompt_tokens, completion_tokens=len(text.split())
        )
        if request.json_schema is not None:
            from groundset.llm.structured import parse_structured

            parsed = parse_structured(text, request.json_schema, result.finish_reason)
            result.parsed, result.error = parsed.value, parsed.error
        return result


def schema_example(schema: dict[str, Any]) -> Any:
    """A small value following ``schema`` (first enum value, "example" for strings, 0, [], …).

    >>> schema_example({"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer"}}})
    {'q': 'example', 'n': 0}
    """
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return schema_example(schema[key][0])
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {name: schema_example(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        n = int(schema.get("minItems", 1 if schema.get("items") else 0))
        return [schema_example(schema.get("items") or {}) for _ in range(n)]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = "example"
    min_len = int(schema.get("minLength", 0))
    return text if len(text) >= min_len else text * (min_len // len(text) + 1)


def placeholder_reply(request: ChatRequest) -> str:
    """The ``fake`` backend's reply: a minimal instance of the request's schema, or a fixed sentence."""
    import json

    if request.json_schema is not None:
        return json.dumps(schema_example(request.json_schema))
    return "This is a placeholder reply from the fake backend."


def _load_fake(cfg: Any) -> FakeLLM:
    from groundset.llm.fake_replies import grounded_reply

    return FakeLLM(default=grounded_reply, name="fake")


BACKENDS.register("fake", BackendSpec(load=_load_fake, usage="fake",
                                      description="extractive replies grounded in the prompt's documents, no model"),
                  order=40)
