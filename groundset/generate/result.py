"""What a generate run reports: per task accepted / rejected-by-reason counts, LLM use, and dry-run estimates.

>>> r = TaskReport("qa", requested=2, accepted=2)
>>> r.complete, GenerateResult({"qa": r}).complete
(True, True)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TaskReport", "GenerateResult"]


@dataclass
class TaskReport:
    """One task of a run. Counts include records found from earlier (resumed) runs; LLM use is this run's."""

    task: str
    requested: int
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> count
    attempts: int = 0  # attempts with a final record
    resumed: int = 0  # of which found on disk from an earlier run
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_calls: int = 0
    seconds: float = 0.0
    seed_units: int = 0  # usable seed chunks (textbook: topics)
    skipped_seeds: dict[str, int] = field(default_factory=dict)  # unusable chunks by reason
    max_attempts: int = 0
    other_records: int = 0  # records in the task's files from another configuration or a larger n (kept)
    unused_calls: int = 0  # speculative attempts ([generate] speculate) made but not needed: not recorded
    planned_calls: int | None = None  # dry run: calls if every attempt is accepted
    planned_calls_max: int | None = None  # dry run: calls if every remaining attempt is used
    estimated_prompt_tokens: int | None = None
    estimated_completion_tokens: int | None = None
    note: str = ""  # why the task is incomplete, what to do
    # why the walk ended: "n" (enough accepted), "max_attempts" (the attempt cap), "seeds_exhausted" (every usable
    # seed was used once and reuse_chunks is off), "backend_failed" (a whole batch failed in the LLM backend)
    stopped: str = ""

    @property
    def complete(self) -> bool:
        return self.accepted >= self.requested

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def acceptance_rate(self) -> float | None:
        done = self.accepted + self.rejected_total
        return self.accepted / done if done else None

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items()}
        d["rejected"] = dict(sorted(self.rejected.items()))
        d["complete"] = self.complete
        d["acceptance_rate"] = None if self.acceptance_rate is None else round(self.acceptance_rate, 4)
        return d


@dataclass
class GenerateResult:
    """All tasks of a run. ``complete``: every requested sample exists on disk."""

    tasks: dict[str, TaskReport] = field(default_factory=dict)
    dry_run: bool = False
    seconds: float = 0.0
    model: str = ""

    @property
    def complete(self) -> bool:
        return all(t.complete for t in self.tasks.values())

    @property
    def llm_calls(self) -> int:
        return sum(t.llm_calls for t in self.tasks.values())

    @property
    def prompt_tokens(self) -> int:
        return sum(t.prompt_tokens for t in self.tasks.values())

    @property
    def completion_tokens(self) -> int:
        return sum(t.completion_tokens for t in self.tasks.values())

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def accepted(self) -> dict[str, int]:
        return {name: t.accepted for name, t in self.tasks.items()}

    @property
    def rejected(self) -> dict[str, dict[str, int]]:
        return {name: dict(t.rejected) for name, t in self.tasks.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "dry_run": self.dry_run,
            "model": self.model,
            "seconds": round(self.seconds, 2),
            "llm_calls": self.llm_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tasks": {name: t.to_dict() for name, t in self.tasks.items()},
        }
