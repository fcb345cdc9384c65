"""The generate stage: plan attempts per task, drive them through the LLM in batches, append samples and rejects.

>>> result = generate(load_config(None, {"generate.tasks": {"qa": 5}}), Workdir("work"))    # doctest: +SKIP
>>> result.tasks["qa"].accepted, dict(result.tasks["qa"].rejected), result.complete         # doctest: +SKIP
(5, {'not_standalone': 1}, True)

What counts toward ``n``: ACCEPTED samples. A rejected attempt is retried with the next seed of the plan, up to
``ceil(n × max_attempts_factor) + 2`` attempts (and, unless ``reuse_chunks``, one attempt per usable seed).

Resuming: the plan (seed order, controls, ids) depends only on the config and the store content. Attempt ``j`` runs
iff fewer than ``n`` of the attempts before it were accepted — the same rule whatever the batch boundaries — and
attempts already recorded in ``samples/<task>.jsonl`` or ``.rejects.jsonl`` are counted, not re-run. Each outcome
is appended (and fsynced) the moment its last LLM reply arrives, and each reply is in the response cache as soon
as it arrives, so a kill loses at most the requests in flight. All tasks
advance together: each round sends the pending steps of every task's attempts in one batched LLM call. So a run killed
at any moment and started again ends with exactly the records of an uninterrupted run (LLM replies are replayed from
the response cache, or regenerated with the same request seed).
"""

from __future__ import annotations

import math
import time
from typing import Any

from groundset.config import Config
from groundset.errors import StoreError
from groundset.generate.corpus import Corpus
from groundset.generate.drive import estimate_requests, make_job, run_jobs
from groundset.generate.journal import RETRYABLE, TaskLog
from groundset.generate.plan import TaskPlan, calls_per_attempt
from groundset.generate.result import GenerateResult, TaskReport
from groundset.generate.seeds import usable_seeds
from groundset.llm.base import LLM
from groundset.progress import Finished, Progress, Tick, progress_callback
from groundset.workdir import Workdir, write_json_atomic

__all__ = ["generate", "GenerateResult", "TaskReport", "stage_fingerprint"]


def stage_fingerprint(config: Config) -> str:
    """What the generate stage's output depends on (see ``groundset.stages``)."""
    return config.fingerprint("generate", "llm", "embed", "store")


def _new_report(plan: TaskPlan) -> TaskReport:
    return TaskReport(
        task=plan.task, requested=plan.n, seed_units=len(plan.units), skipped_seeds=dict(plan.skipped),
        max_attempts=plan.max_attempts,
    )


