"""DPO preference pairs: a grounded answer is preferred over an ungrounded one, confirmed unsupported by the gate.

Three honest sources of a ``rejected`` answer, in this order:

0. **Made on purpose** (``[export] dpo_pairs = "generate"``, the default): the same model answered the question
   without its sources, or changed one fact of the grounded answer, and the gate scored that answer unsupported
   (``groundset.generate.dpo_pairs``; ``rejected_method`` closed_book / changed_fact).
1. **Same question, dropped answer**: a sample the gate rejected for a grounding reason (``dpo_reject_reasons``,
   e.g. ``unsupported``) whose normalised question equals a kept sample's question. Rejects for duplicates or
   contamination are never used (they are not worse answers).
2. **Gate-trimmed answer**: when the evaluate stage kept a sample after removing unsupported sentences, it stores
   the untrimmed answer in ``evaluation.details["original_answer"]``; the trimmed answer is ``chosen`` and the
   original, with its unsupported sentences, is ``rejected``.

A kept sample with none is counted under the reason the dpo mode gave (``ungrounded_answer_supported``: every
ungrounded answer was supported by the sources after all) or ``no_rejected_answer`` — never paired with an
unconfirmed answer.

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
from collections import defaultdict
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
from groundset.generate.dpo_pairs import DpoPair, pair_key
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
    closed_book_system_prompt: str = "",
    generated: dict[str, DpoPair] | None = None,
) -> SchemaRows:
    """One DPO row per kept question that has an honest rejected answer; others counted in ``skipped``.

    ``generated``: the dpo mode's records by ``pair_key``. Each dropped answer is used at most once; a dropped answer
    whose question matches several kept samples pairs with the first (by sample id). Rows are in the
    conversational format TRL's DPOTrainer reads: ``prompt`` (system?, user), ``chosen`` and ``rejected`` (one
    assistant message each), with the rejected answer's provenance in ``rejected_*`` columns.
    """
    reasons = set(reject_reasons)
    generated = generated or {}
    pool: dict[str, list[Sample]] = defaultdict(list)
    for r in sorted(rejected, key=lambda s: s.id):
        if r.question and r.answer and reasons.intersection(r.evaluation.reasons):
            pool[normalise_question(r.question)].append(r)

    out = SchemaRows(schema="dpo")
    pairs: list[tuple[Sample, dict[str, Any]]] = []
    for s in sorted(kept, key=lambda s: s.id):
        reason = question_answer(s)
        if reason:
            out.skip(s, reason)
            continue
        made = generated.get(pair_key(s))
        candidates = pool.get(normalise_question(s.question))
        if made is not None and made.status == "pair":
            rej = {"text": made.rejected, "id": f"{s.id}:{made.method}", "reasons": ["unsupported"],
                   "adherence": made.adherence, "method": made.method, "unsupported": made.unsupported,
                   "judge": made.judge, "model": made.model}
        elif candidates:
            r = candidates.pop(0)
            rej = {"text": r.answer, "id": r.id, "reasons": list(r.evaluation.reasons),
                   "adherence": r.evaluation.scores.get("adherence"), "method": "gate_rejected_twin",
                   "unsupported": list(r.evaluation.unsupported), "judge": r.evaluation.details.get("judge", ""),
                   "model": str(r.generation.model or "")}
        elif (original := _gate_trimmed_original(s)) is not None:
            rej = {"text": original, "id": f"{s.id}:untrimmed", "reasons": ["unsupported_sentences_trimmed"],
                   "adherence": s.evaluation.details.get("original_adherence"), "method": "gate_trimmed",
                   "unsupported": list(s.evaluation.unsupported), "judge": s.evaluation.details.get("judge", ""),
                   "model": str(s.generation.model or "")}
        else:
            out.skip(s, made.reason if made is not None and made.reason else "no_rejected_answer")
            continue
        out.samples.append(s)
        pairs.append((s, rej))

    extra = score_columns(out.samples)
    for s, rej in pairs:
        out.rows.append({
            "prompt": _prompt_messages(s, s.question or "", include_context, system_prompt, closed_book_system_prompt),
            "chosen": [{"role": "assistant", "content": s.answer or ""}],
            "rejected": [{"role": "assistant", "content": rej["text"] or ""}],
            "rejected_id": rej["id"],
            "rejected_reasons": rej["reasons"],
            "rejected_adherence": _float(rej["adherence"]),
            "rejected_method": rej["method"],
            "rejected_unsupported": rej["unsupported"],
            "rejected_judge": str(rej["judge"] or ""),
            "rejected_model": rej["model"],
            **provenance(s, extra),
        })
    out.columns = {**COLUMNS["dpo"], **{c: "float64" for c in extra}}
    return out


def _build(kept: list[Sample], rejected: list[Sample], ex: Any, *, config=None, workdir=None, llm=None,
           judge=None) -> SchemaRows:
    """The registered builder: with ``dpo_pairs = "generate"``, make (or resume) the ungrounded answers first."""
    generated = None
    if ex.dpo_pairs == "generate" and workdir is not None:
        from groundset.generate.dpo_pairs import make_pairs, read_pairs

        make_pairs(config, workdir, kept, llm=llm, judge=judge)
        generated = read_pairs(workdir)
    return build_pairs(kept, rejected, reject_reasons=ex.dpo_reject_reasons, include_context=ex.include_context,
                       system_prompt=ex.system_prompt, closed_book_system_prompt=ex.closed_book_system_prompt,
                       generated=generated)


SCHEMAS.register("dpo", Schema(
    columns=COLUMNS["dpo"], fits=question_answer, shapes=("qa",), build=_build, needs_rejected=True,
    empty_hint="DPO needs an ungrounded answer the gate finds unsupported (`[export] dpo_pairs = \"generate\"`), or "
    "a kept and a gate-rejected answer to the same question, or a gate-trimmed answer",
    task_categories=("text-generation",),
), order=30)
