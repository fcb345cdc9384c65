"""Which chunks seed the generators, and in what order: spread over documents and embedding regions.

>>> usable, skipped = usable_seeds(chunks, min_tokens=24)            # doctest: +SKIP
>>> order = diverse_order(usable, corpus.vectors([c.id for c in usable]), seed=0)   # doctest: +SKIP

``usable_seeds`` drops tiny chunks, boilerplate (licences, navigation, copyright lines), chunks that are mostly
symbols, and text repeated across documents; every skip is counted by reason. ``diverse_order`` returns a
permutation of the usable chunks: a seeded k-means over the vectors groups them into regions, each region's chunks
are interleaved round-robin over their documents, and the regions are interleaved round-robin — so the first seeds
come from different regions and documents, never "the first N chunks". The order depends only on the seed and the
store content, so a resumed run plans exactly the same attempts.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter, defaultdict
from typing import Sequence

import numpy as np

from groundset.records import Chunk

__all__ = ["usable_seeds", "diverse_order", "round_robin", "by_document", "kmeans"]

_BOILERPLATE = re.compile(
    r"\b(?:all rights reserved|copyright|©|licen[cs]e[ds]? under|terms of (?:use|service)|privacy policy|"
    r"table of contents|previous topic|next topic|this page|report a bug|show source|navigation|"
    r"cookie|subscribe|sign in|log in|skip to (?:main )?content|project gutenberg)\b",
    re.I,
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def _is_boilerplate(text: str) -> bool:
    hits, words = len(_BOILERPLATE.findall(text)), len(text.split())
    return (hits >= 1 and words < 30) or hits >= max(2, words // 40)


def usable_seeds(chunks: Sequence[Chunk], min_tokens: int = 24) -> tuple[list[Chunk], Counter]:
    """The chunks worth generating from, and a Counter of skipped chunks by reason."""
    skipped: Counter = Counter()
    docs_per_text: dict[str, set[str]] = defaultdict(set)
    for c in chunks:
        docs_per_text[_norm(c.text)].add(c.document_id)
    seen: set[str] = set()
    out: list[Chunk] = []
    for c in chunks:
        text = c.text.strip()
        key = _norm(text)
        letters = sum(ch.isalpha() for ch in text)
        visible = sum(not ch.isspace() for ch in text) or 1
        if c.n_tokens < min_tokens or len(text.split()) < 5:
            skipped["tiny"] += 1
        elif letters / visible < 0.45:
            skipped["not_prose"] += 1
        elif _is_boilerplate(text):
            skipped["boilerplate"] += 1
        elif len(docs_per_text[key]) >= 3:
            skipped["repeated"] += 1
        elif key in seen:
            skipped["duplicate"] += 1
        else:
            seen.add(key)
            out.append(c)
    return out, skipped


def _rng(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def kmeans(vectors: np.ndarray, k: int, seed: int, iterations: int = 8) -> np.ndarray:
    """Cluster labels of each row: k-means++ initialisation (seeded), a few Lloyd steps on cosine similarity."""
    n = len(vectors)
    if k <= 1 or n <= k:
        return np.arange(n) if n <= k else np.zeros(n, dtype=int)
    rs = np.random.default_rng(seed)
    centres = [vectors[rs.integers(n)]]
    dist = 1.0 - vectors @ centres[0]
    for _ in range(1, k):
        p = np.clip(dist, 0, None) ** 2
        idx = int(rs.choice(n, p=p / p.sum())) if p.sum() > 0 else int(rs.integers(n))
        centres.append(vectors[idx])
        dist = np.minimum(dist, 1.0 - vectors @ vectors[idx])
    c = np.vstack(centres)
    labels = np.zeros(n, dtype=int)
    for _ in range(iterations):
        labels = np.argmax(vectors @ c.T, axis=1)
        for j in range(k):
            members = vectors[labels == j]
            if len(members):
                m = members.mean(axis=0)
                c[j] = m / max(float(np.linalg.norm(m)), 1e-12)
    return labels


def round_robin(groups: Sequence[Sequence]) -> list:
    """Interleave lists: first item of each, then the second of each, …"""
    out: list = []
    depth = max((len(g) for g in groups), default=0)
    for i in range(depth):
        out.extend(g[i] for g in groups if i < len(g))
    return out


def by_document(items: Sequence, rng: random.Random) -> list:
    """Items (chunks, topics: anything with a ``document_id``) shuffled within and across documents, then taken one
    document at a time in turn, so that no document dominates the start of the order."""
    per_doc: dict[str, list] = defaultdict(list)
    for item in items:
        per_doc[item.document_id].append(item)
    docs = sorted(per_doc)
    rng.shuffle(docs)
    for d in docs:
        rng.shuffle(per_doc[d])
    return round_robin([per_doc[d] for d in docs])


def diverse_order(chunks: Sequence[Chunk], vectors: np.ndarray | None, seed: int, task: str = "") -> list[Chunk]:
    """A seeded permutation of ``chunks`` that visits embedding regions and documents in turn."""
    chunks = list(chunks)
    if not chunks:
        return []
    rng = _rng(seed, task, "order")
    if vectors is None or len(vectors) != len(chunks) or vectors.size == 0:
        return by_document(chunks, rng)
    k = max(1, min(64, round(len(chunks) ** 0.5)))
    labels = kmeans(np.asarray(vectors, dtype=np.float32), k, seed=rng.randrange(2**32))
    regions: dict[int, list[Chunk]] = defaultdict(list)
    for c, lab in zip(chunks, labels):
        regions[int(lab)].append(c)
    order = sorted(regions)
    rng.shuffle(order)
    return round_robin([by_document(regions[r], rng) for r in order])
