"""Any OpenAI-compatible server (``vllm serve``, Ollama, TGI, llama.cpp server, hosted APIs) over plain httpx.

>>> llm = OpenAICompatLLM(LLMConfig(spec="openai:Qwen/Qwen2.5-7B-Instruct", base_url="http://localhost:8000/v1"))
>>> llm.chat([ChatRequest(messages=[{"role": "user", "content": "Hi"}])])[0].text    # doctest: +SKIP
'Hello!'

POST ``{base_url}/chat/completions``, ``cfg.concurrency`` requests at a time (threads), each with ``cfg.timeout_s``.
Transient failures — HTTP 429, 5xx, timeouts, connection errors, an unreadable response body — are retried up to
``cfg.max_retries`` times with exponential backoff and jitter (tenacity), waiting what a ``Retry-After`` header asks
(capped at ``cfg.retry_max_wait_s``). Other 4xx are not retried. A request that still fails comes back as a failed
``ChatResult`` (``http_429``, ``http_500``, ``timeout``, ``connection_error``, ``bad_response``, ``http_400``…).
401/403 (key refused) and 404 (wrong base_url or model) raise ``BackendError``: no request could succeed.

A request with ``json_schema`` is sent with ``response_format={"type": "json_schema", …}``. If the server answers
400 to that and accepts ``{"type": "json_object"}`` (or no response_format) instead, that fallback is remembered for
this backend instance; the schema is then also stated in the prompt.

The API key is read from the environment variable named by ``cfg.api_key_env`` and only ever placed in the
Authorization header: it is scrubbed from every error message and is no part of ``name`` or any cache key.
"""

from __future__ import annotations

import json
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from groundset.errors import BackendError
from groundset.llm.base import ChatRequest, ChatResult
from groundset.llm.config import LLMConfig
from groundset.llm.spec import BackendSpec
from groundset.registry import BACKENDS

__all__ = ["OpenAICompatLLM"]

_MODES = ("json_schema", "json_object", "none")


