"""DPO preference pairs from the gate's own decisions: a grounded answer is preferred over an ungrounded one.

Two honest sources of a ``rejected`` answer, and nothing invented:

1. **Same question, dropped answer**: a sample the gate rejected for a grounding reason (``dpo_reject_reasons``,
   e.g. ``unsupported``) whose normalised question equals a kept sample's question. Rejects for duplicates or
   contamination are never used (they are not worse answers).
2. **Gate-trimmed answer**: when the evaluate stage kept a sample after removing unsupported sentences, it stores
   the untrimmed answer in ``evaluation.details["original_answer"]``; the trimmed answer is ``chosen`` and the
   original, with its unsupported sentences, is ``rejected``.

A kept sample with neither is counted as ``no_rejected_answer`` — never paired with a made-up answer.

>>> from groundset.records import Evaluation, Sample
>>> good = Sample(id="k", task="qa", question="What is X?", answer="X is Y.", evaluation=Evaluation(kept=True))
>>> bad = Sample(id="r", task="qa", question="what is x", answer="X is Z, since 1990.",
...              evaluation=Evaluation(kept=False, reasons=["unsupported"]))
>>> pairs = build_pairs([good], [bad], reject_reasons=["unsupported"])
>>> pairs.rows[0]["rejected"][0]["content"], pairs.skipped
('X is Z, since 1990.', Counter())
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from groundset.export.schemas import (
    COLUMNS,
    SchemaRows,
    _float,
    _prompt_messages,
    provenance,
    question_answer,
    score_columns,
)
from groundset.export.spec import Schema
from groundset.records import Sample
from groundset.registry import SCHEMAS

__all__ = ["build_pairs", "normalise_question"]


def normalise_question(q: str | None) -> str:
    """Case-, space- and punctuation-insensitive form of a question, used to match a kept and a dropped answer."""
    return re.sub(r"[^\w]+", " ", (q or "").casefold()).strip()


def _gate_trimmed_original(s: Sample) -> str | None:
    original = s.evaluation.details.get("original_answer")
    if isinstance(original, str) and original.strip() and original.strip() != (s.answer or "").strip():
        return original
    return None


def build_pairs(
    kept: list[Sample],
    rejected: list[Sample],
    *,
    reject_reasons: list[str],
    include_context: bool = True,
    system_prompt: str = "",
) -> SchemaRows:
    """One DPO row per kept question that has an honest rejected answer; others counted in ``skipped``.

    Each dropped answer is used at most once; a dropped answer whose question matches several kept samples pairs
    with the first (by sample id). Rows are in the conversational format TRL's DPOTrainer reads:
    ``prompt`` (system?, user), ``chosen`` and ``rejected`` (one assistant message each).
    """
    reasons = set(reject_reasons)
    pool: dict[str, list[Sample]] = defaultdict(list)
    for r in sorted(rejected, key=lambda s: s.id):
        if r.question and r.answer and reasons.intersection(r.evaluation.reasons):
            pool[normalise_question(r.question)].append(r)

    out = SchemaRows(schema="dpo")
    pairs: list[tuple[Sample, str, Sample | None]] = []
    for s in sorted(kept, key=lambda s: s.id):
        reason = question_answer(s)
        if reason:
            out.skipped[reason] += 1
            continue
        candidates = pool.get(normalise_question(s.question))
        if candidates:
            r = candidates.pop(0)
            pairs.append((s, r.answer or "", r))
        elif (original := _gate_trimmed_original(s)) is not None:
            pairs.append((s, original, None))
        else:
            out.skipped["no_rejected_answer"] += 1
            continue
        out.samples.append(s)

    extra = score_columns(out.samples)
    for s, rejected_text, r in pairs:
        row: dict[str, Any] = {
            "prompt": _prompt_messages(s, s.question or "", include_context, system_prompt),
            "chosen": [{"role": "assistant", "content": s.answer or ""}],
            "rejected": [{"role": "assistant", "content": rejected_text}],
            "rejected_id": r.id if r is not None else f"{s.id}:untrimmed",
            "rejected_reasons": list(r.evaluation.reasons) if r is not None else ["unsupported_sentences_trimmed"],
            "rejected_adherence": _float(
                (r.evaluation.scores if r is not None else s.evaluation.details).get(
                    "adherence" if r is not None else "original_adherence"
                )
            ),
            **provenance(s, extra),
        }
        out.rows.append(row)
    out.columns = {**COLUMNS["dpo"], **{c: "float64" for c in extra}}
    return out


def _build(kept: list[Sample], rejected: list[Sample], ex: Any) -> SchemaRows:
    return build_pairs(kept, rejected, reject_reasons=ex.dpo_reject_reasons, include_context=ex.include_context,
                       system_prompt=ex.system_prompt)


SCHEMAS.register("dpo", Schema(
    columns=COLUMNS["dpo"], fits=question_answer, shapes=("qa",), build=_build, needs_rejected=True,
    empty_hint="DPO needs a kept and a gate-rejected answer to the same question, or a gate-trimmed answer",
), order=30)
