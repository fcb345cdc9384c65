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

A request with ``json_schema`` asks for it in the strongest form the server takes (``json_schema``, TGI's ``json``,
``json_object``, then the prompt alone); the next form is tried only on a 400/422 that names the response format or
the schema, and remembered for that schema. OpenAI reasoning models get ``max_completion_tokens`` and no sampling
parameters (known families at once, others when a 400 asks for it). See ``openai_body``.

``chat(requests, on_result=f)`` calls ``f(i, result)`` in the calling thread as each request finishes (the caller
journals it at once), before returning the whole list. A request asking for ``logprobs`` sends ``logprobs`` /
``top_logprobs`` (vLLM, OpenAI, Ollama ≥ 0.12.11) and the answer's token log-probabilities land on
``ChatResult.logprobs``.

The API key is read from the environment variable named by ``cfg.api_key_env`` and only ever placed in the
Authorization header: it is scrubbed from every error message and is no part of ``name`` or any cache key.
"""

from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from groundset.errors import BackendError
from groundset.llm.base import ChatRequest, ChatResult
from groundset.llm.config import LLMConfig
from groundset.llm.openai_body import Dialect, names_format
from groundset.llm.spec import BackendSpec
from groundset.registry import BACKENDS

__all__ = ["OpenAICompatLLM"]


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
        self.dialect = Dialect(self.model)

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatLLM(model={self.model!r}, base_url={self.base_url!r})"

    # --- public ----------------------------------------------------------------------------------------------------
    def chat(self, requests: list[ChatRequest],
             on_result: Callable[[int, ChatResult], None] | None = None) -> list[ChatResult]:
        if not requests:
            return []
        workers = min(self.cfg.concurrency, len(requests))
        results: list[ChatResult | None] = [None] * len(requests)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="groundset-openai") as pool:
            futures = {pool.submit(self._one, r): i for i, r in enumerate(requests)}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()  # _one never raises
                if on_result is not None and not results[i].meta.get("fatal"):
                    on_result(i, results[i])
        fatal = [r for r in results if r.meta.get("fatal")]
        if fatal:
            raise BackendError(fatal[0].error or "the server refused the request")
        return results  # type: ignore[return-value]

    def close(self) -> None:
        self._client.close()

    # --- one request -----------------------------------------------------------------------------------------------
    def _one(self, req: ChatRequest) -> ChatResult:
        tally = {"posts": 0, "retries": 0}
        result = self._outcome(req, tally)
        result.meta["attempts"], result.meta["retries"] = tally["posts"], tally["retries"]
        return result

    def _outcome(self, req: ChatRequest, tally: dict[str, int]) -> ChatResult:
        try:
            return self._with_format_fallback(req, tally)
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

    def _with_format_fallback(self, req: ChatRequest, tally: dict[str, int]) -> ChatResult:
        mode = self.dialect.mode_for(req)
        adaptations = 0
        while True:
            try:
                result = self._retrying(self.dialect.body(req, mode), tally)
            except _Final as e:
                if adaptations < 3 and self.dialect.adapt(e.status, e.detail):
                    adaptations += 1  # e.g. max_tokens -> max_completion_tokens: the same request, sent again
                    continue
                nxt = self.dialect.refuse(req, mode) if req.json_schema is not None and names_format(
                    e.status, e.detail) else None
                if nxt is None:
                    raise
                mode = nxt  # the next weaker way to ask for JSON
                continue
            if req.json_schema is not None:
                result.meta["response_format"] = mode
            return result

    def _retrying(self, body: dict[str, Any], tally: dict[str, int]) -> ChatResult:
        """POST ``body``, retrying transient failures; ``tally`` counts the posts and the retries."""

        def post() -> ChatResult:
            tally["posts"] += 1
            return self._post(body)

        def count_retry(_state) -> None:
            tally["retries"] += 1

        retrying = Retrying(
            stop=stop_after_attempt(self.cfg.max_retries + 1), wait=self._wait,
            retry=retry_if_exception_type(_Transient), reraise=True, before_sleep=count_retry,
        )
        return retrying(post)

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
            logprobs=_logprobs(choice) if body.get("logprobs") else None,
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


def _logprobs(choice: dict[str, Any]) -> list[dict[str, Any]] | None:
    """OpenAI's ``choices[0].logprobs.content`` → [{"token", "logprob", "top": {token: logprob}}]."""
    content = (choice.get("logprobs") or {}).get("content")
    if not isinstance(content, list):
        return None
    out = []
    for item in content:
        if not isinstance(item, dict):
            continue
        top = {t.get("token", ""): float(t.get("logprob", 0.0)) for t in item.get("top_logprobs") or []
               if isinstance(t, dict)}
        out.append({"token": item.get("token", ""), "logprob": float(item.get("logprob", 0.0)), "top": top})
    return out


def _approx_tokens(messages: list[dict[str, str]]) -> int:
    return sum(len(m.get("content") or "") for m in messages) // 4 + 4 * len(messages)


BACKENDS.register("openai", BackendSpec(load=OpenAICompatLLM, usage="openai:MODEL", needs_model=True, served=True,
                                        description="any OpenAI-compatible server at [llm] base_url"), order=20)
