"""Turn evaluated ``Sample`` records into dataset rows, one pure function per schema.

Every row carries provenance (sample id, task, document / chunk ids, sources, generator model) and the adherence
score as columns, so a row can always be traced back to the chunks it was generated from. Chunk ids are the Qdrant
point ids of those chunks.

>>> from groundset.records import Citation, Evaluation, Sample
>>> s = Sample(id="s1", task="qa", question="What is 2+2?", answer="4.",
...            contexts=[Citation(chunk_id="c1", document_id="d1", source="a.txt", text="2+2 is 4.")],
...            evaluation=Evaluation(kept=True, scores={"adherence": 0.9}))
>>> row = qa_row(s)
>>> row["question"], row["contexts"], row["document_ids"], row["adherence"]
('What is 2+2?', ['2+2 is 4.'], ['d1'], 0.9)

A sample that does not fit a schema (a conversation in ``qa``) is not an error: ``build_rows`` counts it under a
reason and the export reports the count.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from groundset.export.spec import Schema, any_sample
from groundset.generate.task import task_shape
from groundset.records import Citation, Sample
from groundset.registry import SCHEMAS

__all__ = [
    "COLUMNS",
    "SchemaRows",
    "build_rows",
    "qa_row",
    "sft_row",
    "ragas_row",
    "conversation_row",
    "textbook_row",
    "format_context",
    "provenance",
    "score_columns",
    "question_answer",
]

# Column types in a small neutral notation; groundset.export.hf turns them into datasets.Features.
MESSAGES = "messages"  # list of {"role": string, "content": string}
PROVENANCE: dict[str, str] = {
    "id": "string",
    "task": "string",
    "document_ids": "list<string>",
    "chunk_ids": "list<string>",
    "sources": "list<string>",  # path or URL; a PDF chunk's with the page it starts on: "manual.pdf#page=37"
    "generator_model": "string",
    "adherence": "float64",
    "unsupported": "list<string>",
}
COLUMNS: dict[str, dict[str, str]] = {
    "qa": {
        "question": "string",
        "answer": "string",
        "contexts": "list<string>",
        "attributes": "string",  # JSON: question kind, hops, distractors… (task-specific)
        **PROVENANCE,
    },
    "sft": {"messages": MESSAGES, **PROVENANCE},
    "dpo": {
        "prompt": MESSAGES,
        "chosen": MESSAGES,
        "rejected": MESSAGES,
        "rejected_id": "string",
        "rejected_reasons": "list<string>",
        "rejected_adherence": "float64",
        **PROVENANCE,
    },
    "ragas": {
        "user_input": "string",
        "reference": "string",
        "reference_contexts": "list<string>",
        "reference_context_ids": "list<string>",
        "retrieved_contexts": "list<string>",
        "retrieved_context_ids": "list<string>",
        "response": "string",
        "persona_name": "string",
        "query_style": "string",
        "query_length": "string",
        "synthesizer_name": "string",
        **PROVENANCE,
    },
    "conversation": {
        "messages": MESSAGES,
        "turn_chunk_ids": "list<list<string>>",
        "contexts": "list<string>",
        **PROVENANCE,
    },
    "textbook": {"topic": "string", "passage": "string", "contexts": "list<string>", **PROVENANCE},
}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def score_columns(samples: Iterable[Sample]) -> list[str]:
    """Names of the extra ``score_<name>`` columns: every score other than adherence that any sample has."""
    names = {k for s in samples for k in s.evaluation.scores if k != "adherence"}
    return [f"score_{k}" for k in sorted(names)]


def provenance(sample: Sample, extra_scores: list[str] = ()) -> dict[str, Any]:
    """The columns every schema shares: ids, sources, model, adherence, unsupported sentences, other scores."""
    ev = sample.evaluation
    row: dict[str, Any] = {
        "id": sample.id,
        "task": sample.task,
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


def format_context(contexts: list[Citation]) -> str:
    """The cited chunks as a numbered block, the way sft/dpo prompts show them to the model."""
    parts = []
    for i, c in enumerate(contexts, 1):
        head = " › ".join([c.title, *c.section]) if c.title or c.section else c.source
        parts.append(f"[{i}] {head}\n{c.text}")
    return "\n\n".join(parts)


def _prompt_messages(sample: Sample, question: str, include_context: bool, system_prompt: str) -> list[dict]:
    msgs = []
    if include_context and system_prompt:
        msgs.append({"role": "system", "content": system_prompt})
    content = f"Context:\n{format_context(sample.contexts)}\n\nQuestion: {question}" if include_context else question
    msgs.append({"role": "user", "content": content})
    return msgs


def qa_row(sample: Sample) -> dict[str, Any]:
    """qa schema: question, answer, the cited chunk texts, task attributes as JSON."""
    return {
        "question": sample.question,
        "answer": sample.answer,
        "contexts": [c.text for c in sample.contexts],
        "attributes": json.dumps(sample.attributes, ensure_ascii=False, sort_keys=True, default=str),
        **provenance(sample),
    }


def textbook_prompt(sample: Sample) -> str:
    """The instruction a textbook passage answers, for sft rows."""
    topic = sample.question or (sample.contexts[0].title if sample.contexts else "")
    return f"Write a textbook passage about: {topic}"


def sft_row(sample: Sample, include_context: bool = True, system_prompt: str = "") -> dict[str, Any]:
    """sft schema: chat ``messages`` as TRL's SFTTrainer reads them (system?, user, assistant[, user, assistant…])."""
    if sample.turns is not None:
        msgs = [{"role": t.role, "content": t.content} for t in sample.turns]
        if include_context:
            system = (system_prompt + "\n\n" if system_prompt else "") + f"Context:\n{format_context(sample.contexts)}"
            msgs = [{"role": "system", "content": system}] + [m for m in msgs if m["role"] != "system"]
    elif sample.passage is not None:
        msgs = _prompt_messages(sample, textbook_prompt(sample), include_context, system_prompt)
        msgs.append({"role": "assistant", "content": sample.passage})
    else:
        msgs = _prompt_messages(sample, sample.question or "", include_context, system_prompt)
        msgs.append({"role": "assistant", "content": sample.answer or ""})
    return {"messages": msgs, **provenance(sample)}


