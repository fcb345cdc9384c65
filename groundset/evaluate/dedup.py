"""Duplicates across the whole run: exact (normalised-text hash), near (MinHash LSH on questions and on answers),
and semantic (embedding cosine). Clusters are formed within each task; the best-scoring sample of a cluster stays.

>>> from groundset.records import Sample
>>> a = Sample(id="a", task="qa", question="What is a list?", answer="A mutable sequence of items.")
>>> b = Sample(id="b", task="qa", question="what is a list", answer="A mutable sequence of items!")
>>> find_duplicates([a, b], key=lambda s: 0.0, embedder=None)
{1: ('duplicate', 0, 1.0)}

Two samples are near duplicates when their questions (3+ words) or their answers (8+ words) reach
``minhash_threshold`` estimated Jaccard similarity — textbook passages on answers only, since the same topic for
another audience is wanted variety — or when the cosine of the embeddings of their question + first answer
sentence reaches ``embedding_threshold`` (not for textbook passages).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any, Callable, Sequence

import numpy as np

from groundset.evaluate.text import normalise, split_sentences
from groundset.generate.task import task_shape
from groundset.records import Sample

__all__ = ["find_duplicates", "sample_keys"]


def sample_keys(s: Sample) -> tuple[str, str]:
    """(question-like text, answer-like text) of a sample, normalised."""
    if s.turns is not None:
        users = [t.content for t in s.turns if t.role == "user"]
        return normalise(users[0] if users else ""), normalise(" ".join(s.claims_text()))
    return normalise(s.question or ""), normalise(" ".join(s.claims_text()))


def _semantic_text(s: Sample) -> str:
    """What is embedded for semantic dedup: the question and the answer's first sentence (short: cheap to embed)."""
    question = s.question or next((t.content for t in s.turns or [] if t.role == "user"), "")
    answer = " ".join(s.claims_text())
    first = split_sentences(answer[:400])[:1]
    return f"{question[:200]}\n{first[0][:200] if first else ''}"


class _Union:
    def __init__(self, n: int):
        self.parent = list(range(n))
        self.why: dict[int, tuple[str, float]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int, why: str, sim: float) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[rj] = ri
        for k in (i, j):  # strongest evidence seen for a member: exact beats near beats semantic
            if k not in self.why or _RANK[why] < _RANK[self.why[k][0]]:
                self.why[k] = (why, sim)


_RANK = {"duplicate": 0, "near_duplicate": 1, "semantic_duplicate": 2}


def _shingles(text: str, kind: str) -> set[bytes]:
    if kind == "char":
        t = f" {text} "
        return {t[i : i + 5].encode() for i in range(max(1, len(t) - 4))}
    w = text.split()
    return {" ".join(w[i : i + 3]).encode() for i in range(max(1, len(w) - 2))}


def _minhash_pairs(texts: list[str], idx: list[int], kind: str, threshold: float, num_perm: int) -> list[tuple]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes: dict[int, Any] = {}
    pairs = []
    proto = MinHash(num_perm=num_perm, seed=1)  # permutations made once and shared: creating them is slow
    shared: dict[str, Any] = {"permutations": proto.permutations}
    if hasattr(proto, "scheme"):  # datasketch >= 2 asks which scheme the permutations belong to
        shared["scheme"] = proto.scheme
    for i in idx:
        m = MinHash(num_perm=num_perm, seed=1, **shared)
        m.update_batch(list(_shingles(texts[i], kind)))
        for j in lsh.query(m):
            sim = m.jaccard(hashes[j])
            if sim >= threshold:
                pairs.append((j, i, sim))
        lsh.insert(i, m)
        hashes[i] = m
    return pairs


def _embedding_pairs(texts: dict[int, str], idx: list[int], embedder: Any, threshold: float) -> list[tuple]:
    if len(idx) < 2:
        return []
    vecs = embedder.encode([texts[i] for i in idx])
    pairs = []
    block = 1024
    for start in range(0, len(idx), block):
        sims = vecs[start : start + block] @ vecs.T
        for r, c in zip(*np.nonzero(sims >= threshold)):
            a, b = start + int(r), int(c)
            if a < b:
                pairs.append((idx[a], idx[b], float(sims[r, c])))
    return pairs


def find_duplicates(
    samples: Sequence[Sample],
    key: Callable[[Sample], Any],
    embedder: Any = None,
    minhash_threshold: float = 0.8,
    num_perm: int = 128,
    embedding_threshold: float | None = 0.95,
) -> dict[int, tuple[str, int, float]]:
    """Index of each sample to drop → (reason, index of the sample kept in its cluster, similarity).

    ``key(sample)`` ranks a cluster's members: the highest key stays (ties: the earliest). ``embedder`` None skips
    the embedding comparison.
    """
    keys = [sample_keys(s) for s in samples]
    uf = _Union(len(samples))
    by_task: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        by_task[s.task].append(i)
    for task, idx in by_task.items():
        exact: dict[str, int] = {}
        for i in idx:
            h = hashlib.sha256("\x1f".join(keys[i]).encode()).hexdigest()
            if h in exact:
                uf.join(exact[h], i, "duplicate", 1.0)
            else:
                exact[h] = i
        questions = [k[0] for k in keys]
        answers = [k[1] for k in keys]
        if task_shape(task) != "passage":  # a passage has no question of its own
            q_idx = [i for i in idx if len(questions[i].split()) >= 3]
            for a, b, sim in _minhash_pairs(questions, q_idx, "char", minhash_threshold, num_perm):
                uf.join(a, b, "near_duplicate", sim)
        a_idx = [i for i in idx if len(answers[i].split()) >= 8]
        for a, b, sim in _minhash_pairs(answers, a_idx, "word", minhash_threshold, num_perm):
            uf.join(a, b, "near_duplicate", sim)
        if embedder is not None and embedding_threshold is not None and task_shape(task) != "passage":
            texts = {i: _semantic_text(samples[i]) for i in idx}
            for a, b, sim in _embedding_pairs(texts, idx, embedder, embedding_threshold):
                uf.join(a, b, "semantic_duplicate", sim)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(samples)):
        clusters[uf.find(i)].append(i)
    out: dict[int, tuple[str, int, float]] = {}
    for members in clusters.values():
        if len(members) < 2:
            continue
        best = max(members, key=lambda i: (key(samples[i]), -i))
        for i in members:
            if i != best:
                why, sim = uf.why.get(i, ("near_duplicate", 0.0))
                out[i] = (why, best, round(sim, 4))
    return out
