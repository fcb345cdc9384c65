"""What a run produced, read back from the workdir: the numbers the dataset card and the HTML report show.

Reads ``ingest/report.json``, ``samples/*.jsonl`` (+ ``.rejects.jsonl``), ``evaluated/{kept,rejected}.jsonl``,
``evaluated/summary.json`` and ``usage.json``; any of them may be missing (a stage not run yet) and then counts as
empty. Samples are streamed: only counters, score lists, lengths and a handful of examples stay in memory.

>>> stats = collect(Workdir("groundset-work"))     # doctest: +SKIP
>>> stats.kept, stats.rejected, stats.reject_reasons.most_common(1)   # doctest: +SKIP
(40, 12, [('unsupported', 9)])
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from groundset.records import Sample
from groundset.workdir import Workdir, read_jsonl

__all__ = ["RunStats", "collect", "exported_figures", "iter_samples", "usage_totals", "text_histogram"]

EXAMPLES_PER_SIDE = 3


def iter_samples(path: Path) -> Iterator[Sample]:
    """``Sample`` records of a JSONL file (a torn last line is skipped by ``read_jsonl``)."""
    for obj in read_jsonl(path):
        yield Sample.model_validate(obj)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def sample_length(s: Sample) -> int:
    """Words of generated text in a sample (answer, passage or all turns), for length plots."""
    if s.turns is not None:
        return sum(len(t.content.split()) for t in s.turns)
    return len((s.passage or s.answer or "").split())


@dataclass
class RunStats:
    """Counts, scores and examples of one workdir. ``coverage`` shares are None when the total is unknown."""

    ingest: dict[str, Any] = field(default_factory=dict)
    generated: Counter = field(default_factory=Counter)  # task -> samples written by generate
    generation_failures: dict[str, Counter] = field(default_factory=dict)  # task -> reason -> count
    kept: int = 0
    rejected: int = 0
    kept_by_task: Counter = field(default_factory=Counter)
    rejected_by_task: Counter = field(default_factory=Counter)
    reject_reasons: Counter = field(default_factory=Counter)
    scores: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # score -> {"kept": [...], "rejected": [...]}
    lengths: dict[str, list[int]] = field(default_factory=dict)  # task -> words per kept sample
    models: Counter = field(default_factory=Counter)  # generator model -> kept samples
    used_documents: set[str] = field(default_factory=set)
    used_chunks: set[str] = field(default_factory=set)
    examples_kept: list[Sample] = field(default_factory=list)
    examples_rejected: list[Sample] = field(default_factory=list)
    evaluate_summary: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def evaluated(self) -> int:
        return self.kept + self.rejected

    @property
    def acceptance_rate(self) -> float | None:
        return self.kept / self.evaluated if self.evaluated else None

    @property
    def coverage(self) -> dict[str, Any]:
        counts = self.ingest.get("counts", {})
        docs_total = counts.get("documents") or len(self.ingest.get("documents", [])) or None
        chunks_total = counts.get("chunks") or counts.get("points") or None
        return {
            "documents_total": docs_total,
            "documents_used": len(self.used_documents),
            "documents_share": len(self.used_documents) / docs_total if docs_total else None,
            "chunks_total": chunks_total,
            "chunks_used": len(self.used_chunks),
            "chunks_share": len(self.used_chunks) / chunks_total if chunks_total else None,
        }


def _add_example(bucket: list[Sample], s: Sample, seen_tasks: set[str]) -> None:
    """Keep a few examples, one per task first; a later sample of a new task replaces a repeated task's one."""
    if s.task in seen_tasks and len(bucket) >= EXAMPLES_PER_SIDE:
        return
    if len(bucket) >= EXAMPLES_PER_SIDE:
        counts = Counter(b.task for b in bucket)
        repeated = [i for i, b in enumerate(bucket) if counts[b.task] > 1]
        if not repeated:
            return
        bucket.pop(repeated[-1])
    bucket.append(s)
    seen_tasks.add(s.task)


