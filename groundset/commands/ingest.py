"""``groundset ingest PATH...``: partition, chunk, embed and store documents; exit 0 / 3 (some failed) / 1."""

from __future__ import annotations

from pathlib import Path

import click

from groundset.cli import pass_app


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--collection", default=None, help="Qdrant collection name [store.collection].")
@click.option("--qdrant-url", default=None, help="Qdrant server URL; unset: embedded under the workdir [store.url].")
@click.option("--include", multiple=True, metavar="GLOB", help="Only files matching GLOB (repeatable) [ingest.include].")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching GLOB (repeatable) [ingest.exclude].")
@click.option("--embed-model", default=None, help="'default', a sentence-transformers name/path or openai:MODEL "
              "[embed.model].")
@click.option("--chunk-tokens", type=int, default=None, help="Target chunk size in the model's tokens "
              "[ingest.chunk_tokens].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or summary table.")
@pass_app
def command(app, paths: tuple[Path, ...], collection, qdrant_url, include, exclude, embed_model, chunk_tokens,
            quiet: bool) -> None:
    """Partition, chunk, embed and store PATHs (files, directories, Wikipedia .xml/.xml.bz2 dumps) in Qdrant.

    Without PATH, ingests [ingest] paths of the config. Re-running on the same files stores and embeds nothing
    new; a changed file replaces only its own chunks. Failures are listed in WORKDIR/ingest/report.json.

    \b
    Exit status: 0 all files ingested, 3 some files failed (the rest is stored), 1 nothing usable.
    """
    from groundset.cli import EXIT_PARTIAL
    from groundset.ingest.pipeline import ingest
    from groundset.stages import record

    config = app.config(
        ingest__paths=[str(p) for p in paths] or None,  # what was ingested is what the state records
        store__collection=collection,
        store__url=qdrant_url,
        ingest__include=list(include) or None,
        ingest__exclude=list(exclude) or None,
        embed__model=embed_model,
        ingest__chunk_tokens=chunk_tokens,
    )
    targets = list(paths) or [Path(p) for p in config.ingest.paths]
    if not targets:
        raise click.UsageError("give at least one PATH, or set [ingest] paths in groundset.toml")
    workdir = app.workspace()
    from groundset.commands.progress import RichProgress

    with RichProgress(enabled=not quiet) as bar:
        result = ingest(targets, config, workdir, progress=bar)
    record("ingest", config, workdir, result)
    code = result.exit_code
    if code == 1:
        readable = result.files - len(result.skipped)
        if readable == 0:
            why = "no supported input files found" + (
                f" ({len(result.skipped)} other files skipped)" if result.skipped else "")
        elif result.documents == 0 or len(result.failed) >= readable:
            why = "every file failed"
        else:
            why = "no chunks were produced (all dropped, see the report)"
        click.echo(f"nothing usable was ingested: {why}. Details: {workdir.ingest_report}", err=True)
    elif code == EXIT_PARTIAL:
        click.echo(f"{len(result.failed)} file(s) failed; the rest is stored. Details: {workdir.ingest_report}",
                   err=True)
        for source, reason, detail in result.failed[:20]:
            click.echo(f"  {source}: {reason}" + (f" ({detail[:160]})" if detail else ""), err=True)
    if code:
        raise SystemExit(code)
