"""Calibrate the gate on the reviewers' verdicts: ``groundset evaluate calibrate --from-review``.

Each reviewed sample gives one labelled row: its stored adherence score (what the judge said) and the reviewer's
label (1 = the sources support it, keep it; 0 = not). The figures are those of ``--labelled``
(``groundset.evaluate.calibrate.metrics``) at the configured and at the best threshold, with 95% confidence
intervals suited to a few dozen reviews: Wilson score intervals for the proportions (precision, recall,
unsupported caught) and a label-stratified percentile bootstrap for balanced accuracy, F1, AUC and the best
threshold itself.

Which verdicts are labels (everything else is counted in ``excluded`` with its reason):

| verdict | label |
|---|---|
| accepted | 1 |
| rejected as ``unsupported`` / ``contradicts`` | 0 |
| rejected for another reason (bad question, not useful…) | excluded: the judge scores grounding only (``all_reasons=True``: 0) |
| edited | excluded: an edit may fix style, not grounding (``edited_as="rejected"`` or ``"accepted"`` to count it) |
| verdict on text that has since changed, sample gone, sample without a score | excluded |
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Literal

import numpy as np

from groundset.errors import GroundsetError
from groundset.evaluate.calibrate import best_threshold, metrics
from groundset.records import Sample
from groundset.review.items import text_hash
from groundset.review.journal import GROUNDING_REASONS, Verdict

__all__ = ["review_rows", "wilson", "bootstrap", "calibrate_from_review", "calibrate_from_workdir"]

EditedAs = Literal["skip", "accepted", "rejected"]


def review_rows(verdicts: dict[str, Verdict], samples: dict[str, Sample], *, all_reasons: bool = False,
                edited_as: EditedAs = "skip") -> tuple[list[tuple[float, int, Sample, Verdict]], Counter]:
    """``(score, label, sample, verdict)`` per usable verdict, and the count of excluded verdicts per reason."""
    rows: list[tuple[float, int, Sample, Verdict]] = []
    excluded: Counter = Counter()
    for sid, v in verdicts.items():
        s = samples.get(sid)
        if s is None:
            excluded["sample_not_evaluated_now"] += 1
            continue
        if v.text_hash and v.text_hash != text_hash(s):
            excluded["text_changed_since_review"] += 1
            continue
        score = s.evaluation.scores.get("adherence")
        if score is None:
            excluded["no_adherence_score"] += 1
            continue
        if v.decision == "accepted":
            label = 1
        elif v.decision == "rejected":
            if v.reason not in GROUNDING_REASONS and not all_reasons:
                excluded[f"rejected_{v.reason}"] += 1
                continue
            label = 0
        else:
            if edited_as == "skip":
                excluded["edited"] += 1
                continue
            label = int(edited_as == "accepted")
        rows.append((float(score), label, s, v))
    return rows, excluded


def wilson(successes: int, n: int, z: float = 1.96) -> list[float] | None:
    """95% Wilson score interval of a proportion (sound for small n and for 0 or n successes); None when n = 0."""
    if n == 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def _curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Balanced accuracy at every cut between distinct scores (the cuts of ``best_threshold``)."""
    distinct = np.unique(scores)
    cuts = np.concatenate([[distinct[0]], (distinct[:-1] + distinct[1:]) / 2, [distinct[-1] + 1e-6]])
    pos, neg = labels == 1, labels == 0
    kept = scores[None, :] >= cuts[:, None]
    recall = (kept & pos).sum(1) / max(pos.sum(), 1)
    specificity = (~kept & neg).sum(1) / max(neg.sum(), 1)
    return cuts, (recall + specificity) / 2


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def bootstrap(scores: list[float], labels: list[int], threshold: float, rounds: int = 1000,
              seed: int = 0) -> dict[str, list[float]]:
    """95% percentile intervals of balanced accuracy and F1 at ``threshold``, AUC and the best threshold.

    Resamples within each label so that every round has both classes (deterministic for a given seed).
    """
    s, l = np.asarray(scores, dtype=float), np.asarray(labels, dtype=int)
    pos_idx, neg_idx = np.flatnonzero(l == 1), np.flatnonzero(l == 0)
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {"balanced_accuracy": [], "f1": [], "auc": [], "best_threshold": []}
    for _ in range(rounds):
        idx = np.concatenate([rng.choice(pos_idx, len(pos_idx)), rng.choice(neg_idx, len(neg_idx))])
        bs, bl = s[idx], l[idx]
        kept = bs >= threshold
        tp, fp = int((kept & (bl == 1)).sum()), int((kept & (bl == 0)).sum())
        fn, tn = int((~kept & (bl == 1)).sum()), int((~kept & (bl == 0)).sum())
        precision, recall = (tp / (tp + fp) if tp + fp else 0.0), tp / (tp + fn)
        out["balanced_accuracy"].append((recall + tn / (tn + fp)) / 2)
        out["f1"].append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        out["auc"].append(_auc(bs, bl))
        cuts, ba = _curve(bs, bl)
        out["best_threshold"].append(min(1.0, max(0.0, float(cuts[int(np.argmax(ba))]))))
    return {k: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for k, v in out.items()}


