"""The llm judge: an LLM checks every claim on its own, and its score is P(supported), not a vote.

```
batch of samples ──▶ one request per claim (× [evaluate] llm_polls), all in ONE llm.chat call
                      sources first, claim last; reply constrained to {"quote": …, "verdict": supported|partly|unsupported}
reply ──▶ score = P(supported) from the verdict token's logprobs (openai-compatible servers, vLLM: top_logprobs)
          or, where the backend returns none, the label (supported 1, partly / unsupported 0)
      ──▶ a "supported" verdict whose quote is not in the sources (after whitespace normalisation) scores 0
```
With several polls (temperature 0.7, one seed each) a claim's score is the mean over the polls that answered. A
sample with a claim no poll could judge (unparseable, timeout) gets an error, counted as ``judge_error``.

The model: the generator's (``[llm]``) by default; ``[evaluate.llm]`` names a dedicated one (e.g. a MiniCheck or
Granite-Guardian model on a vLLM server), its unset keys taken from ``[llm]``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import Judge, Prepared
from groundset.evaluate.judges.llm_verdict import (CLAIM_SCHEMA, claim_messages, p_supported, parse_claim_verdict,
                                                   quote_in_sources)
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.llm.base import LLM, ChatRequest, ChatResult
from groundset.registry import JUDGES

__all__ = ["LLMJudge", "CLAIMS_PER_SAMPLE"]

CLAIMS_PER_SAMPLE = 3  # for the dry-run plan only: the llm judge makes one call per claim and poll


class LLMJudge(Judge):
    """Claim-by-claim verification by an LLM backend (see module docstring)."""

    name = "llm"

    def __init__(self, cfg: EvaluateConfig, llm: LLM):
        super().__init__(cfg)
        self.llm = llm
        self.counts: Counter[str] = Counter()

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(model=getattr(self.llm, "name", "?"), polls=self.cfg.llm_polls, top_logprobs=self.cfg.llm_top_logprobs,
                 **{f"claims_{k}": v for k, v in sorted(self.counts.items())})
        return d

    def requests(self, claim: str, contexts: list[str]) -> list[ChatRequest]:
        """The verification requests of one claim, one per poll."""
        polls = self.cfg.llm_polls
        group = "verify:" + hashlib.sha256("\n".join(contexts).encode()).hexdigest()[:16]
        k = self.cfg.llm_top_logprobs
        return [
            ChatRequest(messages=claim_messages(claim, contexts), temperature=0.0 if polls == 1 else 0.7, seed=i,
                        max_tokens=self.cfg.llm_max_tokens, json_schema=CLAIM_SCHEMA, group=group,
                        logprobs=k if k > 0 else None)
            for i in range(polls)
        ]

    def _supports(self, items: list[Prepared]) -> list[tuple[list[float], list[str]] | str]:
        requests = [r for p in items for c in p.claims for r in self.requests(c, p.contexts)]
        results = iter(self.llm.chat(requests))  # every claim of the batch in one round
        out: list[tuple[list[float], list[str]] | str] = []
        for p in items:
            supports, notes, failed = [], [], None
            for claim in p.claims:
                got = [self._one(next(results), p.contexts) for _ in range(self.cfg.llm_polls)]
                scored = [g for g in got if not isinstance(g, str)]
                if not scored:
                    failed = failed or next(g for g in got if isinstance(g, str))
                    continue
                supports.append(sum(s for s, _ in scored) / len(scored))
                notes.append("; ".join(dict.fromkeys(n for _, n in scored)))
            out.append(f"llm judge: {failed}" if failed else (supports, notes))
        return out

    def _one(self, res: ChatResult, contexts: list[str]) -> tuple[float, str] | str:
        """(score, note) of one reply, or the reason it gave none."""
        parsed = parse_claim_verdict(res.parsed if res.parsed is not None else res.text)
        if isinstance(parsed, str):
            self.counts["unparsed"] += 1
            return res.error or parsed if res.parsed is None else parsed
        verdict, quote = parsed
        if verdict == "supported" and not quote_in_sources(quote, contexts):
            self.counts["quote_not_in_sources"] += 1
            why = "no quote" if not quote.strip() else f"quote not in the sources: {quote[:80]!r}"
            return 0.0, f"llm: supported, voided ({why})"
        prob = p_supported(getattr(res, "logprobs", None))
        if prob is None:
            self.counts["by_label"] += 1
            return (1.0 if verdict == "supported" else 0.0), f"llm: {verdict} (label)"
        self.counts["by_logprobs"] += 1
        return prob, f"llm: {verdict}, P(supported) {prob:.3f}"


def _load(cfg: EvaluateConfig, *, llm: LLM | None = None, llm_cfg: Any = None, workdir: Any = None,
          **_: Any) -> LLMJudge:
    if cfg.llm.is_set():
        if llm_cfg is None:
            from groundset.llm.config import LLMConfig

            llm_cfg = LLMConfig()
        from groundset.evaluate.config_judges import merged_llm_config
        from groundset.llm import load_llm

        return LLMJudge(cfg, load_llm(merged_llm_config(llm_cfg, cfg.llm), workdir, stage="evaluate"))
    if llm is None:
        raise BackendError("the llm judge needs an LLM backend: configure [llm] spec or [evaluate.llm] spec")
    return LLMJudge(cfg, llm)


JUDGES.register("llm", JudgeSpec(load=_load, threshold=0.5,
                                 llm_calls=lambda cfg: cfg.llm_polls * CLAIMS_PER_SAMPLE, needs_llm=True,
                                 description="an LLM checks each sentence: P(supported) from logprobs, quotes checked "
                                 "([evaluate.llm] for a dedicated judge model)"), order=30)
