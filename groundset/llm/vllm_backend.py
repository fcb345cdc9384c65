"""Offline vLLM for GPU batch throughput: one ``vllm.LLM.chat`` call over the whole batch.

>>> llm = VLLMBackend(LLMConfig(spec="vllm:Qwen/Qwen2.5-7B-Instruct", tensor_parallel_size=2))   # doctest: +SKIP
>>> llm.chat(requests)                                                                        # doctest: +SKIP

- The engine is ``vllm.LLM(model, tensor_parallel_size, max_model_len, gpu_memory_utilization)``, created on the
  first ``chat`` and kept for the process.
- Each request becomes ``SamplingParams(temperature, top_p, max_tokens, seed, stop)``, plus
  ``structured_outputs=StructuredOutputsParams(json=schema)`` when it carries a JSON schema.
- Requests sharing a ``group`` (e.g. the same seed chunk) are made adjacent, groups in order of first appearance,
  so vLLM's automatic prefix caching reuses the shared context; results are returned in the caller's order.
- If vLLM rejects the batch (e.g. one prompt longer than max_model_len), each request is retried alone so that only
  the bad ones fail.

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
                "model": self.model, "tensor_parallel_size": self.cfg.tensor_parallel_size,
                "gpu_memory_utilization": self.cfg.gpu_memory_utilization,
            }
            if self.cfg.max_model_len:
                kwargs["max_model_len"] = self.cfg.max_model_len
            try:
                self._engine = self._vllm.LLM(**kwargs)
            except Exception as e:  # noqa: BLE001 - CUDA, memory, unknown model…
                raise BackendError(
                    f"vLLM could not start {self.model!r}: {type(e).__name__}: {e}. Check the model name, the GPU "
                    "(nvidia-smi), and lower [llm] gpu_memory_utilization or max_model_len if memory is short."
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
        return self._vllm.SamplingParams(**kwargs)

    def chat(self, requests: list[ChatRequest]) -> list[ChatResult]:
        if not requests:
            return []
        engine = self._ensure()
        order = plan_order(requests)
        convs = [requests[i].messages for i in order]
        params = [self.sampling_params(requests[i]) for i in order]
        try:
            outs = list(engine.chat(convs, params, use_tqdm=False))
            if len(outs) != len(order):
                raise RuntimeError(f"vLLM returned {len(outs)} outputs for {len(order)} requests")
        except Exception as e:  # noqa: BLE001 - isolate the request(s) vLLM rejects
            log.warning("vLLM rejected the batch (%s); retrying its %d requests one by one", e, len(order))
            outs = [self._alone(engine, c, p) for c, p in zip(convs, params)]
        results: list[ChatResult | None] = [None] * len(requests)
        for i, out in zip(order, outs):
            results[i] = out if isinstance(out, ChatResult) else _to_result(out)
        return results  # type: ignore[return-value]

    @staticmethod
    def _alone(engine: Any, conv: list[dict[str, str]], params: Any) -> Any:
        try:
            return engine.chat([conv], [params], use_tqdm=False)[0]
        except Exception as e:  # noqa: BLE001
            return ChatResult(error=f"backend_error: {type(e).__name__}: {e}", finish_reason="error")


def _to_result(out: Any) -> ChatResult:
    """A ``vllm.RequestOutput`` → ChatResult (first completion)."""
    comp = out.outputs[0]
    finish = comp.finish_reason
    result = ChatResult(
        text=comp.text, finish_reason="length" if finish == "length" else "stop",
        prompt_tokens=len(out.prompt_token_ids or []), completion_tokens=len(comp.token_ids or []),
    )
    if finish not in (None, "stop", "length"):
        result.error, result.finish_reason = f"backend_error: vLLM finish_reason={finish}", "error"
    return result


BACKENDS.register("vllm", BackendSpec(load=VLLMBackend, usage="vllm:MODEL", needs_model=True, served=True,
                                      description="offline vLLM batch inference (the vllm extra, a GPU)"), order=30)
