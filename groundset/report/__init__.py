"""The HTML report of a run: ``write_report(config, workdir)`` → ``workdir.report_html``.

>>> path = write_report(load_config(None), Workdir("groundset-work"))   # doctest: +SKIP
>>> path.name                                                           # doctest: +SKIP
'report.html'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_report"]


def write_report(config, workdir, *, dataset: str | None = None) -> Path:
    """Collect the workdir's numbers, render the self-contained page, write it atomically; returns its path."""
    from groundset.export.record import read_record
    from groundset.export.stats import collect
    from groundset.report.html import render_report
    from groundset.workdir import atomic_writer

    page = render_report(config, collect(workdir), dataset=dataset, record=read_record(workdir))
    path = workdir.report_html
    with atomic_writer(path, mode=0o644) as f:  # a report is meant to be shared, not owner-only
        f.write(page)
    return path
