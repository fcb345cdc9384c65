"""The gate's steps, in order: sanity, decontamination, round trip, grounding judge (+ trim), rating, dedup.

Each step sees only the samples that passed the steps before it (no judge or LLM call is spent on a sample already
rejected), as in datatrove: a ``Filter`` answers per sample with ``check(sample)`` → None (keep) or a reason (or
several); a ``BatchFilter`` answers a batch at a time (``[evaluate] batch_size``) with one outcome per sample; a
plain ``Step`` (round trip, dedup) works on the whole list. The runner (``evaluate_samples``) times each step, appends
the reasons, counts what each step rejected (``info["steps"]``) and marks the rest kept.

>>> class NoDigits(Filter):                                        # doctest: +SKIP
...     name = "no_digits"
...     def check(self, s):
...         return "has_digits" if any(ch.isdigit() for ch in s.answer or "") else None
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from groundset.config import Config
from groundset.evaluate import sanity
from groundset.evaluate.judges import JudgeInput, load_judge
from groundset.evaluate.trim import still_answers, trailing_cut, trim_text
from groundset.records import Sample

__all__ = ["StepContext", "Step", "Filter", "BatchFilter", "STEPS", "run_steps"]

@dataclass
class StepContext:
    """What every step of one evaluate call may use; ``info`` collects counters and timings for the summary."""

    config: Config
    llm: Any = None
    embedder: Any = None
    workdir: Any = None
    retrieve: Any = None
    tick: Callable[[str, int, int], None] = lambda step, done, total: None
    info: dict[str, Any] = field(default_factory=lambda: {"seconds": {}, "judge_errors": 0, "rating_errors": 0})
    judge: Any = None  # the loaded judge, once its step ran (dedup reuses its embedder)

    @property
    def cfg(self) -> Any:
        return self.config.evaluate


class Step:
    """One step over the samples still without a reason. ``name`` keys its seconds; built once per evaluate call."""

    name = ""

    def __init__(self, ctx: StepContext):
        self.ctx = ctx

    def enabled(self) -> bool:
        return True

    def run(self, todo: list[Sample]) -> None:
        raise NotImplementedError


def _reject(s: Sample, outcome: Any) -> None:
    if outcome:
        s.evaluation.reasons.extend([outcome] if isinstance(outcome, str) else outcome)


class Filter(Step):
    """A per-sample step: ``check(sample)`` returns None (keep) or a reason, or a list of reasons."""

    def check(self, s: Sample) -> Any:
        raise NotImplementedError

    def run(self, todo: list[Sample]) -> None:
        for s in todo:
            _reject(s, self.check(s))


def _batches(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class BatchFilter(Step):
    """A step that answers ``[evaluate] batch_size`` samples at a time: ``check_batch`` gives one outcome per
    sample (None or reasons); progress is ticked under the step's name."""

    def check_batch(self, batch: list[Sample]) -> list[Any]:
        raise NotImplementedError

    def batch_size(self) -> int:
        return self.ctx.cfg.batch_size

    def run(self, todo: list[Sample]) -> None:
        done = 0
        for batch in _batches(todo, self.batch_size()):
            for s, outcome in zip(batch, self.check_batch(batch)):
                _reject(s, outcome)
            done += len(batch)
            self.ctx.tick(self.name, done, len(todo))


class Sanity(Filter):
    """Cheap rules per task (``evaluate/sanity.py``): empty, truncated, copied, refusal, …"""

    name = "sanity"

    def enabled(self) -> bool:
        return self.ctx.cfg.sanity

    def check(self, s: Sample) -> list[str]:
        return sanity.check(s, self.ctx.cfg.copy_ratio)


class Decontaminate(Filter):
    """``contaminated``: an n-gram of a benchmark (``[evaluate] decontaminate``) appears in the sample."""

    name = "decontaminate"

    def enabled(self) -> bool:
        return bool(self.ctx.cfg.decontaminate)

    def run(self, todo: list[Sample]) -> None:
        from groundset.evaluate.decontam import Decontaminator

        cfg = self.ctx.cfg
        self.deco = Decontaminator.from_paths(cfg.decontaminate, cfg.decontam_ngram, cfg.decontam_min_words)
        self.ctx.info["decontam_strings"] = self.deco.count
        super().run(todo)

    def check(self, s: Sample) -> str | None:
        hit = self.deco.check([s.question or "", *(t.content for t in s.turns or []), s.answer or "", s.passage or ""])
        if not hit:
            return None
        s.evaluation.details["contamination"] = {"benchmark": hit[0], "overlap": hit[1]}
        return "contaminated"


