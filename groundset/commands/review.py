"""``groundset review``: serve the review page; ``echo_calibration``: print ``calibrate --from-review`` figures."""

from __future__ import annotations

import click

from groundset.cli import AppContext, RegistryChoice, pass_app

__all__ = ["command", "echo_calibration"]


@click.command("review")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port of the page (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but the loopback exposes your samples to the network.")
@click.option("--sample", "sample", type=click.IntRange(min=0), default=100, show_default=True,
              help="Samples to queue, stratified by gate verdict and score band (0: all of them).")
@click.option("--task", "tasks", multiple=True, type=RegistryChoice("groundset.registry:TASKS"),
              help="Review only this task (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the order within a stratum.")
@click.option("--log/--no-log", "log", default=False, help="Print every request.")
@pass_app
def command(app: AppContext, port: int, host: str, sample: int, tasks: tuple[str, ...], seed: int, log: bool) -> None:
    """Review evaluated samples in the browser: accept, reject (with a reason) or edit them, keyboard only.

    Verdicts go to WORKDIR/review/verdicts.jsonl as they are given (fsynced; a closed tab or a stopped server loses
    nothing). `groundset evaluate calibrate --from-review` fits the gate on them; `groundset export` drops
    the samples people rejected and applies their edits.

    \b
    Examples:
      groundset review                       # http://127.0.0.1:8765/, 100 samples
      groundset review --sample 0 --task qa  # every qa sample
    """
    from groundset.review.server import make_server
    from groundset.review.session import ReviewSession

    config = app.config()
    session = ReviewSession(app.workspace(), config.evaluate.thresholds, sample=sample or None, tasks=tasks, seed=seed)
    try:
        server = make_server(session, host, port, log=(lambda line: click.echo(line, err=True)) if log else None)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port} ({e.strerror}): pick another with --port") from None
    st = session.state()["progress"]
    if server.loopback is False:
        click.echo(f"warning: listening on {host}, not the loopback: anyone who reaches this machine sees the samples",
                   err=True)
    click.echo(f"review page: {server.url}  ({st['done']} of {st['total']} queued samples reviewed; "
               f"verdicts → {session.journal.path})")
    if session.journal.repaired:
        click.echo(f"cut {session.journal.repaired} torn line(s) off {session.journal.path} (a killed writer)", err=True)
    click.echo("Ctrl+C stops the server; every verdict given is already saved.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    st = session.state()["progress"]
    click.echo(f"stopped: {st['done']} of {st['total']} reviewed")


def echo_calibration(out: dict) -> None:
    """Print the figures of ``groundset.review.calibrate.calibrate_from_review`` like ``calibrate --labelled``."""
    name = out["judge"]["name"]
    best, conf = out["at_best"], out["at_configured"]
    excluded = ", ".join(f"{k} {v}" for k, v in out["excluded"].items()) or "none"
    click.echo(f"judge {name}: {out['rows']} reviewed rows ({best['supported']} supported, {best['unsupported']} "
               f"not) from {out['verdicts']} verdicts; not used: {excluded}")
    click.echo(f"AUC {best['auc']} (95% CI {_ci(best['ci95']['auc'])})")
    if out["weighting"] == "strata":
        click.echo(f"figures weighted back from the stratified review queue to all evaluated samples (effective "
                   f"rows {out['effective_rows']}; --unweighted: the reviewed rows as they are)")
    click.echo(f"{'threshold':>22} {'precision':>17} {'recall':>17} {'F1':>17} {'unsup.caught':>17} {'bal.acc':>17}")
    for label, m in (("configured", conf), ("best (bal. accuracy)", best)):
        cells = " ".join(f"{_cell(m[k], m['ci95'][k]):>17}"
                         for k in ("precision", "recall", "f1", "unsupported_caught", "balanced_accuracy"))
        click.echo(f"{label + ' ' + format(m['threshold'], '.4f'):>22} {cells}")
    click.echo(f"best threshold 95% CI {_ci(out['best_threshold_ci95'])} ({out['bootstrap_rounds']} bootstrap rounds; "
               "intervals: Wilson for proportions, label-stratified bootstrap for the rest)")
    g = out["gate_agreement"]
    click.echo(f"gate and reviewers agree on {g['agree']} of {g['n']} ({g['share']:.1%}, 95% CI {_ci(g['ci95'])})")
    if out["rows"] < 30:
        click.echo(f"only {out['rows']} labelled reviews: the intervals are wide; review more before trusting the "
                   "threshold", err=True)
    click.echo(f"to use it: --set 'evaluate.thresholds={{{name}={best['threshold']}}}' or in groundset.toml "
               f"[evaluate] thresholds = {{ {name} = {best['threshold']} }}")


def _ci(ci) -> str:
    return "n/a" if not ci else f"{ci[0]:.3f}–{ci[1]:.3f}"


def _cell(v, ci) -> str:
    return f"{v:.3f} [{ci[0]:.2f},{ci[1]:.2f}]" if ci else f"{v:.3f}"
