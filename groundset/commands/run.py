"""``groundset run``: ingest → generate → evaluate → export → report, skipping what is done, resuming what is not."""

from __future__ import annotations

from pathlib import Path

import click

from groundset.cli import EXIT_PARTIAL, AppContext, pass_app

__all__ = ["command"]


def _print_plan(rows) -> None:
    """One block per stage: status, counts, LLM calls and tokens, then the note (plain text: fits any terminal)."""
    click.echo("groundset run --dry-run: the plan (no model is loaded or called)\n")
    for r in rows:
        counts = ", ".join(x for x in (r.documents and f"documents {r.documents}", r.chunks and f"chunks {r.chunks}") if x)
        calls = f"LLM calls {r.llm_calls}" + (f", tokens {r.tokens} (prompt + completion)" if r.tokens != "0" else "")
        click.echo(f"{r.stage:<9} {r.status:<11} " + "; ".join(x for x in (counts, calls) if x))
        if r.note:
            click.echo(f"{'':<22}{r.note}")


@click.command("run")
@click.option("--config", "-c", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="TOML config file (same as the group's --config, accepted here too).")
@click.option("--dry-run", is_flag=True, help="Print the plan (documents, chunks, LLM calls, tokens) and stop.")
@click.option("--llm", "llm_spec", default=None, metavar="SPEC", help="LLM backend for this run [default: [llm] spec].")
@click.option("--force", multiple=True, type=click.Choice(["ingest", "generate", "evaluate", "export"]),
              help="Run this stage even when it is up to date (repeatable).")
@click.option("--no-progress", is_flag=True, help="No progress bars (one line per stage).")
@pass_app
def command(app: AppContext, config_path: Path | None, dry_run: bool, llm_spec: str | None, force: tuple[str, ...],
            no_progress: bool) -> None:
    """Run the whole pipeline from the config: [ingest] paths → samples → gate → dataset + report.

    Each stage is skipped when its output is complete for the current config and inputs; a run killed at any
    point continues where it stopped when started again. Exit status: 0 done, 3 partial (some files failed or fewer
    samples than asked), 1 failed.

    \b
    Examples:
      groundset init && groundset run
      groundset run --config groundset.toml --dry-run
      groundset run --llm openai:Qwen/Qwen2.5-7B-Instruct --set llm.base_url=http://localhost:8000/v1
    """
    if config_path is not None:
        app.config_path = config_path
    config = app.config(llm__spec=llm_spec)
    workdir = app.workspace()
    from groundset.evaluate.judges.auto import resolve

    chosen = resolve(config).evaluate
    if chosen._auto_reason:
        click.echo(f"evaluate: judge auto → {chosen.judge} ({chosen._auto_reason})", err=True)
    if dry_run:
        from groundset.run_plan import plan

        _print_plan(plan(config, workdir))
        return
    from groundset.run import run

    from groundset.commands.progress import RichProgress

    with RichProgress(enabled=not no_progress) as bar:
        result = run(config, workdir, progress=bar, echo=lambda line: click.echo(line, err=True), force=force)
    click.echo("")
    for s in result.stages:
        click.echo(f"{s.name:<9} {s.status:<8} {s.summary}")
    if result.dataset:
        click.echo(f"dataset: {result.dataset}")
    if result.report:
        click.echo(f"report:  {result.report}  (open it in a browser)")
    if result.error:
        raise click.ClickException(result.error)
    if result.exit_code == EXIT_PARTIAL:
        click.echo("partial: some inputs failed, fewer samples than asked were generated, or the gate kept none "
                   "(see above and the report); run again to retry what can be retried", err=True)
        raise SystemExit(EXIT_PARTIAL)
