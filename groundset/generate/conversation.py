"""The conversation task: a multi-turn dialogue grounded turn by turn, with controls sampled per conversation.

Each exchange takes two calls: (1) the asker's message — the opening one from the seed chunk, follow-ups from the
transcript alone; (2) a fresh retrieval with that message as the query (the first turn always includes the seed
chunk), then the answerer's reply from the retrieved chunks, citing their labels. A reply citing none of the
retrieved chunks is an ``uncited`` reject; any failed step rejects the conversation (the detail names the turn).

Controls (``attributes``): asker / answerer roles, emotion, structure, scenario, knowledge level — sampled from the
``[generate.conversation]`` lists by the planner. Each assistant ``Turn`` carries the chunk ids it cites;
``attributes["retrieved"]`` lists the chunk ids shown for each turn.
"""

from __future__ import annotations

import re

from groundset.generate.base import Attempt, Job, chat, new_sample, quote_chunks, request
from groundset.generate.checks import (
    Reject,
    clean_field,
    normalise_label,
    off_topic,
    problem_with_question,
    problem_with_text,
    read_object,
)
from groundset.generate.config import ConversationConfig
from groundset.generate.corpus import Corpus
from groundset.generate.prompts import (
    CONVERSATION_DEMO,
    DEMO_DOCUMENT,
    dumps,
    is_demo_copy,
    quote,
    render,
    turn_answer_schema,
    turn_question_schema,
)
from groundset.llm.base import ChatRequest, ChatResult
from groundset.generate.seeds import _rng
from groundset.generate.task import Task
from groundset.records import Attributes, Chunk, Turn
from groundset.registry import TASKS

__all__ = ["ConversationAttributes", "transcript", "question_request", "answer_request", "parse_question", "parse_answer", "retrieve", "job"]



class ConversationAttributes(Attributes):
    """conversation: the sampled controls and the chunk ids shown for each turn."""

    asker: str
    answerer: str
    emotion: str
    structure: str
    scenario: str
    knowledge: str
    retrieved: list[list[str]]


_DEMO_Q1 = CONVERSATION_DEMO["first_question"]["question"]
_DEMO_A1 = CONVERSATION_DEMO["first_answer"]["answer"]


def transcript(turns: list[Turn], controls: dict) -> str:
    """The dialogue so far as ``Asker: …`` / ``Answerer: …`` lines."""
    names = {"user": controls["asker"].capitalize(), "assistant": controls["answerer"].capitalize()}
    return "\n".join(f"{names[t.role]}: {t.content}" for t in turns if t.role in names)


def _quoted(turns: list[Turn], controls: dict) -> str:
    """The transcript as quoted data: earlier turns are model output derived from documents, never instructions."""
    return quote("conversation", transcript(turns, controls))


def question_request(attempt: Attempt, turns: list[Turn]) -> ChatRequest:
    """The asker's next message: from the seed chunk when ``turns`` is empty, else from the transcript."""
    demo_c = CONVERSATION_DEMO["controls"]
    if not turns:
        demo_user = render("turn_question_first", documents=quote("C1", DEMO_DOCUMENT, title="Rhine"), **demo_c)
        demo_out = CONVERSATION_DEMO["first_question"]
        documents, _ = quote_chunks(attempt.seeds[:1])
        user = render("turn_question_first", documents=documents, **attempt.controls)
    else:
        demo_turns = [Turn(role="user", content=_DEMO_Q1), Turn(role="assistant", content=_DEMO_A1)]
        demo_user = render("turn_question_next", transcript=_quoted(demo_turns, demo_c), **demo_c)
        demo_out = CONVERSATION_DEMO["next_question"]
        user = render("turn_question_next", transcript=_quoted(turns, attempt.controls), **attempt.controls)
    return request(attempt, chat(user, [(demo_user, dumps(demo_out))]), turn_question_schema())


def answer_request(attempt: Attempt, turns: list[Turn], chunks: list[Chunk]) -> ChatRequest:
    """The answerer's reply to the last user turn, from the retrieved ``chunks`` (labelled C1…)."""
    demo_c = CONVERSATION_DEMO["controls"]
    demo_turns = [Turn(role="user", content=_DEMO_Q1)]
    demo_user = render(
        "turn_answer", documents=quote("C1", DEMO_DOCUMENT, title="Rhine"), labels="C1",
        transcript=_quoted(demo_turns, demo_c), **demo_c,
    )
    documents, labels = quote_chunks(chunks)
    user = render(
        "turn_answer", documents=documents, labels=", ".join(labels), transcript=_quoted(turns, attempt.controls),
        **attempt.controls,
    )
    messages = chat(user, [(demo_user, dumps(CONVERSATION_DEMO["first_answer"]))])
    return request(attempt, messages, turn_answer_schema(labels))


