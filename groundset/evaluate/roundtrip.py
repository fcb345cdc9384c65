"""The round-trip filter: a generated question must lead back to its source (Alberti et al. 2019).

>>> with open_retriever(config, workdir) as retrieve:                      # doctest: +SKIP
...     counts = apply(samples, retrieve, k=5)                               # in place: scores, details, reasons
>>> samples[0].evaluation.scores["roundtrip_rank"], samples[0].evaluation.details["roundtrip"]   # doctest: +SKIP
(1, {'k': 5, 'ranks': {'5f0c…': 1}})

The question is embedded with the collection's own embedding model and searched in the collection. The sample is
kept only if every source chunk ranks in the top ``k`` (qa, backtranslate: the seed chunk; multihop: every cited
chunk; rag: the gold chunk, not the distractors — ``Attributes.reference_chunk_ids``). A generic question ("What is the purpose of this?") retrieves
anything but its own chunk and fails by construction. The rank is recorded on every checked sample
(``scores["roundtrip_rank"]``: the worst rank over its source chunks, searched to depth ``4 × k``; absent when a
source was not found that deep); a failure adds the reason ``round_trip``. Samples without a question
(conversation, textbook) are not checked.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from groundset.records import Sample

__all__ = ["apply", "source_ids", "open_retriever", "REASON", "Retrieve"]

REASON = "round_trip"
# questions in, for each: the chunk ids of the nearest chunks, best first
Retrieve = Callable[[Sequence[str], int], list[list[str]]]


def source_ids(sample: Sample) -> list[str]:
    """The chunks a sample's question must retrieve (empty: the sample is not checked)."""
    if not sample.question or sample.turns is not None or sample.passage is not None:
        return []
    try:
        gold = sample.attrs().reference_chunk_ids()  # rag: the gold chunk, not the distractors
    except Exception:  # noqa: BLE001 - attributes of another version: check every context
        gold = None
    return list(gold) if gold is not None else [c.chunk_id for c in sample.contexts]


def apply(samples: list[Sample], retrieve: Retrieve, k: int = 5, batch: int = 64) -> dict[str, int]:
    """Check the samples without a reject reason yet; returns {"checked": n, "failed": m}."""
    todo = [(s, source_ids(s)) for s in samples if not s.evaluation.reasons]
    todo = [(s, ids) for s, ids in todo if ids]
    failed = 0
    depth = 4 * k
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        hits = retrieve([s.question or "" for s, _ in part], depth)
        for (s, ids), found in zip(part, hits):
            pos = {cid: i + 1 for i, cid in reversed(list(enumerate(found)))}
            ranks = {cid: pos.get(cid) for cid in ids}
            ev = s.evaluation
            ev.details["roundtrip"] = {"k": k, "ranks": ranks}
            if all(r is not None for r in ranks.values()):
                ev.scores["roundtrip_rank"] = max(ranks.values())  # type: ignore[type-var]
            if any(r is None or r > k for r in ranks.values()):
                ev.reasons.append(REASON)
                failed += 1
    return {"checked": len(todo), "failed": failed}


@contextmanager
def open_retriever(config: Any, workdir: Any, embedder: Any = None) -> Iterator[Retrieve | None]:
    """A ``Retrieve`` over the configured collection (None when it holds no chunks: nothing to check against)."""
    from groundset.store import open_store

    with open_store(config.store, workdir) as store:
        if store.count() == 0:
            yield None
            return
        state: dict[str, Any] = {"embedder": embedder}

        def retrieve(questions: Sequence[str], limit: int) -> list[list[str]]:
            if state["embedder"] is None:
                from groundset.embed import load_embedder
                from groundset.errors import StoreError

                state["embedder"] = load_embedder(config.embed)
                if getattr(store, "dim", None) and store.dim != state["embedder"].dim:
                    raise StoreError(
                        f"the store holds {store.dim}-dim vectors but [embed] model {config.embed.model!r} gives "
                        f"{state['embedder'].dim}-dim ones: use the embedding model the corpus was ingested with, "
                        "or set [evaluate] roundtrip_k = 0 to skip the round-trip filter"
                    )
            vectors = np.asarray(state["embedder"].encode(list(questions)), dtype=np.float32)
            return [[c.id for c, _ in store.search(v, limit=limit)] for v in vectors]

        yield retrieve
