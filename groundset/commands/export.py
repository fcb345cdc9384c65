"""``groundset export``: kept samples → a Hugging Face dataset on disk (and on the Hub with --push-to-hub)."""

from __future__ import annotations

from pathlib import Path

import click

from groundset.cli import AppContext, RegistryChoice, pass_app
from groundset.export.config import FORMATS

__all__ = ["command", "echo_result"]


def echo_result(result) -> None:
    """Print where the dataset went, rows per split, and what was not exported (by reason)."""
    splits = ", ".join(f"{k} {v} rows / {result.split_documents.get(k, 0)} docs" for k, v in result.split_rows.items())
    click.echo(f"dataset ({result.schema}, {result.fmt}): {result.out}  [{splits}]")
    if result.empty_splits:
        click.echo(f"empty split(s): {', '.join(result.empty_splits)} — the samples come from too few documents to "
                   "split by document; generate from more documents", err=True)
    if result.skipped:
        skipped = ", ".join(f"{k} {v}" for k, v in result.skipped.most_common())
        click.echo(f"not exported: {skipped}")
    if result.pushed:
        click.echo(f"pushed to the Hub: {result.pushed}")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="hf (save_to_disk), jsonl or parquet.")
@click.option("--schema", type=RegistryChoice("groundset.registry:SCHEMAS"), default=None, help="Row layout of the dataset.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory [default: WORKDIR/export/SCHEMA].")
@click.option("--seed", type=int, default=None, help="Seed of the split by document.")
@click.option("--push-to-hub", "repo_id", default=None, metavar="REPO_ID",
              help="Also push to this Hub dataset repo (token from HF_TOKEN or `hf auth login`).")
@click.option("--private/--public", default=None,
              help="--private: the Hub repo must be private (an existing public one is made private before the push, "
                   "or nothing is pushed); --public: a new repo is public; neither: the Hub's default for the namespace.")
@click.option("--dpo-pairs", type=click.Choice(["generate", "gate"]), default=None,
              help="dpo: 'generate' asks [llm] for an ungrounded answer to every kept question and keeps those the "
                   "gate finds unsupported; 'gate' uses only answers the gate rejected or trimmed [default: generate].")
@pass_app
def command(app: AppContext, fmt, schema, out, seed, repo_id, private, dpo_pairs) -> None:
    """Export kept samples as a dataset split by source document, with a dataset card.

    \b
    Examples:
      groundset export --schema sft --format parquet
      groundset export --schema dpo --push-to-hub me/my-dataset --private
      groundset export --schema dpo --dpo-pairs gate      # no LLM call: the gate's own rejects only
    """
    from groundset.export.runner import export
    from groundset.stages import record

    config = app.config(
        export__format=fmt, export__schema=schema, export__out=str(out) if out else None, export__seed=seed,
        export__push_to_hub=repo_id, export__private=private, export__dpo_pairs=dpo_pairs,
    )
    workdir = app.workspace()
    result = export(config, workdir)
    record("export", config, workdir, result)
    echo_result(result)
