"""Grounding judges: pick one with ``[evaluate] judge``; all return the same ``Verdict`` per sample.

>>> from groundset.evaluate.config import EvaluateConfig
>>> judge = load_judge(EvaluateConfig(judge="default"))      # doctest: +SKIP
>>> judge.score([JudgeInput(texts=["Paris is in France."], contexts=["Paris is the capital of France."])])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import ClaimScore, Judge, JudgeInput, Verdict

__all__ = ["load_judge", "Judge", "JudgeInput", "Verdict", "ClaimScore"]


def load_judge(cfg: EvaluateConfig, *, embed_cfg: Any = None, llm: Any = None, llm_cfg: Any = None,
               embedder: Any = None, judge: str | None = None) -> Judge:
    """The judge ``judge`` (default: ``cfg.judge``). ``llm`` is needed by the llm judge; ``llm_cfg`` by ragas."""
    name = judge or cfg.judge
    if name == "default":
        from groundset.evaluate.judges.default import DefaultJudge

        return DefaultJudge(cfg, embedder=embedder, embed_cfg=embed_cfg)
    if name == "nli":
        from groundset.evaluate.judges.nli import NLIJudge

        return NLIJudge(cfg)
    if name == "llm":
        if llm is None:
            raise BackendError("the llm judge needs an LLM backend: configure [llm] spec (or pass llm=...)")
        from groundset.evaluate.judges.llm import LLMJudge

        return LLMJudge(cfg, llm)
    if name == "ragas":
        from groundset.evaluate.judges.ragas import RagasJudge

        return RagasJudge(cfg, llm_cfg=llm_cfg, concurrency=getattr(llm_cfg, "concurrency", 8))
    raise BackendError(f"unknown judge {name!r}: use default, nli, llm or ragas")