def ragas_row(sample: Sample) -> dict[str, Any]:
    """ragas schema: the columns of ``ragas.SingleTurnSample`` (0.4): reference = the grounded answer.

    ``response`` and ``retrieved_contexts`` are for the RAG system under test to fill; for samples whose contexts
    mix grounding chunks and distractors (rag), ``retrieved_contexts`` holds all of them and ``reference_contexts``
    only the grounding ones (``Attributes.reference_chunk_ids``: rag's gold chunk, multihop's contributing chunks).
    No groundset task samples a persona or a query length: those two ragas columns stay empty.
    """
    a = sample.attrs()
    ref_ids = a.reference_chunk_ids()
    cited = set(ref_ids) if ref_ids is not None else {c.chunk_id for c in sample.contexts}
    reference = [c for c in sample.contexts if c.chunk_id in cited]
    retrieved = sample.contexts if a.distractor_ids() else None
    return {
        "user_input": sample.question,
        "reference": sample.answer,
        "reference_contexts": [c.text for c in reference],
        "reference_context_ids": [c.chunk_id for c in reference],
        "retrieved_contexts": None if retrieved is None else [c.text for c in retrieved],
        "retrieved_context_ids": None if retrieved is None else [c.chunk_id for c in retrieved],
        "response": None,
        "persona_name": None,
        "query_style": a.question_kind(),
        "query_length": None,
        "synthesizer_name": f"groundset:{sample.task}",
        **provenance(sample),
    }


def conversation_row(sample: Sample) -> dict[str, Any]:
    """conversation schema: the turns as ``messages``, the chunk ids each turn cites, the cited chunk texts."""
    turns = sample.turns or []
    return {
        "messages": [{"role": t.role, "content": t.content} for t in turns],
        "turn_chunk_ids": [list(t.chunk_ids) for t in turns],
        "contexts": [c.text for c in sample.contexts],
        **provenance(sample),
    }


def textbook_row(sample: Sample) -> dict[str, Any]:
    """textbook schema: the topic, the passage and the chunks it was written from."""
    return {
        "topic": sample.question,
        "passage": sample.passage,
        "contexts": [c.text for c in sample.contexts],
        **provenance(sample),
    }


def question_answer(s: Sample) -> str | None:
    """Fits the qa, ragas and dpo schemas: a sample of a question-answer task with both fields."""
    return None if task_shape(s.task) == "qa" and s.question and s.answer else "not_a_question_answer_sample"


def _conversation(s: Sample) -> str | None:
    return None if s.turns else "not_a_conversation_sample"


def _passage(s: Sample) -> str | None:
    return None if s.passage else "not_a_textbook_sample"


def _fits(schema: str, s: Sample) -> str | None:
    """None when ``s`` can become a row of ``schema``, else the reason it cannot."""
    return SCHEMAS.get(schema).fits(s)


@dataclass
class SchemaRows:
    """Rows of one schema, the sample each came from (for splitting), and what did not fit, by reason."""

    schema: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    columns: dict[str, str] = field(default_factory=dict)


def build_rows(
    schema: str,
    kept: list[Sample],
    *,
    include_context: bool = True,
    system_prompt: str = "",
) -> SchemaRows:
    """Rows of ``schema`` (except dpo, see ``groundset.export.dpo``) from kept samples, with skip counts.

    Extra score columns (``score_<name>``) are added for every non-adherence score any exported sample has.
    """
    spec = SCHEMAS.get(schema)
    if spec.row is None:
        raise ValueError(f"build_rows does not make {schema!r} rows")
    out = SchemaRows(schema=schema)
    for s in kept:
        reason = spec.fits(s)
        if reason:
            out.skipped[reason] += 1
            continue
        out.samples.append(s)
    extra = score_columns(out.samples)
    for s in out.samples:
        row = spec.row(s, include_context=include_context, system_prompt=system_prompt)
        row.update({c: _float(s.evaluation.scores.get(c.removeprefix("score_"))) for c in extra})
        out.rows.append(row)
    out.columns = {**spec.columns, **{c: "float64" for c in extra}}
    return out


SCHEMAS.register("qa", Schema(columns=COLUMNS["qa"], row=lambda s, **_: qa_row(s), fits=question_answer,
                              shapes=("qa",), task_categories=("question-answering",)), order=10)
SCHEMAS.register("sft", Schema(columns=COLUMNS["sft"], fits=any_sample, row=sft_row), order=20)
SCHEMAS.register("ragas", Schema(columns=COLUMNS["ragas"], row=lambda s, **_: ragas_row(s), fits=question_answer,
                                 shapes=("qa",), task_categories=("question-answering",)), order=40)
SCHEMAS.register("conversation", Schema(columns=COLUMNS["conversation"], row=lambda s, **_: conversation_row(s),
                                        fits=_conversation, shapes=("conversation",)), order=50)
SCHEMAS.register("textbook", Schema(columns=COLUMNS["textbook"], row=lambda s, **_: textbook_row(s), fits=_passage,
                                    shapes=("passage",)), order=60)
