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
               embedder: Any = None, judge: str | None = None, workdir: Any = None) -> Judge:
    """The judge ``judge`` (default: ``cfg.judge``) of ``groundset.registry.JUDGES``. ``llm`` is needed by judges
    that call the [llm] backend (the llm judge); ``llm_cfg`` by ragas and by an [evaluate.llm] judge model, which
    keeps its cache and usage in ``workdir``. ``auto`` must be resolved first (``judges.auto.resolve``)."""
    from groundset.registry import JUDGES, UnknownNameError

    name = judge or cfg.judge
    try:
        spec = JUDGES.get(name)
    except UnknownNameError as e:
        raise BackendError(str(e)) from None
    extra = {"workdir": workdir} if workdir is not None else {}
    return spec.load(cfg, embed_cfg=embed_cfg, llm=llm, llm_cfg=llm_cfg, embedder=embedder, **extra)