class Roundtrip(Step):
    """``round_trip``: the question does not lead back to its source chunks (``evaluate/roundtrip.py``)."""

    name = "roundtrip"

    def enabled(self) -> bool:
        return bool(self.ctx.cfg.roundtrip_k) and self.ctx.retrieve is not None

    def run(self, todo: list[Sample]) -> None:
        from groundset.evaluate import roundtrip

        k = self.ctx.cfg.roundtrip_k
        self.ctx.info["roundtrip"] = {"k": k, **roundtrip.apply(todo, self.ctx.retrieve, k)}


class Judge(BatchFilter):
    """The grounding judge: ``unsupported`` below its threshold (after trying to trim the unsupported tail),
    ``judge_error`` when it failed and ``[evaluate] on_judge_error = "reject"``."""

    name = "judge"

    def run(self, todo: list[Sample]) -> None:
        ctx, cfg = self.ctx, self.ctx.cfg
        verbatim = [s for s in todo if _verbatim(s)]
        for s in verbatim:  # the answer is the corpus's own text: nothing for a judge to doubt (the question is
            s.evaluation.scores["adherence"] = 1.0  # checked by sanity and the round trip)
            s.evaluation.details["judge"] = "verbatim"
        ctx.info["verbatim"] = len(verbatim)
        todo = [s for s in todo if not _verbatim(s)]
        ctx.judge = load_judge(cfg, embed_cfg=ctx.config.embed, llm=ctx.llm, llm_cfg=ctx.config.llm,
                               embedder=ctx.embedder, workdir=ctx.workdir)
        from groundset.engines import stage_judge  # [run] engine = "ray": scored in Ray tasks, same verdicts

        ctx.judge = stage_judge(ctx.config, ctx.judge, {"cfg": cfg, "embed_cfg": ctx.config.embed,
                                                        "llm_cfg": ctx.config.llm, "workdir": ctx.workdir})
        ctx.info["judge"] = ctx.judge.describe()
        try:
            super().run(todo)
        finally:
            if callable(getattr(ctx.judge, "close", None)):  # the ragas judge's event loop
                ctx.judge.close()
        ctx.info["judge"] = ctx.judge.describe()
        if cfg._auto_reason:
            ctx.info["judge"]["chosen_by"] = f"auto: {cfg._auto_reason}"
        ctx.info["judged"] = len(todo)

    def batch_size(self) -> int:  # a Ray judge takes thousands at a time (one Dataset each)
        return getattr(self.ctx.judge, "score_batch", None) or self.ctx.cfg.batch_size

    def check_batch(self, batch: list[Sample]) -> list[str | None]:
        judge, cfg = self.ctx.judge, self.ctx.cfg
        out: list[str | None] = []
        for s, v in zip(batch, judge.score([_judge_input(s) for s in batch])):
            reason = _apply_verdict(s, v, judge, cfg)
            if reason == "judge_error":
                self.ctx.info["judge_errors"] += 1
                reason = reason if cfg.on_judge_error == "reject" else None
            out.append(reason)
        return out


class Rating(BatchFilter):
    """``low_rating``: the LLM's 1–5 quality rating is below ``[evaluate] min_rating``; a failed rating is kept."""

    name = "rating"

    def enabled(self) -> bool:
        return self.ctx.cfg.rating

    def check_batch(self, batch: list[Sample]) -> list[str | None]:
        from groundset.evaluate.rating import rate

        cfg, out = self.ctx.cfg, []
        for s, (score, why) in zip(batch, rate(batch, self.ctx.llm, cfg.rating_max_tokens)):
            if score is None:
                s.evaluation.details["rating_error"] = why
                self.ctx.info["rating_errors"] += 1
                out.append(None)
                continue
            s.evaluation.scores["rating"] = score
            s.evaluation.details["rating_reasoning"] = why
            out.append("low_rating" if score < cfg.min_rating else None)
        return out


class Dedup(Step):
    """Near duplicates among the samples that passed (MinHash, then embeddings): the best-scoring one is kept."""

    name = "dedup"

    def enabled(self) -> bool:
        return self.ctx.cfg.dedup

    def run(self, todo: list[Sample]) -> None:
        from groundset.evaluate.dedup import find_duplicates

        ctx, cfg = self.ctx, self.ctx.cfg
        embedder = None
        if cfg.dedup_embedding_threshold is not None:
            embedder = ctx.embedder if ctx.embedder is not None else getattr(ctx.judge, "embedder", None)
            if embedder is None:
                from groundset.embed import load_embedder

                embedder = load_embedder(ctx.config.embed)
        dups = find_duplicates(
            todo, key=lambda s: (s.evaluation.scores.get("adherence", 0.0), s.evaluation.scores.get("rating", 0)),
            embedder=embedder, minhash_threshold=cfg.dedup_minhash_threshold, num_perm=cfg.dedup_num_perm,
            embedding_threshold=cfg.dedup_embedding_threshold,
        )
        for i, (why, best, sim) in dups.items():
            todo[i].evaluation.reasons.append(why)
            todo[i].evaluation.details["duplicate_of"] = todo[best].id
            todo[i].evaluation.details["duplicate_similarity"] = sim


