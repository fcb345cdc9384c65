"""The learned decision of the default judge: two logistic regressions whose weights ship in ``gate_weights.json``.

```
sentence features (features.FEATURES) ──sentence model──▶ support of each sentence in [0, 1]
sample features (features.SAMPLE_FEATURES, from those supports) ──sample model──▶ adherence in [0, 1]
```
Each model standardises its inputs (``(x - mean) / scale``), so ``coef[j] * z[j]`` is feature j's pull on the
log-odds: the most negative pull names the reason in the kept / rejected record. The weights and the judge's
threshold are fitted by ``benchmarks/fit_gate.py`` (deterministic; the file records what it was fitted on).

>>> m = LogisticModel(["a", "b"], mean=[0, 0], scale=[1, 1], coef=[2.0, -1.0], intercept=0.0)
>>> round(m.prob({"a": 1.0, "b": 0.0}), 3), m.weakest({"a": 0.0, "b": 1.0})
(0.881, 'b')
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

__all__ = ["LogisticModel", "GateModel", "load_model", "WEIGHTS_FILE"]

WEIGHTS_FILE = "gate_weights.json"


@dataclass(frozen=True)
class LogisticModel:
    """p = sigmoid(intercept + sum(coef[j] * (x[j] - mean[j]) / scale[j]))."""

    features: Sequence[str]
    mean: Sequence[float]
    scale: Sequence[float]
    coef: Sequence[float]
    intercept: float

    def pulls(self, x: Mapping[str, float]) -> dict[str, float]:
        """Each feature's contribution to the log-odds (0 at the mean of the fit data)."""
        return {f: c * (x[f] - m) / (s or 1.0) for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef)}

    def logit(self, x: Mapping[str, float]) -> float:
        return self.intercept + sum(self.pulls(x).values())

    def prob(self, x: Mapping[str, float]) -> float:
        z = max(-30.0, min(30.0, self.logit(x)))
        return 1.0 / (1.0 + math.exp(-z))

    def weakest(self, x: Mapping[str, float]) -> str:
        """The feature that pulls the score down the most (ties: the first in ``features``)."""
        pulls = self.pulls(x)
        return min(self.features, key=lambda f: pulls[f])

    def as_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LogisticModel":
        n = len(d["features"])
        if not (len(d["mean"]) == len(d["scale"]) == len(d["coef"]) == n):
            raise ValueError("gate weights: features, mean, scale and coef must have the same length")
        return cls(tuple(d["features"]), tuple(map(float, d["mean"])), tuple(map(float, d["scale"])),
                   tuple(map(float, d["coef"])), float(d["intercept"]))


@dataclass(frozen=True)
class GateModel:
    """The sentence model, the sample model and the threshold they were chosen with."""

    sentence: LogisticModel
    sample: LogisticModel
    threshold: float
    info: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "sentence": self.sentence.as_dict(), "sample": self.sample.as_dict(),
                "info": dict(self.info)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "GateModel":
        return cls(LogisticModel.from_dict(d["sentence"]), LogisticModel.from_dict(d["sample"]),
                   float(d["threshold"]), d.get("info", {}))


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> GateModel:
    """The shipped weights (``groundset/evaluate/gate_weights.json``), or those of ``path``.

    A missing or malformed file raises ValueError naming the file and how to rebuild it.
    """
    try:
        if path is None:
            text = resources.files("groundset.evaluate").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return GateModel.from_dict(json.loads(text))
    except (OSError, KeyError, TypeError, ValueError) as e:
        where = path or f"groundset/evaluate/{WEIGHTS_FILE}"
        raise ValueError(f"cannot read the gate weights {where} ({e}); rebuild them with "
                         "`python benchmarks/fit_gate.py` or reinstall groundset") from None
