"""Figures of a judge on reviewed samples, weighted back to the population the stratified queue was drawn from.

The review queue over-represents rare strata (rejected samples, low scores) on purpose: that is what makes few
reviews informative. Fitting a threshold on the reviewed samples as if they were the population would then be
biased towards the over-sampled strata, so every reviewed row carries the weight ``stratum size / reviewed rows of
that stratum`` (Horvitz–Thompson; ``inclusion_weights``) and the figures are weighted estimates of the population's.
With all weights 1 they equal ``groundset.evaluate.calibrate.metrics`` / ``best_threshold`` exactly.

Intervals: Wilson score intervals for proportions on the Kish effective sample size of their denominator, and a
label-stratified percentile bootstrap (rows resampled with their weights) for balanced accuracy, F1, AUC and the
fitted threshold.

>>> weighted_metrics([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0], [1, 1, 1, 1], threshold=0.5)["balanced_accuracy"]
1.0
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Hashable, Sequence

import numpy as np

__all__ = ["inclusion_weights", "weighted_metrics", "fit_threshold", "weighted_auc", "wilson", "bootstrap",
           "effective_n"]


def inclusion_weights(row_strata: Sequence[Hashable], population: dict[Hashable, int]) -> list[float]:
    """Weight of each reviewed row: its stratum's population size over the reviewed rows of that stratum, scaled so
    that the weights sum to the number of rows."""
    reviewed = Counter(row_strata)
    raw = [population.get(k, reviewed[k]) / reviewed[k] for k in row_strata]
    total = sum(raw)
    return [w * len(raw) / total for w in raw] if total else raw


def effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw²: n for equal weights, less when weights vary."""
    s2 = float((weights ** 2).sum())
    return float(weights.sum()) ** 2 / s2 if s2 else 0.0


def wilson(successes: float, n: float, z: float = 1.96) -> list[float] | None:
    """95% Wilson score interval of ``successes / n`` (n may be an effective, fractional size); None when n = 0."""
    if n <= 0:
        return None
    p = min(1.0, max(0.0, successes / n))
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def _arrays(scores, labels, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=float)
    l = np.asarray(labels, dtype=int)
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=float)
    return s, l, w


def weighted_auc(scores, labels, weights=None) -> float | None:
    """Weighted probability that a supported row outscores an unsupported one (ties count half)."""
    s, l, w = _arrays(scores, labels, weights)
    pos, neg = l == 1, l == 0
    if not pos.any() or not neg.any():
        return None
    sp, sn, wp, wn = s[pos], s[neg], w[pos], w[neg]
    pair = wp[:, None] * wn[None, :]
    wins = (pair * (sp[:, None] > sn[None, :])).sum() + 0.5 * (pair * (sp[:, None] == sn[None, :])).sum()
    return float(wins / pair.sum())


def _rates(s: np.ndarray, l: np.ndarray, w: np.ndarray, t: float) -> dict[str, float]:
    kept = s >= t
    pos, neg = l == 1, l == 0
    tp, fp = float(w[kept & pos].sum()), float(w[kept & neg].sum())
    fn, tn = float(w[~kept & pos].sum()), float(w[~kept & neg].sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "specificity": specificity, "f1": f1,
            "balanced_accuracy": (recall + specificity) / 2}


def weighted_metrics(scores, labels, weights, threshold: float) -> dict[str, Any]:
    """The keys of ``groundset.evaluate.calibrate.metrics`` (``supported`` / ``unsupported``: reviewed rows)."""
    s, l, w = _arrays(scores, labels, weights)
    r = _rates(s, l, w, threshold)
    a = weighted_auc(s, l, w)
    return {
        "threshold": round(threshold, 4),
        "n": len(l),
        "supported": int((l == 1).sum()),
        "unsupported": int((l == 0).sum()),
        "precision": round(r["precision"], 4),
        "recall": round(r["recall"], 4),
        "f1": round(r["f1"], 4),
        "unsupported_caught": round(r["specificity"], 4),
        "balanced_accuracy": round(r["balanced_accuracy"], 4),
        "auc": None if a is None else round(a, 4),
    }


def _cuts(s: np.ndarray) -> np.ndarray:
    distinct = np.unique(s)
    return np.concatenate([[distinct[0]], (distinct[:-1] + distinct[1:]) / 2, [distinct[-1] + 1e-6]])


def fit_threshold(scores, labels, weights=None) -> float:
    """The cut maximising weighted balanced accuracy (the cuts and tie rule of ``best_threshold``: the lowest)."""
    s, l, w = _arrays(scores, labels, weights)
    cuts = _cuts(s)
    kept = s[None, :] >= cuts[:, None]
    pos, neg = l == 1, l == 0
    recall = (kept * (w * pos)).sum(1) / max(float(w[pos].sum()), 1e-12)
    specificity = (~kept * (w * neg)).sum(1) / max(float(w[neg].sum()), 1e-12)
    ba = np.round((recall + specificity) / 2, 4)
    return min(1.0, max(0.0, float(cuts[int(np.argmax(ba))])))


def proportion_intervals(scores, labels, weights, threshold: float) -> dict[str, list[float] | None]:
    """Wilson intervals of precision, recall and unsupported caught on their effective sizes."""
    s, l, w = _arrays(scores, labels, weights)
    r = _rates(s, l, w, threshold)
    kept = s >= threshold
    groups = {"precision": (r["precision"], w[kept]), "recall": (r["recall"], w[l == 1]),
              "unsupported_caught": (r["specificity"], w[l == 0])}
    out = {}
    for name, (p, ws) in groups.items():
        n = effective_n(ws)
        out[name] = wilson(p * n, n)
    return out


def bootstrap(scores, labels, weights, threshold: float, rounds: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """95% percentile intervals of balanced accuracy and F1 at ``threshold``, AUC and the fitted threshold.

    Rows are resampled within each label (every round has both classes) and keep their weights; deterministic.
    """
    s, l, w = _arrays(scores, labels, weights)
    pos_idx, neg_idx = np.flatnonzero(l == 1), np.flatnonzero(l == 0)
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {"balanced_accuracy": [], "f1": [], "auc": [], "best_threshold": []}
    for _ in range(rounds):
        idx = np.concatenate([rng.choice(pos_idx, len(pos_idx)), rng.choice(neg_idx, len(neg_idx))])
        bs, bl, bw = s[idx], l[idx], w[idx]
        r = _rates(bs, bl, bw, threshold)
        out["balanced_accuracy"].append(r["balanced_accuracy"])
        out["f1"].append(r["f1"])
        out["auc"].append(weighted_auc(bs, bl, bw))
        out["best_threshold"].append(fit_threshold(bs, bl, bw))
    return {k: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for k, v in out.items()}
