"""The llm judge: the configured LLM verifies each claim against the sources (ChainPoll-style).

One request per sample and poll holds all its claims, so a sample costs ``[evaluate] llm_polls`` calls. The model
reasons about each statement, then gives a JSON verdict per statement (prompts.VERIFY_*). With several polls
(sampled at temperature 0.7, different seeds), a claim's support is the share of polls that found it supported;
with one poll (temperature 0) it is 0 or 1. A sample whose every poll failed (unparseable, timeout) gets an error,
which the runner counts as ``judge_error``.
"""

from __future__ import annotations

from typing import Any

from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import Judge, Prepared
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.evaluate.prompts import VERIFY_SCHEMA, parse_verdicts, verify_messages
from groundset.llm.base import LLM, ChatRequest
from groundset.registry import JUDGES

__all__ = ["LLMJudge"]


class LLMJudge(Judge):
    """Claim-by-claim verification by an LLM backend (see module docstring)."""

    name = "llm"

    def __init__(self, cfg: EvaluateConfig, llm: LLM):
        super().__init__(cfg)
        self.llm = llm

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(model=getattr(self.llm, "name", "?"), polls=self.cfg.llm_polls)
        return d

    def requests(self, p: Prepared) -> list[ChatRequest]:
        """The verification requests of one sample, one per poll."""
        polls = self.cfg.llm_polls
        messages = verify_messages(p.claims, p.contexts)
        group = "verify:" + (p.contexts[0][:64] if p.contexts else "")
        return [
            ChatRequest(messages=messages, temperature=0.0 if polls == 1 else 0.7, seed=k,
                        max_tokens=self.cfg.llm_max_tokens, json_schema=VERIFY_SCHEMA, group=group)
            for k in range(polls)
        ]

    def _supports(self, items: list[Prepared]) -> list[tuple[list[float], list[str]] | str]:
        requests = [r for p in items for r in self.requests(p)]
        results = iter(self.llm.chat(requests))
        out: list[tuple[list[float], list[str]] | str] = []
        for p in items:
            votes: list[list[bool]] = []
            errors: list[str] = []
            for _ in range(self.cfg.llm_polls):
                res = next(results)
                parsed = parse_verdicts(res.parsed if res.parsed is not None else res.text, len(p.claims))
                if res.error and res.parsed is None and isinstance(parsed, str):
                    errors.append(res.error)
                elif isinstance(parsed, str):
                    errors.append(parsed)
                else:
                    votes.append(parsed)
            if not votes:
                out.append(f"llm judge: {errors[0]}" if errors else "llm judge: no verdict")
                continue
            supports = [sum(v[i] for v in votes) / len(votes) for i in range(len(p.claims))]
            out.append((supports, [f"llm: {len(votes)} poll(s)"] * len(p.claims)))
        return out


def _load(cfg: EvaluateConfig, *, llm: LLM | None = None, **_: Any) -> LLMJudge:
    if llm is None:
        raise BackendError("the llm judge needs an LLM backend: configure [llm] spec (or pass llm=...)")
    return LLMJudge(cfg, llm)


JUDGES.register("llm", JudgeSpec(load=_load, threshold=0.5, llm_calls=lambda cfg: cfg.llm_polls, needs_llm=True,
                                 description="the [llm] model verifies each sentence (ChainPoll)"), order=30)
