"""The rag task: question + answer from a gold chunk, and a shuffled context list of gold + hard negatives.

>>> sample.attributes["gold_positions"], [c.chunk_id for c in sample.contexts]        # doctest: +SKIP
([2], ['…distractor…', '…distractor…', '…gold…', '…distractor…'])

Step 1 asks for a question/answer exactly like the qa task (same prompt, same checks). Step 2 retrieves hard
negatives for the *question* from Qdrant: the nearest chunks other than the gold one, skipping chunks nearly
identical to the gold chunk (cosine ≥ ``max_distractor_similarity``) or containing the answer verbatim (those are
positives, not negatives). The list is shuffled with the attempt's seeded RNG; ``attributes`` record the gold
positions, gold and distractor ids and the distractors' retrieval scores.
"""

from __future__ import annotations

import random
import re

import numpy as np

from groundset.generate import qa
from groundset.generate.base import Attempt, Job, new_sample
from groundset.generate.checks import Reject
from groundset.generate.config import RagConfig
from groundset.generate.corpus import Corpus
from groundset.llm.base import ChatRequest
from groundset.generate.task import Task
from groundset.records import Chunk, Sample
from groundset.registry import TASKS

__all__ = ["RagAttributes", "build_requests", "pick_distractors", "assemble", "job"]


class RagAttributes(qa.QAAttributes):
    """rag: where the gold chunk landed in the shuffled contexts, the distractors and their retrieval scores."""

    gold_positions: list[int]
    gold_chunk_ids: list[str]
    distractor_chunk_ids: list[str]
    distractor_scores: list[float]

    def reference_chunk_ids(self) -> list[str] | None:
        return list(self.gold_chunk_ids)

    def distractor_ids(self) -> list[str]:
        return list(self.distractor_chunk_ids)


def build_requests(attempt: Attempt) -> list[ChatRequest]:
    """Same request as the qa task for the gold chunk."""
    return qa.build_requests(attempt)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def pick_distractors(
    gold: Chunk, answer: str, hits: list[tuple[Chunk, float]], gold_sims: np.ndarray, cfg: RagConfig
) -> list[tuple[Chunk, float]]:
    """Hard negatives from retrieval ``hits`` (best first); ``gold_sims[i]`` = cosine(gold, hits[i])."""
    answer_n = _norm(answer)
    out: list[tuple[Chunk, float]] = []
    for (chunk, score), sim in zip(hits, gold_sims):
        if chunk.id == gold.id or sim >= cfg.max_distractor_similarity:
            continue
        if len(answer_n) >= 12 and answer_n in _norm(chunk.text):
            continue
        out.append((chunk, score))
        if len(out) == cfg.distractors:
            break
    return out


def assemble(attempt: Attempt, question: str, answer: str, distractors: list[tuple[Chunk, float]],
             salvaged: bool = False) -> Sample:
    """Shuffle gold + distractors with the attempt's seed and record where the gold chunk landed."""
    gold = attempt.seeds[0]
    items = [(gold, None)] + distractors
    random.Random(attempt.request_seed).shuffle(items)
    contexts = [c for c, _ in items]
    return new_sample(
        attempt,
        contexts,
        salvaged,
        question=question,
        answer=answer,
        attributes={
            "gold_positions": [i for i, c in enumerate(contexts) if c.id == gold.id],
            "gold_chunk_ids": [gold.id],
            "distractor_chunk_ids": [c.id for c, _ in distractors],
            "distractor_scores": [round(s, 4) for _, s in distractors],
        },
    )


def job(attempt: Attempt, corpus: Corpus, cfg: RagConfig, usable: set[str] | None = None) -> Job:
    results = yield build_requests(attempt)
    pair = qa.parse_pair(results[0], attempt)
    if isinstance(pair, Reject):
        return pair
    question, answer, salvaged = pair
    gold = attempt.seeds[0]
    hits = corpus.search_text(question, limit=cfg.distractors * 3 + 2, exclude_ids=[gold.id])
    if hits:
        sims = corpus.vectors([c.id for c, _ in hits]) @ corpus.vectors([gold.id])[0]
    else:
        sims = np.zeros(0)
    distractors = pick_distractors(gold, answer, hits, sims, cfg)
    if not distractors:
        return Reject("no_distractors", results[0].text, f"{len(hits)} retrieved, none usable as a hard negative")
    return assemble(attempt, question, answer, distractors, salvaged)


TASKS.register("rag", Task(config=RagConfig, job=job, estimate=qa.estimate, controls=qa.kind_controls,
                           attributes=RagAttributes, chunks_per_call=lambda cfg: 1 + cfg.distractors,
                           description="question, answer and a shuffled context of the gold chunk + hard negatives"),
               order=50)
