"""What the OpenAI-compatible backend sends, and how it adapts to what a server refuses (no I/O here).

>>> dialect = Dialect("o3-mini")
>>> body = dialect.body(ChatRequest(messages=[{"role": "user", "content": "Hi"}], max_tokens=64), "none")
>>> body["max_completion_tokens"], "temperature" in body, "max_tokens" in body
(64, False, False)

**Structured output.** A request with a JSON schema is asked for in the strongest form the server takes, in the
order of ``MODES``: ``json_schema`` (OpenAI, vLLM, Ollama, llama.cpp), ``json`` (TGI's own grammar form,
``{"type": "json", "value": schema}``), ``json_object`` (JSON mode), ``none`` (the schema only in the prompt). The
next form is tried only when the server refuses the request with a 400 or 422 whose body names the response format
or the schema (``names_format``): TGI's "response_format: missing field `value`" does, "context length exceeded"
or TGI's "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096" do not, and fail as they are.
A refusal is remembered for requests with the same schema only, so a schema that one server cannot compile does not
downgrade the others, and no success downgrades anything.

**Reasoning models.** OpenAI's o-series and gpt-5 models refuse ``max_tokens`` ("Use 'max_completion_tokens'
instead") and any temperature other than 1 (and ``top_p``). Known families get ``max_completion_tokens`` and no
sampling parameters from the first request (``reasoning_family``); for any other model a 400 naming one of those
parameters switches it once for the whole backend (``Dialect.adapt``) and the request is sent again at once.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from groundset.llm.base import ChatRequest

__all__ = ["MODES", "Dialect", "names_format", "reasoning_family", "schema_key"]

MODES = ("json_schema", "json", "json_object", "none")

_FORMAT_WORDS = re.compile(
    r"response_format|response format|json_schema|json_object|json schema|\bschema\b|grammar|guided_json|"
    r"structured output|unknown variant `json",
    re.I,
)
_REASONING = re.compile(r"^(o\d+)(?:$|[-_.])|^gpt-5(?!.*-chat)", re.I)


def names_format(status: int, detail: str) -> bool:
    """True when a refusal (400 or 422) is about the requested response format or the schema."""
    return status in (400, 422) and bool(_FORMAT_WORDS.search(detail or ""))


def reasoning_family(model: str) -> bool:
    """OpenAI reasoning models (o1, o3-mini, o4-mini, gpt-5, gpt-5-mini; not gpt-5-chat), with or without an
    ``openai/`` style prefix."""
    return bool(_REASONING.search(model.rsplit("/", 1)[-1]))


def schema_key(schema: dict[str, Any] | None) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:16] if schema else ""


def _error_fields(detail: str) -> tuple[str, str]:
    """(param, message) of an OpenAI-style error body (``{"error": {"param": ..., "message": ...}}``)."""
    try:
        data = json.loads(detail)
    except (TypeError, ValueError):
        return "", detail or ""
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return str(err.get("param") or ""), str(err.get("message") or detail)
    return "", str(err or detail)


class Dialect:
    """Per-backend knowledge of what the server takes: the token-limit parameter, the sampling parameters it
    refuses, and the structured-output forms refused per schema. Thread-safe; lives as long as the backend."""

    def __init__(self, model: str):
        self.model = model
        reasoning = reasoning_family(model)
        self.token_param = "max_completion_tokens" if reasoning else "max_tokens"
        self.dropped: set[str] = {"temperature", "top_p"} if reasoning else set()
        self._refused: dict[str, int] = {}  # schema key -> index in MODES of the first form not refused
        self._lock = threading.Lock()

    # --- structured output ---------------------------------------------------------------------------------------
    def mode_for(self, req: ChatRequest) -> str:
        if req.json_schema is None:
            return "none"
        return MODES[self._refused.get(schema_key(req.json_schema), 0)]

    def refuse(self, req: ChatRequest, mode: str) -> str | None:
        """Record that the server refused ``mode`` for this schema; the next form to try (None: none left)."""
        nxt = MODES.index(mode) + 1
        if nxt >= len(MODES):
            return None
        key = schema_key(req.json_schema)
        with self._lock:
            self._refused[key] = max(self._refused.get(key, 0), nxt)
        return MODES[nxt]

    # --- parameters ----------------------------------------------------------------------------------------------
    def adapt(self, status: int, detail: str) -> bool:
        """Learn from a 400 that names a parameter this model does not take; True when the request should be
        sent again as it is now built."""
        if status != 400:
            return False
        param, message = _error_fields(detail)
        text = f"{param} {message}".lower()
        with self._lock:
            if "max_completion_tokens" in text and "max_tokens" in text and self.token_param != "max_completion_tokens":
                self.token_param = "max_completion_tokens"
                return True
            for name in ("temperature", "top_p"):
                if (param == name or f"'{name}'" in text) and "unsupported" in text and name not in self.dropped:
                    self.dropped.add(name)
                    return True
        return False

    # --- the body ------------------------------------------------------------------------------------------------
    def body(self, req: ChatRequest, mode: str, model: str | None = None) -> dict[str, Any]:
        """The JSON body of ``POST /chat/completions`` for ``req`` with structured-output form ``mode``."""
        messages = req.hinted()  # an opening the server cannot be made to continue is asked for in the prompt
        if req.json_schema is not None and mode in ("json_object", "none"):
            hint = "Reply with only a JSON object that follows this JSON schema:\n" + json.dumps(req.json_schema)
            last = messages[-1] if messages else {"role": "system"}
            if last["role"] == "user":
                messages = messages[:-1] + [{**last, "content": f"{last['content']}\n\n{hint}"}]
            else:
                messages = list(messages) + [{"role": "user", "content": hint}]
        body: dict[str, Any] = {"model": model or self.model, "messages": messages}
        if "temperature" not in self.dropped:
            body["temperature"] = req.temperature
        if "top_p" not in self.dropped:
            body["top_p"] = req.top_p
        body[self.token_param] = req.max_tokens
        if req.seed is not None:
            body["seed"] = req.seed
        if req.stop:
            body["stop"] = req.stop
        if req.logprobs is not None:
            body["logprobs"] = True
            if req.logprobs > 0:
                body["top_logprobs"] = req.logprobs
        if req.json_schema is not None:
            if mode == "json_schema":
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": req.json_schema, "strict": False},
                }
            elif mode == "json":
                body["response_format"] = {"type": "json", "value": req.json_schema}
            elif mode == "json_object":
                body["response_format"] = {"type": "json_object"}
        return body