def parse_question(result: ChatResult, attempt: Attempt, context_text: str, first: bool = True) -> str | Reject:
    """The asker's message; the opening one must be about the seed chunk (a follow-up may move on: it gets a
    fresh retrieval, and the reply must then be on the retrieved chunks)."""
    obj = read_object(result, {"question": str}, max_sentences=2)
    if isinstance(obj, Reject):
        return obj
    question = clean_field(obj["question"], (attempt.controls["asker"], attempt.controls["answerer"]))
    reason = problem_with_question(question, require_mark=False, strict=False)
    if reason:
        return Reject(reason, result.text, f"question={question!r}")
    if is_demo_copy(question, context_text):
        return Reject("copied_demo", result.text)
    if first and off_topic([question], context_text, 1):
        return Reject("off_topic", result.text, f"question={question!r}")
    return question


def parse_answer(result: ChatResult, attempt: Attempt, chunks: list[Chunk]) -> tuple[str, list[str]] | Reject:
    """(reply, cited chunk ids) — the reply must cite at least one of the retrieved chunks."""
    obj = read_object(result, {"answer": str, "cited": list})
    if isinstance(obj, Reject):
        return obj
    answer = clean_field(obj["answer"], (attempt.controls["asker"], attempt.controls["answerer"]))
    reason = problem_with_text(answer, min_words=3)
    if reason:
        return Reject(reason, result.text)
    source = " ".join(c.text for c in chunks)
    if is_demo_copy(answer, source):
        return Reject("copied_demo", result.text)
    if off_topic([answer], source, 1):
        return Reject("off_topic", result.text)
    by_label = {f"C{i + 1}": c.id for i, c in enumerate(chunks)}
    labels = [normalise_label(x) for x in [*obj["cited"], *re.findall(r"\[\s*(C\d+)\s*\]", answer, re.I)]]
    cited = list(dict.fromkeys(by_label[x] for x in labels if x in by_label))
    if not cited:
        return Reject("uncited", result.text, f"cited {obj['cited']} of {list(by_label)}")
    answer = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s*\[\s*C\d+\s*\]", "", answer, flags=re.I)).strip()
    return answer, cited


def retrieve(question: str, turn: int, seed: Chunk, corpus: Corpus, cfg: ConversationConfig) -> list[Chunk]:
    """Chunks shown for a turn: a fresh search with the question (the first turn keeps the seed chunk first)."""
    if turn == 0:
        hits = corpus.search_text(question, limit=cfg.context_chunks - 1, exclude_ids=[seed.id]) if cfg.context_chunks > 1 else []
        return [seed, *(c for c, _ in hits)]
    return [c for c, _ in corpus.search_text(question, limit=cfg.context_chunks)]


def job(attempt: Attempt, corpus: Corpus, cfg: ConversationConfig, usable: set[str] | None = None) -> Job:
    seed = attempt.seeds[0]
    turns: list[Turn] = []
    shown: dict[str, Chunk] = {}
    retrieved: list[list[str]] = []
    for t in range(cfg.turns):
        results = yield [question_request(attempt, turns)]
        question = parse_question(results[0], attempt, seed.text + " " + " ".join(x.content for x in turns), t == 0)
        if isinstance(question, Reject):
            return Reject(question.reason, question.raw, f"turn {t + 1} question: {question.detail}".strip())
        turns.append(Turn(role="user", content=question))
        chunks = retrieve(question, t, seed, corpus, cfg)
        retrieved.append([c.id for c in chunks])
        results = yield [answer_request(attempt, turns, chunks)]
        reply = parse_answer(results[0], attempt, chunks)
        if isinstance(reply, Reject):
            return Reject(reply.reason, reply.raw, f"turn {t + 1} answer: {reply.detail}".strip())
        answer, cited = reply
        turns.append(Turn(role="assistant", content=answer, chunk_ids=cited))
        for c in chunks:
            shown.setdefault(c.id, c)
    return new_sample(attempt, list(shown.values()), turns=turns, attributes={"retrieved": retrieved})


def estimate(attempt: Attempt, corpus: Corpus, cfg: ConversationConfig, usable: set[str] | None = None) -> list[ChatRequest]:
    """Representative requests for a dry run: later turns use filler messages of typical length (no LLM call)."""
    requests, turns = [], []
    question, answer = "word " * 20, "word " * 60
    for _ in range(cfg.turns):
        requests.append(question_request(attempt, turns))
        turns.append(Turn(role="user", content=question))
        requests.append(answer_request(attempt, turns, list(attempt.seeds[:1]) * cfg.context_chunks))
        turns.append(Turn(role="assistant", content=answer))
    return requests


def controls(task: str, cfg: ConversationConfig, seed: int, index: int) -> dict:
    """Roles, emotion, structure, scenario and knowledge level of conversation ``index``."""
    rng = _rng(seed, task, "controls", index)
    asker, answerer = rng.choice(cfg.roles)
    return {
        "asker": asker,
        "answerer": answerer,
        "emotion": rng.choice(cfg.emotions),
        "structure": rng.choice(cfg.structures),
        "scenario": rng.choice(cfg.scenarios),
        "knowledge": rng.choice(cfg.knowledge_levels),
    }


TASKS.register("conversation", Task(config=ConversationConfig, job=job, estimate=estimate, shape="conversation", attributes=ConversationAttributes,
                                    controls=controls, calls_per_attempt=lambda cfg: 2 * cfg.turns,
                                    chunks_per_call=lambda cfg: cfg.context_chunks,
                                    description="a multi-turn dialogue, retrieval at every turn"), order=30)
