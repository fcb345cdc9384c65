"""judge = "combine": several judges on every sample, e.g. the offline judge AND a verifier, or a fitted fusion.

```toml
[evaluate]
judge = "combine"
thresholds = { default = 0.6, verifier = 0.5 }   # each member keeps its own threshold

[evaluate.combine]
judges = ["default", "verifier"]
mode = "all"            # all: every judge must pass | fusion: sigmoid(bias + Σ weight × score)
```
**all**: each member's score is rescaled so that its own threshold lands on 0.5 (``rescale``) and the sample takes
the lowest, so it passes the combine threshold (0.5) exactly when it passes every member's threshold. **fusion**: a
logistic model over the members' sample scores; ``groundset evaluate calibrate --judge combine --labelled F`` fits
``weights`` and ``bias`` on labelled rows (``fit_fusion``) and prints the line to set them. Either way each claim's
note lists every member's score and threshold and which member rejects it, and the summary describes every member.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import ClaimScore, Judge, JudgeInput, Verdict
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.registry import JUDGES

__all__ = ["CombinedJudge", "rescale", "fit_fusion"]


def rescale(score: float, threshold: float) -> float:
    """Map [0, threshold) to [0, 0.5) and [threshold, 1] to [0.5, 1], linearly: the threshold lands on 0.5."""
    if score < threshold:
        return 0.5 * score / threshold
    return 1.0 if threshold >= 1.0 else 0.5 + 0.5 * (score - threshold) / (1.0 - threshold)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


class CombinedJudge(Judge):
    """Runs ``members`` (name → Judge) on the same inputs and combines their verdicts (module docstring)."""

    name = "combine"

    def __init__(self, cfg: EvaluateConfig, members: dict[str, Judge]):
        super().__init__(cfg)
        self.members = members
        self.mode = cfg.combine.mode
        if self.mode == "fusion" and not set(members) <= set(cfg.combine.weights):
            raise BackendError(f"[evaluate.combine] mode = 'fusion' needs weights for {sorted(members)}: fit them with "
                               "`groundset evaluate calibrate --judge combine --labelled FILE`")

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(mode=self.mode, judges={n: j.describe() for n, j in self.members.items()})
        if self.mode == "fusion":
            d.update(weights=dict(self.cfg.combine.weights), bias=self.cfg.combine.bias)
        return d

    def _combine(self, values: dict[str, float]) -> float:
        if self.mode == "all":
            return min(rescale(v, self.members[n].threshold) for n, v in values.items())
        w = self.cfg.combine.weights
        return _sigmoid(self.cfg.combine.bias + sum(w[n] * v for n, v in values.items()))

    def score(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        per_member = {n: j.score(inputs) for n, j in self.members.items()}
        return [self._one({n: vs[i] for n, vs in per_member.items()}) for i in range(len(inputs))]

    def _one(self, verdicts: dict[str, Verdict]) -> Verdict:
        errors = [f"{n}: {v.error}" for n, v in verdicts.items() if v.error]
        first = next(iter(verdicts.values()))
        if errors:
            return Verdict(None, [], first.skipped, error="; ".join(errors))
        scored = {n: v for n, v in verdicts.items() if v.adherence is not None}
        if not scored:
            return Verdict(None, [], first.skipped)
        base = max(scored.values(), key=lambda v: len(v.claims))
        claims = []
        for k, c in enumerate(base.claims):
            values, parts, missing = {}, [], list(c.missing)
            for n, v in scored.items():
                same = next((x for x in v.claims if x.text == c.text), None)
                if same is None:
                    continue
                t = self.members[n].threshold
                values[n] = same.support
                parts.append(f"{n} {same.support:.2f}{' < ' if same.support < t else ' ≥ '}{t:g}"
                             f"{' (rejects)' if same.support < t else ''}")
                missing += [m for m in same.missing if m not in missing]
            claims.append(ClaimScore(c.text, self._combine(values), missing, "; ".join(parts)))
        adherence = self._combine({n: v.adherence for n, v in scored.items()})
        return Verdict(adherence, claims, base.skipped)


def member_scores(judge: CombinedJudge, rows: Sequence[dict], batch_size: int = 64) -> dict[str, list[float]]:
    """Every member's sample score of each labelled row (error → 0, nothing to check → 1, as calibrate counts)."""
    out: dict[str, list[float]] = {n: [] for n in judge.members}
    for i in range(0, len(rows), batch_size):
        batch = [JudgeInput(texts=[r["response"]], contexts=r["contexts"]) for r in rows[i : i + batch_size]]
        for n, j in judge.members.items():
            out[n] += [0.0 if v.error else 1.0 if v.adherence is None else v.adherence for v in j.score(batch)]
    return out


def fit_fusion(scores: dict[str, list[float]], labels: Sequence[int], l2: float = 1e-2,
               steps: int = 50) -> dict[str, Any]:
    """Logistic regression of ``labels`` on the members' scores (Newton steps, a little L2): weights and bias."""
    import numpy as np

    names = list(scores)
    x = np.column_stack([np.ones(len(labels))] + [np.asarray(scores[n], dtype=float) for n in names])
    y = np.asarray(labels, dtype=float)
    w = np.zeros(x.shape[1])
    reg = np.eye(x.shape[1]) * l2
    reg[0, 0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -60, 60)))
        grad = x.T @ (p - y) + reg @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + reg + np.eye(x.shape[1]) * 1e-9
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return {"bias": round(float(w[0]), 4), "weights": {n: round(float(v), 4) for n, v in zip(names, w[1:])}}


def _load(cfg: EvaluateConfig, **ctx: Any) -> CombinedJudge:
    from groundset.evaluate.judges import load_judge

    names = list(dict.fromkeys(cfg.combine.judges))
    bad = [n for n in names if n in ("combine", "auto")]
    if bad or not names:
        raise BackendError(f"[evaluate.combine] judges: name the judges to combine (not {bad or 'none'}), e.g. "
                           "['default', 'verifier']")
    if ctx.get("llm") is None and any(JUDGES.get(n).needs_llm for n in names) and not cfg.llm.is_set():
        from groundset.llm import load_llm
        from groundset.llm.config import LLMConfig

        ctx["llm"] = load_llm(ctx.get("llm_cfg") or LLMConfig(), ctx.get("workdir"), stage="evaluate")
    return CombinedJudge(cfg, {n: load_judge(cfg, judge=n, **ctx) for n in names})


def _llm_calls(cfg: EvaluateConfig) -> int:
    return sum(JUDGES.get(n).llm_calls(cfg) for n in cfg.combine.judges if n not in ("combine", "auto"))


JUDGES.register("combine", JudgeSpec(load=_load, threshold=0.5, llm_calls=_llm_calls,
                                     description="several judges at once ([evaluate.combine]): all must pass, or a "
                                     "fusion fitted by calibrate"), order=50)
