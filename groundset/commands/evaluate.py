"""`groundset evaluate`: the grounding gate, dedup and decontamination; `groundset evaluate calibrate`: thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from groundset.cli import EXIT_PARTIAL, AppContext, RegistryChoice, pass_app

JUDGES = RegistryChoice("groundset.registry:JUDGES")


def _print_summary(result, workdir) -> None:
    from rich.console import Console
    from rich.table import Table

    s = result.summary
    console = Console()
    table = Table(title=f"evaluate — judge {s['judge'].get('name')} (threshold {s['judge'].get('threshold')})")
    for col in ("task", "total", "kept", "rejected (by reason)"):
        table.add_column(col, justify="right" if col in ("total", "kept") else "left")
    for task, t in s["per_task"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in t["reasons"].items()) or "-"
        table.add_row(task, str(t["total"]), str(t["kept"]), f"{t['rejected']}: {reasons}" if t["rejected"] else "0")
    console.print(table)
    if s["judge"].get("chosen_by"):
        console.print(f"judge {s['judge'].get('name')}, chosen by {s['judge']['chosen_by']}")
    adh = s["scores"].get("adherence")
    if adh and adh.get("n"):
        console.print(f"adherence: mean {adh['mean']}, p10 {adh['p10']}, p50 {adh['p50']} over {adh['n']} judged")
    console.print(f"{s['total']} samples in {s['seconds']['total']:.1f} s ({s['samples_per_s']} samples/s); "
                  f"kept → {workdir.kept}, rejected → {workdir.rejected}")
    if result.judge_errors:
        console.print(f"[yellow]the judge failed on {result.judge_errors} samples (reason judge_error); run again to "
                      "retry them[/]")


@click.group("evaluate", invoke_without_command=True)
@click.option("--judge", type=JUDGES, default=None, help="Grounding judge [default: [evaluate] judge].")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Adherence threshold of the chosen judge [default: [evaluate] thresholds].")
@click.option("--decontaminate", "decontaminate", multiple=True, type=click.Path(exists=True),
              help="Benchmark file or dataset dir to decontaminate against (repeatable; adds to the config).")
@click.option("--rating/--no-rating", default=None, help="LLM quality rating 1–5 [default: [evaluate] rating].")
@click.option("--dedup/--no-dedup", default=None, help="Duplicate removal [default: [evaluate] dedup].")
@click.option("--llm", "llm_spec", default=None, metavar="SPEC", help="LLM for the llm judge / rating.")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
@click.pass_context
def command(ctx: click.Context, judge: str | None, threshold: float | None, decontaminate: tuple[str, ...],
            rating: bool | None, dedup: bool | None, llm_spec: str | None, no_progress: bool) -> None:
    """Score grounding, deduplicate, decontaminate: write kept and rejected samples with reasons and scores.

    Reads WORKDIR/samples/*.jsonl and writes WORKDIR/evaluated/{kept,rejected}.jsonl and summary.json. Every
    rejected sample says why (unsupported, near_duplicate, contaminated, truncated, …) and carries its scores.

    \b
    Examples:
      groundset evaluate
      groundset evaluate --judge nli --set evaluate.nli.model=/models/deberta-v3-mnli
      groundset evaluate --decontaminate mmlu_test.jsonl --threshold 0.6
      groundset evaluate calibrate --labelled my_labels.jsonl
    """
    if ctx.invoked_subcommand is not None:
        return
    app: AppContext = ctx.find_object(AppContext)
    from groundset.evaluate.runner import evaluate
    from groundset.stages import record

    config = app.config(evaluate__judge=judge, evaluate__rating=rating, evaluate__dedup=dedup, llm__spec=llm_spec)
    if decontaminate:
        config.evaluate.decontaminate = [*config.evaluate.decontaminate, *decontaminate]
    if threshold is not None:
        from groundset.evaluate.judges.auto import resolve

        config = resolve(config)  # --threshold is the threshold of the judge that runs
        config.evaluate.thresholds = {**config.evaluate.thresholds, config.evaluate.judge: threshold}
    workdir = app.workspace()
    from groundset.commands.progress import RichProgress

    with RichProgress(enabled=not no_progress) as bar:
        result = evaluate(config, workdir, progress=bar)
    record("evaluate", config, workdir, result)
    _print_summary(result, workdir)
    if not result.complete:
        raise SystemExit(EXIT_PARTIAL)


@command.command("calibrate")
@click.option("--labelled", "labelled", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL rows with context (string or list), response and label (1 supported / 0 not).")
@click.option("--from-review", "from_review", is_flag=True,
              help="Fit on the verdicts of `groundset review` instead (see groundset/review/calibrate.py).")
@click.option("--all-reasons", is_flag=True, help="--from-review: every rejection is a label, not only grounding ones.")
@click.option("--edited-as", type=click.Choice(["skip", "accepted", "rejected"]), default="skip", show_default=True,
              help="--from-review: what an edited sample counts as.")
@click.option("--unweighted", is_flag=True,
              help="--from-review: figures of the reviewed rows as they are, not weighted back to the evaluated set.")
@click.option("--judge", type=JUDGES, default=None, help="Judge to calibrate [default: [evaluate] judge].")
@click.option("--split", default=None, help="Use only rows whose 'split' field has this value (e.g. test).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--llm", "llm_spec", default=None, metavar="SPEC", help="LLM for the llm judge.")
@pass_app
def calibrate_command(app: AppContext, labelled: Path | None, from_review: bool, all_reasons: bool, edited_as: str,
                      unweighted: bool, judge: str | None, split: str | None, as_json: bool,
                      llm_spec: str | None) -> None:
    """Report precision, recall, F1, balanced accuracy and AUC of a judge on labelled data, and the threshold that
    maximises balanced accuracy (set it with [evaluate] thresholds = { JUDGE = VALUE }).

    'Positive' means supported: precision = share of kept responses that are supported, recall = share of
    supported responses kept; 'unsupported caught' = share of unsupported responses rejected.

    With --from-review the labels are the verdicts of `groundset review` on the stored scores, with 95% intervals.
    """
    from groundset.evaluate.calibrate import calibrate, read_labelled
    from groundset.evaluate.judges import load_judge

    from groundset.evaluate.judges.auto import resolve

    config = resolve(app.config(evaluate__judge=judge, llm__spec=llm_spec))
    if from_review == (labelled is not None):
        raise click.UsageError("give --labelled FILE or --from-review (one of them)")
    if from_review:
        from groundset.commands.review import echo_calibration
        from groundset.review.calibrate import calibrate_from_workdir

        out = calibrate_from_workdir(app.workspace(), config, all_reasons=all_reasons, edited_as=edited_as,
                                     weighting="none" if unweighted else "strata")
        return click.echo(json.dumps(out, indent=2)) if as_json else echo_calibration(out)
    rows = read_labelled(labelled)
    if split is not None:
        rows = [r for r in rows if r.get("split") == split]
        if not rows:
            raise click.ClickException(f"no rows with split = {split!r} in {labelled}")
    llm = None
    from groundset.registry import JUDGES

    if JUDGES.get(config.evaluate.judge).needs_llm:
        from groundset.llm import load_llm

        llm = load_llm(config.llm, app.workspace(), stage="evaluate")
    j = load_judge(config.evaluate, embed_cfg=config.embed, llm=llm, llm_cfg=config.llm, workdir=app.workspace())
    out = calibrate(rows, j, batch_size=config.evaluate.batch_size)
    out.pop("scores")
    if j.name == "combine":  # fit the fusion of the members' scores on the same rows
        from groundset.evaluate.judges.combine import fit_fusion, member_scores

        out["fusion"] = fit_fusion(member_scores(j, rows, config.evaluate.batch_size), [r["label"] for r in rows])
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    name = out["judge"]["name"]
    click.echo(f"judge {name}: {out['rows']} rows ({out['at_best']['supported']} supported, "
               f"{out['at_best']['unsupported']} not), {out['errors']} errors, {out['rows_per_s']} rows/s")
    click.echo(f"AUC {out['at_best']['auc']}")
    header = f"{'threshold':>22} {'precision':>9} {'recall':>7} {'F1':>6} {'unsup.caught':>12} {'bal.acc':>7}"
    click.echo(header)
    for label, m in (("configured", out["at_configured"]), ("best (bal. accuracy)", out["at_best"])):
        click.echo(f"{label + ' ' + format(m['threshold'], '.4f'):>22} {m['precision']:>9.4f} {m['recall']:>7.4f} "
                   f"{m['f1']:>6.4f} {m['unsupported_caught']:>12.4f} {m['balanced_accuracy']:>7.4f}")
    for kind, k in out.get("per_kind", {}).items():
        click.echo(f"  {kind:<24} n={k['n']:<5} label={k['label']} kept at configured threshold: "
                   f"{k['kept_at_configured']:.2%}")
    if "fusion" in out:
        f = out["fusion"]
        weights = ", ".join(f"{k} = {v}" for k, v in f["weights"].items())
        click.echo(f"fusion fitted on these rows: [evaluate.combine] mode = \"fusion\", bias = {f['bias']}, "
                   f"weights = {{ {weights} }}")
    click.echo(f"to use it: --set 'evaluate.thresholds={{{name}={out['at_best']['threshold']}}}' or in groundset.toml "
               f"[evaluate] thresholds = {{ {name} = {out['at_best']['threshold']} }}")
