"""What ``load_llm`` hands out: a raw backend wrapped with the response cache, structured output and accounting.

>>> from groundset.llm.fake import FakeLLM
>>> schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
>>> llm = wrap(FakeLLM(["not json", '{"a": "ok"}']), LLMConfig(spec="fake"))
>>> r = llm.chat([ChatRequest(messages=[{"role": "user", "content": "go"}], json_schema=schema)])[0]
>>> r.parsed, r.meta["repaired"], llm.usage.calls
({'a': 'ok'}, True, 2)

For each batch: cached answers are taken from the cache (counted as hits, no backend call); the rest go to the
backend in one ``chat`` call; replies to requests with a ``json_schema`` are extracted and validated, and those that
fail get ONE repair request (all repairs of the batch in one more call); usage is added to ``workdir.usage`` under
``stage``. Every success is stored in the cache as soon as it arrives: a backend whose ``chat`` takes
``on_result`` (the OpenAI-compatible one) reports each request as it finishes, so a killed run loses at most the
requests in flight. ``chat(requests, on_result=f)`` passes the same news on: ``f(i, result)`` once per request, as
soon as its final result is known (cache hits first), so the caller can journal its own records too; an exception
raised by ``f`` is re-raised after the batch (every reply journalled), never taken for a backend failure.

Nothing raises for a single request: a failure is a ``ChatResult`` whose ``error`` starts with its reason. Only
``BackendError``/``MissingExtraError`` (the backend cannot work at all) propagate.
"""

from __future__ import annotations

import inspect
import logging
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import replace
from typing import Any, Callable

from groundset.errors import BackendError, MissingExtraError
from groundset.llm.base import LLM, ChatRequest, ChatResult
from groundset.llm.cache import ResponseCache, request_key
from groundset.llm.config import LLMConfig
from groundset.llm.structured import parse_structured, reason_of, repair_request
from groundset.llm.usage import Usage, record_usage

__all__ = ["ManagedLLM", "wrap"]

log = logging.getLogger(__name__)
_PARSE_REASONS = {"invalid_json", "schema_mismatch", "truncated"}
_SAVE_EVERY_S = 1.0  # usage.json is brought up to date at least this often while replies stream in


