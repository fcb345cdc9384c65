"""The yield funnel of a run, per task: attempts → parsed → kept by the gate → exported, with the reasons at each step
and the tokens and cost each kept row took.

```
attempts   every attempt with a final record (samples/<task>.jsonl + .rejects.jsonl; a retried llm_error counts once)
parsed     attempts whose output parsed and passed generate's checks (samples/<task>.jsonl); reasons: the rejects
kept       samples the gate kept (evaluated/kept.jsonl); reasons: evaluated/rejected.jsonl
exported   rows of this export; reasons: why a kept sample does not fit the schema (or has no DPO pair)
```
Tokens per task are summed from the records themselves (each sample and reject carries its calls and tokens);
cost comes from ``usage.json`` (priced when the stage ran), shared out over tasks by tokens.

>>> f = build_funnel(Workdir("groundset-work"), exported=Counter(qa=40), not_exported={})  # doctest: +SKIP
>>> f.tasks["qa"].attempts, f.tasks["qa"].parsed, f.tasks["qa"].kept, f.tasks["qa"].exported   # doctest: +SKIP
(60, 52, 44, 40)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from groundset.workdir import Workdir, read_jsonl

__all__ = ["TaskFunnel", "Funnel", "build_funnel"]


@dataclass
class TaskFunnel:
    task: str
    attempts: int = 0
    parsed: int = 0
    kept: int = 0
    gate_rejected: int = 0
    exported: int = 0
    generate_reasons: Counter = field(default_factory=Counter)
    gate_reasons: Counter = field(default_factory=Counter)
    export_reasons: Counter = field(default_factory=Counter)
    tokens: int = 0  # generate tokens of all this task's attempts (prompt + completion)

    @property
    def not_evaluated(self) -> int:
        """Samples generated after the last evaluate run (or never evaluated)."""
        return max(self.parsed - self.kept - self.gate_rejected, 0)


@dataclass
class Funnel:
    tasks: dict[str, TaskFunnel] = field(default_factory=dict)
    stage_tokens: dict[str, int] = field(default_factory=dict)  # from usage.json: generate, evaluate…
    stage_cost: dict[str, float] = field(default_factory=dict)

    @property
    def kept(self) -> int:
        return sum(t.kept for t in self.tasks.values())

    @property
    def exported(self) -> int:
        return sum(t.exported for t in self.tasks.values())

    @property
    def total_tokens(self) -> int:
        return sum(self.stage_tokens.values())

    @property
    def total_cost(self) -> float:
        return sum(self.stage_cost.values())

    def tokens_per_kept(self, task: str | None = None) -> float | None:
        if task is None:
            return self.total_tokens / self.kept if self.kept else None
        t = self.tasks[task]
        return t.tokens / t.kept if t.kept else None

    def cost_per_kept(self, task: str | None = None) -> float | None:
        if not self.total_cost:
            return None
        if task is None:
            return self.total_cost / self.kept if self.kept else None
        t = self.tasks[task]
        gen_tokens = sum(x.tokens for x in self.tasks.values())
        share = t.tokens / gen_tokens if gen_tokens else 0.0
        return self.stage_cost.get("generate", 0.0) * share / t.kept if t.kept else None


def _final_outcomes(workdir: Workdir, task: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """(accepted samples by id, final rejects by id) of one task; a later record of the same attempt wins."""
    accepted: dict[str, dict] = {obj["id"]: obj for obj in read_jsonl(workdir.samples(task)) if "id" in obj}
    rejects: dict[str, dict] = {}
    for obj in read_jsonl(workdir.rejects(task)):
        rid = obj.get("id") or f"#{len(rejects)}"
        rejects[rid] = obj
    return accepted, {k: v for k, v in rejects.items() if k not in accepted}


def _tokens(obj: dict[str, Any]) -> int:
    src = obj.get("generation", obj)
    return int(src.get("prompt_tokens") or 0) + int(src.get("completion_tokens") or 0)


def build_funnel(workdir: Workdir, exported: Counter, not_exported: dict[str, Counter],
                 usage: dict[str, Any] | None = None) -> Funnel:
    """The funnel of every task found in the workdir. ``exported``: rows per task; ``not_exported``: task → reasons."""
    funnel = Funnel()
    tasks = set(exported) | set(not_exported)
    if workdir.samples_dir.is_dir():
        from groundset.registry import TASKS

        names = {p.name.removesuffix(".rejects.jsonl").removesuffix(".jsonl") for p in workdir.samples_dir.glob("*.jsonl")}
        tasks |= {n for n in names if n in TASKS}  # other files in samples/ are not a task's journal

    def task_of(name: str) -> TaskFunnel:
        return funnel.tasks.setdefault(name, TaskFunnel(name))

    for task in sorted(tasks):
        accepted, rejects = _final_outcomes(workdir, task)
        if not accepted and not rejects and task not in exported:
            continue
        t = task_of(task)
        t.parsed = len(accepted)
        t.attempts = len(accepted) + len(rejects)
        t.generate_reasons = Counter(str(r.get("reason") or "unknown").split(":")[0] for r in rejects.values())
        t.tokens = sum(_tokens(o) for o in accepted.values()) + sum(_tokens(o) for o in rejects.values())
    for obj in read_jsonl(workdir.kept):
        task_of(str(obj.get("task"))).kept += 1
    for obj in read_jsonl(workdir.rejected):
        t = task_of(str(obj.get("task")))
        t.gate_rejected += 1
        t.gate_reasons.update((obj.get("evaluation") or {}).get("reasons") or ["unspecified"])
    for task, n in exported.items():
        task_of(task).exported = n
    for task, reasons in not_exported.items():
        task_of(task).export_reasons.update(reasons)
    stages = (usage or {}).get("stages", usage or {})
    for stage, info in stages.items():
        if isinstance(info, dict) and stage != "total":
            funnel.stage_tokens[stage] = int(info.get("prompt_tokens") or 0) + int(info.get("completion_tokens") or 0)
            funnel.stage_cost[stage] = float(info.get("cost") or 0.0)
    return funnel
