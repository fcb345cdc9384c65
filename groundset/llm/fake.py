"""A scripted backend for tests — ours and our users'. Replies are taken in order; requests are recorded.

>>> from groundset.llm.base import ChatRequest
>>> llm = FakeLLM(['{"question": "Q?", "answer": "A."}'])
>>> r = llm.chat([ChatRequest(messages=[{"role": "user", "content": "go"}], json_schema={"type": "object"})])[0]
>>> r.parsed["answer"], len(llm.history)
('A.', 1)

A reply may also be a callable ``(request) -> str`` (to answer from the prompt) or an ``Exception`` instance, which
becomes a failed result with that error. When the queue is empty, ``default`` is used (or the request fails).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Callable, Iterable, Union

from groundset.llm.base import ChatRequest, ChatResult

__all__ = ["FakeLLM"]

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

    def chat(self, requests: list[ChatRequest]) -> list[ChatResult]:
        return [self._one(r) for r in requests]

    def _one(self, request: ChatRequest) -> ChatResult:
        self.history.append(request)
        reply = self.queue.popleft() if self.queue else self.default
        if reply is None:
            return ChatResult(error="fake_queue_empty", finish_reason="error")
        if isinstance(reply, Exception):
            return ChatResult(error=f"{type(reply).__name__}: {reply}", finish_reason="error")
        text = reply(request) if callable(reply) else reply
        prompt_tokens = sum(len(m["content"].split()) for m in request.messages)
        result = ChatResult(
            text=text, finish_reason="stop", prompt_tokens=prompt_tokens, completion_tokens=len(text.split())
        )
        if request.json_schema is not None:
            try:
                result.parsed = json.loads(text)
            except json.JSONDecodeError as e:
                result.error = f"invalid_json: {e}"
        return result