class ManagedLLM:
    """An ``LLM`` (same ``name`` and ``chat``) around ``backend``. ``usage`` counts this object's calls."""

    def __init__(self, backend: Any, cfg: LLMConfig, workdir=None, stage: str = "generate", owns_backend: bool = True):
        self.backend = backend
        self.owns_backend = owns_backend
        self.cfg = cfg
        self.name: str = backend.name
        self.stage = stage
        self.workdir = workdir
        self.usage = Usage(model=self.name)
        self._saved = Usage(model=self.name)
        self._saved_at = time.monotonic()
        self.cache: ResponseCache | None = None
        self._lock = threading.Lock()
        if cfg.cache and workdir is not None:
            self.cache = ResponseCache(workdir.llm_cache)

    # --- the LLM interface ---------------------------------------------------------------------------------------
    def chat(self, requests: list[ChatRequest],
             on_result: Callable[[int, ChatResult], None] | None = None) -> list[ChatResult]:
        """Results in the order of ``requests``. Calls from several threads are served one batch at a time
        (concurrency lives inside a batch: give ``chat`` many requests at once)."""
        with self._lock:
            return self._chat(requests, on_result)

    def _chat(self, requests: list[ChatRequest], on_result: Callable[[int, ChatResult], None] | None) -> list[ChatResult]:
        t0 = time.perf_counter()
        results: list[ChatResult | None] = [None] * len(requests)
        keys = self._keys(requests)
        cached = self._cache_get(keys)
        todo, hits = [], []
        for i, (req, key) in enumerate(zip(requests, keys)):
            hit = cached.get(key)
            res = self._from_cache(req, hit) if hit is not None else None
            if res is not None:
                results[i] = res
                self.usage.cache_hits += 1
                hits.append(i)
            else:
                todo.append(i)
        caller_error: list[Exception] = []  # raised by on_result: re-raised as it is, never a backend error

        def tell(i: int, res: ChatResult) -> None:
            if on_result is not None and not caller_error:
                try:
                    on_result(i, res)
                except Exception as e:  # noqa: BLE001 - the replies still get journalled; raised at the end
                    caller_error.append(e)

        for i in hits:
            tell(i, results[i])  # type: ignore[arg-type]
        if todo:
            told: set[int] = set()

            def arrived(j: int, res: ChatResult) -> None:  # journal a final result the moment it arrives
                i = todo[j]
                checked = self._check(requests[i], res)
                if reason_of(checked.error) in _PARSE_REASONS:
                    return  # goes to the repair round; journalled after it
                if checked.ok:
                    self._cache_put([(keys[i], self.name, _to_cache(checked))])
                told.add(i)
                tell(i, checked)

            fresh = self._call([requests[i] for i in todo], arrived)
            finished = self._finish([requests[i] for i in todo], fresh)
            for i, res in zip(todo, finished):
                results[i] = res
            late = [i for i in todo if i not in told]
            self._cache_put([(keys[i], self.name, _to_cache(results[i])) for i in late if results[i].ok])
            for i in late:
                tell(i, results[i])
        for res in results:
            if res is not None and not res.ok:
                self.usage.add_failure(reason_of(res.error) or "error")
        self.usage.requests += len(requests)
        self.usage.wall_s += time.perf_counter() - t0
        self.save_usage()
        if caller_error:
            raise caller_error[0]
        return results  # type: ignore[return-value]

    # --- steps ---------------------------------------------------------------------------------------------------
    def _cache_get(self, keys: list[str]) -> dict[str, Any]:
        if self.cache is None:
            return {}
        try:
            return self.cache.get_many(keys)
        except sqlite3.Error as e:  # a locked or broken cache costs money, not the run
            log.warning("LLM cache %s unreadable (%s); asking the model", self.cache.path, e)
            return {}

    def _cache_put(self, items: list[tuple[str, str, dict[str, Any]]]) -> None:
        if self.cache is None or not items:
            return
        try:
            self.cache.put_many(items)
        except sqlite3.Error as e:
            log.warning("could not write the LLM cache %s: %s", self.cache.path, e)

    def _keys(self, requests: list[ChatRequest]) -> list[str]:
        seen: Counter[str] = Counter()
        keys = []
        for req in requests:
            base = request_key(self.name, req)
            keys.append(request_key(self.name, req, seen[base]) if seen[base] else base)
            seen[base] += 1
        return keys

    def _call(self, requests: list[ChatRequest],
              arrived: Callable[[int, ChatResult], None] | None = None) -> list[ChatResult]:
        """One backend call; results are accounted. An unexpected exception fails these requests only.
        ``arrived(i, result)`` is called once per request: as it arrives when the backend streams, else after."""
        got: dict[int, ChatResult] = {}

        def each(i: int, res: ChatResult) -> None:  # accounted and journalled the moment it arrives
            got[i] = res
            self.usage.add_call(res.prompt_tokens, res.completion_tokens, self.cfg.price_prompt_per_m,
                                self.cfg.price_completion_per_m)
            self.usage.retries += int(res.meta.get("retries") or 0)
            if arrived is not None:
                arrived(i, res)
            if time.monotonic() - self._saved_at >= _SAVE_EVERY_S:
                self.save_usage()

        try:
            if _streams(self.backend):
                out = list(self.backend.chat(requests, on_result=each))
            else:
                out = list(self.backend.chat(requests))
            if len(out) != len(requests):
                raise RuntimeError(f"backend returned {len(out)} results for {len(requests)} requests")
        except (BackendError, MissingExtraError):  # the backend cannot work at all: the caller must know
            raise
        except Exception as e:  # noqa: BLE001 - a backend bug must not lose the batch (nor what already arrived)
            log.warning("LLM backend %s failed on a batch: %s", self.name, e)
            failed = ChatResult(error=f"backend_error: {type(e).__name__}: {e}", finish_reason="error")
            out = [got.get(i) or replace(failed, meta={}) for i in range(len(requests))]
        for i, res in enumerate(out):
            if i not in got:
                each(i, res)
        return out

    def _finish(self, requests: list[ChatRequest], results: list[ChatResult]) -> list[ChatResult]:
        """Parse/validate structured replies; one repair round for those that failed."""
        final = [self._check(req, res) for req, res in zip(requests, results)]
        retry = [i for i, res in enumerate(final) if reason_of(res.error) in _PARSE_REASONS]
        if not retry:
            return final
        repairs = [repair_request(requests[i], final[i].text, final[i].error or "") for i in retry]
        self.usage.repairs += len(repairs)
        second = self._call(repairs)
        for i, res in zip(retry, second):
            first = final[i]
            checked = self._check(requests[i], res)
            checked.prompt_tokens += first.prompt_tokens
            checked.completion_tokens += first.completion_tokens
            checked.meta = {**checked.meta, "repaired": True, "first_error": first.error, "first_text": first.text}
            if checked.ok:
                self.usage.repaired += 1
            final[i] = checked
        return final

    @staticmethod
    def _check(req: ChatRequest, res: ChatResult) -> ChatResult:
        res = replace(res, meta=dict(res.meta))
        res.meta.setdefault("repaired", False)
        if res.error is not None and reason_of(res.error) not in _PARSE_REASONS:
            return res  # a transport/backend failure: nothing to parse
        if req.json_schema is None:
            res.error = None
            return res
        parsed = parse_structured(res.text, req.json_schema, res.finish_reason)
        res.parsed, res.error = parsed.value, parsed.error
        return res

    def _from_cache(self, req: ChatRequest, hit: dict[str, Any]) -> ChatResult | None:
        res = ChatResult(
            text=hit.get("text", ""), finish_reason=hit.get("finish_reason"), prompt_tokens=hit.get("prompt_tokens", 0),
            completion_tokens=hit.get("completion_tokens", 0), cached=True, meta=dict(hit.get("meta") or {}),
            logprobs=hit.get("logprobs"),
        )
        res = self._check(req, res)
        return res if res.ok else None  # a stale entry that no longer validates is asked again

    # --- usage ---------------------------------------------------------------------------------------------------
    def save_usage(self) -> None:
        """Add what happened since the last save to ``workdir.usage`` (no-op without a workdir)."""
        if self.workdir is None:
            return
        delta = self.usage.diff(self._saved)
        delta.model = self.name
        try:
            record_usage(self.workdir.usage, self.stage, delta)
        except OSError as e:
            log.warning("could not write %s: %s", self.workdir.usage, e)
            return
        self._saved = Usage.from_dict(self.usage.to_dict())
        self._saved_at = time.monotonic()

    def close(self) -> None:
        """Close the cache, and the backend's connections when this object owns it (not a shared engine)."""
        if self.cache is not None:
            self.cache.close()
            self.cache = None
        close = getattr(self.backend, "close", None)
        if self.owns_backend and callable(close):
            close()


def _to_cache(res: ChatResult) -> dict[str, Any]:
    meta = {k: v for k, v in res.meta.items() if k not in ("first_text", "first_error")}
    value = {
        "text": res.text, "finish_reason": res.finish_reason, "prompt_tokens": res.prompt_tokens,
        "completion_tokens": res.completion_tokens, "meta": meta,
    }
    if res.logprobs is not None:
        value["logprobs"] = res.logprobs
    return value


def _streams(backend: Any) -> bool:
    """Whether ``backend.chat`` takes ``on_result`` (reports each request as it finishes)."""
    try:
        return "on_result" in inspect.signature(backend.chat).parameters
    except (TypeError, ValueError):
        return False


def wrap(backend: Any, cfg: LLMConfig | None = None, workdir=None, stage: str = "generate") -> LLM:
    """``backend`` (anything with ``name`` and ``chat``, e.g. a FakeLLM) with cache, repair and usage."""
    return ManagedLLM(backend, cfg or LLMConfig(spec="fake"), workdir=workdir, stage=stage)
