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
from typing import Any

from groundset.export.provenance import (
    PROVENANCE,
    _float,
    grounded_chunk_ids,
    grounded_contexts,
    provenance,
    safe_attrs,
    score_columns,
)
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
    "grounded_chunk_ids",
    "grounded_contexts",
    "provenance",
    "score_columns",
    "question_answer",
]

# Column types in a small neutral notation; groundset.export.hf turns them into datasets.Features.
MESSAGES = "messages"  # list of {"role": string, "content": string}
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
        "rejected_adherence": "float64",  # the gate's score of the rejected answer
        "rejected_method": "string",  # closed_book | changed_fact | gate_rejected_twin | gate_trimmed
        "rejected_unsupported": "list<string>",  # its sentences the gate found unsupported
        "rejected_judge": "string",
        "rejected_model": "string",
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
    "textbook": {
        "text": "string",  # the passage (the column TRL's SFTTrainer and most pretraining loaders read)
        "topic": "string",
        "instruction": "string",
        "audience": "string",
        "format": "string",
        "title": "string",
        "contexts": "list<string>",
        **PROVENANCE,
    },
}


def format_context(contexts: list[Citation]) -> str:
    """The cited chunks as a numbered block, the way sft/dpo prompts show them to the model."""
    parts = []
    for i, c in enumerate(contexts, 1):
        head = " › ".join([c.title, *c.section]) if c.title or c.section else c.source
        parts.append(f"[{i}] {head}\n{c.text}")
    return "\n\n".join(parts)


def _prompt_messages(sample: Sample, question: str, include_context: bool, system_prompt: str,
                     closed_book_system_prompt: str = "") -> list[dict]:
    msgs = []
    system = system_prompt if include_context else closed_book_system_prompt
    if system:
        msgs.append({"role": "system", "content": system})
    content = f"Context:\n{format_context(sample.contexts)}\n\nQuestion: {question}" if include_context else question
    msgs.append({"role": "user", "content": content})
    return msgs


def qa_row(sample: Sample) -> dict[str, Any]:
    """qa schema: question, answer, the cited chunk texts, task attributes as JSON."""
    return {
        "question": sample.question,
        "answer": sample.answer,
        "contexts": [c.text for c in sample.contexts],
        "attributes": json.dumps({k: v for k, v in sample.attributes.items() if v is not None}, ensure_ascii=False,
                                 sort_keys=True, default=str),  # unset optional fields (None) are left out
        **provenance(sample),
    }


def textbook_topic(sample: Sample) -> str:
    """The topic a passage is about (the planner's topic label), not the whole instruction."""
    a = safe_attrs(sample)
    topic = getattr(a, "topic", None)
    if isinstance(topic, str) and topic.strip():
        return topic.strip()
    return getattr(a, "title", None) or (sample.contexts[0].title if sample.contexts else "") or ""


def textbook_prompt(sample: Sample) -> str:
    """The instruction a textbook passage answers, for sft rows: the generation instruction itself
    ("Write a FAQ about X for an undergraduate student."), or one built from the topic."""
    if sample.question and sample.question.strip():
        return sample.question.strip()
    return f"Write a textbook passage about {textbook_topic(sample)}."


def sft_row(sample: Sample, include_context: bool = True, system_prompt: str = "",
            closed_book_system_prompt: str = "") -> dict[str, Any]:
    """sft schema: chat ``messages`` as TRL's SFTTrainer reads them (system?, user, assistant[, user, assistant…])."""
    if sample.turns is not None:
        msgs = conversation_row(sample, include_context, system_prompt, closed_book_system_prompt)["messages"]
    elif sample.passage is not None:
        msgs = _prompt_messages(sample, textbook_prompt(sample), include_context, system_prompt,
                                closed_book_system_prompt)
        msgs.append({"role": "assistant", "content": sample.passage})
    else:
        msgs = _prompt_messages(sample, sample.question or "", include_context, system_prompt,
                                closed_book_system_prompt)
        msgs.append({"role": "assistant", "content": sample.answer or ""})
    return {"messages": msgs, **provenance(sample)}


