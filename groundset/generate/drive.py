"""Which job each task runs, and the loop that drives many jobs in lockstep, one batched LLM call per step.

>>> outcomes = run_jobs([make_job(a, corpus, config.generate, usable) for a in attempts], llm)   # doctest: +SKIP
>>> outcomes[0]                                                                                   # doctest: +SKIP
(Sample(...), JobStats(calls=1, prompt_tokens=412, completion_tokens=57, cached=0))
"""

from __future__ import annotations

from typing import Any

from groundset.errors import BackendError
from groundset.generate.base import Attempt, Job
from groundset.generate.checks import Reject
from groundset.generate.corpus import Corpus
from groundset.generate.journal import JobStats
from groundset.llm.base import LLM, ChatRequest
from groundset.records import Sample
from groundset.registry import TASKS

__all__ = ["make_job", "run_jobs", "estimate_requests"]


def make_job(attempt: Attempt, corpus: Corpus, gen: Any, usable: set[str] | None = None) -> Job:
    """The job generator of ``attempt`` (``gen`` = the [generate] config)."""
    return TASKS.get(attempt.task).job(attempt, corpus, gen.task(attempt.task), usable)


def run_jobs(jobs: list[Job], llm: LLM) -> list[tuple[Sample | Reject, JobStats]]:
    """Drive ``jobs`` to completion; each round sends the pending requests of all jobs in one ``llm.chat``."""
    outcomes: list[Any] = [None] * len(jobs)
    stats = [JobStats() for _ in jobs]
    pending: dict[int, list[ChatRequest]] = {}

    def advance(i: int, value: Any) -> None:
        try:
            requests = jobs[i].send(value)
            while not requests:  # a step with nothing to ask: continue at once
                requests = jobs[i].send([])
            pending[i] = requests
        except StopIteration as stop:
            outcomes[i] = stop.value

    for i in range(len(jobs)):
        advance(i, None)
    while pending:
        order = sorted(pending)
        batch = [r for i in order for r in pending[i]]
        results = llm.chat(batch)
        if len(results) != len(batch):
            raise BackendError(f"the LLM backend returned {len(results)} results for {len(batch)} requests")
        current = {i: pending.pop(i) for i in order}
        pos = 0
        for i in order:
            part = results[pos : pos + len(current[i])]
            pos += len(current[i])
            stats[i].add(part)
            advance(i, part)
    return list(zip(outcomes, stats))


def estimate_requests(attempt: Attempt, corpus: Corpus, gen: Any, usable: set[str] | None = None) -> list[ChatRequest]:
    """Representative requests of one attempt for a dry run (no LLM call; later conversation turns use fillers)."""
    return TASKS.get(attempt.task).estimate(attempt, corpus, gen.task(attempt.task), usable)
