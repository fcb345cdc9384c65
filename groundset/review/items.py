"""What the review page shows of an evaluated sample, read from ``evaluated/kept.jsonl`` and ``rejected.jsonl``.

```
Sample (with evaluation) ──view()──▶ {"id", "task", "gate": "kept" | "rejected", "reasons", "adherence", "band",
                                      "fields": {"question", "answer" | "turns" | "passage"},
                                      "contexts": [{"source", "title", "section", "page", "text"}],
                                      "sentences": [{"text", "support", "unsupported", "missing", "note"}], …}
```
``text_hash`` fingerprints what the reviewer judged (question, answer, turns, passage): a verdict whose sample was
regenerated with other text since is stale and is not applied to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from groundset.errors import GroundsetError
from groundset.records import Sample, content_hash
from groundset.workdir import Workdir, read_jsonl

__all__ = ["Evaluated", "load_evaluated", "text_hash", "score_band", "BANDS", "view", "editable_fields"]

# score bands of the page's filter and of the stratified sample: [lo, hi) except the last, which includes 1.0
BANDS: list[tuple[str, float, float]] = [
    ("0.0-0.2", 0.0, 0.2), ("0.2-0.4", 0.2, 0.4), ("0.4-0.6", 0.4, 0.6), ("0.6-0.8", 0.6, 0.8), ("0.8-1.0", 0.8, 1.01),
]
NO_SCORE = "no score"


def score_band(adherence: float | None) -> str:
    """The band label of a score; ``"no score"`` for samples the judge never scored (rejected earlier)."""
    if adherence is None:
        return NO_SCORE
    for name, lo, hi in BANDS:
        if lo <= adherence < hi:
            return name
    return BANDS[-1][0] if adherence >= 1 else BANDS[0][0]


def text_hash(s: Sample) -> str:
    """Fingerprint of the reviewable text of ``s``."""
    turns = [[t.role, t.content] for t in s.turns] if s.turns is not None else None
    return content_hash(s.question, s.answer, turns, s.passage)[:16]


def editable_fields(s: Sample) -> dict[str, str]:
    """The texts a reviewer may edit: ``answer`` / ``passage``, ``question``, ``turns.<i>`` of assistant turns."""
    out: dict[str, str] = {}
    if s.question is not None:
        out["question"] = s.question
    if s.answer is not None:
        out["answer"] = s.answer
    if s.passage is not None:
        out["passage"] = s.passage
    for i, t in enumerate(s.turns or []):
        if t.role == "assistant":
            out[f"turns.{i}"] = t.content
    return out


@dataclass
class Evaluated:
    """Every evaluated sample of a workdir, in file order (kept first), with what could not be read."""

    samples: list[Sample]
    invalid_records: int = 0

    def by_id(self) -> dict[str, Sample]:
        return {s.id: s for s in self.samples}


def load_evaluated(workdir: Workdir) -> Evaluated:
    """Read kept and rejected samples; raise with the command to run when the evaluate stage has not run."""
    if not (workdir.kept.exists() or workdir.rejected.exists()):
        raise GroundsetError(f"nothing to review in {workdir.evaluated_dir}: run `groundset evaluate` first")
    samples: list[Sample] = []
    seen: set[str] = set()
    invalid = 0
    for path in (workdir.kept, workdir.rejected):
        for d in read_jsonl(path):
            try:
                s = Sample.model_validate(d)
            except ValidationError:
                invalid += 1
                continue
            if s.id not in seen:
                seen.add(s.id)
                samples.append(s)
    return Evaluated(samples, invalid)


def _threshold(s: Sample, thresholds: dict[str, float]) -> float | None:
    judge = s.evaluation.details.get("judge")
    return thresholds.get(judge) if judge else None


def _sentences(s: Sample, threshold: float | None) -> list[dict[str, Any]]:
    ev = s.evaluation
    unsupported = set(ev.unsupported) | set(ev.details.get("trimmed") or [])
    out = []
    for c in ev.details.get("claims") or []:
        if not isinstance(c, dict) or "text" not in c:
            continue
        support = c.get("support")
        low = c["text"] in unsupported or (threshold is not None and support is not None and support < threshold)
        out.append({"text": c["text"], "support": support, "unsupported": bool(low),
                    "missing": list(c.get("missing") or []), "note": c.get("note", "")})
    return out


def view(s: Sample, thresholds: dict[str, float]) -> dict[str, Any]:
    """The JSON the page renders for one sample (see the module docstring)."""
    ev = s.evaluation
    adherence = ev.scores.get("adherence")
    threshold = _threshold(s, thresholds)
    fields: dict[str, Any] = {}
    if s.question is not None:
        fields["question"] = s.question
    if s.answer is not None:
        fields["answer"] = s.answer
    if s.passage is not None:
        fields["passage"] = s.passage
    if s.turns is not None:
        fields["turns"] = [{"role": t.role, "content": t.content} for t in s.turns]
    trimmed = {k: ev.details[k] for k in ("original_answer", "original_passage") if k in ev.details}
    return {
        "id": s.id,
        "task": s.task,
        "gate": "kept" if ev.kept else "rejected",
        "reasons": list(ev.reasons),
        "adherence": adherence,
        "threshold": threshold,
        "judge": ev.details.get("judge"),
        "band": score_band(adherence),
        "scores": dict(ev.scores),
        "fields": fields,
        "editable": editable_fields(s),
        "trimmed_from": trimmed,
        "contexts": [{"chunk_id": c.chunk_id, "source": c.source, "title": c.title, "section": list(c.section),
                      "page": c.page, "text": c.text} for c in s.contexts],
        "sentences": _sentences(s, threshold),
        "not_checked": list(ev.details.get("not_checked") or []),
        "judge_error": ev.details.get("judge_error"),
        "text_hash": text_hash(s),
        "model": s.generation.model,
    }
