"""What the gate needs to know of a grounding judge, registered once in ``groundset.registry.JUDGES``.

A judge module ends with its registration; ``--judge`` choices, ``[evaluate] judge`` / ``thresholds`` validation,
the default thresholds, the dry-run plan (LLM calls per sample) and the evaluate stage's fingerprint then know it:

>>> JUDGES.register("nli", JudgeSpec(load=lambda cfg, **ctx: NLIJudge(cfg), threshold=0.5))   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from groundset.evaluate.config import EvaluateConfig
    from groundset.evaluate.judges.base import Judge

__all__ = ["JudgeSpec", "no_llm_calls"]


def no_llm_calls(cfg: Any) -> int:
    return 0


@dataclass(frozen=True)
class JudgeSpec:
    """A grounding judge.

    - ``load(cfg, *, embed_cfg, llm, llm_cfg, embedder) -> Judge`` builds it from the ``[evaluate]`` config and
      what the stage has (the ``[embed]`` / ``[llm]`` configs, the loaded LLM, a shared embedder);
    - ``threshold``: its default adherence threshold (``[evaluate] thresholds`` overrides it);
    - ``llm_calls(cfg)``: LLM calls per sample (0: runs locally; > 0: the stage depends on ``[llm]``);
    - ``needs_llm``: ``load`` must be given the ``[llm]`` backend (the stage loads it).
    """

    load: Callable[..., Judge]
    threshold: float
    llm_calls: Callable[[EvaluateConfig], int] = no_llm_calls
    needs_llm: bool = False
    description: str = ""

    def uses_llm(self, cfg: Any) -> bool:
        """Whether the judge's scores depend on the ``[llm]`` section."""
        return self.needs_llm or self.llm_calls(cfg) > 0