class _Transient(Exception):
    """A failure worth retrying. ``reason`` becomes the ChatResult error reason if retries run out."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail, self.retry_after = reason, detail, retry_after


class _Final(Exception):
    """A failure not worth retrying (4xx other than 429)."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"http_{status}: {detail}")
        self.status, self.detail = status, detail


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class OpenAICompatLLM:
    """``chat`` sends each request on a pool of ``cfg.concurrency`` threads; results come back in order."""

    def __init__(self, cfg: LLMConfig, transport: httpx.BaseTransport | None = None):
        self.cfg = cfg
        self.model = cfg.spec.partition(":")[2]
        self.name = f"openai:{self.model}"
        self.base_url = (cfg.base_url or "https://api.openai.com/v1").rstrip("/")
        self._key = os.environ.get(cfg.api_key_env) or None
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        timeout = httpx.Timeout(cfg.timeout_s, connect=min(cfg.timeout_s, 10.0))
        limits = httpx.Limits(max_connections=cfg.concurrency, max_keepalive_connections=cfg.concurrency)
        self._client = httpx.Client(headers=headers, timeout=timeout, limits=limits, transport=transport)
        self._mode = "json_schema"
        self._mode_lock = threading.Lock()

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatLLM(model={self.model!r}, base_url={self.base_url!r})"

    # --- public ----------------------------------------------------------------------------------------------------
    def chat(self, requests: list[ChatRequest]) -> list[ChatResult]:
        if not requests:
            return []
        workers = min(self.cfg.concurrency, len(requests))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="groundset-openai") as pool:
            results = list(pool.map(self._one, requests))
        fatal = [r for r in results if r.meta.get("fatal")]
        if fatal:
            raise BackendError(fatal[0].error or "the server refused the request")
        return results

    def close(self) -> None:
        self._client.close()

    # --- one request -----------------------------------------------------------------------------------------------
    def _one(self, req: ChatRequest) -> ChatResult:
        try:
            return self._with_format_fallback(req)
        except _Transient as e:
            return ChatResult(error=self._scrub(str(e)), finish_reason="error")
        except _Final as e:
            result = ChatResult(error=self._scrub(str(e)), finish_reason="error")
            if e.status in (401, 403):
                result.error = self._scrub(
                    f"http_{e.status}: the server at {self.base_url} refused the API key (read from the environment "
                    f"variable {self.cfg.api_key_env}); set a valid key there ({e.detail})"
                )
                result.meta["fatal"] = True
            elif e.status == 404:
                result.error = self._scrub(
                    f"http_404: {self.base_url}/chat/completions was not found or does not serve model {self.model!r}; "
                    f"check [llm] base_url (it usually ends in /v1) and the model name ({e.detail})"
                )
                result.meta["fatal"] = True
            return result
        except Exception as e:  # noqa: BLE001 - never raise out of a batch
            return ChatResult(error=self._scrub(f"backend_error: {type(e).__name__}: {e}"), finish_reason="error")

    def _with_format_fallback(self, req: ChatRequest) -> ChatResult:
        if req.json_schema is None:
            return self._retrying(self._body(req, "none"))
        mode = self._mode
        while True:
            try:
                result = self._retrying(self._body(req, mode))
            except _Final as e:
                nxt = _MODES.index(mode) + 1
                if e.status != 400 or nxt >= len(_MODES):
                    raise
                mode = _MODES[nxt]  # try the next weaker way to ask for JSON
                continue
            if mode != self._mode:
                with self._mode_lock:
                    if _MODES.index(mode) > _MODES.index(self._mode):
                        self._mode = mode  # remember: this server does not take the stronger form
            result.meta["response_format"] = mode
            return result

    def _body(self, req: ChatRequest, mode: str) -> dict[str, Any]:
        messages = req.messages
        if req.json_schema is not None and mode != "json_schema":
            hint = "Reply with only a JSON object that follows this JSON schema:\n" + json.dumps(req.json_schema)
            last = messages[-1] if messages else {"role": "system"}
            if last["role"] == "user":
                messages = messages[:-1] + [{**last, "content": f"{last['content']}\n\n{hint}"}]
            else:
                messages = list(messages) + [{"role": "user", "content": hint}]
        body: dict[str, Any] = {
            "model": self.model, "messages": messages, "temperature": req.temperature, "top_p": req.top_p,
            "max_tokens": req.max_tokens,
        }
        if req.seed is not None:
            body["seed"] = req.seed
        if req.stop:
            body["stop"] = req.stop
        if req.json_schema is not None and mode == "json_schema":
            body["response_format"] = {
                "type": "json_schema", "json_schema": {"name": "output", "schema": req.json_schema, "strict": False},
            }
        elif req.json_schema is not None and mode == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _retrying(self, body: dict[str, Any]) -> ChatResult:
        retrying = Retrying(
            stop=stop_after_attempt(self.cfg.max_retries + 1), wait=self._wait,
            retry=retry_if_exception_type(_Transient), reraise=True,
        )
        result: ChatResult = retrying(self._post, body)
        result.meta["attempts"] = retrying.statistics.get("attempt_number", 1)
        return result

    def _wait(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        cap = self.cfg.retry_max_wait_s
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, cap)
        base = self.cfg.retry_backoff_s * (2 ** (retry_state.attempt_number - 1))
        return min(cap, base) * (0.5 + random.random() / 2)  # full-ish jitter: 50–100 % of the backoff

    def _post(self, body: dict[str, Any]) -> ChatResult:
        try:
            resp = self._client.post(f"{self.base_url}/chat/completions", json=body)
        except httpx.TimeoutException as e:
            raise _Transient("timeout", f"no answer within {self.cfg.timeout_s:g}s ({type(e).__name__})") from None
        except httpx.TransportError as e:  # connect errors, dropped connections, protocol errors
            raise _Transient("connection_error", f"{type(e).__name__}: {e}") from None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _Transient(f"http_{resp.status_code}", _snippet(resp), _retry_after(resp))
        if resp.status_code >= 400:
            raise _Final(resp.status_code, _snippet(resp))
        try:
            data = resp.json()
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise _Transient("bad_response", f"unreadable response body: {_snippet(resp)}") from None
        usage = data.get("usage") or {}
        finish = choice.get("finish_reason") or "stop"
        return ChatResult(
            text=text, finish_reason="length" if finish == "length" else "stop",
            prompt_tokens=int(usage.get("prompt_tokens") or 0) or _approx_tokens(body["messages"]),
            completion_tokens=int(usage.get("completion_tokens") or 0) or max(1, len(text) // 4),
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


def _snippet(resp: httpx.Response, limit: int = 300) -> str:
    try:
        text = resp.text
    except Exception:  # noqa: BLE001
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


def _approx_tokens(messages: list[dict[str, str]]) -> int:
    return sum(len(m.get("content") or "") for m in messages) // 4 + 4 * len(messages)


BACKENDS.register("openai", BackendSpec(load=OpenAICompatLLM, usage="openai:MODEL", needs_model=True,
                                        description="any OpenAI-compatible server at [llm] base_url"), order=20)
