"""Calibrate the gate on the reviewers' verdicts: ``groundset evaluate calibrate --from-review``.

Each reviewed sample gives one labelled row: its stored adherence score (what the judge said) and the reviewer's
label (1 = the sources support it, keep it; 0 = not). The figures are those of ``--labelled``
(``groundset.evaluate.calibrate.metrics``) at the configured and at the best threshold, weighted back from the
stratified review queue to the whole evaluated set, with 95% confidence intervals suited to a few dozen reviews:
Wilson score intervals for the proportions (precision, recall, unsupported caught) and a label-stratified
percentile bootstrap for balanced accuracy, F1, AUC and the best threshold itself (``groundset.review.stats``).

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

from collections import Counter
from typing import Any, Literal

import numpy as np

from groundset.errors import GroundsetError
from groundset.records import Sample
from groundset.review.items import text_hash
from groundset.review.journal import GROUNDING_REASONS, Verdict
from groundset.review.sampling import strata_sizes, stratum
from groundset.review.stats import (bootstrap, effective_n, fit_threshold, inclusion_weights, proportion_intervals,
                                    weighted_metrics, wilson)

__all__ = ["review_rows", "calibrate_from_review", "calibrate_from_workdir"]

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


def _figures(scores: list[float], labels: list[int], weights: list[float], threshold: float,
             rounds: int) -> tuple[dict[str, Any], list[float]]:
    m = weighted_metrics(scores, labels, weights, threshold)
    ci = proportion_intervals(scores, labels, weights, threshold)
    boot = bootstrap(scores, labels, weights, threshold, rounds=rounds)
    ci.update({"balanced_accuracy": boot["balanced_accuracy"], "f1": boot["f1"], "auc": boot["auc"]})
    return {**m, "ci95": ci}, boot["best_threshold"]


def calibrate_from_review(verdicts: dict[str, Verdict], samples: dict[str, Sample], thresholds: dict[str, float],
                          default_judge: str, *, all_reasons: bool = False, edited_as: EditedAs = "skip",
                          weighting: Literal["strata", "none"] = "strata", rounds: int = 1000) -> dict[str, Any]:
    """The figures of ``groundset evaluate calibrate --labelled``, from review verdicts, with 95% intervals.

    ``weighting="strata"`` (default) weights each reviewed row back to its (gate verdict, score band) stratum of
    ``samples`` (groundset.review.stats), so the figures estimate the whole evaluated set's; ``"none"`` reports
    the reviewed rows as they are.
    """
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
    if weighting == "strata":
        weights = inclusion_weights([stratum(r[2]) for r in rows], strata_sizes(samples.values()))
    else:
        weights = [1.0] * len(rows)
    best = fit_threshold(scores, labels, weights)
    at_configured, _ = _figures(scores, labels, weights, configured, rounds)
    at_best, threshold_ci = _figures(scores, labels, weights, best, rounds)
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
        "weighting": weighting,
        "effective_rows": round(effective_n(np.asarray(weights)), 1),
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
