"""The evaluate stage: samples in, kept and rejected samples (with reasons and scores) out, plus a summary.

```
samples/*.jsonl ──▶ sanity ──▶ decontamination ──▶ grounding judge (+ trim) ──▶ rating ──▶ dedup
                      │              │                       │                      │          │
                      └──────────────┴───── reasons ─────────┴──────────────────────┴──────────┘
evaluated/kept.jsonl      samples without a reason     evaluation.kept = True, scores, details
evaluated/rejected.jsonl  every other sample           evaluation.reasons, scores, unsupported sentences
evaluated/summary.json    counts per reason and task, score statistics, judge and thresholds, seconds
```
The filters are the steps of ``evaluate/steps.py``. Each sees only the samples that passed the earlier ones (no
judge or LLM call is spent on a sample already rejected); duplicates are resolved last so that the best-scoring member of a cluster is one that passed. Outputs
are written whole, then renamed into place together: a killed run leaves the previous outputs (``_write_outputs``), and re-running is cheap (the default
judge is fast; LLM replies come from the cache).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import ValidationError

from groundset.config import Config
from groundset.errors import GroundsetError
from groundset.evaluate.summary import build_summary
from groundset.progress import Finished, Progress, Tick, progress_callback
from groundset.records import Evaluation, Sample
from groundset.workdir import Workdir, read_jsonl

__all__ = ["evaluate", "EvaluateResult", "stage_fingerprint", "read_samples", "evaluate_samples"]


def _judge_spec(cfg: Any):
    from groundset.registry import JUDGES

    return JUDGES.get(cfg.judge)


def _resolved(config: Config) -> Config:
    from groundset.evaluate.judges.auto import resolve

    return resolve(config)


def stage_fingerprint(config: Config) -> str:
    """What the stage's output depends on in the config (the LLM only when a judge or the rating uses it)."""
    config = _resolved(config)  # judge "auto": what it stands for now (a newly cached verifier model changes it)
    sections = ["evaluate", "embed"]
    if _judge_spec(config.evaluate).uses_llm(config.evaluate) or config.evaluate.rating:
        sections.append("llm")
    return config.fingerprint(*sections)


@dataclass
class EvaluateResult:
    """Counts of one evaluate run; ``summary`` is what was written to ``evaluated/summary.json``."""

    total: int
    kept: int
    rejected: int
    reasons: dict[str, int]
    judge_errors: int
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """False when the judge failed on some samples (re-running may score them)."""
        return self.judge_errors == 0

    @property
    def exit_code(self) -> int:
        return 0 if self.complete else 3


def read_samples(workdir: Workdir) -> tuple[list[Sample], dict[str, Any]]:
    """All samples of ``samples/*.jsonl`` (not ``*.rejects.jsonl``), first occurrence of an id; plus input stats."""
    files = sorted(p for p in workdir.samples_dir.glob("*.jsonl") if not p.name.endswith(".rejects.jsonl"))
    if not files:
        raise GroundsetError(f"no samples in {workdir.samples_dir}: run `groundset generate` first")
    samples: list[Sample] = []
    seen: set[str] = set()
    stats: dict[str, Any] = {"files": [str(f) for f in files], "invalid_records": 0, "repeated_ids": 0}
    for f in files:
        for d in read_jsonl(f):
            try:
                s = Sample.model_validate(d)
            except ValidationError:
                stats["invalid_records"] += 1
                continue
            if s.id in seen:
                stats["repeated_ids"] += 1
                continue
            seen.add(s.id)
            samples.append(s)
    return samples, stats


def evaluate_samples(
    samples: list[Sample], config: Config, llm: Any = None, *, embedder: Any = None,
    tick: Callable[[str, int, int], None] = lambda step, done, total: None, workdir: Workdir | None = None,
    retrieve: Any = None,
) -> dict[str, Any]:
    """Run the gate's steps (``evaluate/steps.py``) over ``samples`` in place (their ``evaluation`` is replaced);
    return counters and timings.

    ``retrieve`` (``roundtrip.Retrieve``): search the collection for the round-trip filter (None: not checked).
    """
    from groundset.evaluate.steps import StepContext, run_steps

    for s in samples:
        s.evaluation = Evaluation()
    ctx = StepContext(_resolved(config), llm=llm, embedder=embedder, workdir=workdir, retrieve=retrieve, tick=tick)
    return run_steps(samples, ctx)


