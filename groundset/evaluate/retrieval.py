"""Retrieval evaluation on the generated questions: BEIR files out, recall@k / MRR / nDCG of a retriever back.

>>> paths = export_beir(config, workdir, out)        # doctest: +SKIP
>>> scores = evaluate_retrieval(config, workdir, out)   # doctest: +SKIP
>>> scores = evaluate_retrieval(config, workdir, out, embed_model="/models/bge-small")   # doctest: +SKIP
>>> scores["recall@5"], scores["mrr"], scores["ndcg@10"]       # doctest: +SKIP

BEIR layout (Thakur et al. 2021): ``corpus.jsonl`` rows ``{"_id", "title", "text"}`` (every chunk of the
collection), ``queries.jsonl`` rows ``{"_id", "text"}`` (the question of every KEPT sample that has one), and
``qrels/test.tsv`` (``query-id  corpus-id  score``, header line) with score 1 for each chunk the question must
retrieve (the chunks the round-trip filter checks: the seed chunk; every cited chunk for multihop; rag's gold chunk).
All three load with ``datasets.load_dataset("json", …)`` / ``("csv", delimiter="\\t")``.

Scoring: each query's ranked list to depth ``max(ks, 10)``; ``recall@k`` = share of its relevant chunks in the top
k (averaged over queries), ``mrr`` = mean reciprocal rank of the first relevant chunk (0 beyond the depth),
``ndcg@10`` with binary gains. The collection is searched with its own vectors (the Qdrant store and ``[embed]``);
``embed_model`` embeds ``corpus.jsonl`` with another model in memory instead (exact cosine search).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from groundset.errors import GroundsetError
from groundset.workdir import Workdir, read_jsonl

__all__ = ["export_beir", "load_beir", "evaluate_retrieval", "score_rankings"]


def export_beir(config: Any, workdir: Workdir, out: Path) -> dict[str, Path]:
    """Write the BEIR files of the kept samples and the whole collection under ``out``; returns their paths."""
    from groundset.evaluate.roundtrip import source_ids
    from groundset.records import Sample
    from groundset.store import open_store

    queries, qrels = [], []
    for row in read_jsonl(workdir.kept):
        s = Sample.model_validate(row)
        ids = source_ids(s)
        if s.question and ids:
            queries.append({"_id": s.id, "text": s.question})
            qrels += [(s.id, cid) for cid in ids]
    if not queries:
        raise GroundsetError(f"no kept sample with a question in {workdir.kept}: run `groundset run` (or generate "
                             "and evaluate) first")
    out.mkdir(parents=True, exist_ok=True)
    (out / "qrels").mkdir(exist_ok=True)
    paths = {"corpus": out / "corpus.jsonl", "queries": out / "queries.jsonl", "qrels": out / "qrels" / "test.tsv"}
    with open_store(config.store, workdir) as store, paths["corpus"].open("w", encoding="utf-8") as f:
        for c in sorted(store.iter_chunks(), key=lambda c: (c.source, c.index, c.id)):
            f.write(json.dumps({"_id": c.id, "title": c.title, "text": c.text}, ensure_ascii=False) + "\n")
    with paths["queries"].open("w", encoding="utf-8") as f:
        for q in queries:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    with paths["qrels"].open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["query-id", "corpus-id", "score"])
        w.writerows((q, c, 1) for q, c in qrels)
    return paths


def load_beir(folder: Path) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, int]]]:
    """(corpus id → "title\\ntext", query id → text, query id → {corpus id: score}) of a BEIR folder."""
    corpus = {r["_id"]: (r.get("title", "") + "\n" + r["text"]).strip() for r in read_jsonl(folder / "corpus.jsonl")}
    queries = {r["_id"]: r["text"] for r in read_jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / "test.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return corpus, queries, qrels


def score_rankings(ranked: dict[str, list[str]], qrels: dict[str, dict[str, int]],
                   ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """recall@k, mrr and ndcg@10 of ``ranked`` (query id → chunk ids, best first) against ``qrels``.

    >>> score_rankings({"q": ["b", "a"]}, {"q": {"a": 1}}, ks=(1, 2))
    {'queries': 1, 'recall@1': 0.0, 'recall@2': 1.0, 'mrr': 0.5, 'ndcg@10': 0.6309}
    """
    out: dict[str, float] = {"queries": len(qrels)}
    n = max(len(qrels), 1)
    for k in ks:
        out[f"recall@{k}"] = round(sum(len(set(ranked.get(q, [])[:k]) & set(rel)) / len(rel)
                                       for q, rel in qrels.items()) / n, 4)
    mrr = ndcg = 0.0
    for q, rel in qrels.items():
        hits = ranked.get(q, [])
        first = next((i for i, c in enumerate(hits) if c in rel), None)
        mrr += 0.0 if first is None else 1.0 / (first + 1)
        dcg = sum(1.0 / math.log2(i + 2) for i, c in enumerate(hits[:10]) if c in rel)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), 10)))
        ndcg += dcg / ideal if ideal else 0.0
    out["mrr"], out["ndcg@10"] = round(mrr / n, 4), round(ndcg / n, 4)
    return out


def _rank_with_model(model: str, corpus: dict[str, str], queries: dict[str, str], depth: int) -> dict[str, list[str]]:
    from groundset.embed import load_embedder
    from groundset.embed.config import EmbedConfig

    embedder = load_embedder(EmbedConfig(model=model))
    ids = list(corpus)
    docs = np.asarray(embedder.encode([corpus[i] for i in ids]), dtype=np.float32)
    qids = list(queries)
    qv = np.asarray(embedder.encode([queries[q] for q in qids]), dtype=np.float32)
    sims = qv @ docs.T
    top = np.argsort(-sims, axis=1, kind="stable")[:, :depth]
    return {q: [ids[j] for j in row] for q, row in zip(qids, top)}


def evaluate_retrieval(config: Any, workdir: Workdir, folder: Path, embed_model: str | None = None,
                       ks: Sequence[int] = (1, 5, 10)) -> dict[str, Any]:
    """Score the collection's retriever (or ``embed_model``) on the BEIR files in ``folder``."""
    from groundset.evaluate.roundtrip import open_retriever

    corpus, queries, qrels = load_beir(folder)
    depth = max(max(ks), 10)
    qids = [q for q in queries if q in qrels]
    if embed_model:
        ranked = _rank_with_model(embed_model, corpus, {q: queries[q] for q in qids}, depth)
        retriever = f"{embed_model} (exact search over {len(corpus)} chunks)"
    else:
        with open_retriever(config, workdir) as retrieve:
            if retrieve is None:
                raise GroundsetError(f"collection {config.store.collection!r} holds no chunks: ingest first, or pass "
                                     "--embed-model to embed corpus.jsonl with a model")
            ranked = dict(zip(qids, retrieve([queries[q] for q in qids], depth)))
        retriever = f"collection {config.store.collection!r} ({config.embed.model})"
    return {"retriever": retriever, **score_rankings(ranked, {q: qrels[q] for q in qids}, ks)}