class _Walker:
    """One task's walk over its attempts: counts recorded ones, hands out those that must run, absorbs outcomes."""

    def __init__(self, plan: TaskPlan, log: TaskLog, speculate: bool = False):
        self.plan, self.log = plan, log
        self.report = _new_report(plan)
        self.j = 0
        self.pending: list = []
        self.sure = 0  # pending[:sure] run whatever the others give; pending[sure:] are speculative
        self.deferred: dict[str, tuple] = {}  # speculative outcomes, journalled only once they are known to count
        self.speculate = speculate
        self.visited: set[str] = set()
        self.done = False

    def fill(self, limit: int) -> list:
        """Pending attempts (≤ ``limit``): attempt j runs iff fewer than n of the attempts before it were accepted.

        With ``speculate``, attempts after those are added too (as many as the yield so far says are still needed,
        half accepted before any outcome), up to ``limit``; ``absorb`` keeps their outcomes only while fewer than n
        are accepted, in attempt order, so the records are the same as without."""
        plan, rep = self.plan, self.report
        while len(self.pending) < limit and self.j < plan.max_attempts and rep.accepted < plan.n:
            attempt = plan.attempt(self.j)
            status = self.log.status(attempt.id)
            if status is not None:  # recorded by an earlier run: count it, do not redo it
                rep.attempts += 1
                rep.resumed += 1
                if status == "accepted":
                    rep.accepted += 1
                else:
                    rep.rejected[self.log.rejected[attempt.id]] += 1
            elif rep.accepted + len(self.pending) < plan.n:
                self.pending.append(attempt)
            else:
                break  # whether it must run depends on the pending outcomes
            self.visited.add(attempt.id)
            self.j += 1
        self.sure = len(self.pending)
        if self.speculate and self.sure and rep.accepted < plan.n:
            rate = max(rep.accepted / rep.attempts, 0.1) if rep.attempts else 0.5
            want = min(limit, math.ceil((plan.n - rep.accepted) / rate))
            while len(self.pending) < want and self.j < plan.max_attempts:
                attempt = plan.attempt(self.j)
                if self.log.status(attempt.id) is not None:
                    break  # recorded: counted by the next fill if it is still needed
                self.pending.append(attempt)
                self.j += 1
        self.done = not self.pending
        return list(self.pending)

    def journal(self, attempt, outcome, stats, model: str) -> None:
        """Write one outcome the moment it is known (a kill then loses only the attempts still waiting); a
        speculative one waits for ``absorb`` to say whether it counts."""
        if not hasattr(outcome, "reason"):
            g = outcome.generation
            g.model, g.calls, g.prompt_tokens, g.completion_tokens = (
                model, stats.calls, stats.prompt_tokens, stats.completion_tokens)
            if g.finish_reason is None:  # a task that chose among candidates set the chosen one's
                g.finish_reason = "length" if stats.hit_max_tokens else "stop"
        if any(a.id == attempt.id for a in self.pending[self.sure:]):
            self.deferred[attempt.id] = (attempt, outcome, stats)
            return
        self.log.append([(attempt, outcome, stats)], model=model)

    def absorb(self, outcomes: list, model: str) -> int:
        """Count the outcomes of the pending attempts (journalled, or speculative ones journalled here while they
        count); returns how many failed in the backend."""
        rep = self.report
        errors = 0
        for k, (outcome, stats) in enumerate(outcomes):
            if k >= self.sure:
                attempt = self.pending[k]
                if rep.accepted >= self.plan.n:  # a run without speculation would not have made it (nor the rest)
                    self.j = attempt.index
                    for a in self.pending[k:]:
                        self.visited.discard(a.id)
                    rep.unused_calls += sum(st.calls for _, st in outcomes[k:])
                    break
                self.log.append([self.deferred.pop(attempt.id, (attempt, outcome, stats))], model=model)
                self.visited.add(attempt.id)
            rep.attempts += 1
            rep.llm_calls += stats.calls
            rep.prompt_tokens += stats.prompt_tokens
            rep.completion_tokens += stats.completion_tokens
            rep.cached_calls += stats.cached
            if hasattr(outcome, "reason"):
                rep.rejected[outcome.reason] += 1
                errors += outcome.reason in RETRYABLE
            else:
                rep.accepted += 1
        self.pending, self.sure = [], 0
        self.deferred.clear()
        return errors

    def finish(self, t0: float) -> TaskReport:
        rep = self.report
        if not rep.stopped:
            capped = rep.accepted < self.plan.n and self.j >= self.plan.max_attempts
            rep.stopped = ("seeds_exhausted" if self.plan.seeds_bound else "max_attempts") if capped else "n"
        rep.other_records = len(self.log.known_ids() - self.visited)
        rep.seconds = time.perf_counter() - t0
        if not rep.complete and not rep.note:
            rep.note = _shortfall(self.plan, rep)
        return rep


def _run_tasks(plans: list[TaskPlan], workdir: Workdir, llm: LLM, corpus: Corpus, config: Config,
               emit: Progress) -> list[TaskReport]:
    """Walk every task's attempts together: each round sends the pending steps of all tasks in one LLM call."""
    gen = config.generate
    t0 = time.perf_counter()
    walkers = [_Walker(plan, TaskLog(workdir, plan.task), gen.speculate) for plan in plans]
    for w in walkers:
        emit(Tick("generate", w.plan.task, done=0, total=w.plan.n, fields={"rejected": 0, "tokens": 0}))
    while True:
        batch = [(w, a) for w in walkers if not w.done for a in w.fill(gen.batch_size)]
        for w in walkers:
            emit(_tick(w.report))
            if w.done and not w.report.seconds:
                w.finish(t0)
        if not batch:
            break
        outcomes = run_jobs([make_job(a, corpus, gen, w.plan.usable_ids) for w, a in batch], llm,
                            on_outcome=lambda k, o, st: batch[k][0].journal(batch[k][1], o, st, llm.name))
        errors = 0
        for w in walkers:
            mine = [o for (owner, _), o in zip(batch, outcomes) if owner is w]
            if mine:
                errors += w.absorb(mine, llm.name)
        if errors == len(batch) and len(batch) >= 4:
            for w in walkers:
                if not w.done:
                    w.report.note = (f"every attempt of the last batch failed in the LLM backend ({llm.name}); fix "
                                     "the backend and run again — those attempts are retried")
                    w.report.stopped = "backend_failed"
                    w.done = True
                    w.finish(t0)
            break
    return [w.report for w in walkers]


def _tick(rep: TaskReport) -> Tick:
    """A task's bar: accepted of wanted, rejects, tokens."""
    return Tick("generate", rep.task, done=min(rep.accepted, rep.requested),
                fields={"rejected": rep.rejected_total, "tokens": rep.prompt_tokens + rep.completion_tokens})


