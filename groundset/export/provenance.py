"""Provenance columns every schema shares, and which chunks a sample's answer is grounded in.

Every row carries its sample id, task, the documents it is grounded in (what splits group by), every document and
chunk shown to the generator (Qdrant point ids), sources, generator model, adherence and unsupported sentences, so
a row can always be traced back to the chunks it came from.

>>> from groundset.records import Citation, Sample
>>> s = Sample(id="s1", task="rag", question="Q?", answer="A.", attributes={"gold_chunk_ids": ["c1"]},
...            contexts=[Citation(chunk_id="c9", document_id="d9", source="x", text="distractor"),
...                      Citation(chunk_id="c1", document_id="d1", source="a", text="gold")])
>>> grounded_chunk_ids(s), provenance(s)["grounded_document_ids"], provenance(s)["document_ids"]
(['c1'], ['d1'], ['d9', 'd1'])
"""

from __future__ import annotations

from typing import Any, Iterable

from groundset.records import Citation, Sample

__all__ = ["PROVENANCE", "grounded_chunk_ids", "grounded_contexts", "provenance", "safe_attrs", "score_columns"]

PROVENANCE: dict[str, str] = {
    "id": "string",
    "task": "string",
    "grounded_document_ids": "list<string>",  # the documents the answer is grounded in: what splits group by
    "document_ids": "list<string>",  # every document shown to the generator (distractors, retrieved turns too)
    "chunk_ids": "list<string>",
    "sources": "list<string>",  # path or URL; a PDF chunk's with the page it starts on: "manual.pdf#page=37"
    "generator_model": "string",
    "adherence": "float64",
    "unsupported": "list<string>",
}

def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def score_columns(samples: Iterable[Sample]) -> list[str]:
    """Names of the extra ``score_<name>`` columns: every score other than adherence that any sample has."""
    names = {k for s in samples for k in s.evaluation.scores if k != "adherence"}
    return [f"score_{k}" for k in sorted(names)]


def grounded_chunk_ids(sample: Sample) -> list[str]:
    """The chunks the sample's answer is grounded in: a rag sample's gold chunk, a multi-hop answer's cited chunks,
    the chunks a conversation's assistant turns cite; otherwise every context (qa, textbook: all were sources).

    Distractors and chunks merely retrieved for a turn are not grounding: they must not tie documents together when
    splitting, nor count as a ragas reference.
    """
    shown = [c.chunk_id for c in sample.contexts]
    reference = _reference_ids(sample)  # rag: the gold chunk; multihop: the contributing chunks
    if reference is not None:
        ids = list(reference)
    elif sample.turns is not None:
        ids = [cid for t in sample.turns if t.role == "assistant" for cid in t.chunk_ids]
    else:
        ids = shown
    ids = _unique(i for i in ids if i in set(shown)) or shown
    return ids


def safe_attrs(sample: Sample) -> Any:
    """``sample.attrs()``, or None for attributes the task's model does not accept (an old or hand-made record)."""
    from pydantic import ValidationError

    try:
        return sample.attrs()
    except ValidationError:
        return None


def _reference_ids(sample: Sample) -> list[str] | None:
    a = safe_attrs(sample)
    return None if a is None else a.reference_chunk_ids()  # None: every context grounds the answer


def grounded_contexts(sample: Sample) -> list[Citation]:
    ids = set(grounded_chunk_ids(sample))
    return [c for c in sample.contexts if c.chunk_id in ids]


def provenance(sample: Sample, extra_scores: list[str] = ()) -> dict[str, Any]:
    """The columns every schema shares: ids, sources, model, adherence, unsupported sentences, other scores."""
    ev = sample.evaluation
    row: dict[str, Any] = {
        "id": sample.id,
        "task": sample.task,
        "grounded_document_ids": _unique(c.document_id for c in grounded_contexts(sample)),
        "document_ids": _unique(c.document_id for c in sample.contexts),
        "chunk_ids": _unique(c.chunk_id for c in sample.contexts),
        "sources": _unique(_located(c) for c in sample.contexts),
        "generator_model": str(sample.generation.model or ""),
        "adherence": _float(ev.scores.get("adherence")),
        "unsupported": list(ev.unsupported),
    }
    for col in extra_scores:
        row[col] = _float(ev.scores.get(col.removeprefix("score_")))
    return row


def _located(c: Citation) -> str:
    """The source of a cited chunk, with the page it starts on as a PDF open parameter (RFC 8118 ``#page=``)."""
    return f"{c.source}#page={c.page}" if c.page is not None else c.source


def _float(v: Any) -> float | None:
    return None if v is None else float(v)
