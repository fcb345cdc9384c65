"""Train / validation / test splits by source document, so that no document feeds two splits.

Only the documents a row is *grounded* in tie rows together (a multi-hop answer's cited documents, a rag sample's
gold document — never its distractors nor chunks merely retrieved for a conversation turn; the caller passes those
ids): documents linked through any row form one group, and whole groups are assigned to splits. Groups are
shuffled with the seed and handed to the split furthest below its target row count; then groups move from a split
over its target to one under it while that brings both closer. At that point no group smaller than the smaller of
the two gaps is left to move, so with many documents each split's row count is within one document of its share.

>>> split_by_document([["a"], ["a"], ["b"], ["c"]], {"train": 0.5, "test": 0.5}, seed=0)  # doctest: +SKIP
{'train': [0, 1], 'test': [2, 3]}
"""

from __future__ import annotations

import random
from collections import defaultdict

__all__ = ["split_by_document", "document_groups"]


def document_groups(doc_ids_per_row: list[list[str]]) -> list[list[int]]:
    """Row indices grouped so that rows sharing any document id fall in the same group (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for docs in doc_ids_per_row:
        for d in docs[1:]:
            parent[find(d)] = find(docs[0])
    groups: dict[str, list[int]] = defaultdict(list)
    for i, docs in enumerate(doc_ids_per_row):
        key = find(docs[0]) if docs else f"\x00row{i}"  # a row without documents is its own group
        groups[key].append(i)
    return [groups[k] for k in sorted(groups)]


def split_by_document(doc_ids_per_row: list[list[str]], ratios: dict[str, float], seed: int = 0) -> dict[str, list[int]]:
    """Row indices per split (in row order). Same input and seed → same split; rows of one document stay together.

    When there are at least as many document groups as splits, every split with a share gets at least one group
    (small corpora would otherwise leave ``test`` empty); with fewer groups, the later splits stay empty.
    """
    groups = document_groups(doc_ids_per_row)
    random.Random(seed).shuffle(groups)
    total = len(doc_ids_per_row)
    names = sorted(ratios, key=lambda n: -ratios[n])
    target = {n: ratios[n] * total for n in names}
    assigned: dict[str, list[list[int]]] = {n: [] for n in names}
    size = {n: 0 for n in names}
    for g in groups:
        n = max(names, key=lambda n: (target[n] - size[n], ratios[n]))
        assigned[n].append(g)
        size[n] += len(g)
    _rebalance(assigned, size, target)
    # a split with a share but no group takes the smallest group of the split with the most groups
    for n in names:
        if assigned[n]:
            continue
        donor = max(names, key=lambda m: len(assigned[m]))
        if len(assigned[donor]) < 2:
            continue
        g = min(assigned[donor], key=len)
        assigned[donor].remove(g)
        assigned[n].append(g)
    return {n: sorted(i for g in assigned[n] for i in g) for n in ratios}


def _rebalance(assigned: dict[str, list[list[int]]], size: dict[str, int], target: dict[str, float]) -> None:
    """Move single groups from over-target to under-target splits while that lowers the total deviation."""
    for _ in range(10 * sum(len(v) for v in assigned.values()) + 10):
        best = None
        for a in assigned:
            dev_a = size[a] - target[a]
            if dev_a <= 0:
                continue
            for b in assigned:
                dev_b = size[b] - target[b]
                if dev_b >= 0:
                    continue
                for g in assigned[a]:
                    gain = abs(dev_a) + abs(dev_b) - abs(dev_a - len(g)) - abs(dev_b + len(g))
                    if gain > 1e-9 and (best is None or gain > best[0]):
                        best = (gain, a, b, g)
        if best is None:
            return
        _, a, b, g = best
        assigned[a].remove(g)
        assigned[b].append(g)
        size[a] -= len(g)
        size[b] += len(g)
