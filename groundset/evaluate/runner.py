"""The evaluate stage: samples in, kept and rejected samples (with reasons and scores) out, plus a summary.

```
samples/*.jsonl ──▶ sanity ──▶ decontamination ──▶ grounding judge (+ trim) ──▶ rating ──▶ dedup
                      │              │                       │                      │          │
                      └──────────────┴───── reasons ─────────┴──────────────────────┴──────────┘
evaluated/kept.jsonl      samples without a reason     evaluation.kept = True, scores, details
evaluated/rejected.jsonl  every other sample           evaluation.reasons, scores, unsupported sentences
evaluated/summary.json    counts per reason and task, score statistics, judge and thresholds, seconds
```
Each filter sees only the samples that passed the earlier ones (no judge or LLM call is spent on a sample already
rejected); duplicates are resolved last so that the best-scoring member of a cluster is one that passed. Outputs
are written whole and atomically: a killed run leaves the previous outputs, and re-running is cheap (the default
judge is fast; LLM replies come from the cache).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import ValidationError

from groundset.config import Config
from groundset.errors import GroundsetError
from groundset.evaluate import sanity
from groundset.evaluate.judges import JudgeInput, load_judge
from groundset.evaluate.summary import build_summary
from groundset.evaluate.trim import still_answers, trailing_cut, trim_text
from groundset.records import Evaluation, Sample
from groundset.workdir import Workdir, atomic_writer, read_jsonl, write_json_atomic

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


def _judge_input(s: Sample) -> JudgeInput:
    extra = [c.title for c in s.contexts if c.title] + [" ".join(c.section) for c in s.contexts if c.section]
    return JudgeInput(texts=s.claims_text(), contexts=[c.text for c in s.contexts], question=s.question,
                      extra_evidence=extra)


def _apply_verdict(s: Sample, v: Any, judge: Any, cfg: Any) -> bool:
    """Record the verdict on ``s``; return True when the judge failed on it."""
    ev = s.evaluation
    ev.details["judge"] = judge.name
    if v.error:
        ev.details["judge_error"] = v.error
        if cfg.on_judge_error == "reject":
            ev.reasons.append("judge_error")
        return True
    ev.details["claims"] = [c.as_dict() for c in v.claims]
    if v.decision:
        ev.details["decision"] = v.decision
    if v.skipped:
        ev.details["not_checked"] = v.skipped
    if v.adherence is None:
        ev.details["claims_checked"] = 0
        return False
    ev.scores["adherence"] = round(v.adherence, 4)
    unsupported = v.unsupported(judge.threshold)
    ev.unsupported = unsupported
    if v.adherence >= judge.threshold:
        return False
    if cfg.trim and _trim(s, v, judge.threshold, cfg.trim_min_keep):
        return False
    ev.reasons.append("unsupported")
    return False


def _trim(s: Sample, v: Any, threshold: float, min_keep: float) -> bool:
    """Remove the trailing unsupported sentences of an answer / passage when the supported beginning passes alone
    and still answers the question (``trim.trailing_cut``, ``trim.still_answers``)."""
    field_name = "answer" if s.answer is not None and s.turns is None else "passage" if s.passage is not None else None
    k = trailing_cut([c.support for c in v.claims], threshold, v.prefix_adherence, min_keep)
    if field_name is None or k is None:
        return False
    kept, removed = v.claims[:k], v.claims[k:]
    if not still_answers(s.question, [c.text for c in kept], [c.text for c in removed]):
        return False
    original = getattr(s, field_name)
    trimmed = trim_text(original, [c.text for c in removed])
    if not trimmed:
        return False
    setattr(s, field_name, trimmed)
    ev = s.evaluation
    ev.details.update({f"original_{field_name}": original, "original_adherence": ev.scores["adherence"],
                       "trimmed": [c.text for c in removed],
                       "trim": {"reason": "trimmed", "removed": [c.as_dict() for c in removed], "kept_sentences": k}})
    ev.scores["adherence"] = round(v.prefix_adherence[k - 1] if v.prefix_adherence else min(c.support for c in kept), 4)
    ev.unsupported = []
    return True


def _batches(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def evaluate_samples(
    samples: list[Sample], config: Config, llm: Any = None, *, embedder: Any = None,
    tick: Callable[[str, int, int], None] = lambda step, done, total: None, workdir: Workdir | None = None,
    retrieve: Any = None,
) -> dict[str, Any]:
    """Run every filter over ``samples`` in place (their ``evaluation`` is replaced); return counters and timings.

    ``retrieve`` (``roundtrip.Retrieve``): search the collection for the round-trip filter (None: not checked).
    """
    config = _resolved(config)
    cfg = config.evaluate
    info: dict[str, Any] = {"seconds": {}, "judge_errors": 0, "rating_errors": 0}
    for s in samples:
        s.evaluation = Evaluation()
    t = time.perf_counter()
    if cfg.sanity:
        for s in samples:
            s.evaluation.reasons.extend(sanity.check(s, cfg.copy_ratio))
    info["seconds"]["sanity"] = time.perf_counter() - t

    t = time.perf_counter()
    if cfg.decontaminate:
        from groundset.evaluate.decontam import Decontaminator

        deco = Decontaminator.from_paths(cfg.decontaminate, cfg.decontam_ngram, cfg.decontam_min_words)
        info["decontam_strings"] = deco.count
        for s in samples:
            if not s.evaluation.reasons:
                texts = [s.question or "", *(t.content for t in s.turns or []), s.answer or "", s.passage or ""]
                hit = deco.check(texts)
                if hit:
                    s.evaluation.reasons.append("contaminated")
                    s.evaluation.details["contamination"] = {"benchmark": hit[0], "overlap": hit[1]}
    info["seconds"]["decontaminate"] = time.perf_counter() - t

    t = time.perf_counter()
    if cfg.roundtrip_k and retrieve is not None:
        from groundset.evaluate import roundtrip

        info["roundtrip"] = {"k": cfg.roundtrip_k, **roundtrip.apply(samples, retrieve, cfg.roundtrip_k)}
    info["seconds"]["roundtrip"] = time.perf_counter() - t

    t = time.perf_counter()
    judge = load_judge(cfg, embed_cfg=config.embed, llm=llm, llm_cfg=config.llm, embedder=embedder, workdir=workdir)
    from groundset.engines import stage_judge  # [run] engine = "ray": scored in Ray tasks, same verdicts

    judge = stage_judge(config, judge, {"cfg": cfg, "embed_cfg": config.embed, "llm_cfg": config.llm,
                                        "workdir": workdir})
    info["judge"] = judge.describe()
    todo = [s for s in samples if not s.evaluation.reasons]
    done = 0
    try:
        for batch in _batches(todo, getattr(judge, "score_batch", None) or cfg.batch_size):
            for s, v in zip(batch, judge.score([_judge_input(s) for s in batch])):
                info["judge_errors"] += _apply_verdict(s, v, judge, cfg)
            done += len(batch)
            tick("judge", done, len(todo))
    finally:
        if callable(getattr(judge, "close", None)):  # the ragas judge's event loop
            judge.close()
    info["judge"] = judge.describe()
    if cfg._auto_reason:
        info["judge"]["chosen_by"] = f"auto: {cfg._auto_reason}"
    info["judged"] = len(todo)
    info["seconds"]["judge"] = time.perf_counter() - t

    t = time.perf_counter()
    if cfg.rating:
        from groundset.evaluate.rating import rate

        todo = [s for s in samples if not s.evaluation.reasons]
        done = 0
        for batch in _batches(todo, cfg.batch_size):
            for s, (score, why) in zip(batch, rate(batch, llm, cfg.rating_max_tokens)):
                if score is None:
                    s.evaluation.details["rating_error"] = why
                    info["rating_errors"] += 1
                    continue
                s.evaluation.scores["rating"] = score
                s.evaluation.details["rating_reasoning"] = why
                if score < cfg.min_rating:
                    s.evaluation.reasons.append("low_rating")
            done += len(batch)
            tick("rating", done, len(todo))
    info["seconds"]["rating"] = time.perf_counter() - t

    t = time.perf_counter()
    if cfg.dedup:
        from groundset.evaluate.dedup import find_duplicates

        todo = [s for s in samples if not s.evaluation.reasons]
        dup_embedder = None
        if cfg.dedup_embedding_threshold is not None:
            dup_embedder = embedder if embedder is not None else getattr(judge, "embedder", None)
            if dup_embedder is None:
                from groundset.embed import load_embedder

                dup_embedder = load_embedder(config.embed)
        dups = find_duplicates(
            todo, key=lambda s: (s.evaluation.scores.get("adherence", 0.0), s.evaluation.scores.get("rating", 0)),
            embedder=dup_embedder, minhash_threshold=cfg.dedup_minhash_threshold, num_perm=cfg.dedup_num_perm,
            embedding_threshold=cfg.dedup_embedding_threshold,
        )
        for i, (why, best, sim) in dups.items():
            todo[i].evaluation.reasons.append(why)
            todo[i].evaluation.details["duplicate_of"] = todo[best].id
            todo[i].evaluation.details["duplicate_similarity"] = sim
    info["seconds"]["dedup"] = time.perf_counter() - t
    for s in samples:
        s.evaluation.kept = not s.evaluation.reasons
    return info


def _write_jsonl_atomic(path: Path, samples: Iterable[Sample]) -> None:
    with atomic_writer(path) as f:
        for s in samples:
            f.write(s.model_dump_json() + "\n")


def _ticker(progress: bool) -> tuple[Callable[[str, int, int], None], Callable[[], None]]:
    if not progress:
        return (lambda step, done, total: None), (lambda: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("evaluate: {task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), transient=True)
    tasks: dict[str, Any] = {}
    bar.start()

    def tick(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total)
        bar.update(tasks[step], completed=done)

    return tick, bar.stop


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


def evaluate(config: Config, workdir: Workdir, llm: Any = None, *, progress: bool = True,
             keep_at_most: dict[str, int] | None = None) -> EvaluateResult:
    """Evaluate every sample of ``workdir``; write ``kept``, ``rejected`` and ``summary.json``.

    ``llm`` serves the llm judge and the rating; when None and one of them is configured, ``[llm]`` is loaded.
    ``keep_at_most`` ({task: n}): kept samples beyond n per task are rejected as ``over_n`` (the N-kept loop).
    """
    start = time.perf_counter()
    config = _resolved(config)
    cfg = config.evaluate
    samples, input_stats = read_samples(workdir)
    loaded = None
    if llm is None and (_judge_spec(cfg).needs_llm or cfg.rating):
        from groundset.engines import load_stage_llm  # [run] engine: local, or the calls on Ray

        llm = loaded = load_stage_llm(config, workdir, "evaluate")  # the engine generate used, if any
    tick, stop = _ticker(progress)
    try:
        with _retriever(config, workdir) as retrieve:
            info = evaluate_samples(samples, config, llm, tick=tick, workdir=workdir, retrieve=retrieve)
    finally:
        stop()
        if callable(getattr(loaded, "close", None)):
            loaded.close()
    if keep_at_most:
        _cap(samples, keep_at_most)
    seconds = time.perf_counter() - start
    _write_jsonl_atomic(workdir.kept, (s for s in samples if s.evaluation.kept))
    _write_jsonl_atomic(workdir.rejected, (s for s in samples if not s.evaluation.kept))
    summary = build_summary(samples, config, info, input_stats, seconds)
    write_json_atomic(workdir.evaluate_summary, summary)
    reasons = Counter(r for s in samples for r in s.evaluation.reasons)
    kept = sum(1 for s in samples if s.evaluation.kept)
    return EvaluateResult(total=len(samples), kept=kept, rejected=len(samples) - kept, reasons=dict(reasons),
                          judge_errors=info["judge_errors"], seconds=seconds, summary=summary)
