"""The ragas judge: ragas' Faithfulness metric (ragas 0.4 ``ragas.metrics.collections``), when the extra is installed.

    pip install 'groundset[ragas]'      # ragas 0.4.3 + langchain-community<0.4

ragas asks an LLM to break the response into statements and to verify each; the score is the share of supported
statements. It needs an OpenAI-compatible endpoint: ``[llm] spec = "openai:MODEL"`` with ``base_url`` (a vLLM
server works), or ``[evaluate.ragas] model`` to name another model on that endpoint. ragas scores the whole
response, so every claim of a sample carries the sample's score (our hard fact checks still apply per claim).
ragas is imported only here, and only when this judge is chosen.

All batches of one judge run on ONE event loop (an ``asyncio.Runner`` kept by the judge, closed by ``close()``):
the ``AsyncOpenAI`` client's httpx pool is bound to the loop it first ran on, so a fresh ``asyncio.run`` per batch
made every sample of the second batch fail with "Event loop is closed".
"""

from __future__ import annotations

import asyncio
import math
import os
from typing import Any

from groundset.errors import BackendError, MissingExtraError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import Judge, Prepared
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.registry import JUDGES

__all__ = ["RagasJudge", "build_metric"]


def build_metric(cfg: EvaluateConfig, llm_cfg: Any) -> Any:
    """A ragas ``Faithfulness`` metric on the [llm] endpoint (BackendError when it is not OpenAI-compatible)."""
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    try:
        from openai import AsyncOpenAI
        from ragas.llms import llm_factory
        from ragas.metrics.collections import Faithfulness
    except ImportError:
        raise MissingExtraError("ragas", "ragas", "the ragas judge") from None
    spec = getattr(llm_cfg, "spec", "") or ""
    from groundset.registry import BACKENDS

    kind, _, model = spec.partition(":")
    served = kind in BACKENDS and BACKENDS.get(kind).served
    if not served or not (llm_cfg.base_url or kind == "openai"):
        raise BackendError(
            "the ragas judge needs an OpenAI-compatible endpoint: set [llm] spec = 'openai:MODEL' (and base_url for "
            "a local server such as `vllm serve`), or use [evaluate] judge = 'llm' with any backend"
        )
    client = AsyncOpenAI(base_url=llm_cfg.base_url, api_key=os.environ.get(llm_cfg.api_key_env) or "none",
                         timeout=llm_cfg.timeout_s)
    return Faithfulness(llm=llm_factory(cfg.ragas.model or model, client=client))


class RagasJudge(Judge):
    """Adapter around ragas Faithfulness; ``metric`` may be given (tests pass a stub with ``async ascore``)."""

    name = "ragas"

    def __init__(self, cfg: EvaluateConfig, llm_cfg: Any = None, metric: Any = None, concurrency: int = 8):
        super().__init__(cfg)
        self.metric = metric if metric is not None else build_metric(cfg, llm_cfg)
        self.concurrency = concurrency
        self._runner: asyncio.Runner | None = None

    def close(self) -> None:
        """Close the event loop the batches ran on (and the HTTP connections bound to it)."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _run(self, coro: Any) -> Any:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(coro)

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(metric=type(self.metric).__name__, model=self.cfg.ragas.model)
        return d

    async def _one(self, sem: asyncio.Semaphore, p: Prepared) -> float | str:
        async with sem:
            try:
                result = await self.metric.ascore(
                    user_input=p.question or "(no question)", response=" ".join(p.claims),
                    retrieved_contexts=p.contexts or [""],
                )
            except Exception as e:  # noqa: BLE001 - ragas and the HTTP client raise many kinds
                return f"ragas: {type(e).__name__}: {e}"[:300]
        value = getattr(result, "value", result)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "ragas: no statements found in the response"
        return float(value)

    async def _all(self, items: list[Prepared]) -> list[float | str]:
        sem = asyncio.Semaphore(self.concurrency)
        return await asyncio.gather(*(self._one(sem, p) for p in items))

    def _supports(self, items: list[Prepared]) -> list[tuple[list[float], list[str]] | str]:
        out: list[tuple[list[float], list[str]] | str] = []
        for p, value in zip(items, self._run(self._all(items))):
            if isinstance(value, str):
                out.append(value)
            else:
                out.append(([value] * len(p.claims), ["ragas faithfulness of the whole response"] * len(p.claims)))
        return out


def _load(cfg: EvaluateConfig, *, llm_cfg: Any = None, **_: Any) -> RagasJudge:
    return RagasJudge(cfg, llm_cfg=llm_cfg, concurrency=getattr(llm_cfg, "concurrency", 8))


JUDGES.register("ragas", JudgeSpec(load=_load, threshold=0.8, llm_calls=lambda cfg: 3,
                                   description="ragas faithfulness through the [llm] openai: endpoint"), order=40)
