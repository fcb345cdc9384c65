"""A rich progress bar per task: accepted / wanted, rejects, tokens. Drawn on stderr; silent when disabled.

>>> with TaskProgress(enabled=False) as bar:      # doctest: +SKIP
...     bar.start("qa", 20); bar.update("qa", report)
"""

from __future__ import annotations

from typing import Any

__all__ = ["TaskProgress"]


class TaskProgress:
    """One bar row per task; a no-op when ``enabled`` is False."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._progress: Any = None
        self._rows: dict[str, Any] = {}

    def __enter__(self) -> "TaskProgress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description:<12}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("accepted · [red]{task.fields[rejected]}[/] failed · {task.fields[tokens]:,} tokens"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, task: str, total: int) -> None:
        if self._progress is not None:
            self._rows[task] = self._progress.add_task(task, total=total, rejected=0, tokens=0)

    def update(self, task: str, report: Any) -> None:
        if self._progress is not None and task in self._rows:
            self._progress.update(
                self._rows[task],
                completed=min(report.accepted, report.requested),
                rejected=report.rejected_total,
                tokens=report.prompt_tokens + report.completion_tokens,
            )
