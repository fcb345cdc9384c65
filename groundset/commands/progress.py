"""The CLI's side of ``groundset.progress``: rich bars on stderr for the events the pipeline sends, and the ingest
summary table when ingest finishes. One ``Progress`` per stage, started at its first event, stopped when it ends.

>>> with RichProgress(enabled=False) as bar:      # doctest: +SKIP
...     result = ingest(paths, config, workdir, progress=bar)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from groundset.progress import Event, Finished

__all__ = ["RichProgress", "summary_table"]


def _columns(stage: str) -> tuple[tuple, dict[str, Any], dict[str, Any]]:
    """(columns, Progress options, default fields of a new row) of ``stage``'s bars."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    if stage == "generate":
        return ((TextColumn("[bold]{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                 TextColumn("accepted · [red]{task.fields[rejected]}[/] failed · {task.fields[tokens]:,} tokens"),
                 TimeElapsedColumn()), {}, {"rejected": 0, "tokens": 0})
    if stage == "evaluate":
        return ((TextColumn("evaluate: {task.description}"), BarColumn(), MofNCompleteColumn(),
                 TimeRemainingColumn()), {"transient": True}, {})
    return ((TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
             TimeElapsedColumn()), {"transient": False}, {"note": ""})


class RichProgress:
    """A ``groundset.progress.Progress`` callback that draws; a no-op when ``enabled`` is False."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._stage: str | None = None
        self._bar: Any = None
        self._rows: dict[str, Any] = {}
        self._defaults: dict[str, Any] = {}
        self._console: Any = None

    def __enter__(self) -> "RichProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar, self._stage, self._rows = None, None, {}

    def _start(self, stage: str) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self._stop()
        columns, options, self._defaults = _columns(stage)
        self._console = self._console or Console(stderr=True)
        self._bar = Progress(*columns, console=self._console, **options)
        self._bar.start()
        self._stage = stage

    def __call__(self, event: Event) -> None:
        if not self.enabled:
            return
        if isinstance(event, Finished):
            if event.stage == self._stage:
                self._stop()
            if event.stage == "ingest" and event.report:
                from rich.console import Console

                (self._console or Console(stderr=True)).print(summary_table(dict(event.report)))
            return
        if event.stage != self._stage:
            self._start(event.stage)
        row = self._rows.get(event.bar)
        if row is None:
            row = self._rows[event.bar] = self._bar.add_task(event.bar, total=event.total, **self._defaults)
        update: dict[str, Any] = dict(event.fields)
        if event.done is not None:
            update["completed"] = event.done
        if event.total is not None:
            update["total"] = event.total
        if event.advance:
            update["advance"] = event.advance
        if event.note is not None:
            update["note"] = event.note
        self._bar.update(row, **update)


def summary_table(report: dict[str, Any]):
    """A rich Table of an ingest report dict: documents, chunks, dropped by reason, failures, quality, seconds."""
    from rich.table import Table

    c, q = report["counts"], report["quality"]
    t = Table(title="ingest summary", show_header=False, title_justify="left")
    t.add_column("what", style="bold")
    t.add_column("value")
    skipped = [f for f in report["files"] if f["status"] == "skipped"]
    t.add_row("files", f"{c['files_ok']} ok, {c['files_failed']} failed"
                       + (f", {len(skipped)} skipped (not a supported format)" if skipped else ""))
    if skipped:
        kinds = Counter(Path(f["path"]).suffix.lower() or Path(f["path"]).name for f in skipped)
        t.add_row("skipped", ", ".join(f"{k} {n}" for k, n in kinds.most_common(8))
                             + " (listed in ingest/report.json; [ingest] exclude hides them)")
    t.add_row("documents", str(c["documents"]))
    t.add_row("chunks", f"{c['chunks']} ({c['chunks_new']} new, {c['chunks_unchanged']} unchanged, "
                        f"{c['chunks_deleted']} stale deleted); collection holds {c['points']}")
    dropped = ", ".join(f"{k} {v}" for k, v in sorted(report["dropped"].items())) or "none"
    t.add_row("dropped chunks", dropped)
    cleaned = report.get("cleaned") or {}
    if cleaned:
        t.add_row("cleaned away", ", ".join(f"{k} {v}" for k, v in sorted(cleaned.items(), key=lambda kv: -kv[1])[:8]))
    tok = q["tokens"]
    t.add_row("chunk tokens", f"min {tok['min']}, median {tok['median']}, max {tok['max']} (limit {tok['limit']}, "
                              f"{tok['over_limit']} over)")
    t.add_row("quality", f"boilerplate {q['boilerplate_share']:.1%}, cross-document duplicates "
                         f"{q['cross_document_duplicates']}, languages {q['languages']}")
    for f in report["files"]:
        if f["status"] == "failed":
            t.add_row("[red]failed[/red]", f"{f['path']}: {f.get('reason')} {f.get('detail', '')}".strip())
    t.add_row("seconds", f"{report['seconds']:.1f}")
    return t
