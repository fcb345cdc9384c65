"""Which job each task runs, and the loop that drives many jobs in lockstep, one batched LLM call per step.

>>> outcomes = run_jobs([make_job(a, corpus, config.generate, usable) for a in attempts], llm)   # doctest: +SKIP
>>> outcomes[0]                                                                                   # doctest: +SKIP
(Sample(...), JobStats(calls=1, prompt_tokens=412, completion_tokens=57, cached=0))

With ``on_outcome(i, outcome, stats)`` each job's outcome is handed over the moment its last reply arrives (the
LLM reports replies one by one through ``chat(..., on_result=...)``), so the caller can journal it before the rest
of the batch is back; a job whose step is complete advances at once, its next requests wait for the next round.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

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
    return TASKS.get(attempt.task).job(attempt, corpus, _config(attempt, gen), usable)


def _config(attempt: Attempt, gen: Any) -> Any:
    """The attempt's task config, resolved for the run's [llm] spec as the plan resolved it (``Task.resolve``)."""
    return TASKS.get(attempt.task).config_for(gen.task(attempt.task), attempt.params.get("llm", ""))


def run_jobs(jobs: list[Job], llm: LLM,
             on_outcome: Callable[[int, Any, JobStats], None] | None = None) -> list[tuple[Sample | Reject, JobStats]]:
    """Drive ``jobs`` to completion; each round sends the pending requests of all jobs in one ``llm.chat``."""
    outcomes: list[Any] = [None] * len(jobs)
    stats = [JobStats() for _ in jobs]
    pending: dict[int, list[ChatRequest]] = {}
    streams = _streams(llm)

    def advance(i: int, value: Any) -> None:
        try:
            requests = jobs[i].send(value)
            while not requests:  # a step with nothing to ask: continue at once
                requests = jobs[i].send([])
            pending[i] = requests
        except StopIteration as stop:
            outcomes[i] = stop.value
            if on_outcome is not None:
                on_outcome(i, stop.value, stats[i])

    for i in range(len(jobs)):
        advance(i, None)
    while pending:
        order = sorted(pending)
        current = {i: pending.pop(i) for i in order}
        owner = [(i, k) for i in order for k in range(len(current[i]))]
        parts: dict[int, list[Any]] = {i: [None] * len(current[i]) for i in order}
        missing = {i: len(current[i]) for i in order}

        def arrived(pos: int, result: Any) -> None:
            i, k = owner[pos]
            if parts[i][k] is not None:
                return
            parts[i][k] = result
            missing[i] -= 1
            if missing[i] == 0:  # this job's step is complete: advance it now
                stats[i].add(parts[i])
                advance(i, parts[i])

        batch = [r for i in order for r in current[i]]
        results = llm.chat(batch, on_result=arrived) if streams else llm.chat(batch)
        if len(results) != len(batch):
            raise BackendError(f"the LLM backend returned {len(results)} results for {len(batch)} requests")
        for pos, result in enumerate(results):  # whatever was not reported as it arrived
            arrived(pos, result)
    return list(zip(outcomes, stats))


def _streams(llm: Any) -> bool:
    try:
        return "on_result" in inspect.signature(llm.chat).parameters
    except (TypeError, ValueError):
        return False


def estimate_requests(attempt: Attempt, corpus: Corpus, gen: Any, usable: set[str] | None = None) -> list[ChatRequest]:
    """Representative requests of one attempt for a dry run (no LLM call; later conversation turns use fillers)."""
    return TASKS.get(attempt.task).estimate(attempt, corpus, _config(attempt, gen), usable)
