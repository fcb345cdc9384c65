"""The qa task: one standalone question and its answer from one seed chunk, of a sampled kind.

>>> reqs = build_requests(attempt)                 # doctest: +SKIP  (one request: demo exchange + the chunk)
>>> parse([ChatResult(text='{"question": "What does list.append do?", "answer": "It adds an item."}')], attempt)
... # doctest: +SKIP
Sample(task='qa', question='What does list.append do?', answer='It adds an item.', attributes={'kind': …}, …)

Kinds: factual, definition, explanation, procedural, comparison (weights in ``[generate.qa] kinds``). A question
that refers to "the passage", starts with a preamble ("Sure, here are…"), is not a question, or copies the
demonstration is rejected with that reason; so is an answer saying the document does not tell.
"""

from __future__ import annotations

from groundset.generate.base import Attempt, Job, chat, new_sample, quote_chunks, request
from groundset.generate.checks import (
    Reject,
    clean_field,
    off_topic,
    problem_with_question,
    problem_with_text,
    read_object,
)
from groundset.generate.prompts import (
    DEMO_DOCUMENT,
    KIND_INSTRUCTIONS,
    QA_DEMOS,
    dumps,
    is_demo_copy,
    qa_schema,
    quote,
    render,
)
from groundset.generate.config import QAConfig
from groundset.generate.seeds import _rng
from groundset.generate.task import Task
from groundset.llm.base import ChatRequest, ChatResult
from groundset.records import Attributes, Sample
from groundset.registry import TASKS

__all__ = ["QAAttributes", "build_requests", "parse", "parse_pair", "job", "estimate", "kind_controls"]


class QAAttributes(Attributes):
    """qa: the sampled question kind; in answer-first mode also the span and where the answer sits in the chunk."""

    kind: str
    mode: str = "model"  # model | answer_first
    span: str | None = None  # answer_first: the answer span (its sentence is the answer)
    span_kind: str | None = None  # term | identifier | number | entity | definition
    answer_start: int | None = None  # answer == contexts[0].text[answer_start:answer_end]
    answer_end: int | None = None

    def question_kind(self) -> str | None:
        return self.kind


def build_requests(attempt: Attempt) -> list[ChatRequest]:
    """One request: the kind's demonstration on a fixed toy document, then the seed chunk as quoted data."""
    kind = attempt.controls.get("kind", "factual")
    instruction = KIND_INSTRUCTIONS[kind]
    demo_user = render("qa", documents=quote("C1", DEMO_DOCUMENT, title="Rhine"), kind_instruction=instruction)
    documents, _ = quote_chunks(attempt.seeds[:1])
    user = render("qa", documents=documents, kind_instruction=instruction)
    return [request(attempt, chat(user, [(demo_user, dumps(QA_DEMOS[kind]))]), qa_schema())]


def parse_pair(result: ChatResult, attempt: Attempt) -> tuple[str, str, bool] | Reject:
    """(question, answer, salvaged) from one result, or the Reject saying what is wrong."""
    obj = read_object(result, {"question": str, "answer": str}, max_sentences=3)
    if isinstance(obj, Reject):
        return obj
    question, answer = clean_field(obj["question"]), clean_field(obj["answer"])
    reason = problem_with_question(question) or problem_with_text(answer, min_words=2)
    if reason:
        return Reject(reason, result.text, f"question={question!r}")
    source = " ".join(c.text for c in attempt.seeds)
    if is_demo_copy([question, answer], source):
        return Reject("copied_demo", result.text)
    if off_topic([question, answer], source, 2):
        return Reject("off_topic", result.text, f"question={question!r}")
    if question.strip().lower() == answer.strip().lower():
        return Reject("schema_mismatch", result.text, "answer repeats the question")
    return question, answer, bool(obj.get("_salvaged"))


def parse(results: list[ChatResult], attempt: Attempt) -> Sample | Reject:
    """The qa Sample of ``attempt`` from its single result."""
    pair = parse_pair(results[0], attempt)
    if isinstance(pair, Reject):
        return pair
    question, answer, salvaged = pair
    return new_sample(attempt, list(attempt.seeds[:1]), salvaged, question=question, answer=answer)


def _answer_first(cfg) -> bool:
    return getattr(cfg, "mode", "model") == "answer_first"


def job(attempt: Attempt, corpus=None, cfg=None, usable=None) -> Job:
    if _answer_first(cfg):
        from groundset.generate import answer_first

        return (yield from answer_first.job(attempt, corpus, cfg))
    results = yield build_requests(attempt)
    return parse(results, attempt)


def estimate(attempt: Attempt, corpus=None, cfg=None, usable=None) -> list[ChatRequest]:
    """The dry run's requests: the real one."""
    if _answer_first(cfg):
        from groundset.generate import answer_first

        span = answer_first.span_of(attempt)
        return answer_first.build_requests(attempt, span) if span else []
    return build_requests(attempt)


def span_filter(chunk, cfg) -> str | None:
    """Answer-first mode seeds only from chunks holding an answer span."""
    if not _answer_first(cfg):
        return None
    from groundset.generate.spans import find_spans

    return None if find_spans(chunk.text, chunk.title) else "no_span"


def kind_controls(task: str, cfg, seed: int, index: int) -> dict:
    """A question kind drawn by the ``kinds`` weights (qa, rag)."""
    rng = _rng(seed, task, "controls", index)
    kinds = sorted(cfg.kinds)
    return {"kind": rng.choices(kinds, weights=[cfg.kinds[k] for k in kinds])[0]}


TASKS.register("qa", Task(config=QAConfig, job=job, estimate=estimate, controls=kind_controls, attributes=QAAttributes,
                          seed_filter=span_filter,
                          description="a standalone question and its answer from one chunk"), order=10)
