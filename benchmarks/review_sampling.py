"""How well does a handful of reviews calibrate the gate? Stratified queue vs a uniform random sample, simulated.

A synthetic population of evaluated samples, shaped like a gate's output: most samples kept with high adherence,
a tail of rejected ones. Whether a person would call a sample supported follows its score through a logistic curve
(mid-point ``--true-threshold``), so the best threshold of the population is known. For each of ``--trials``
trials we "review" the first ``--reviews`` samples of the stratified queue (groundset.review.sampling, a fresh seed
per trial) and of a uniform random sample, fit the best threshold on those labels
(groundset.evaluate.calibrate.best_threshold) and score it on the whole population.

    .venv/bin/python benchmarks/review_sampling.py --reviews 30 --trials 300

Prints, per method: how often both labels were present (calibration needs both), the mean absolute error of the
fitted threshold, and the population's balanced accuracy at the fitted threshold (mean, and 10th percentile).
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from groundset.records import Evaluation, Sample
from groundset.review.sampling import strata_sizes, stratified_order, stratum
from groundset.review.stats import fit_threshold, inclusion_weights


def population(n: int, true_threshold: float, rng: random.Random) -> tuple[list[Sample], dict[str, int]]:
    samples, labels = [], {}
    for i in range(n):
        score = min(1.0, max(0.0, rng.betavariate(5, 1.2)))  # most scores high, a long low tail
        sid = f"s{i}"
        samples.append(Sample(id=sid, task="qa", evaluation=Evaluation(kept=score >= 0.6, scores={"adherence": score})))
        p = 1 / (1 + np.exp(-(score - true_threshold) * 14))
        labels[sid] = int(rng.random() < p)
    return samples, labels


def balanced_accuracy(scores: np.ndarray, labels: np.ndarray, t: float) -> float:
    kept = scores >= t
    recall = (kept & (labels == 1)).sum() / max((labels == 1).sum(), 1)
    spec = (~kept & (labels == 0)).sum() / max((labels == 0).sum(), 1)
    return float((recall + spec) / 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=2000)
    ap.add_argument("--reviews", type=int, default=30)
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--true-threshold", type=float, default=0.55)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    samples, labels = population(args.population, args.true_threshold, rng)
    scores = np.array([s.evaluation.scores["adherence"] for s in samples])
    y = np.array([labels[s.id] for s in samples])
    cuts = np.linspace(0, 1, 201)
    bas = [balanced_accuracy(scores, y, t) for t in cuts]
    t_star = float(cuts[int(np.argmax(bas))])
    print(f"population {len(samples)}: {y.mean():.1%} supported, {np.mean(scores >= 0.6):.1%} kept by the gate at 0.6; "
          f"best threshold {t_star:.3f} (balanced accuracy {max(bas):.3f})")
    by_id = {s.id: s for s in samples}
    sizes = strata_sizes(samples)
    for method in ("stratified, weighted", "stratified, unweighted", "sqrt-stratified, weighted", "random"):
        errors, bas_fit, both = [], [], 0
        for trial in range(args.trials):
            if "stratified" in method:
                power = 0.5 if method.startswith("sqrt") else 0.0
                ids = stratified_order(samples, n=args.reviews, seed=args.seed * 100_000 + trial, power=power)
            else:
                ids = random.Random(trial).sample(list(by_id), args.reviews)
            s = [by_id[i].evaluation.scores["adherence"] for i in ids]
            l = [labels[i] for i in ids]
            if 0 < sum(l) < len(l):
                both += 1
                w = inclusion_weights([stratum(by_id[i]) for i in ids], sizes) if method.endswith(" weighted") else None
                t = fit_threshold(s, l, w)
                errors.append(abs(t - t_star))
                bas_fit.append(balanced_accuracy(scores, y, t))
        print(f"{method:>26}: {args.reviews} reviews, both labels in {both}/{args.trials} trials; threshold error "
              f"mean {np.mean(errors):.3f}; population balanced accuracy at the fitted threshold mean "
              f"{np.mean(bas_fit):.3f}, p10 {np.percentile(bas_fit, 10):.3f}")


if __name__ == "__main__":
    main()
