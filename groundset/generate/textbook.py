"""The textbook task: a passage on a topic of the corpus, for one audience in one format, grounded on its chunks.

The planner gives each attempt a ``Topic`` (see ``topics.py``) and an (audience, format) cell of the grid. The
passage is grounded on the topic's own chunks, topped up with the nearest chunks to the topic's centroid when the
topic has fewer than ``context_chunks``. The demonstration matches the requested format (a generic one for formats
you add yourself). ``question`` holds the instruction that produced the passage; ``attributes`` hold the topic,
its path, title, audience and format.
"""

from __future__ import annotations

import itertools

import numpy as np

from groundset.generate.base import Attempt, Job, chat, new_sample, quote_chunks, request
from groundset.generate.checks import Reject, clean_field, off_topic, problem_with_text, read_object
from groundset.generate.config import TextbookConfig
from groundset.generate.corpus import Corpus
from groundset.generate.prompts import (
    DEMO_DOCUMENT,
    FORMAT_GUIDANCE,
    article,
    TEXTBOOK_DEMOS,
    dumps,
    is_demo_copy,
    quote,
    render,
    textbook_schema,
)
from groundset.llm.base import ChatRequest, ChatResult
from groundset.generate.seeds import _rng
from groundset.generate.task import Task
from groundset.generate.topics import Topic, build_topics, topic_order
from groundset.records import Attributes, Chunk, Sample
from groundset.registry import TASKS

__all__ = ["TextbookAttributes", "ground_chunks", "build_requests", "parse", "instruction", "job"]


class TextbookAttributes(Attributes):
    """textbook: the topic (label and heading path), the grid cell and the passage's own title."""

    topic: str
    topic_path: list[str]
    audience: str
    format: str
    title: str


def ground_chunks(attempt: Attempt, corpus: Corpus, cfg: TextbookConfig) -> list[Chunk]:
    """The topic's chunks (up to ``context_chunks``), topped up with neighbours of their centroid."""
    chunks = list(attempt.seeds[: cfg.context_chunks])
    if len(chunks) < cfg.context_chunks and chunks:
        centroid = corpus.vectors([c.id for c in chunks]).mean(axis=0)
        centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
        have = {c.id for c in chunks}
        for chunk, score in corpus.similar(centroid, cfg.context_chunks * 3, exclude_ids=list(have)):
            if score >= 0.95 or chunk.id in have:
                continue
            chunks.append(chunk)
            have.add(chunk.id)
            if len(chunks) == cfg.context_chunks:
                break
    return chunks


def instruction(attempt: Attempt) -> str:
    c = attempt.controls
    return f"Write {article(c['format'])} about {c['topic']} for {article(c['audience'])}."


def build_requests(attempt: Attempt, chunks: list[Chunk]) -> list[ChatRequest]:
    """One request: a demonstration in the same format on a toy document, then the grounding chunks."""
    c = attempt.controls
    fmt = c["format"].lower()
    guidance = FORMAT_GUIDANCE.get(fmt, f"a {c['format']}")
    demo = TEXTBOOK_DEMOS.get(fmt, TEXTBOOK_DEMOS["textbook section"])
    demo_user = render(
        "textbook", documents=quote("C1", DEMO_DOCUMENT, title="Rhine"), format_guidance=guidance,
        topic=quote("topic", "The Rhine river"), audience=c["audience"], format=c["format"],
    )
    documents, _ = quote_chunks(chunks)
    user = render(
        "textbook", documents=documents, format_guidance=guidance, topic=quote("topic", c["topic"]),
        audience=c["audience"],
        format=c["format"],
    )
    return [request(attempt, chat(user, [(demo_user, dumps(demo))]), textbook_schema())]


def parse(results: list[ChatResult], attempt: Attempt, chunks: list[Chunk], cfg: TextbookConfig) -> Sample | Reject:
    result = results[0]
    obj = read_object(result, {"title": str, "passage": str}, max_sentences=None)
    if isinstance(obj, Reject):
        return obj
    title, passage = clean_field(obj["title"]), obj["passage"].strip()
    reason = problem_with_text(passage, min_words=cfg.min_words) or problem_with_text(title)
    if reason:
        return Reject(reason, result.text, f"{len(passage.split())} words")
    source = " ".join(c.text for c in chunks)
    if is_demo_copy([title, passage], source):
        return Reject("copied_demo", result.text)
    if off_topic([title, passage], source, 5):
        return Reject("off_topic", result.text)
    return new_sample(
        attempt,
        chunks,
        bool(obj.get("_salvaged")),
        question=instruction(attempt),
        passage=passage,
        attributes={"title": title, "topic_path": list(attempt.topic.path) if attempt.topic else []},
    )


def job(attempt: Attempt, corpus: Corpus, cfg: TextbookConfig, usable: set[str] | None = None) -> Job:
    chunks = ground_chunks(attempt, corpus, cfg)
    results = yield build_requests(attempt, chunks)
    return parse(results, attempt, chunks, cfg)


def estimate(attempt: Attempt, corpus: Corpus, cfg: TextbookConfig, usable: set[str] | None = None) -> list[ChatRequest]:
    """The dry run's requests: the real one."""
    return build_requests(attempt, ground_chunks(attempt, corpus, cfg))


def units(task: str, chunks: list[Chunk], corpus: Corpus, cfg: TextbookConfig, seed: int) -> list[Topic]:
    """The seed order of textbook: topics (titles + headings, split into subtopics), not chunks."""
    return topic_order(build_topics(chunks, cfg.chunks_per_topic), seed)


def controls(task: str, cfg: TextbookConfig, seed: int, index: int) -> dict:
    """The (audience, format) cell of a seeded order of the grid, cycling."""
    grid = list(itertools.product(cfg.audiences, cfg.formats))
    _rng(seed, task, "grid").shuffle(grid)
    audience, fmt = grid[index % len(grid)]
    return {"audience": audience, "format": fmt}


TASKS.register("textbook", Task(config=TextbookConfig, job=job, estimate=estimate, shape="passage", attributes=TextbookAttributes,
                                controls=controls, units=units, unit_name="topics",
                                chunks_per_call=lambda cfg: cfg.context_chunks,
                                description="a passage on a topic of the corpus for an audience, in a format"),
               order=40)
