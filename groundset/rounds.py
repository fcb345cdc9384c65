"""N kept means N kept: generate and the gate alternate in rounds until every task has n samples that passed the gate,
or a budget stops it — and the run says which, with the yield of every reason.

>>> result = generate_kept(config, workdir, llm)                     # doctest: +SKIP
>>> result.tasks["backtranslate"].kept, result.tasks["backtranslate"].stopped     # doctest: +SKIP
(25, 'reached')

Round 1 asks generate for n accepted samples per task and runs the gate over everything generated. A task short of
n kept then asks for ``accepted + ceil(missing / yield)`` accepted samples, where yield is the share of its
generated samples the gate kept so far (at least 0.1), and the gate runs again. A task stops with:

- ``reached``: n kept (samples kept beyond n, in attempt order, are moved to rejected with the reason ``over_n``);
- ``max_attempts``: its attempt cap (``[generate] max_attempts_factor`` × n, or ``max_attempts``) is spent;
- ``seeds_exhausted``: every usable seed chunk was used once (``reuse_chunks = false``);
- ``backend_failed``: a whole batch failed in the LLM backend;
- ``tokens`` / ``cost`` / ``seconds``: a ``[generate] budget_*`` was passed (checked between rounds);
- ``rounds``: ``[generate] rounds`` rounds were run.

Everything is deterministic (the plan, the ids, the request seeds), so the same config gives the same dataset on a
rerun, and a killed run resumes: every round only appends samples. ``rounds.json`` in the workdir holds every
round and the per-task funnel: attempts → generated → kept, rejects by reason (generate's and the gate's).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from groundset.config import Config
from groundset.progress import Progress
from groundset.workdir import Workdir, write_json_atomic

__all__ = ["generate_kept", "KeptResult", "TaskYield", "STOP_REASONS", "rounds_file"]

STOP_REASONS = ("reached", "max_attempts", "seeds_exhausted", "backend_failed", "tokens", "cost", "seconds", "rounds")
MIN_YIELD = 0.1


def rounds_file(workdir: Workdir):
    return workdir.root / "rounds.json"


@dataclass
class TaskYield:
    """One task's funnel over all rounds."""

    task: str
    wanted: int
    attempts: int = 0
    generated: int = 0
    kept: int = 0
    generate_rejects: dict[str, int] = field(default_factory=dict)
    gate_rejects: dict[str, int] = field(default_factory=dict)
    stopped: str = ""

    @property
    def complete(self) -> bool:
        return self.kept >= self.wanted

    def to_dict(self) -> dict[str, Any]:
        rejects = Counter(self.generate_rejects) + Counter(self.gate_rejects)
        n = max(self.attempts, 1)
        return {
            **self.__dict__,
            "complete": self.complete,
            "yield": round(self.kept / n, 4) if self.attempts else None,
            "yield_by_reason": {k: round(v / n, 4) for k, v in rejects.most_common()},
        }


@dataclass
class KeptResult:
    tasks: dict[str, TaskYield] = field(default_factory=dict)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    generate: Any = None  # the last GenerateResult
    evaluate: Any = None  # the last EvaluateResult
    tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return all(t.complete for t in self.tasks.values())

    @property
    def accepted(self) -> dict[str, int]:
        """Kept samples per task (what ``stages.record`` keeps for the generate stage)."""
        return {name: t.kept for name, t in self.tasks.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "tokens": self.tokens, "cost": round(self.cost, 6),
                "seconds": round(self.seconds, 2), "tasks": {k: t.to_dict() for k, t in self.tasks.items()},
                "rounds": self.rounds}


def _budget_stop(config: Config, tokens: int, cost: float, seconds: float) -> str:
    gen = config.generate
    if gen.budget_tokens is not None and tokens >= gen.budget_tokens:
        return "tokens"
    if gen.budget_cost is not None and cost >= gen.budget_cost:
        return "cost"
    if gen.budget_seconds is not None and seconds >= gen.budget_seconds:
        return "seconds"
    return ""


def _cost(config: Config, prompt: int, completion: int) -> float:
    return (prompt * config.llm.price_prompt_per_m + completion * config.llm.price_completion_per_m) / 1e6


def generate_kept(config: Config, workdir: Workdir, llm: Any = None, *,
                  progress: Progress | None = None) -> KeptResult:
    """Alternate generate and evaluate until each task of ``config.generate.tasks`` has n kept (see module doc)."""
    from groundset.evaluate.runner import evaluate
    from groundset.generate.runner import generate

    t0 = time.perf_counter()
    want = {t: n for t, n in config.generate.tasks.items() if n > 0}
    asked = dict(want)
    out = KeptResult(tasks={t: TaskYield(t, n) for t, n in want.items()})
    active = set(want)
    if llm is None and want:
        from groundset.llm import load_llm

        llm = load_llm(config.llm, workdir, "generate")
    for r in range(1, config.generate.rounds + 1):
        gres = generate(config, workdir, llm, progress=progress, targets=asked)
        out.generate = gres
        out.tokens += gres.tokens
        out.cost += _cost(config, gres.prompt_tokens, gres.completion_tokens)
        eres = evaluate(config, workdir, llm, progress=progress, keep_at_most=want)
        out.evaluate = eres
        per_task = eres.summary.get("per_task", {})
        out.seconds = time.perf_counter() - t0
        budget = _budget_stop(config, out.tokens, out.cost, out.seconds)
        row: dict[str, Any] = {"round": r, "asked": dict(asked), "tasks": {}}
        for task, ty in out.tasks.items():
            rep = gres.tasks.get(task)
            gate = per_task.get(task, {})
            gate_reasons = dict(gate.get("reasons", {}))
            ty.kept = gate.get("kept", 0) + 0
            ty.gate_rejects = {k: v for k, v in gate_reasons.items() if k != "over_n"}
            if rep is not None:
                ty.attempts, ty.generated = rep.attempts, rep.accepted
                ty.generate_rejects = dict(rep.rejected)
            row["tasks"][task] = {"generated": ty.generated, "kept": ty.kept, "attempts": ty.attempts}
            if task not in active:
                continue
            if ty.kept >= ty.wanted:
                ty.stopped = "reached"
            elif rep is not None and rep.stopped not in ("", "n"):
                ty.stopped = rep.stopped
            elif budget:
                ty.stopped = budget
            elif r == config.generate.rounds:
                ty.stopped = "rounds"
            if ty.stopped:
                active.discard(task)
                continue
            rate = max(ty.kept / ty.generated if ty.generated else 0.0, MIN_YIELD)
            asked[task] = ty.generated + math.ceil((ty.wanted - ty.kept) / rate)
        out.rounds.append(row)
        write_json_atomic(rounds_file(workdir), out.to_dict())
        if not active:
            break
    out.seconds = time.perf_counter() - t0
    write_json_atomic(rounds_file(workdir), out.to_dict())
    return out
