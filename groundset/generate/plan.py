"""The deterministic sequence of attempts of one task: which seed, which controls, which id.

>>> plan = TaskPlan("qa", config, corpus)          # doctest: +SKIP
>>> plan.attempt(0).id == TaskPlan("qa", config, corpus).attempt(0).id      # doctest: +SKIP
True

Attempt ``j`` takes the ``j``-th unit of the task's seed order (chunks in ``diverse_order``; textbook: topics in
``topic_order``) and controls drawn from an RNG seeded by (seed, task, j): question kind by weight (qa, rag),
roles / emotion / structure / scenario / knowledge (conversation), an (audience, format) cell of a seeded grid order
(textbook). Its id is ``Sample.make_id(task, seed chunk ids, params, j)`` where params hold the LLM spec, the seed,
the task's config section and the controls — not ``n``, so asking for more samples later extends the same plan.

Every usable unit is used once before any is used again; with ``reuse_chunks = false`` (default) the plan ends
there. Attempts are capped at ``ceil(n × max_attempts_factor) + 2`` (or ``max_attempts`` when set).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

from groundset.generate.base import Attempt
from groundset.generate.corpus import Corpus
from groundset.generate.seeds import _rng, diverse_order, usable_seeds
from groundset.generate.topics import Topic, build_topics, topic_order
from groundset.records import Chunk, Sample, content_hash

__all__ = ["TaskPlan", "calls_per_attempt"]


def calls_per_attempt(task: str, cfg: Any) -> int:
    """LLM calls one attempt makes when every step succeeds."""
    return 2 * cfg.turns if task == "conversation" else 1


class TaskPlan:
    """Attempts of ``task`` for ``config`` over ``corpus``; ``units`` is the seed order, ``skipped`` the unusable."""

    def __init__(self, task: str, config: Any, corpus: Corpus, usable: tuple[list[Chunk], Counter] | None = None,
                 n: int | None = None):
        gen = config.generate
        self.task = task
        self.cfg = gen.task(task)
        want = gen.tasks.get(task, 0)  # the attempt cap follows the config's n ...
        self.n = want if n is None else n  # ... the walk stops at ``n`` accepted (a round of the N-kept loop asks more)
        self.seed = gen.seed
        self.corpus = corpus
        chunks, self.skipped = usable if usable is not None else usable_seeds(corpus.chunks(), gen.min_seed_tokens)
        if task == "backtranslate":  # only chunks holding a stand-alone prose passage can seed it
            from groundset.generate.passages import pick_passage

            kept = [c for c in chunks if pick_passage(c.text, self.cfg.min_words, self.cfg.max_words,
                                                      self.cfg.max_sentences) is not None]
            self.skipped = self.skipped + Counter(no_passage=len(chunks) - len(kept))
            chunks = kept
        elif task == "qa" and getattr(self.cfg, "mode", "model") == "answer_first":  # chunks holding an answer span
            from groundset.generate.spans import find_spans

            kept = [c for c in chunks if find_spans(c.text, c.title)]
            self.skipped = self.skipped + Counter(no_span=len(chunks) - len(kept))
            chunks = kept
        self.usable_ids = {c.id for c in chunks}
        self.units: list[Chunk] | list[Topic]
        if task == "textbook":
            self.units = topic_order(build_topics(chunks, self.cfg.chunks_per_topic), gen.seed)
            grid = list(itertools.product(self.cfg.audiences, self.cfg.formats))
            _rng(gen.seed, task, "grid").shuffle(grid)
            self.grid = grid
        else:
            vectors = corpus.vectors([c.id for c in chunks]) if chunks else None
            self.units = diverse_order(chunks, vectors, gen.seed, task)
        cap = math.ceil(want * gen.max_attempts_factor) + 2 if want else 0
        if gen.max_attempts is not None:
            cap = min(cap, gen.max_attempts)
        self.max_attempts = cap if gen.reuse_chunks else min(cap, len(self.units))
        self.reuse = gen.reuse_chunks
        self.base_params = {"llm": config.llm.spec, "seed": gen.seed, "config": self.cfg.model_dump(mode="json")}

    def _controls(self, j: int) -> dict[str, Any]:
        rng = _rng(self.seed, self.task, "controls", j)
        cfg = self.cfg
        if self.task in ("qa", "rag"):
            kinds = sorted(cfg.kinds)
            return {"kind": rng.choices(kinds, weights=[cfg.kinds[k] for k in kinds])[0]}
        if self.task == "backtranslate":
            styles = sorted(cfg.styles)
            return {"style": rng.choices(styles, weights=[cfg.styles[k] for k in styles])[0]}
        if self.task == "conversation":
            asker, answerer = rng.choice(cfg.roles)
            return {
                "asker": asker,
                "answerer": answerer,
                "emotion": rng.choice(cfg.emotions),
                "structure": rng.choice(cfg.structures),
                "scenario": rng.choice(cfg.scenarios),
                "knowledge": rng.choice(cfg.knowledge_levels),
            }
        if self.task == "textbook":
            audience, fmt = self.grid[j % len(self.grid)]
            return {"audience": audience, "format": fmt}
        return {}

    def attempt(self, j: int) -> Attempt:
        """Attempt ``j`` (0 ≤ j < max_attempts)."""
        unit = self.units[j % len(self.units)]
        topic = unit if isinstance(unit, Topic) else None
        seeds = tuple(self.corpus.get(i) for i in topic.chunk_ids) if topic else (unit,)
        controls = self._controls(j)
        if topic is not None:
            controls = {"topic": topic.label, **controls}
        params = {**self.base_params, "controls": controls}
        sid = Sample.make_id(self.task, [c.id for c in seeds], params, j)
        return Attempt(
            task=self.task,
            index=j,
            seeds=seeds,
            controls=controls,
            sampling=self.cfg.sampling(),
            id=sid,
            request_seed=int(content_hash(sid)[:8], 16),
            topic=topic,
            params=params,
        )

    @property
    def seeds_bound(self) -> bool:
        """True when the attempt cap is the number of seed units (no reuse), not the attempts budget."""
        return not self.reuse and self.max_attempts == len(self.units)

    def short_reason(self) -> str:
        """Why the plan cannot reach ``n`` on its own (empty when it may)."""
        what = "topics" if self.task == "textbook" else "usable seed chunks"
        if not self.units:
            skipped = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items())) or "none stored"
            return f"no {what} (skipped {skipped}); ingest more documents or lower [generate] min_seed_tokens"
        if not self.reuse and len(self.units) < math.ceil(self.n * 1.0):
            return (f"only {len(self.units)} {what} for n={self.n}; set [generate] reuse_chunks = true "
                    "to seed from the same chunks again")
        return ""