def collect(workdir: Workdir, tasks: list[str] | None = None) -> RunStats:
    """Read every stage's output in ``workdir`` into a ``RunStats``. ``tasks``: sample files to count (default: all)."""
    st = RunStats(ingest=_read_json(workdir.ingest_report), usage=_read_json(workdir.usage))
    st.evaluate_summary = _read_json(workdir.evaluate_summary)
    if workdir.samples_dir.is_dir():
        for path in sorted(workdir.samples_dir.glob("*.jsonl")):
            name = path.name.removesuffix(".jsonl")
            if name.endswith(".rejects"):
                task = name.removesuffix(".rejects")
                reasons = Counter(str(o.get("reason") or o.get("error") or "unknown").split(":")[0] for o in read_jsonl(path))
                st.generation_failures[task] = reasons
            elif tasks is None or name in tasks:
                st.generated[name] = sum(1 for _ in read_jsonl(path))
    acc = _Accumulator(st)
    for s in iter_samples(workdir.kept):
        acc.kept(s)
    for s in iter_samples(workdir.rejected):
        acc.rejected(s)
    return acc.done()


def exported_figures(exported: list[Sample], workdir: Workdir) -> RunStats:
    """Figures of the exported rows only (their scores, lengths, models, coverage), with the gate-rejected samples
    of the same tasks as the comparison side; ingest totals from the workdir for the coverage shares."""
    st = RunStats(ingest=_read_json(workdir.ingest_report))
    tasks = {s.task for s in exported}
    acc = _Accumulator(st)
    for s in exported:
        acc.kept(s)
    for s in iter_samples(workdir.rejected):
        if s.task in tasks:
            acc.rejected(s)
    return acc.done()


class _Accumulator:
    """Adds kept / rejected samples to a RunStats (streaming: counters, score lists, lengths, a few examples)."""

    def __init__(self, st: RunStats):
        self.st = st
        self.seen_kept: set[str] = set()
        self.seen_rej: set[str] = set()
        self.scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"kept": [], "rejected": []})
        self.lengths: dict[str, list[int]] = defaultdict(list)

    def kept(self, s: Sample) -> None:
        st = self.st
        st.kept += 1
        st.kept_by_task[s.task] += 1
        st.models[str(s.generation.model or "unknown")] += 1
        self.lengths[s.task].append(sample_length(s))
        for c in s.contexts:
            st.used_documents.add(c.document_id)
            st.used_chunks.add(c.chunk_id)
        for k, v in s.evaluation.scores.items():
            self.scores[k]["kept"].append(float(v))
        _add_example(st.examples_kept, s, self.seen_kept)

    def rejected(self, s: Sample) -> None:
        st = self.st
        st.rejected += 1
        st.rejected_by_task[s.task] += 1
        st.reject_reasons.update(s.evaluation.reasons or ["unspecified"])
        for k, v in s.evaluation.scores.items():
            self.scores[k]["rejected"].append(float(v))
        if s.evaluation.unsupported:
            _add_example(st.examples_rejected, s, self.seen_rej)

    def done(self) -> RunStats:
        self.st.scores = dict(self.scores)
        self.st.lengths = dict(self.lengths)
        return self.st


def usage_totals(usage: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``usage.json`` as {stage: {calls, prompt_tokens, completion_tokens, cache_hits, seconds, cost…}} + "total".

    Accepts ``{"stages": {stage: {...}}}`` or ``{stage: {...}}``; numeric keys other than the known ones are kept.
    """
    stages = usage.get("stages", usage) if isinstance(usage, dict) else {}
    out: dict[str, dict[str, float]] = {}
    total: Counter = Counter()
    for stage, info in stages.items():
        if not isinstance(info, dict) or stage == "total":
            continue
        nums = {k: v for k, v in info.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if not nums:
            continue
        out[stage] = nums
        total.update(nums)
    if out:
        out["total"] = dict(total)
    return out


def text_histogram(values: list[float], bins: int = 10, lo: float = 0.0, hi: float = 1.0, width: int = 30) -> str:
    """A fixed-width text histogram (for the dataset card), one line per bin: ``0.90–1.00 ████ 12``."""
    if not values:
        return "(no values)"
    counts = [0] * bins
    for v in values:
        i = int((min(max(v, lo), hi) - lo) / (hi - lo) * bins)
        counts[min(i, bins - 1)] += 1
    peak = max(counts)
    step = (hi - lo) / bins
    lines = []
    for i, n in enumerate(counts):
        bar = "█" * (round(n / peak * width) if peak else 0)
        lines.append(f"{lo + i * step:.2f}–{lo + (i + 1) * step:.2f} {bar} {n}")
    return "\n".join(lines)