def _stage(path: Path, lines: Iterable[str]) -> Path:
    """``lines`` written to a temporary file beside ``path`` (named ``<name>…tmp``, as ``atomic_writer`` names its own)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _write_outputs(workdir: Workdir, samples: list[Sample], summary: dict[str, Any]) -> None:
    """kept, rejected and summary.json of ONE evaluation: each written whole to a temporary file, then the three
    renamed into place one after the other. A kill while they are written (the long part) leaves the previous
    evaluation's three files as they were, never the new kept beside the old rejected and summary; only a kill
    between the renames (microseconds) could. The temporaries of a killed run are removed by the next one."""
    outputs = [(workdir.kept, (s.model_dump_json() + "\n" for s in samples if s.evaluation.kept)),
               (workdir.rejected, (s.model_dump_json() + "\n" for s in samples if not s.evaluation.kept)),
               (workdir.evaluate_summary, [json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n"])]
    staged: list[tuple[Path, Path]] = []
    try:
        for path, lines in outputs:
            staged.append((_stage(path, lines), path))
        while staged:
            tmp, path = staged[0]
            os.replace(tmp, path)
            staged.pop(0)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _remove_stale_temporaries(workdir: Workdir) -> list[str]:
    """The temporary files a killed evaluate left beside its outputs (``kept.jsonl…tmp`` …): removed, names returned."""
    removed = []
    for path in (workdir.kept, workdir.rejected, workdir.evaluate_summary):
        for tmp in path.parent.glob(f"{path.name}*.tmp") if path.parent.is_dir() else []:
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp.name)
    return removed


def _retriever(config: Config, workdir: Workdir):
    from contextlib import nullcontext

    from groundset.evaluate.roundtrip import open_retriever

    return open_retriever(config, workdir) if config.evaluate.roundtrip_k else nullcontext(None)


def _cap(samples: list[Sample], keep_at_most: dict[str, int]) -> None:
    """Kept samples of a task beyond its n (in attempt order) get the reason ``over_n`` (N kept means N kept)."""
    kept: Counter[str] = Counter()
    for s in sorted(samples, key=lambda s: (s.generation.attempt or 0, s.id)):
        if s.evaluation.kept and s.task in keep_at_most:
            kept[s.task] += 1
            if kept[s.task] > keep_at_most[s.task]:
                s.evaluation.reasons.append("over_n")
                s.evaluation.kept = False


def evaluate(config: Config, workdir: Workdir, llm: Any = None, *, progress: Progress | None = None,
             keep_at_most: dict[str, int] | None = None) -> EvaluateResult:
    """Evaluate every sample of ``workdir``; write ``kept``, ``rejected`` and ``summary.json``.

    ``llm`` serves the llm judge and the rating; when None and one of them is configured, ``[llm]`` is loaded.
    ``keep_at_most`` ({task: n}): kept samples beyond n per task are rejected as ``over_n`` (the N-kept loop).
    ``progress`` (``groundset.progress``) gets the bars "judge" and "rating".
    """
    start = time.perf_counter()
    config = _resolved(config)
    cfg = config.evaluate
    _remove_stale_temporaries(workdir)
    samples, input_stats = read_samples(workdir)
    loaded = None
    if llm is None and (_judge_spec(cfg).needs_llm or cfg.rating):
        from groundset.engines import load_stage_llm  # [run] engine: local, or the calls on Ray

        llm = loaded = load_stage_llm(config, workdir, "evaluate")  # the engine generate used, if any
    emit = progress_callback(progress)

    def tick(step: str, done: int, total: int) -> None:
        emit(Tick("evaluate", step, done=done, total=total))

    try:
        with _retriever(config, workdir) as retrieve:
            info = evaluate_samples(samples, config, llm, tick=tick, workdir=workdir, retrieve=retrieve)
    finally:
        emit(Finished("evaluate"))
        if callable(getattr(loaded, "close", None)):
            loaded.close()
    if keep_at_most:
        _cap(samples, keep_at_most)
    seconds = time.perf_counter() - start
    summary = build_summary(samples, config, info, input_stats, seconds)
    _write_outputs(workdir, samples, summary)
    reasons = Counter(r for s in samples for r in s.evaluation.reasons)
    kept = sum(1 for s in samples if s.evaluation.kept)
    return EvaluateResult(total=len(samples), kept=kept, rejected=len(samples) - kept, reasons=dict(reasons),
                          judge_errors=info["judge_errors"], seconds=seconds, summary=summary)