def _intervals(m: dict[str, Any], scores: list[float], labels: list[int], rounds: int) -> dict[str, Any]:
    tp = round(m["recall"] * m["supported"])
    kept = sum(1 for x in scores if x >= m["threshold"])
    tn = round(m["unsupported_caught"] * m["unsupported"])
    ci = {"precision": wilson(tp, kept), "recall": wilson(tp, m["supported"]),
          "unsupported_caught": wilson(tn, m["unsupported"])}
    boot = bootstrap(scores, labels, m["threshold"], rounds=rounds)
    ci.update({"balanced_accuracy": boot["balanced_accuracy"], "f1": boot["f1"], "auc": boot["auc"]})
    return {**m, "ci95": ci, "_best_threshold_ci": boot["best_threshold"]}


def calibrate_from_review(verdicts: dict[str, Verdict], samples: dict[str, Sample], thresholds: dict[str, float],
                          default_judge: str, *, all_reasons: bool = False, edited_as: EditedAs = "skip",
                          rounds: int = 1000) -> dict[str, Any]:
    """The figures of ``groundset evaluate calibrate --labelled``, from review verdicts, with 95% intervals."""
    rows, excluded = review_rows(verdicts, samples, all_reasons=all_reasons, edited_as=edited_as)
    labels = [r[1] for r in rows]
    n_pos, n_neg = sum(labels), len(labels) - sum(labels)
    if not n_pos or not n_neg:
        raise GroundsetError(
            f"{len(verdicts)} verdicts give {n_pos} supported and {n_neg} unsupported labels: calibration needs both; "
            "review more samples with `groundset review` (its default queue mixes kept and rejected ones)"
            + (f" — excluded: {', '.join(f'{k} {v}' for k, v in excluded.most_common())}" if excluded else ""))
    judges = Counter(r[2].evaluation.details.get("judge") or default_judge for r in rows)
    judge = judges.most_common(1)[0][0]
    configured = thresholds.get(judge, thresholds.get(default_judge, 0.5))
    scores = [r[0] for r in rows]
    best = best_threshold(scores, labels)
    at_configured = _intervals(metrics(scores, labels, configured), scores, labels, rounds)
    at_best = _intervals(metrics(scores, labels, best), scores, labels, rounds)
    threshold_ci = at_best.pop("_best_threshold_ci")
    at_configured.pop("_best_threshold_ci")
    gate_agrees = sum(1 for r in rows if bool(r[2].evaluation.kept) == bool(r[1]))
    per_task: dict[str, dict[str, int]] = {}
    for score, label, s, _ in rows:
        t = per_task.setdefault(s.task, {"n": 0, "supported": 0, "kept_at_configured": 0})
        t["n"] += 1
        t["supported"] += label
        t["kept_at_configured"] += score >= configured
    return {
        "judge": {"name": judge, "threshold": configured, "scored_by": dict(judges)},
        "source": "review",
        "rows": len(rows),
        "errors": 0,
        "verdicts": len(verdicts),
        "excluded": dict(excluded.most_common()),
        "labels": {"all_reasons": all_reasons, "edited_as": edited_as},
        "at_configured": at_configured,
        "at_best": at_best,
        "best_threshold_ci95": threshold_ci,
        "gate_agreement": {"agree": gate_agrees, "n": len(rows), "share": round(gate_agrees / len(rows), 4),
                           "ci95": wilson(gate_agrees, len(rows))},
        "per_task": per_task,
        "bootstrap_rounds": rounds,
    }


def calibrate_from_workdir(workdir: Any, config: Any, **options: Any) -> dict[str, Any]:
    """``calibrate_from_review`` on the workdir's journal and evaluated samples (scores as the evaluate run stored
    them: the judge that scored them is the one calibrated)."""
    from groundset.review.apply import load_verdicts, verdicts_path
    from groundset.review.items import load_evaluated

    verdicts = load_verdicts(workdir)
    if not verdicts:
        raise GroundsetError(f"no verdicts in {verdicts_path(workdir)}: review samples with `groundset review` first")
    samples = load_evaluated(workdir).by_id()
    return calibrate_from_review(verdicts, samples, config.evaluate.thresholds, config.evaluate.judge, **options)
