"""``groundset run --dry-run``: what each stage would do — documents, chunks, LLM calls, tokens — calling no model.

>>> rows = plan(load_config("groundset.toml"), Workdir("groundset-work"))   # doctest: +SKIP
>>> [(r.stage, r.status, r.llm_calls) for r in rows]                        # doctest: +SKIP
[('ingest', 'to run', '0'), ('generate', 'to run', '12 (≤ 40)'), ('evaluate', 'to run', '0'), ('export', 'to run', '0')]

Generate's numbers come from the generate stage's own dry run when the corpus is in the store (exact seeds and
prompts); before the first ingest they are estimated from the config alone and marked as rough.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from groundset.config import Config
from groundset.errors import GroundsetError
from groundset.registry import JUDGES, TASKS
from groundset.stages import STAGE_NAMES as STAGES
from groundset.stages import corpus_files as _corpus_files
from groundset.stages import is_current as stage_is_current
from groundset.workdir import Workdir, read_jsonl

__all__ = ["PlanRow", "plan"]

PROMPT_OVERHEAD = 350  # tokens of instructions and format around the chunks in one generation prompt (rough)


@dataclass
class PlanRow:
    """One stage of the plan; numbers as display strings ('?' when unknown before an earlier stage ran)."""

    stage: str
    status: str  # "up to date" | "to run"
    documents: str = ""
    chunks: str = ""
    llm_calls: str = "0"
    tokens: str = "0"
    note: str = ""


def _ingest_counts(workdir: Workdir) -> tuple[int | None, int | None]:
    if not workdir.ingest_report.exists():
        return None, None
    counts = json.loads(workdir.ingest_report.read_text(encoding="utf-8")).get("counts", {})
    return counts.get("documents"), counts.get("chunks")


def _ingest_row(config: Config, workdir: Workdir, current: bool) -> PlanRow:
    docs, chunks = _ingest_counts(workdir)
    if current:
        return PlanRow("ingest", "up to date", str(docs), str(chunks), note="files unchanged since the last ingest")
    files = _corpus_files(config) if config.ingest.paths else []
    size = sum(f.stat().st_size for f in files) / 1e6
    note = f"{len(files)} files ({size:.1f} MB) to read; embedding model runs locally (no LLM calls)"
    if not config.ingest.paths:
        note = "no [ingest] paths: set them, or run `groundset ingest PATH` first"
    return PlanRow("ingest", "to run", f"from {len(files)} files", "known after ingest" if chunks is None else f"{chunks} now",
                   note=note)


def _chunks_per_call(task: str, cfg) -> int:
    return TASKS.get(task).chunks_per_call(cfg)


def _rough_generate(config: Config) -> tuple[int, int, int, int]:
    """(calls if all accepted, calls at most, prompt tokens, completion tokens ≤) from the config alone."""
    from groundset.generate.plan import calls_per_attempt

    gen = config.generate
    calls = calls_max = prompt = completion = 0
    for task, n in gen.tasks.items():
        if n <= 0:
            continue
        cfg = TASKS.get(task).config_for(gen.task(task), config.llm.spec)
        per = calls_per_attempt(task, cfg)
        calls += n * per
        calls_max += (math.ceil(n * gen.max_attempts_factor) + 2) * per
        prompt += n * per * (PROMPT_OVERHEAD + _chunks_per_call(task, cfg) * config.ingest.chunk_tokens)
        completion += n * per * cfg.max_tokens
    return calls, calls_max, prompt, completion


def _generate_row(config: Config, workdir: Workdir, current: bool) -> PlanRow:
    wanted = {t: n for t, n in config.generate.tasks.items() if n > 0}
    want = ", ".join(f"{t} {n}" for t, n in wanted.items())
    if current:
        return PlanRow("generate", "up to date", note=f"{want}: all accepted samples exist")
    try:
        from groundset.generate.runner import generate

        res = generate(config, workdir, dry_run=True, progress=False)
    except GroundsetError:  # typically: nothing in the store yet
        calls, calls_max, prompt, completion = _rough_generate(config)
        return PlanRow("generate", "to run", llm_calls=f"≈{calls} (≤ {calls_max})",
                       tokens=f"≈{prompt:,} + ≤{completion:,}",
                       note=f"{want}; rough estimate from the config (corpus not in the store yet)")
    calls = sum(t.planned_calls or 0 for t in res.tasks.values())
    calls_max = sum(t.planned_calls_max or 0 for t in res.tasks.values())
    prompt = sum(t.estimated_prompt_tokens or 0 for t in res.tasks.values())
    completion = sum(t.estimated_completion_tokens or 0 for t in res.tasks.values())
    done = sum(t.accepted for t in res.tasks.values())
    notes = [f"{want}; {done} already accepted"] + [f"{t.task}: {t.note}" for t in res.tasks.values() if t.note]
    return PlanRow("generate", "to run", llm_calls=f"{calls} (≤ {calls_max})", tokens=f"{prompt:,} + ≤{completion:,}",
                   note="; ".join(notes))


def _evaluate_row(config: Config, workdir: Workdir, current: bool) -> PlanRow:
    if current:
        return PlanRow("evaluate", "up to date", note=f"{sum(1 for _ in read_jsonl(workdir.kept))} kept")
    from groundset.evaluate.judges.auto import resolve

    ev = resolve(config).evaluate  # judge "auto": the judge it stands for
    n = sum(n for n in config.generate.tasks.values() if n > 0)
    judge = ev.judge
    judge_calls = JUDGES.get(judge).llm_calls(ev)
    per_sample = judge_calls + (1 if ev.rating else 0)
    calls = n * per_sample
    tokens = calls * (PROMPT_OVERHEAD + 2 * config.ingest.chunk_tokens)
    where = "local judge model, no LLM calls" if not judge_calls else f"{judge} judge via [llm]"
    return PlanRow("evaluate", "to run", llm_calls=f"≈{calls}" if calls else "0", tokens=f"≈{tokens:,}" if calls else "0",
                   note=f"up to {n} samples; {where}" + ("; plus a rating call per sample" if getattr(ev, "rating", False) else ""))


def plan(config: Config, workdir: Workdir) -> list[PlanRow]:
    """The dry-run plan of every stage, without loading or calling any LLM."""
    rows = []
    upstream_runs = False
    for stage in STAGES:
        current = not upstream_runs and stage_is_current(stage, config, workdir)
        upstream_runs = upstream_runs or not current
        if stage == "ingest":
            rows.append(_ingest_row(config, workdir, current))
        elif stage == "generate":
            rows.append(_generate_row(config, workdir, current))
        elif stage == "evaluate":
            rows.append(_evaluate_row(config, workdir, current))
        else:
            ex = config.export
            rows.append(PlanRow("export", "up to date" if current else "to run",
                                note=f"{ex.schema_} rows as {ex.format}, splits {ex.splits}" +
                                (f", push to {ex.push_to_hub}" if ex.push_to_hub else "")))
    return rows
