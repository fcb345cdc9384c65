"""Usage accounting per stage: requests, backend calls, retries, cache hits, tokens, failures by reason, seconds, cost.

>>> u = Usage(model="openai:gpt-4o-mini")
>>> u.add_call(prompt_tokens=1200, completion_tokens=300, price_prompt_per_m=0.15, price_completion_per_m=0.6)
>>> u.add_failure("http_429"); u.to_dict()["failures"], round(u.cost, 6)
({'http_429': 1}, 0.00036)

``workdir.usage`` (usage.json) holds one entry per stage (``generate``, ``evaluate``…). ``record_usage`` adds a
delta to a stage's entry under a file lock, so runs and resumed runs accumulate and two processes do not lose each
other's counts. The dry-run estimate and the dataset card read it with ``load_usage``.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator

__all__ = ["Usage", "record_usage", "load_usage"]


@dataclass
class Usage:
    """Counters of one stage. ``calls`` include repair attempts; tokens and cost count backend calls only."""

    model: str = ""
    requests: int = 0  # requests asked by the caller (cache hits included)
    calls: int = 0  # requests sent to the backend (repairs included)
    cache_hits: int = 0
    retries: int = 0  # requests sent again after a transient failure (429, 5xx, timeout, dropped connection)
    repairs: int = 0  # repair attempts made
    repaired: int = 0  # of which succeeded
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # reason -> count of requests that finally failed
    wall_s: float = 0.0
    cost: float = 0.0  # in the currency of the configured prices

    def add_call(self, prompt_tokens: int, completion_tokens: int, price_prompt_per_m: float = 0.0,
                 price_completion_per_m: float = 0.0) -> None:
        self.calls += 1
        self.prompt_tokens += int(prompt_tokens)
        self.completion_tokens += int(completion_tokens)
        self.cost += (prompt_tokens * price_prompt_per_m + completion_tokens * price_completion_per_m) / 1e6

    def add_failure(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["wall_s"] = round(self.wall_s, 3)
        d["cost"] = round(self.cost, 6)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Usage":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def merged(self, other: "Usage") -> "Usage":
        """The sum of two usages (``model`` of ``other`` wins when set)."""
        out = Usage.from_dict(self.to_dict())
        _add_into(out.__dict__, other.to_dict())
        return out

    def diff(self, earlier: "Usage") -> "Usage":
        """What was added since ``earlier`` (a snapshot of this same object)."""
        d = self.to_dict()
        e = earlier.to_dict()
        for k, v in d.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                d[k] = v - e.get(k, 0)
        before = e["failures"]
        d["failures"] = {r: n - before.get(r, 0) for r, n in self.failures.items() if n - before.get(r, 0)}
        return Usage.from_dict(d)


def _add_into(target: dict[str, Any], delta: dict[str, Any]) -> None:
    for k, v in delta.items():
        if k == "failures":
            merged = dict(target.get("failures") or {})
            for reason, n in v.items():
                merged[reason] = merged.get(reason, 0) + n
            target["failures"] = merged
        elif isinstance(v, bool):
            target[k] = v
        elif isinstance(v, (int, float)):
            target[k] = round(target.get(k, 0) + v, 6) if isinstance(v, float) else target.get(k, 0) + v
        elif v:
            target[k] = v


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    with open(lock, "a+") as f:
        try:
            import fcntl

            fcntl.flock(f, fcntl.LOCK_EX)
        except ImportError:  # Windows: no cross-process lock; atomic replace still prevents torn files
            pass
        yield


def record_usage(path: str | Path, stage: str, delta: Usage) -> dict[str, Any]:
    """Add ``delta`` to ``stage`` in the usage file at ``path`` (created when missing); returns the whole file."""
    from groundset.workdir import write_json_atomic

    path = Path(path)
    with _locked(path):
        data: dict[str, Any] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                data = {}
        entry = data.setdefault(stage, {})
        _add_into(entry, delta.to_dict())
        write_json_atomic(path, data)
    return data


def load_usage(path: str | Path) -> dict[str, Usage]:
    """Stage name → Usage from the usage file (empty when it does not exist)."""
    path = Path(path)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {stage: Usage.from_dict(d) for stage, d in data.items() if isinstance(d, dict)}
