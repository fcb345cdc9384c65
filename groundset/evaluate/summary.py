"""The evaluate summary (``evaluated/summary.json``): counts per reason and task, score statistics, judge, timings.

```json
{"total": 120, "kept": 97, "rejected": 23,
 "reasons": {"unsupported": 15, "near_duplicate": 6, "truncated": 2},
 "per_task": {"qa": {"total": 80, "kept": 66, "rejected": 14, "reasons": {"unsupported": 10, ...}}, ...},
 "scores": {"adherence": {"n": 118, "mean": 0.81, "min": 0.1, "p10": 0.3, "p50": 0.9, "p90": 1.0, "kept_mean": 0.9}},
 "judge": {"name": "default", "threshold": 0.5, ...}, "thresholds": {...}, "filters": {...},
 "seconds": {"total": 2.1, "sanity": 0.01, "judge": 1.8, ...}, "samples_per_s": 57.1, ...}
```
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from groundset.config import Config
from groundset.records import Sample

__all__ = ["build_summary", "score_stats"]


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def score_stats(values: list[float], kept_values: list[float]) -> dict[str, Any]:
    """n, mean, min, p10, p50, p90, max of ``values``, and the mean over kept samples."""
    v = sorted(values)
    if not v:
        return {"n": 0}
    out = {
        "n": len(v),
        "mean": sum(v) / len(v),
        "min": v[0],
        "p10": _quantile(v, 0.1),
        "p50": _quantile(v, 0.5),
        "p90": _quantile(v, 0.9),
        "max": v[-1],
        "kept_mean": sum(kept_values) / len(kept_values) if kept_values else None,
    }
    return {k: (round(x, 4) if isinstance(x, float) else x) for k, x in out.items()}


def build_summary(samples: list[Sample], config: Config, info: dict[str, Any], inputs: dict[str, Any],
                  seconds: float) -> dict[str, Any]:
    """The summary dict written next to kept.jsonl and rejected.jsonl."""
    cfg = config.evaluate
    reasons: Counter[str] = Counter()
    per_task: dict[str, dict[str, Any]] = defaultdict(lambda: {"total": 0, "kept": 0, "rejected": 0, "reasons": Counter()})
    score_names: set[str] = set()
    for s in samples:
        t = per_task[s.task]
        t["total"] += 1
        t["kept" if s.evaluation.kept else "rejected"] += 1
        t["reasons"].update(s.evaluation.reasons)
        reasons.update(s.evaluation.reasons)
        score_names.update(s.evaluation.scores)
    scores = {
        name: score_stats(
            [s.evaluation.scores[name] for s in samples if name in s.evaluation.scores],
            [s.evaluation.scores[name] for s in samples if name in s.evaluation.scores and s.evaluation.kept],
        )
        for name in sorted(score_names)
    }
    kept = sum(1 for s in samples if s.evaluation.kept)
    judged_seconds = info["seconds"].get("judge", 0.0)
    return {
        "total": len(samples),
        "kept": kept,
        "rejected": len(samples) - kept,
        "acceptance_rate": round(kept / len(samples), 4) if samples else None,
        "reasons": dict(reasons.most_common()),
        "per_task": {k: {**v, "reasons": dict(v["reasons"].most_common())} for k, v in sorted(per_task.items())},
        "scores": scores,
        "judge": info.get("judge", {}),
        "thresholds": dict(cfg.thresholds),
        "judge_errors": info.get("judge_errors", 0),
        "rating_errors": info.get("rating_errors", 0),
        "trimmed": sum(1 for s in samples if "trimmed" in s.evaluation.details),
        "filters": {
            "sanity": cfg.sanity,
            "decontaminate": list(cfg.decontaminate),
            "decontam_ngram": cfg.decontam_ngram,
            "decontam_strings": info.get("decontam_strings"),
            "dedup": cfg.dedup,
            "dedup_minhash_threshold": cfg.dedup_minhash_threshold,
            "dedup_embedding_threshold": cfg.dedup_embedding_threshold,
            "rating": cfg.rating,
            "min_rating": cfg.min_rating if cfg.rating else None,
            "trim": cfg.trim,
            "roundtrip": info.get("roundtrip", {"k": cfg.roundtrip_k, "checked": 0}),
        },
        "inputs": inputs,
        "seconds": {"total": round(seconds, 3), **{k: round(v, 3) for k, v in info["seconds"].items()}},
        "samples_per_s": round(len(samples) / seconds, 1) if seconds > 0 else None,
        "judge_samples_per_s": round(info.get("judged", 0) / judged_seconds, 1) if judged_seconds > 0 else None,
    }