STEPS: list[type[Step]] = [Sanity, Decontaminate, Roundtrip, Judge, Rating, Dedup]


def run_steps(samples: list[Sample], ctx: StepContext, steps: Sequence[type[Step]] = STEPS) -> dict[str, Any]:
    """Run ``steps`` in order over ``samples`` (in place); returns ``ctx.info`` with ``seconds`` and ``steps``
    ({name: {"in": samples it saw, "rejected": how many it gave a reason}}) per step."""
    import time

    info = ctx.info
    info.setdefault("steps", {})
    for cls in steps:
        step = cls(ctx)
        t = time.perf_counter()
        if step.enabled():
            todo = [s for s in samples if not s.evaluation.reasons]
            step.run(todo)
            info["steps"][step.name] = {"in": len(todo), "rejected": sum(1 for s in todo if s.evaluation.reasons)}
        info["seconds"][step.name] = time.perf_counter() - t
    for s in samples:
        s.evaluation.kept = not s.evaluation.reasons
    return info


# --- the judge's verdict on a sample -------------------------------------------------------------------------------
def _verbatim(s: Sample) -> bool:
    """An answer taken verbatim from the cited chunks (``answer_origin == "corpus"``, checked, not trusted): the
    answer, or each of its blank-line separated paragraphs (multihop bridge: one passage per chunk), occurs in one."""
    if s.answer_origin != "corpus" or not s.answer or not s.contexts:
        return False
    if s.answer in s.contexts[0].text:
        return True
    parts = [p for p in s.answer.split("\n\n") if p.strip()]
    return len(parts) > 1 and all(any(p in c.text for c in s.contexts) for p in parts)


def _judge_input(s: Sample) -> JudgeInput:
    extra = [c.title for c in s.contexts if c.title] + [" ".join(c.section) for c in s.contexts if c.section]
    return JudgeInput(texts=s.claims_text(), contexts=[c.text for c in s.contexts], question=s.question,
                      extra_evidence=extra)


def _apply_verdict(s: Sample, v: Any, judge: Any, cfg: Any) -> str | None:
    """Record the verdict on ``s``; return its reject reason (``judge_error`` counts a failed judge), or None."""
    ev = s.evaluation
    ev.details["judge"] = judge.name
    if v.error:
        ev.details["judge_error"] = v.error
        return "judge_error"
    ev.details["claims"] = [c.as_dict() for c in v.claims]
    if v.decision:
        ev.details["decision"] = v.decision
    if v.skipped:
        ev.details["not_checked"] = v.skipped
    if v.adherence is None:
        ev.details["claims_checked"] = 0
        return None
    ev.scores["adherence"] = round(v.adherence, 4)
    unsupported = v.unsupported(judge.threshold)
    ev.unsupported = unsupported
    if v.adherence >= judge.threshold:
        return None
    if cfg.trim and _trim(s, v, judge.threshold, cfg.trim_min_keep):
        return None
    return "unsupported"


def _trim(s: Sample, v: Any, threshold: float, min_keep: float) -> bool:
    """Remove the trailing unsupported sentences of an answer / passage when the supported beginning passes alone
    and still answers the question (``trim.trailing_cut``, ``trim.still_answers``)."""
    field_name = "answer" if s.answer is not None and s.turns is None else "passage" if s.passage is not None else None
    k = trailing_cut([c.support for c in v.claims], threshold, v.prefix_adherence, min_keep)
    if field_name is None or k is None:
        return False
    kept, removed = v.claims[:k], v.claims[k:]
    if not still_answers(s.question, [c.text for c in kept], [c.text for c in removed]):
        return False
    original = getattr(s, field_name)
    trimmed = trim_text(original, [c.text for c in removed])
    if not trimmed:
        return False
    setattr(s, field_name, trimmed)
    ev = s.evaluation
    ev.details.update({f"original_{field_name}": original, "original_adherence": ev.scores["adherence"],
                       "trimmed": [c.text for c in removed],
                       "trim": {"reason": "trimmed", "removed": [c.as_dict() for c in removed], "kept_sentences": k}})
    ev.scores["adherence"] = round(v.prefix_adherence[k - 1] if v.prefix_adherence else min(c.support for c in kept), 4)
    ev.unsupported = []
    return True
