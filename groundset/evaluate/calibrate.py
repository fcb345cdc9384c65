"""Calibrate a judge's threshold on labelled data: rows of (context, response, label) in, figures out.

```
{"context": "The Normans ... Norway ...", "response": "They came from Norway.", "label": 1}
{"context": ["chunk one", "chunk two"], "response": "They came from Spain.", "label": 0}
```
An optional ``question`` (QA rows) is passed to the judge. ``label`` 1 = the context supports the response, 0 = it does not (``supported``: true/false is accepted too).
"Positive" below means *supported*: precision is the share of kept responses that are supported, recall the
share of supported responses that are kept; ``unsupported_caught`` is the share of unsupported ones rejected.

>>> m = metrics([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0], threshold=0.5)
>>> m["precision"], m["recall"], m["balanced_accuracy"], m["auc"]
(1.0, 1.0, 1.0, 1.0)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Sequence

from groundset.errors import InputError

__all__ = ["LabelledRow", "read_labelled", "metrics", "best_threshold", "auc", "calibrate"]


class LabelledRow(dict):
    """``{"contexts": [...], "response": str, "label": 0 | 1, "kind": str | None, "question": str | None}``."""


def read_labelled(path: str | Path) -> list[LabelledRow]:
    """Read a labelled JSONL file; a bad line names its number and what is wrong."""
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "not_found", "give a JSONL file with context, response and label per line")
    rows: list[LabelledRow] = []
    for n, line in enumerate(p.open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            ctx = d.get("context", d.get("contexts"))
            contexts = [ctx] if isinstance(ctx, str) else [str(c) for c in ctx]
            response = d.get("response", d.get("answer"))
            label = d["label"] if "label" in d else d["supported"]
            label = int(bool(label)) if isinstance(label, bool) else int(label)
            if not isinstance(response, str) or label not in (0, 1):
                raise ValueError("response must be a string and label 0 or 1")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise InputError(str(p), "bad_row", f"line {n}: {e}; expected context, response and label (1/0)") from None
        rows.append(LabelledRow(contexts=contexts, response=response, label=label, kind=d.get("kind"),
                                split=d.get("split"), question=d.get("question")))
    if not rows:
        raise InputError(str(p), "empty", "no labelled rows")
    return rows


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (probability a supported row outscores an unsupported one; ties count half)."""
    pairs = sorted(zip(scores, labels))
    n_pos = sum(labels)
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        return None
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2  # 1-based ranks i+1..j
        rank_sum += avg_rank * sum(l for _, l in pairs[i:j])
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def metrics(scores: Sequence[float], labels: Sequence[int], threshold: float) -> dict[str, Any]:
    """Precision, recall, F1 (of 'supported'), unsupported caught, balanced accuracy and AUC at ``threshold``."""
    tp = sum(1 for s, l in zip(scores, labels) if s >= threshold and l == 1)
    fp = sum(1 for s, l in zip(scores, labels) if s >= threshold and l == 0)
    fn = sum(1 for s, l in zip(scores, labels) if s < threshold and l == 1)
    tn = sum(1 for s, l in zip(scores, labels) if s < threshold and l == 0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    a = auc(scores, labels)
    return {
        "threshold": round(threshold, 4),
        "n": len(labels),
        "supported": tp + fn,
        "unsupported": tn + fp,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "unsupported_caught": round(specificity, 4),
        "balanced_accuracy": round((recall + specificity) / 2, 4),
        "auc": None if a is None else round(a, 4),
    }


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> float:
    """The threshold maximising balanced accuracy (midpoints between distinct scores; ties → the lower one)."""
    distinct = sorted(set(scores))
    cuts = [distinct[0]] + [(a + b) / 2 for a, b in zip(distinct, distinct[1:])] + [distinct[-1] + 1e-6]
    best, best_ba = cuts[0], -1.0
    for t in cuts:
        ba = metrics(scores, labels, t)["balanced_accuracy"]
        if ba > best_ba + 1e-12:
            best, best_ba = t, ba
    return min(1.0, max(0.0, best))


def calibrate(rows: Sequence[LabelledRow], judge: Any, threshold: float | None = None, batch_size: int = 64) -> dict:
    """Score ``rows`` with ``judge`` and report figures at its configured and at the best threshold, per kind too.

    Rows the judge could not score (error) count as score 0 (rejected), as the gate would treat them by default.
    """
    from groundset.evaluate.judges.base import JudgeInput

    start, cpu_start = time.perf_counter(), time.process_time()
    scores: list[float] = []
    errors = 0
    for i in range(0, len(rows), batch_size):
        batch = rows[i : i + batch_size]
        verdicts = judge.score([JudgeInput(texts=[r["response"]], contexts=r["contexts"], question=r.get("question"))
                                for r in batch])
        for v in verdicts:
            errors += v.error is not None
            scores.append(0.0 if v.error else (1.0 if v.adherence is None else v.adherence))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    labels = [r["label"] for r in rows]
    configured = judge.threshold if threshold is None else threshold
    best = best_threshold(scores, labels)
    out: dict[str, Any] = {
        "judge": judge.describe(),
        "rows": len(rows),
        "errors": errors,
        "seconds": round(seconds, 2),
        "rows_per_s": round(len(rows) / seconds, 1) if seconds else None,
        "cpu_seconds": round(cpu, 2),  # all threads of this process: wall time / cpu shows contention
        "at_configured": metrics(scores, labels, configured),
        "at_best": metrics(scores, labels, best),
    }
    kinds = sorted({r.get("kind") for r in rows if r.get("kind")})
    if kinds:
        out["per_kind"] = {}
        for k in kinds:
            idx = [i for i, r in enumerate(rows) if r.get("kind") == k]
            kept = sum(1 for i in idx if scores[i] >= configured)
            out["per_kind"][k] = {"n": len(idx), "label": rows[idx[0]]["label"], "kept_at_configured": round(kept / len(idx), 4)}
    out["scores"] = scores
    return out
