"""What the run recorded about itself, for the dataset card: never the config the export command was given.

Each stage writes what it ran with: ``ingest/report.json`` (embedding model, chunk size and overlap),
``samples/summary.json`` + every sample's ``generation`` (model, sampling parameters, tasks requested),
``evaluated/summary.json`` (the judge as the evaluate stage built it, its threshold, the filters that ran). This
module reads them back; what a stage did not record is ``None`` and the card says "not recorded".

>>> rec = read_record(Workdir("groundset-work"))          # doctest: +SKIP
>>> rec.generator_models, rec.backends, rec.judge["name"], rec.filters["sanity"]   # doctest: +SKIP
({'openai:Qwen/Qwen2.5-7B-Instruct': 97}, ['openai'], 'default', False)
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundset.workdir import Workdir, read_jsonl

__all__ = ["RunRecord", "read_record", "backend_of", "read_json"]

_BACKENDS = ("openai", "vllm", "local", "fake")


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file, or {} when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def backend_of(model: str) -> str:
    """The backend a model name was produced by: ``openai:X`` → openai, ``local:SmolLM2`` → local, ``fake`` → fake."""
    prefix = model.partition(":")[0] if ":" in model else model
    return prefix if prefix in _BACKENDS else "unknown"


@dataclass
class RunRecord:
    """The settings each stage recorded. Empty dicts / None: that stage left no record in the workdir."""

    embed_model: str | None = None
    chunk_tokens: int | None = None
    chunk_overlap: int | None = None
    collection: str | None = None
    tasks_requested: dict[str, int] = field(default_factory=dict)  # task -> n asked of the last generate run
    generator_models: Counter = field(default_factory=Counter)  # model -> samples generated (every task)
    sampling: dict[str, dict[str, Any]] = field(default_factory=dict)  # task -> sampling params of its samples
    judge: dict[str, Any] = field(default_factory=dict)  # as the evaluate stage described its judge
    thresholds: dict[str, float] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)
    evaluated: dict[str, Any] = field(default_factory=dict)  # the whole evaluated/summary.json

    @property
    def backends(self) -> list[str]:
        return sorted({backend_of(m) for m in self.generator_models})

    @property
    def threshold(self) -> float | None:
        t = self.judge.get("threshold")
        if t is None and self.judge.get("name") in self.thresholds:
            t = self.thresholds[self.judge["name"]]
        return None if t is None else float(t)


def _generation_params(workdir: Workdir) -> tuple[Counter, dict[str, dict[str, Any]]]:
    models: Counter = Counter()
    sampling: dict[str, dict[str, Any]] = {}
    if not workdir.samples_dir.is_dir():
        return models, sampling
    from groundset.registry import TASKS

    for path in sorted(workdir.samples_dir.glob("*.jsonl")):
        if path.name.endswith(".rejects.jsonl") or path.stem not in TASKS:
            continue
        seen: dict[str, set] = {}
        for obj in read_jsonl(path):
            gen = obj.get("generation") or {}
            if gen.get("model"):
                models[str(gen["model"])] += 1
            task = str(obj.get("task") or path.stem)
            for k, v in (gen.get("params") or {}).items():
                seen.setdefault(k, set()).add(json.dumps(v, sort_keys=True))
            if seen:
                sampling[task] = {k: (json.loads(next(iter(v))) if len(v) == 1 else "varied") for k, v in seen.items()}
    return models, sampling


def read_record(workdir: Workdir) -> RunRecord:
    """Read what ingest, generate and evaluate recorded in ``workdir``."""
    ingest = read_json(workdir.ingest_report)
    gen = read_json(workdir.generate_summary)
    ev = read_json(workdir.evaluate_summary)
    models, sampling = _generation_params(workdir)
    if not models and gen.get("model"):
        models[str(gen["model"])] = 0
    judge = ev.get("judge")
    return RunRecord(
        embed_model=ingest.get("embed_model"),
        chunk_tokens=ingest.get("chunk_tokens"),
        chunk_overlap=ingest.get("chunk_overlap"),
        collection=ingest.get("collection"),
        tasks_requested={t: int(info.get("requested", 0)) for t, info in (gen.get("tasks") or {}).items()
                         if isinstance(info, dict)},
        generator_models=models,
        sampling=sampling,
        judge=judge if isinstance(judge, dict) else ({"name": str(judge)} if judge else {}),
        thresholds=dict(ev.get("thresholds") or {}),
        filters=dict(ev.get("filters") or {}),
        evaluated=ev,
    )
