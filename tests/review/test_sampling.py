"""The stratified queue: every (gate verdict, score band) stratum early, balanced prefixes, deterministic order."""

from __future__ import annotations

from collections import Counter

from groundset.review.items import score_band
from groundset.review.sampling import strata_sizes, stratified_order, stratum
from tests.review.fixtures import qa, samples


def _pool():
    kept, rejected = samples()
    return kept + rejected


def test_score_bands():
    assert [score_band(x) for x in (0.0, 0.19, 0.2, 0.59, 0.6, 0.99, 1.0, None)] == [
        "0.0-0.2", "0.0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1.0", "0.8-1.0", "no score"]


def test_the_first_reviews_cover_every_stratum_and_prefixes_stay_balanced():
    pool = _pool()
    by_id = {s.id: s for s in pool}
    sizes = strata_sizes(pool)
    order = stratified_order(pool)
    assert sorted(order) == sorted(by_id)  # everything, once
    first = [stratum(by_id[i]) for i in order[: len(sizes)]]
    assert set(first) == set(sizes)  # one of each stratum before any stratum repeats
    for k in range(1, len(order) + 1):
        counts = Counter(stratum(by_id[i]) for i in order[:k])
        taken = [counts[s] for s in sizes if counts[s] < sizes[s]]  # strata not yet exhausted
        assert not taken or max(taken) - min(taken) <= 1


def test_kept_and_rejected_both_come_early_even_when_kept_dominate():
    pool = [qa(i, 0.95, True) for i in range(200)] + [qa(900 + i, 0.1, False) for i in range(5)]
    order = stratified_order(pool, n=10)
    assert len(order) == 10
    assert sum(i.startswith("qa-9") for i in order) == 5  # every rejected one is in the first ten


def test_order_is_deterministic_and_seeded():
    pool = _pool()
    assert stratified_order(pool, seed=3) == stratified_order(list(reversed(pool)), seed=3)
    assert stratified_order(pool, seed=3) != stratified_order(pool, seed=4)
    assert sorted(stratified_order(pool, seed=3)) == sorted(stratified_order(pool, seed=4))


def test_n_larger_than_the_pool_and_empty_pool():
    pool = _pool()
    assert len(stratified_order(pool, n=10_000)) == len(pool)
    assert stratified_order([], n=5) == []


def test_power_sets_the_shares_of_the_strata():
    pool = [qa(i, 0.95, True) for i in range(100)] + [qa(900 + i, 0.1, False) for i in range(25)]
    def rejected_in(order):
        return sum(i.startswith("qa-9") for i in order)
    assert rejected_in(stratified_order(pool, n=20, power=0.0)) == 10  # equal shares
    assert rejected_in(stratified_order(pool, n=20, power=0.5)) == 7  # sqrt: 5 / (10 + 5) of 20, rounded
    assert rejected_in(stratified_order(pool, n=20, power=1.0)) == 4  # proportional: 25 / 125 of 20
