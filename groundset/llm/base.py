"""The one interface every LLM backend implements: a batch of chat requests in, results out, in order.

>>> from groundset.llm.fake import FakeLLM          # doctest: +SKIP
>>> llm = FakeLLM(["Paris."])                          # doctest: +SKIP
>>> [r.text for r in llm.chat([ChatRequest(messages=[{"role": "user", "content": "Capital of France?"}])])]
['Paris.']

Backends never raise for one bad request: a failed request comes back as a ``ChatResult`` with ``error`` set
(and the raw text, if any). They raise ``BackendError`` only when they cannot work at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["ChatRequest", "ChatResult", "LLM"]


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to make. ``json_schema``: the output must be a JSON object following it."""

    messages: list[dict[str, str]]
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 512
    seed: int | None = None
    stop: list[str] | None = None
    json_schema: dict[str, Any] | None = None
    group: str | None = None  # requests sharing a context (e.g. a seed chunk id): kept adjacent for prefix caching
    logprobs: int | None = None  # return each output token's log-probability, with this many alternatives (0: none)
    # the reply begins with this text: the local and fake backends continue it (a forced opening, the result's text
    # includes it); backends that cannot continue a partial reply are asked for it in the prompt (``hinted``)
    prefix: str | None = None

    def hinted(self) -> list[dict[str, str]]:
        """The messages, with ``prefix`` asked for at the end of the last user message (for backends that cannot
        continue a partial assistant message)."""
        if not self.prefix or not self.messages or self.messages[-1].get("role") != "user":
            return self.messages
        last = self.messages[-1]
        hint = f"Begin your reply with exactly: {self.prefix}"
        return [*self.messages[:-1], {**last, "content": f"{last['content']}\n\n{hint}"}]


@dataclass
class ChatResult:
    """The outcome of one request. ``parsed`` is set when a schema was given and the output validated."""

    text: str = ""
    parsed: Any = None
    error: str | None = None  # e.g. "invalid_json: Expecting ',' …", "timeout", "http_500"
    finish_reason: str | None = None  # stop | length | error
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    # when the request asked for ``logprobs``: one entry per output token,
    # {"token": str, "logprob": float, "top": {alternative token: logprob}} (None when the backend gave none)
    logprobs: list[dict[str, Any]] | None = None
    # details: "repaired" (+ "first_error", "first_text" of the attempt that failed), "constrained" (local),
    # "attempts" (tries, retries included) and "response_format" (openai)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def reason(self) -> str | None:
        """The failure reason: the part of ``error`` before the first colon (``"http_429"``), None when ok."""
        return None if self.error is None else self.error.split(":", 1)[0].strip()


@runtime_checkable
class LLM(Protocol):
    """What generators and judges receive. ``name`` identifies the model in caches, samples and dataset cards."""

    name: str

    def chat(self, requests: list[ChatRequest]) -> list[ChatResult]: ...
