"""``groundset status [--json]``: what the workdir holds (collections, documents, samples, evaluation)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import click

from groundset.cli import pass_app

def _lines(path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def _task_records(workdir, task: str) -> dict[str, int]:
    """Final outcomes of a task's attempts: a reject superseded by a later record of the same attempt (a backend
    failure, ``llm_error``, retried by a later run) is not counted; one still waiting for its retry is ``to_retry``."""
    from groundset.generate.journal import RETRYABLE
    from groundset.workdir import read_jsonl

    accepted = {r["id"] for r in read_jsonl(workdir.samples(task)) if "id" in r}
    last: dict[str, str] = {}
    for r in read_jsonl(workdir.rejects(task)):
        if "id" in r:
            last[r["id"]] = r.get("reason", "unknown")
    final = {i: reason for i, reason in last.items() if i not in accepted}
    to_retry = sum(1 for reason in final.values() if reason in RETRYABLE)
    return {"generated": len(accepted), "rejected": len(final) - to_retry, "to_retry": to_retry}


def gather(config, workdir) -> dict[str, Any]:
    """A dict of what ``workdir`` holds: {workdir, stages, store, collections, ingest, samples, evaluated}."""
    from groundset.errors import StoreError
    from groundset.registry import TASKS
    from groundset.store import open_store

    out: dict[str, Any] = {"workdir": str(workdir.root), "stages": sorted(workdir.state())}
    out["store"] = config.store.url or str(workdir.qdrant_dir)
    if config.store.url or workdir.qdrant_dir.exists():
        try:
            with open_store(config.store, workdir) as store:
                out["collections"] = store.collections()
        except StoreError as e:
            out["collections"] = {}
            out["store_error"] = str(e)
    else:
        out["collections"] = {}
    if workdir.ingest_report.exists():
        rep = json.loads(workdir.ingest_report.read_text(encoding="utf-8"))
        counts = rep.get("counts", {})
        out["ingest"] = {
            "documents": counts.get("documents", len(rep.get("documents", []))),
            "chunks": counts.get("chunks", 0),
            "files_ok": counts.get("files_ok", 0),
            "files_failed": counts.get("files_failed", 0),
            "dropped": rep.get("dropped", {}),
            "collection": rep.get("collection"),
        }
    samples = {}
    found = {p.name.split(".")[0] for p in workdir.samples_dir.glob("*.jsonl")} if workdir.samples_dir.exists() else set()
    names = TASKS.names()
    for task in [*names, *sorted(found - set(names))]:
        if _lines(workdir.samples(task)) or _lines(workdir.rejects(task)):
            samples[task] = _task_records(workdir, task)
    out["samples"] = samples
    if workdir.kept.exists() or workdir.rejected.exists():
        out["evaluated"] = {"kept": _lines(workdir.kept), "rejected": _lines(workdir.rejected)}
    from groundset.review.apply import load_verdicts

    decisions = Counter(v.decision for v in load_verdicts(workdir).values())
    if decisions:
        out["reviewed"] = dict(decisions)
    return out


def _print(info: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"groundset workdir {info['workdir']}", show_header=False, title_justify="left")
    t.add_column("what", style="bold")
    t.add_column("value")
    t.add_row("store", info["store"])
    if info.get("store_error"):
        t.add_row("[red]store error[/red]", info["store_error"])
    cols = info["collections"]
    t.add_row("collections", ", ".join(f"{n}: {c} points" for n, c in cols.items()) or "none")
    ing = info.get("ingest")
    if ing:
        t.add_row("documents", f"{ing['documents']} ({ing['files_ok']} files ok, {ing['files_failed']} failed)")
        t.add_row("chunks", f"{ing['chunks']}; dropped {ing['dropped'] or 'none'}")
    else:
        t.add_row("documents", "nothing ingested yet (groundset ingest PATH)")
    for task, s in info["samples"].items():
        retry = f", {s['to_retry']} backend failures to retry" if s.get("to_retry") else ""
        t.add_row(f"samples {task}", f"{s['generated']} generated, {s['rejected']} rejected by the parser{retry}")
    ev = info.get("evaluated")
    if ev:
        t.add_row("evaluated", f"{ev['kept']} kept, {ev['rejected']} rejected")
    if info.get("reviewed"):
        t.add_row("reviewed", ", ".join(f"{n} {d}" for d, n in sorted(info["reviewed"].items())) + " (groundset review)")
    t.add_row("stages done", ", ".join(info["stages"]) or "none")
    console.print(t)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
@pass_app
def command(app, as_json: bool) -> None:
    """Show what the workdir holds: collections with point counts, documents, samples, kept / rejected."""
    from groundset.workdir import Workdir

    info = gather(app.config(), Workdir(app.workdir))  # only reads: a read-only or missing workdir is fine
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        _print(info)