def _shortfall(plan: TaskPlan, report: TaskReport) -> str:
    reason = plan.short_reason()
    if reason:
        return reason
    top = ", ".join(f"{k}: {v}" for k, v in report.rejected.most_common(3))
    retry = sum(v for k, v in report.rejected.items() if k in RETRYABLE)
    again = f"; {retry} backend failures are retried on the next run" if retry else ""
    return (f"{report.attempts} attempts gave {report.accepted}/{report.requested} accepted (rejects: {top}){again}. "
            "Raise [generate] max_attempts_factor, set reuse_chunks = true, or use a stronger model (--llm)")


def _dry_run(plan: TaskPlan, log: TaskLog, corpus: Corpus, config: Config) -> TaskReport:
    """Count what is done, plan the next attempts as if each were accepted, estimate their calls and tokens."""
    from groundset.llm import estimate_tokens

    walker = _Walker(plan, log)
    nxt = walker.fill(max(plan.n, 1))
    later = sum(1 for j in range(walker.j, plan.max_attempts) if log.status(plan.attempt(j).id) is None)
    requests = [r for a in nxt for r in estimate_requests(a, corpus, config.generate, plan.usable_ids)]
    report = walker.report
    report.planned_calls = len(requests)
    report.planned_calls_max = (len(nxt) + later) * calls_per_attempt(plan.task, plan.cfg)
    report.estimated_prompt_tokens, report.estimated_completion_tokens = estimate_tokens(requests)
    if not report.complete and len(nxt) < plan.n - report.accepted:
        report.note = plan.short_reason()
    return report


def _encoder(config: Config, store: Any):
    """Text → vectors with the [embed] model, loaded on first use (only conversation and rag need it)."""
    state: dict[str, Any] = {}

    def encode(texts):
        if "embedder" not in state:
            from groundset.embed import load_embedder

            embedder = load_embedder(config.embed)
            if getattr(store, "dim", None) and store.dim != embedder.dim:
                raise StoreError(
                    f"the store holds {store.dim}-dim vectors but [embed] model {config.embed.model!r} gives "
                    f"{embedder.dim}-dim ones: use the embedding model the corpus was ingested with"
                )
            state["embedder"] = embedder
        return state["embedder"].encode(texts)

    return encode


def generate(config: Config, workdir: Workdir, llm: LLM | None = None, *, dry_run: bool = False,
             progress: Progress | None = None, targets: dict[str, int] | None = None) -> GenerateResult:
    """Generate ``config.generate.tasks`` ({task: n}) from the chunks in the store; resumes from the workdir.

    ``llm`` None loads ``config.llm`` (with the workdir's response cache). ``dry_run`` plans and estimates LLM
    calls and tokens without loading or calling a model. ``targets`` ({task: accepted}): walk each task's plan
    until that many are accepted instead of n (the N-kept loop's rounds; the attempt cap still follows n). Raises
    StoreError when the store holds no chunks. ``progress`` (``groundset.progress``) gets one bar per task.
    """
    from groundset.store import open_store

    t0 = time.perf_counter()
    emit = progress_callback(progress)
    result = GenerateResult(dry_run=dry_run)
    wanted = [t for t, n in config.generate.tasks.items() if n > 0]
    workdir.ensure()
    with open_store(config.store, workdir) as store:
        if wanted and store.count() == 0:
            raise StoreError(
                f"collection {config.store.collection!r} holds no chunks: run `groundset ingest PATH` first "
                "(or point [store] collection / url at the ingested corpus)"
            )
        if wanted and not dry_run and callable(getattr(store, "ready", None)):
            store.ready()  # a Qdrant server: the graph is built and the collection green before we search
        corpus = Corpus(store, encode=_encoder(config, store))
        usable = usable_seeds(corpus.chunks(), config.generate.min_seed_tokens) if wanted else ([], None)
        plans = [TaskPlan(t, config, corpus, usable, (targets or {}).get(t)) for t in wanted]
        if dry_run:
            for plan in plans:
                result.tasks[plan.task] = _dry_run(plan, TaskLog(workdir, plan.task), corpus, config)
        else:
            loaded = None
            if llm is None and plans:
                from groundset.engines import load_stage_llm  # [run] engine: local, or the calls on Ray

                llm = loaded = load_stage_llm(config, workdir, "generate")  # the process's shared engine
            result.model = getattr(llm, "name", "")
            try:
                for report in _run_tasks(plans, workdir, llm, corpus, config, emit):
                    result.tasks[report.task] = report
            finally:
                emit(Finished("generate"))
                if callable(getattr(loaded, "close", None)):
                    loaded.close()  # its cache connection; the engine stays for evaluate
    result.seconds = time.perf_counter() - t0
    if not dry_run:
        write_json_atomic(workdir.generate_summary, result.to_dict())
    return result  # the caller records the stage (groundset.stages.record)
