"""Offline vLLM for GPU batch throughput: one ``vllm.LLM.chat`` call over the whole batch.

>>> llm = VLLMBackend(LLMConfig(spec="vllm:Qwen/Qwen2.5-7B-Instruct", vllm={"tensor_parallel_size": 2}))   # doctest: +SKIP
>>> llm.chat(requests)                                                                        # doctest: +SKIP

- The engine is ``vllm.LLM(model, tensor_parallel_size, max_model_len, gpu_memory_utilization,
  logprobs_mode="processed_logprobs")``, created on the first ``chat`` and kept for the process (one per process:
  ``engines``); ``close()`` shuts it down.
- Each request becomes ``SamplingParams(temperature, top_p, max_tokens, seed, stop)``, plus
  ``structured_outputs=StructuredOutputsParams(json=schema)`` when it carries a JSON schema and ``logprobs=k`` when
  it asks for log-probabilities (those after sampling processors: ``processed_logprobs``), which come back on
  ``ChatResult.logprobs``.
- Prompts longer than the engine's ``max_model_len`` (counted with the engine's own tokenizer and chat template)
  fail alone as ``prompt_too_long`` before the batch is sent.
- Requests sharing a ``group`` (e.g. the same seed chunk) are made adjacent, groups in order of first appearance,
  so vLLM's automatic prefix caching reuses the shared context; results are returned in the caller's order.
- If vLLM still rejects the batch, each request is retried alone so that only the bad ones fail.

vllm is the optional ``vllm`` extra and is imported only here; without it, ``MissingExtraError`` names the install.
"""

from __future__ import annotations

import logging
from typing import Any

from groundset.errors import BackendError, MissingExtraError
from groundset.llm.base import ChatRequest, ChatResult
from groundset.llm.config import LLMConfig
from groundset.llm.spec import BackendSpec
from groundset.registry import BACKENDS

__all__ = ["VLLMBackend", "plan_order"]

log = logging.getLogger(__name__)


def plan_order(requests: list[ChatRequest]) -> list[int]:
    """Indices of ``requests`` with equal ``group`` adjacent (groups by first appearance; stable inside a group)."""
    first: dict[str, int] = {}
    keys = []
    for i, r in enumerate(requests):
        key = r.group if r.group is not None else f"\0{i}"
        first.setdefault(key, i)
        keys.append(first[key])
    return sorted(range(len(requests)), key=lambda i: (keys[i], i))


def _import_vllm():
    try:
        import vllm
        from vllm.sampling_params import StructuredOutputsParams
    except ImportError:
        raise MissingExtraError("vllm", "vllm", "the vllm backend (offline GPU batch generation)") from None
    return vllm, StructuredOutputsParams


