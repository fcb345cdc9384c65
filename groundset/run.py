"""The whole job in one call: ingest → generate → evaluate → export, then the report; resumable at any point.

>>> result = run(load_config("groundset.toml"), Workdir("groundset-work"))      # doctest: +SKIP
>>> [(s.name, s.status) for s in result.stages]                                  # doctest: +SKIP
[('ingest', 'skipped'), ('generate', 'done'), ('evaluate', 'done'), ('export', 'done')]

A stage is skipped when the workdir records it as done with the current config fingerprint AND the same inputs
(the corpus files' sizes and mtimes for ingest, the stored documents for generate, the sample files for evaluate,
the kept / rejected files and the review verdicts for export). So editing a document re-ingests it, new samples get evaluated, and nothing
else is redone. A run killed anywhere starts again where it stopped: every stage is resumable on its own (append-only
sample files, response cache), and a stage is marked done only after it finished.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from groundset.config import Config
from groundset.errors import GroundsetError
from groundset.progress import Progress
from groundset.stages import STAGE_NAMES, record
from groundset.stages import fingerprint as stage_fingerprint  # what makes a stage current: groundset.stages
from groundset.stages import inputs as input_signature
from groundset.stages import is_current as stage_is_current
from groundset.workdir import Workdir, read_jsonl

__all__ = ["run", "RunResult", "StageOutcome", "STAGES", "stage_fingerprint", "input_signature", "stage_is_current"]

STAGES = STAGE_NAMES
Echo = Callable[[str], None]


@dataclass
class StageOutcome:
    """What happened to one stage: ``status`` is skipped | done | partial | failed; ``summary`` one line."""

    name: str
    status: str
    summary: str = ""
    seconds: float = 0.0


@dataclass
class RunResult:
    """All stages, where the dataset and the report are, and the exit status (0 ok, 3 partial, 1 failed)."""

    stages: list[StageOutcome] = field(default_factory=list)
    dataset: Path | None = None
    report: Path | None = None
    error: str | None = None

    @property
    def exit_code(self) -> int:
        if self.error or any(s.status == "failed" for s in self.stages):
            return 1
        return 3 if any(s.status == "partial" for s in self.stages) else 0


# --- the stages ----------------------------------------------------------------------------------------------------
def _ingest(config: Config, workdir: Workdir, progress: Progress | None) -> StageOutcome:
    from groundset.ingest.pipeline import ingest

    if not config.ingest.paths:
        if workdir.ingest_report.exists():
            return StageOutcome("ingest", "skipped", "no [ingest] paths; using the chunks already in the store")
        raise GroundsetError("nothing to ingest: set [ingest] paths in the config (or run `groundset ingest PATH`)")
    result = ingest([Path(p) for p in config.ingest.paths], config, workdir, progress=progress)
    summary = (f"{result.documents} documents, {result.chunks} chunks ({result.chunks_new} new), "
               f"{len(result.failed)} files failed" + (f", {len(result.skipped)} skipped" if result.skipped else ""))
    if not record("ingest", config, workdir, result):
        return StageOutcome("ingest", "failed", summary + " — nothing usable; see " + str(workdir.ingest_report))
    return StageOutcome("ingest", "partial" if result.exit_code == 3 else "done", summary)


def _generate(config: Config, workdir: Workdir, llm: Any, progress: Progress | None) -> StageOutcome:
    from groundset.generate.runner import generate

    result = generate(config, workdir, llm, progress=progress)
    parts = [f"{t.task} {t.accepted}/{t.requested}" for t in result.tasks.values()]
    summary = f"{', '.join(parts)} accepted; {result.llm_calls} LLM calls, {result.tokens:,} tokens"
    if record("generate", config, workdir, result):
        return StageOutcome("generate", "done", summary)
    notes = "; ".join(f"{t.task}: {t.note}" for t in result.tasks.values() if t.note and not t.complete)
    return StageOutcome("generate", "partial", summary + (f" — {notes}" if notes else ""))


def _generate_kept(config: Config, workdir: Workdir, llm: Any, progress: Progress | None) -> StageOutcome:
    """Generate and gate in rounds until n kept per task (``rounds.py``); marks evaluate current too."""
    from groundset.rounds import generate_kept

    result = generate_kept(config, workdir, llm, progress=progress)
    parts = []
    for t in result.tasks.values():
        top = ", ".join(f"{k} {v}" for k, v in (Counter(t.generate_rejects) + Counter(t.gate_rejects)).most_common(3))
        parts.append(f"{t.task} {t.kept}/{t.wanted} kept (stopped: {t.stopped}; {t.attempts} attempts → "
                     f"{t.generated} generated → {t.kept} kept" + (f"; rejects {top}" if top else "") + ")")
    summary = (f"{'; '.join(parts)}; {len(result.rounds)} round(s), {result.tokens:,} tokens — funnel in "
               "rounds.json")
    if result.evaluate is not None:
        record("evaluate", config, workdir, result.evaluate)
    if record("generate", config, workdir, result):
        return StageOutcome("generate", "done", summary)
    return StageOutcome("generate", "partial", summary)


def _evaluate(config: Config, workdir: Workdir, llm: Any, progress: Progress | None) -> StageOutcome:
    from groundset.evaluate.runner import evaluate  # type: ignore[import-not-found]

    cap = {t: n for t, n in config.generate.tasks.items() if n > 0} if config.generate.rounds > 1 else None
    result = evaluate(config, workdir, llm, progress=progress, keep_at_most=cap)
    kept = sum(1 for _ in read_jsonl(workdir.kept))
    rejected = sum(1 for _ in read_jsonl(workdir.rejected))
    summary = f"{kept} kept, {rejected} rejected"
    if not record("evaluate", config, workdir, result):
        return StageOutcome("evaluate", "partial", summary)
    return StageOutcome("evaluate", "done", summary)


def _export(config: Config, workdir: Workdir, llm: Any = None) -> tuple[StageOutcome, Path]:
    from groundset.export.runner import export

    result = export(config, workdir, llm=llm)  # the dpo mode asks the same LLM for ungrounded answers
    splits = ", ".join(f"{k} {v}" for k, v in result.split_rows.items())
    skipped = sum(result.skipped.values())
    summary = f"{result.rows} rows ({splits}) as {result.fmt}/{result.schema}" + (
        f"; {skipped} samples not in this schema" if skipped else "") + (f"; pushed {result.pushed}" if result.pushed else "") + (
        f"; empty split(s) {', '.join(result.empty_splits)}: too few documents" if result.empty_splits else "")
    record("export", config, workdir, result)
    return StageOutcome("export", "done", summary), result.out


def run(
    config: Config,
    workdir: Workdir,
    llm: Any = None,
    *,
    progress: Progress | None = None,
    echo: Echo = lambda line: None,
    force: tuple[str, ...] = (),
) -> RunResult:
    """Run every stage that is not current, in order; then write the report. ``echo`` gets one line per stage.

    ``llm``: an LLM object for generate and evaluate (None: the stages load ``config.llm`` once, one engine shared
    by both and closed when the run ends). ``force``: stages to run even when current. A stage that fails stops the stages after it; the report is written in any case.
    """
    try:
        return _run(config, workdir, llm, progress=progress, echo=echo, force=force)
    finally:
        from groundset.llm import close_engines

        close_engines()  # generate and evaluate shared one LLM engine; it ends with the run


def _run(config: Config, workdir: Workdir, llm: Any, *, progress: Progress | None, echo: Echo,
         force: tuple[str, ...]) -> RunResult:
    workdir.ensure()
    result = RunResult()
    if config.run.engine == "ray":
        echo(f"engine: ray ({config.run.ray_address or 'a local Ray'}); same ids as the local engine")
    stale = False  # once a stage ran, later stages check their inputs anyway; this only shortens the messages
    gated = False  # the generate rounds ran the gate: evaluate is done in this run, not skipped
    for i, stage in enumerate(STAGES, 1):
        t0 = time.perf_counter()
        if stage == "evaluate" and gated and stage_is_current(stage, config, workdir):
            kept, rejected = (sum(1 for _ in read_jsonl(p)) for p in (workdir.kept, workdir.rejected))
            outcome = StageOutcome(stage, "done", f"{kept} kept, {rejected} rejected (the gate ran in each generate "
                                                  "round)")
            echo(f"[{i}/{len(STAGES)}] {stage}: {outcome.summary}")
            result.stages.append(outcome)
            continue
        if stage not in force and stage_is_current(stage, config, workdir):
            info = workdir.state().get(stage, {})
            outcome = StageOutcome(stage, "skipped", _skip_note(stage, info, workdir))
            if stage == "export" and info.get("out"):
                result.dataset = Path(info["out"])
            echo(f"[{i}/{len(STAGES)}] {stage}: up to date, skipped ({outcome.summary})")
            result.stages.append(outcome)
            continue
        echo(f"[{i}/{len(STAGES)}] {stage}{' (inputs changed)' if stale else ''} …")
        try:
            if stage == "ingest":
                outcome = _ingest(config, workdir, progress)
            elif stage == "generate" and config.generate.rounds > 1:
                outcome = _generate_kept(config, workdir, llm, progress)
                gated = True
            elif stage == "generate":
                outcome = _generate(config, workdir, llm, progress)
            elif stage == "evaluate":
                outcome = _evaluate(config, workdir, llm, progress)
            else:
                outcome, result.dataset = _export(config, workdir, llm)
        except GroundsetError as e:
            from groundset.export.runner import NothingKeptError

            if isinstance(e, NothingKeptError):  # every stage worked; the gate kept nothing: say so, exit 3
                outcome = StageOutcome(stage, "partial", str(e))
            else:
                outcome = StageOutcome(stage, "failed", str(e))
                result.error = f"{stage}: {e}"
        outcome.seconds = time.perf_counter() - t0
        result.stages.append(outcome)
        echo(f"[{i}/{len(STAGES)}] {stage}: {outcome.status} in {outcome.seconds:.1f} s — {outcome.summary}")
        stale = True
        if outcome.status == "failed":
            break
    try:
        from groundset.report import write_report

        result.report = write_report(config, workdir, dataset=str(result.dataset) if result.dataset else None)
    except Exception as e:  # noqa: BLE001 - a report problem must not hide the run's own outcome
        echo(f"report: could not be written ({type(e).__name__}: {e})")
    return result


def _skip_note(stage: str, info: dict[str, Any], workdir: Workdir) -> str:
    if stage == "ingest":
        return f"{info.get('documents', '?')} documents, {info.get('chunks', '?')} chunks"
    if stage == "generate":
        accepted = info.get("accepted") or {}
        return ", ".join(f"{k} {v}" for k, v in accepted.items()) or "samples complete"
    if stage == "evaluate":
        return f"{sum(1 for _ in read_jsonl(workdir.kept))} kept"
    return f"{info.get('rows', '?')} rows in {info.get('out', '?')}"

