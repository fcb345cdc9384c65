"""`groundset generate`: grounded samples from the ingested chunks, appended to the workdir, resumable."""

from __future__ import annotations

import click

from groundset.cli import EXIT_PARTIAL, AppContext, RegistryChoice, pass_app


def _print_summary(result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="generate (dry run: nothing was called)" if result.dry_run else "generate")
    table.add_column("task")
    table.add_column("wanted", justify="right")
    table.add_column("accepted", justify="right")
    table.add_column("rejected (by reason)")
    if result.dry_run:
        table.add_column("LLM calls", justify="right")
        table.add_column("≈ tokens in + out", justify="right")
    else:
        table.add_column("LLM calls", justify="right")
        table.add_column("tokens", justify="right")
    for name, t in result.tasks.items():
        reasons = ", ".join(f"{k} {v}" for k, v in t.rejected.most_common()) or "-"
        row = [name, str(t.requested), str(t.accepted), f"{t.rejected_total}: {reasons}" if t.rejected_total else "0"]
        if result.dry_run:
            row += [f"{t.planned_calls} (≤ {t.planned_calls_max})",
                    f"{t.estimated_prompt_tokens:,} + {t.estimated_completion_tokens:,}"]
        else:
            row += [f"{t.llm_calls} ({t.cached_calls} cached)", f"{t.prompt_tokens + t.completion_tokens:,}"]
        table.add_row(*row)
    console.print(table)
    for name, t in result.tasks.items():
        if t.resumed:
            console.print(f"{name}: {t.resumed} attempts were already done in an earlier run (kept, not redone)")
        if t.other_records:
            console.print(f"[yellow]{name}: {t.other_records} records in samples/{name}*.jsonl come from another "
                          "configuration or a larger --n; they are kept (delete the files to start over)[/]")
        if t.note and not t.complete:
            console.print(f"[yellow]{name}: {t.note}[/]")
    if not result.dry_run:
        console.print(f"{result.llm_calls} LLM calls, {result.tokens:,} tokens, {result.seconds:.1f} s")


@click.command("generate")
@click.option("--task", "-t", "tasks", multiple=True, type=RegistryChoice("groundset.registry:TASKS"),
              help="Task to generate (repeatable) [default: the tasks of [generate] tasks].")
@click.option("--n", "-n", "n", type=click.IntRange(min=0), default=None,
              help="Accepted samples wanted per task [default: from [generate] tasks, else 20].")
@click.option("--llm", "llm_spec", default=None, metavar="SPEC",
              help="LLM backend: local[:MODEL] | openai:MODEL | vllm:MODEL | fake [default: [llm] spec].")
@click.option("--base-url", default=None, metavar="URL", help="OpenAI-compatible server, e.g. http://localhost:8000/v1.")
@click.option("--seed", type=int, default=None, help="Random seed for seed-chunk sampling and controls.")
@click.option("--dry-run", is_flag=True, help="Print planned LLM calls and estimated tokens; load and call no model.")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
@pass_app
def command(app: AppContext, tasks: tuple[str, ...], n: int | None, llm_spec: str | None, base_url: str | None,
            seed: int | None, dry_run: bool, no_progress: bool) -> None:
    """Generate grounded samples (qa, multihop, conversation, textbook, rag) from the ingested chunks.

    Samples are appended to WORKDIR/samples/TASK.jsonl as they are produced, rejects (with the raw output and the
    reason) to TASK.rejects.jsonl. Run it again after an interruption: finished attempts are skipped.

    \b
    Examples:
      groundset generate --task qa --n 50
      groundset generate -t multihop -t rag --n 20 --llm openai:gpt-4o-mini
      groundset generate --dry-run
    """
    from groundset.generate.runner import generate
    from groundset.stages import record

    tasks_override = None
    if tasks or n is not None:
        base = app.config().generate.tasks
        names = list(tasks) or list(base)
        tasks_override = {t: (n if n is not None else base.get(t, 20)) for t in names}
    config = app.config(generate__tasks=tasks_override, llm__spec=llm_spec, llm__base_url=base_url,
                        generate__seed=seed)
    workdir = app.workspace()
    from groundset.commands.progress import RichProgress

    with RichProgress(enabled=not no_progress) as bar:
        result = generate(config, workdir, dry_run=dry_run, progress=bar)
    if not dry_run:
        record("generate", config, workdir, result)
    _print_summary(result)
    if not dry_run and not result.complete:
        raise SystemExit(EXIT_PARTIAL)
