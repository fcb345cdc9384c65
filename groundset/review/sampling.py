"""The stratified review queue: kept and rejected samples across the score range, so that few reviews calibrate.

Samples are grouped into strata by gate verdict × score band (``groundset.review.items.BANDS``, plus ``no score``
for samples rejected before the judge). The queue takes one sample from each stratum in turn (a deficit round
robin, the order within a stratum a seeded shuffle), so any prefix of it — the first 20 reviews as much as all
200 — holds about as many samples of each stratum as the strata allow: both sides of the threshold and every score
band are seen early, instead of the hundreds of similar high-scoring kept samples a random sample starts with.
Calibration weights each reviewed row back to its stratum (``groundset.review.stats.inclusion_weights``), so the
over-sampled strata do not bias the fitted threshold. Simulated in ``benchmarks/review_sampling.py``: with 15
reviews a random sample lacks one of the two labels (and cannot calibrate) in 18% of trials, this queue never;
where both can calibrate, the weighted fit is as accurate as the random sample's.

>>> from groundset.records import Evaluation, Sample
>>> ss = [Sample(id=f"k{i}", task="qa", evaluation=Evaluation(kept=True, scores={"adherence": 0.95})) for i in range(8)]
>>> ss += [Sample(id="r1", task="qa", evaluation=Evaluation(kept=False, scores={"adherence": 0.1}))]
>>> "r1" in stratified_order(ss, n=2)
True

The order is a pure function of the sample ids, the seed and the filters: a restarted server serves the same queue.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Iterable

from groundset.records import Sample
from groundset.review.items import BANDS, NO_SCORE, score_band

__all__ = ["stratum", "stratified_order", "strata_sizes"]

_BAND_ORDER = [name for name, _, _ in BANDS] + [NO_SCORE]


def stratum(s: Sample) -> tuple[str, str]:
    """``(gate verdict, score band)`` of a sample, e.g. ``("rejected", "0.4-0.6")``."""
    return ("kept" if s.evaluation.kept else "rejected", score_band(s.evaluation.scores.get("adherence")))


def _rank(seed: int, sample_id: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{sample_id}".encode()).hexdigest()


def strata_sizes(samples: Iterable[Sample]) -> dict[tuple[str, str], int]:
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    for s in samples:
        sizes[stratum(s)] += 1
    return dict(sizes)


def stratified_order(samples: Iterable[Sample], n: int | None = None, seed: int = 0, power: float = 0.0) -> list[str]:
    """Sample ids in review order (see the module docstring); the first ``n`` only when ``n`` is given.

    Stratum h's share of any prefix is proportional to ``size_h ** power`` (0: equal shares, 0.5: square-root
    allocation, 1: proportional, i.e. a plain random sample) until it runs out.
    """
    groups: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for s in samples:
        groups[stratum(s)].append(s)
    # strata ordered band by band, kept before rejected within a band: ties go to the lower band
    keys = sorted(groups, key=lambda k: (_BAND_ORDER.index(k[1]), k[0]))
    queues = [sorted(groups[k], key=lambda s: _rank(seed, s.id)) for k in keys]
    share = [len(q) ** power for q in queues]
    taken = [0] * len(queues)
    total = sum(len(q) for q in queues)
    limit = total if n is None else min(n, total)
    order: list[str] = []
    while len(order) < limit:
        open_ = [i for i, q in enumerate(queues) if taken[i] < len(q)]
        weight = sum(share[i] for i in open_)
        step = len(order) + 1
        # the stratum furthest behind its share of the next prefix (a deficit round robin: prefixes stay balanced)
        i = max(open_, key=lambda i: (share[i] / weight * step - taken[i], -i))
        order.append(queues[i][taken[i]].id)
        taken[i] += 1
    return order
