"""The stratified review queue: kept and rejected samples across the score range, so that few reviews calibrate.

Samples are grouped into strata by gate verdict × score band (``groundset.review.items.BANDS``, plus ``no score``
for samples rejected before the judge). The queue takes one sample from each stratum in turn (round robin, the
order within a stratum a seeded shuffle), so any prefix of it — the first 20 reviews as much as all 200 — holds
about as many samples of each stratum as the strata allow: both sides of the threshold and every score band are
seen early, instead of the hundreds of similar high-scoring kept samples a random sample would start with.

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


def stratified_order(samples: Iterable[Sample], n: int | None = None, seed: int = 0) -> list[str]:
    """Sample ids in review order (see the module docstring); the first ``n`` only when ``n`` is given."""
    groups: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for s in samples:
        groups[stratum(s)].append(s)
    # strata visited band by band, kept before rejected within a band: neighbours in the queue differ in score
    keys = sorted(groups, key=lambda k: (_BAND_ORDER.index(k[1]), k[0]))
    queues = [sorted(groups[k], key=lambda s: _rank(seed, s.id)) for k in keys]
    order: list[str] = []
    depth = 0
    limit = sum(len(q) for q in queues) if n is None else min(n, sum(len(q) for q in queues))
    while len(order) < limit:
        for q in queues:
            if depth < len(q) and len(order) < limit:
                order.append(q[depth].id)
        depth += 1
    return order