def ragas_row(sample: Sample) -> dict[str, Any]:
    """ragas schema: the columns of ``ragas.SingleTurnSample`` (0.4), filled so that ``ragas.evaluate`` runs as is.

    The generator is the system under test: ``retrieved_contexts`` (+ ids) are the chunks it was shown (a rag
    sample's gold chunk and distractors), ``response`` is its gate-checked answer, and ``reference`` the same answer.
    ``reference_contexts`` (+ ids) are only the chunks the answer is grounded in. Replace ``response`` and
    ``retrieved_*`` with your own RAG system's outputs to evaluate that system instead.
    """
    a = sample.attrs()
    reference = grounded_contexts(sample)
    return {
        "user_input": sample.question,
        "reference": sample.answer,
        "reference_contexts": [c.text for c in reference],
        "reference_context_ids": [c.chunk_id for c in reference],
        "retrieved_contexts": [c.text for c in sample.contexts],
        "retrieved_context_ids": [c.chunk_id for c in sample.contexts],
        "response": sample.answer,
        "persona_name": None,  # no groundset task samples a persona or a query length
        "query_style": a.question_kind(),
        "query_length": None,
        "synthesizer_name": f"groundset:{sample.task}",
        **provenance(sample),
    }


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


def conversation_row(sample: Sample, include_context: bool = True, system_prompt: str = "",
                     closed_book_system_prompt: str = "") -> dict[str, Any]:
    """conversation schema: a system message, then the turns as ``messages``; the chunk ids each message cites.

    The system message (the instruction, plus the retrieved chunks when ``include_context``) keeps a chat template
    from injecting its own default ("You are a helpful AI assistant named …"); ``turn_chunk_ids`` has an empty list
    for it, so it stays aligned with ``messages``.
    """
    turns = [t for t in (sample.turns or []) if t.role != "system"]
    system = _system_message(sample, include_context, system_prompt, closed_book_system_prompt)
    head = [{"role": "system", "content": system}] if system else []
    return {
        "messages": head + [{"role": t.role, "content": t.content} for t in turns],
        "turn_chunk_ids": [[] for _ in head] + [list(t.chunk_ids) for t in turns],
        "contexts": [c.text for c in sample.contexts],
        **provenance(sample),
    }


def _system_message(sample: Sample, include_context: bool, system_prompt: str, closed_book: str) -> str:
    if include_context:
        return (system_prompt + "\n\n" if system_prompt else "") + f"Context:\n{format_context(sample.contexts)}"
    return closed_book


def textbook_row(sample: Sample) -> dict[str, Any]:
    """textbook schema: the passage as ``text``, its topic, the instruction that produced it, the chunks."""
    a = safe_attrs(sample)
    return {
        "text": sample.passage,
        "topic": textbook_topic(sample),
        "instruction": textbook_prompt(sample),
        "audience": _opt_str(getattr(a, "audience", None)),
        "format": _opt_str(getattr(a, "format", None)),
        "title": _opt_str(getattr(a, "title", None)),
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
    skipped_by_task: dict[str, Counter] = field(default_factory=dict)  # task -> reason -> samples not exported

    def skip(self, sample: Sample, reason: str) -> None:
        self.skipped[reason] += 1
        self.skipped_by_task.setdefault(sample.task, Counter())[reason] += 1


def build_rows(
    schema: str,
    kept: list[Sample],
    *,
    include_context: bool = True,
    system_prompt: str = "",
    closed_book_system_prompt: str = "",
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
            out.skip(s, reason)
            continue
        out.samples.append(s)
    extra = score_columns(out.samples)
    for s in out.samples:
        row = spec.row(s, include_context=include_context, system_prompt=system_prompt,
                       closed_book_system_prompt=closed_book_system_prompt)
        row.update({c: _float(s.evaluation.scores.get(c.removeprefix("score_"))) for c in extra})
        out.rows.append(row)
    out.columns = {**spec.columns, **{c: "float64" for c in extra}}
    return out


SCHEMAS.register("qa", Schema(columns=COLUMNS["qa"], row=lambda s, **_: qa_row(s), fits=question_answer,
                              shapes=("qa",), task_categories=("question-answering",)), order=10)
SCHEMAS.register("sft", Schema(columns=COLUMNS["sft"], fits=any_sample, row=sft_row), order=20)
SCHEMAS.register("ragas", Schema(columns=COLUMNS["ragas"], row=lambda s, **_: ragas_row(s), fits=question_answer,
                                 shapes=("qa",), task_categories=("question-answering",)), order=40)
SCHEMAS.register("conversation", Schema(columns=COLUMNS["conversation"], row=conversation_row,
                                        fits=_conversation, shapes=("conversation",)), order=50)
SCHEMAS.register("textbook", Schema(columns=COLUMNS["textbook"], row=lambda s, **_: textbook_row(s), fits=_passage,
                                    shapes=("passage",)), order=60)
