"""The table of stages, and the only writer of ``state.json``.

Each stage function (``ingest``, ``generate``, ``evaluate``, ``export``) does its work and returns a result; it
never writes the run state. Whoever called it — ``groundset run``, or a single command such as ``groundset
ingest`` — hands the result to ``record``, which looks the stage up in ``STAGES`` and writes one entry: the config
fingerprint the output depends on, the signature of the inputs it read, and what the stage reports of itself. So a
standalone ``groundset ingest`` leaves the same entry as ``groundset run`` does, and the next run skips what is
current:

>>> record("ingest", config, workdir, result)            # doctest: +SKIP
>>> is_current("ingest", config, workdir)                # doctest: +SKIP
True

``state.json`` maps stage name → ``{"fingerprint", "inputs", **info}``; an incomplete result removes the entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from groundset.config import Config
from groundset.records import content_hash
from groundset.workdir import Workdir

__all__ = ["Stage", "STAGES", "STAGE_NAMES", "record", "is_current", "fingerprint", "inputs", "corpus_files"]


@dataclass(frozen=True)
class Stage:
    """One row of the table: what its output depends on, and what its result says of itself.

    - ``fingerprint(config)``: a hash of the config sections the output depends on;
    - ``inputs(config, workdir)``: a hash of what the stage reads (files, the stored documents…);
    - ``done(result)``: whether the result completes the stage (partial results are not recorded as done);
    - ``info(result)``: the small facts kept in the state entry (shown when ``run`` skips the stage).
    """

    name: str
    fingerprint: Callable[[Config], str]
    inputs: Callable[[Config, Workdir], str]
    done: Callable[[Any], bool]
    info: Callable[[Any], dict[str, Any]]


def _stat(paths: list[Path]) -> list[tuple[str, int, int]]:
    out = []
    for p in sorted(paths):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((str(p), st.st_size, st.st_mtime_ns))
    return out


def corpus_files(config: Config) -> list[Path]:
    """The files ``[ingest] paths`` (with include / exclude) name."""
    from groundset.ingest.readers import discover

    files, _ = discover([Path(p) for p in config.ingest.paths], include=config.ingest.include,
                        exclude=config.ingest.exclude)
    return files


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _ingest_inputs(config: Config, workdir: Workdir) -> str:  # the corpus files, and whether the store still exists
    embedded_gone = config.store.url is None and not workdir.qdrant_dir.exists()
    return content_hash(_stat(corpus_files(config)), embedded_gone)[:16]


def _generate_inputs(config: Config, workdir: Workdir) -> str:
    report = _read_json(workdir.ingest_report)
    docs = sorted((d.get("id"), d.get("chunks")) for d in report.get("documents", []))
    return content_hash(docs, config.store.collection, config.store.url or "")[:16]


def _evaluate_inputs(config: Config, workdir: Workdir) -> str:
    files = list(workdir.samples_dir.glob("*.jsonl")) if workdir.samples_dir.exists() else []
    return content_hash(_stat(files))[:16]


def _export_inputs(config: Config, workdir: Workdir) -> str:
    """The gate's output and the reviewers' verdicts (``groundset review``): a new verdict re-exports."""
    from groundset.review.apply import verdicts_path

    return content_hash(_stat([workdir.kept, workdir.rejected, verdicts_path(workdir)]))[:16]


def _generate_fp(config: Config) -> str:
    from groundset.generate.runner import stage_fingerprint

    return stage_fingerprint(config)


def _evaluate_fp(config: Config) -> str:
    from groundset.evaluate.runner import stage_fingerprint

    return stage_fingerprint(config)


STAGES: dict[str, Stage] = {s.name: s for s in (
    Stage("ingest", lambda c: c.fingerprint("ingest", "embed", "store"), _ingest_inputs,
          done=lambda r: r.exit_code != 1,
          info=lambda r: {"documents": r.documents, "chunks": r.chunks, "failed": len(r.failed)}),
    Stage("generate", _generate_fp, _generate_inputs, done=lambda r: r.complete,
          info=lambda r: {"accepted": r.accepted}),
    Stage("evaluate", _evaluate_fp, _evaluate_inputs, done=lambda r: getattr(r, "complete", True) is not False,
          info=lambda r: {"kept": r.kept, "rejected": r.rejected}),
    Stage("export", lambda c: c.fingerprint("export"), _export_inputs, done=lambda r: True,
          info=lambda r: {"out": str(r.out), "rows": r.rows}),
)}
STAGE_NAMES: tuple[str, ...] = tuple(STAGES)


def fingerprint(stage: str, config: Config) -> str:
    """The config fingerprint ``stage``'s output depends on."""
    return STAGES[stage].fingerprint(config)


def inputs(stage: str, config: Config, workdir: Workdir) -> str:
    """A hash of what ``stage`` reads: changes when its inputs change, whatever the config says."""
    return STAGES[stage].inputs(config, workdir)


def is_current(stage: str, config: Config, workdir: Workdir) -> bool:
    """True when ``stage`` finished with this config and these inputs (so ``run`` can skip it)."""
    entry = workdir.state().get(stage, {})
    return entry.get("fingerprint") == fingerprint(stage, config) and entry.get("inputs") == inputs(stage, config, workdir)


def record(stage: str, config: Config, workdir: Workdir, result: Any) -> bool:
    """Write ``stage``'s entry of ``state.json`` from its ``result`` (done: fingerprint, inputs, info; not done: the
    entry is removed). The only place that writes the run state. Returns whether the stage is now recorded done."""
    row = STAGES[stage]
    if not row.done(result):
        workdir.write_state(stage, None)
        return False
    workdir.write_state(stage, {"fingerprint": row.fingerprint(config), "inputs": row.inputs(config, workdir),
                                **row.info(result)})
    return True
