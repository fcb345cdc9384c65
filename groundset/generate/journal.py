"""Append-only samples and rejects files of one task, and what they already hold (for resuming).

>>> log = TaskLog(workdir, "qa")                 # doctest: +SKIP  repairs a torn last line, reads existing ids
>>> log.status(attempt.id)                       # doctest: +SKIP  'accepted' | 'rejected' | None
>>> log.append([(attempt, sample_or_reject, stats)], model="fake")   # doctest: +SKIP  written, flushed, fsynced

A reject for a reason in ``RETRYABLE`` (the backend failed, not the sample) is not final: a later run makes that
attempt again and appends its new outcome. A run killed mid-write can leave a half line at the end of a file. ``TaskLog`` cuts it off before appending (so the
next record does not get glued to it); that attempt has no complete record, so the resumed run makes it again.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundset.generate.base import Attempt
from groundset.generate.checks import Reject
from groundset.records import Sample
from groundset.workdir import Workdir, read_jsonl

__all__ = ["TaskLog", "JobStats", "repair_tail", "RETRYABLE"]

# reject reasons that say nothing about the sample (backend down, timeout): such attempts are made again on resume
RETRYABLE = frozenset({"llm_error"})


@dataclass
class JobStats:
    """LLM use of one attempt (calls include the backend layer's JSON repair requests)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: int = 0
    hit_max_tokens: bool = False  # a call stopped at max_tokens (finish_reason "length")

    def add(self, results) -> None:
        for r in results:
            self.hit_max_tokens |= r.finish_reason == "length"
            self.calls += 1 + bool(r.meta.get("repaired"))  # a JSON repair (backend layer) is one more call
            self.prompt_tokens += r.prompt_tokens
            self.completion_tokens += r.completion_tokens
            self.cached += bool(r.cached)


def repair_tail(path: Path) -> bool:
    """Cut a torn (newline-less) last line off ``path``; True when something was cut."""
    if not path.exists():
        return False
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return False
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return False
        pos = size
        keep = 0
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            f.seek(pos)
            block = f.read(step)
            i = block.rfind(b"\n")
            if i != -1:
                keep = pos + i + 1
                break
        f.truncate(keep)
    return True


class TaskLog:
    """``samples/<task>.jsonl`` and ``samples/<task>.rejects.jsonl`` of one task."""

    def __init__(self, workdir: Workdir, task: str):
        self.task = task
        self.samples_path = workdir.samples(task)
        self.rejects_path = workdir.rejects(task)
        self.repaired = sum(repair_tail(p) for p in (self.samples_path, self.rejects_path))
        self.accepted: set[str] = {r["id"] for r in read_jsonl(self.samples_path) if "id" in r}
        self.rejected: dict[str, str] = {
            r["id"]: r.get("reason", "unknown") for r in read_jsonl(self.rejects_path) if "id" in r
        }

    def status(self, attempt_id: str) -> str | None:
        if attempt_id in self.accepted:
            return "accepted"
        if attempt_id in self.rejected and self.rejected[attempt_id] not in RETRYABLE:
            return "rejected"
        return None

    def reason_counts(self, ids: set[str]) -> Counter:
        return Counter(self.rejected[i] for i in ids if i in self.rejected)

    def known_ids(self) -> set[str]:
        return self.accepted | set(self.rejected)

    def append(self, outcomes: list[tuple[Attempt, Sample | Reject, JobStats]], model: str) -> None:
        """Write each outcome in attempt order (samples and rejects to their files), flush and fsync."""
        if not outcomes:
            return
        self.samples_path.parent.mkdir(parents=True, exist_ok=True)
        with self.samples_path.open("a", encoding="utf-8") as fs, self.rejects_path.open("a", encoding="utf-8") as fr:
            for attempt, outcome, stats in outcomes:
                if isinstance(outcome, Sample):
                    fs.write(outcome.model_dump_json() + "\n")
                    fs.flush()
                    self.accepted.add(outcome.id)
                else:
                    fr.write(json.dumps(reject_record(attempt, outcome, stats, model), ensure_ascii=False) + "\n")
                    fr.flush()
                    self.rejected[attempt.id] = outcome.reason
            os.fsync(fs.fileno())
            os.fsync(fr.fileno())


def reject_record(attempt: Attempt, reject: Reject, stats: JobStats, model: str) -> dict[str, Any]:
    """One line of the rejects file: everything needed to see why, and to recognise the attempt on resume."""
    return {
        "id": attempt.id,
        "task": attempt.task,
        "attempt": attempt.index,
        "reason": reject.reason,
        "detail": reject.detail,
        "raw": reject.raw,
        "seed_chunk_ids": attempt.seed_ids,
        "controls": attempt.controls,
        "model": model,
        "calls": stats.calls,
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
    }
