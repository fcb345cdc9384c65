"""``groundset report``: write the self-contained HTML report of the workdir."""

from __future__ import annotations

import click

from groundset.cli import AppContext, pass_app

__all__ = ["command"]


@click.command("report")
@pass_app
def command(app: AppContext) -> None:
    """Write WORKDIR/report.html: score distributions, reject reasons, tasks, lengths, coverage, examples.

    One file with the plots embedded; open it in any browser, attach it to an issue, no server needed.
    """
    from groundset.report import write_report

    path = write_report(app.config(), app.workspace())
    click.echo(f"report: {path}")