class VLLMBackend:
    """``chat(requests)`` → results in order; the engine loads lazily. Raises BackendError if it cannot start."""

    def __init__(self, cfg: LLMConfig):
        self.cfg = cfg
        self.model = cfg.spec.partition(":")[2]
        self.name = f"vllm:{self.model}"
        self._vllm, self._structured = _import_vllm()  # fail early, at load_llm, when the extra is missing
        self._engine: Any = None

    def _ensure(self) -> Any:
        if self._engine is None:
            kwargs: dict[str, Any] = {
                "model": self.model, "tensor_parallel_size": self.cfg.vllm.tensor_parallel_size,
                "gpu_memory_utilization": self.cfg.vllm.gpu_memory_utilization, "logprobs_mode": "processed_logprobs",
            }
            if self.cfg.vllm.max_model_len:
                kwargs["max_model_len"] = self.cfg.vllm.max_model_len
            try:
                self._engine = self._vllm.LLM(**kwargs)
            except Exception as e:  # noqa: BLE001 - CUDA, memory, unknown model…
                raise BackendError(
                    f"vLLM could not start {self.model!r}: {type(e).__name__}: {e}. Check the model name, the GPU "
                    "(nvidia-smi), and lower [llm.vllm] gpu_memory_utilization or max_model_len if memory is short."
                ) from None
        return self._engine

    def sampling_params(self, req: ChatRequest) -> Any:
        """The ``vllm.SamplingParams`` for one request."""
        kwargs: dict[str, Any] = {
            "temperature": req.temperature, "top_p": req.top_p, "max_tokens": req.max_tokens, "seed": req.seed,
        }
        if req.stop:
            kwargs["stop"] = list(req.stop)
        if req.json_schema is not None:
            kwargs["structured_outputs"] = self._structured(json=req.json_schema)
        if req.logprobs is not None:
            kwargs["logprobs"] = req.logprobs
        return self._vllm.SamplingParams(**kwargs)

    def close(self) -> None:
        """Shut the engine down and free its GPU memory (best effort: vLLM has no one public call for it)."""
        engine, self._engine = self._engine, None
        if engine is None:
            return
        core = getattr(getattr(engine, "llm_engine", None), "engine_core", None)
        shutdown = getattr(core, "shutdown", None)
        if callable(shutdown):
            try:
                shutdown()
            except Exception as e:  # noqa: BLE001
                log.warning("vLLM engine shutdown failed: %s", e)
        del engine

    def _max_len(self, engine: Any) -> int | None:
        if self.cfg.vllm.max_model_len:
            return self.cfg.vllm.max_model_len
        config = getattr(getattr(engine, "llm_engine", None), "model_config", None)
        return getattr(config, "max_model_len", None)

    def too_long(self, engine: Any, requests: list[ChatRequest]) -> dict[int, str]:
        """Index → error of the requests whose prompt (engine tokenizer, chat template) leaves no room under
        ``max_model_len``; empty when the tokenizer or the limit is unavailable."""
        limit = self._max_len(engine)
        try:
            tokenizer = engine.get_tokenizer() if limit else None
        except Exception:  # noqa: BLE001
            tokenizer = None
        if tokenizer is None:
            return {}
        out = {}
        for i, req in enumerate(requests):
            try:
                n = len(tokenizer.apply_chat_template(req.messages, tokenize=True, add_generation_prompt=True))
            except Exception:  # noqa: BLE001 - leave it to vLLM
                continue
            if n >= limit:
                out[i] = (f"prompt_too_long: {n} prompt tokens, max_model_len is {limit}; raise [llm.vllm] max_model_len "
                          "or lower [generate] context_chunks")
        return out

    def chat(self, requests: list[ChatRequest]) -> list[ChatResult]:
        if not requests:
            return []
        engine = self._ensure()
        results: list[ChatResult | None] = [None] * len(requests)
        for i, error in self.too_long(engine, requests).items():
            results[i] = ChatResult(error=error, finish_reason="error")
        order = [i for i in plan_order(requests) if results[i] is None]
        if not order:
            return results  # type: ignore[return-value]
        convs = [requests[i].hinted() for i in order]  # an opening (prefix) is asked for in the prompt
        params = [self.sampling_params(requests[i]) for i in order]
        try:
            outs = list(engine.chat(convs, params, use_tqdm=False))
            if len(outs) != len(order):
                raise RuntimeError(f"vLLM returned {len(outs)} outputs for {len(order)} requests")
        except Exception as e:  # noqa: BLE001 - isolate the request(s) vLLM rejects
            log.warning("vLLM rejected the batch (%s); retrying its %d requests one by one", e, len(order))
            outs = [self._alone(engine, c, p) for c, p in zip(convs, params)]
        for i, out in zip(order, outs):
            results[i] = out if isinstance(out, ChatResult) else _to_result(out, requests[i].logprobs is not None)
        return results  # type: ignore[return-value]

    @staticmethod
    def _alone(engine: Any, conv: list[dict[str, str]], params: Any) -> Any:
        try:
            return engine.chat([conv], [params], use_tqdm=False)[0]
        except Exception as e:  # noqa: BLE001
            return ChatResult(error=f"backend_error: {type(e).__name__}: {e}", finish_reason="error")


def _logprobs(comp: Any) -> list[dict[str, Any]] | None:
    """``CompletionOutput.logprobs`` (per position: {token id: Logprob(logprob, rank, decoded_token)}) →
    [{"token", "logprob", "top": {token: logprob}}] for the sampled token at each position."""
    positions = getattr(comp, "logprobs", None)
    if positions is None:
        return None
    ids = list(comp.token_ids or [])
    out = []
    for pos, cands in enumerate(positions):
        if not cands:
            continue
        chosen_id = ids[pos] if pos < len(ids) and ids[pos] in cands else next(iter(cands))
        chosen = cands[chosen_id]
        top = {str(getattr(lp, "decoded_token", tid)): float(lp.logprob) for tid, lp in cands.items()}
        out.append({"token": str(getattr(chosen, "decoded_token", chosen_id)), "logprob": float(chosen.logprob),
                    "top": top})
    return out


def _to_result(out: Any, want_logprobs: bool = False) -> ChatResult:
    """A ``vllm.RequestOutput`` → ChatResult (first completion)."""
    comp = out.outputs[0]
    finish = comp.finish_reason
    result = ChatResult(
        text=comp.text, finish_reason="length" if finish == "length" else "stop",
        prompt_tokens=len(out.prompt_token_ids or []), completion_tokens=len(comp.token_ids or []),
        logprobs=_logprobs(comp) if want_logprobs else None,
    )
    if finish not in (None, "stop", "length"):
        result.error, result.finish_reason = f"backend_error: vLLM finish_reason={finish}", "error"
    return result


BACKENDS.register("vllm", BackendSpec(load=VLLMBackend, usage="vllm:MODEL", needs_model=True, served=True,
                                      description="offline vLLM batch inference (the vllm extra, a GPU)"), order=30)
