"""What every generator shares: the planned ``Attempt``, the ``Job`` protocol, and request/sample helpers.

A task is a few pure functions — ``build_requests(attempt, …) -> list[ChatRequest]`` and
``parse(results, attempt, …) -> Sample | Reject`` — tied together by a ``job``: a generator that yields the requests
of its next step, receives their results, and returns a ``Sample`` or a ``Reject``. Single-step tasks are
``results = yield build_requests(…); return parse(results, …)``; a conversation yields once per message and retrieves
between steps. The runner drives many jobs in lockstep, so each LLM call carries a whole batch.

>>> def job(attempt):                        # doctest: +SKIP
...     results = yield build_requests(attempt)
...     return parse(results, attempt)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generator

from groundset.generate.checks import Reject
from groundset.generate.prompts import SYSTEM, quote
from groundset.llm.base import ChatRequest, ChatResult
from groundset.records import Chunk, Citation, Generation, Sample

__all__ = ["Attempt", "Job", "request", "chat", "quote_chunks", "new_sample", "Reject"]

Job = Generator[list[ChatRequest], list[ChatResult], "Sample | Reject"]


@dataclass(frozen=True)
class Attempt:
    """One planned try at a sample: attempt ``index`` of ``task``, its seed chunks, sampled controls and params.

    ``id`` is ``Sample.make_id(task, seed ids, params, index)``: the id of the sample (or reject) it produces.
    """

    task: str
    index: int
    seeds: tuple[Chunk, ...]
    controls: dict[str, Any]
    sampling: dict[str, Any]  # temperature, top_p, max_tokens
    id: str
    request_seed: int
    topic: Any = None  # textbook: the Topic
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def seed_ids(self) -> list[str]:
        return [c.id for c in self.seeds]


def chat(user: str, demos: list[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """System prompt, demonstration exchanges (user, assistant), then the real user message."""
    messages = [{"role": "system", "content": SYSTEM}]
    for demo_user, demo_assistant in demos:
        messages.append({"role": "user", "content": demo_user})
        messages.append({"role": "assistant", "content": demo_assistant})
    messages.append({"role": "user", "content": user})
    return messages


def request(attempt: Attempt, messages: list[dict[str, str]], schema: dict[str, Any], group: str | None = None) -> ChatRequest:
    """A ChatRequest with the attempt's sampling parameters and seed."""
    return ChatRequest(
        messages=messages,
        temperature=attempt.sampling["temperature"],
        top_p=attempt.sampling["top_p"],
        max_tokens=attempt.sampling["max_tokens"],
        seed=attempt.request_seed,
        json_schema=schema,
        group=group or (attempt.seeds[0].id if attempt.seeds else None),
    )


def quote_chunks(chunks: list[Chunk] | tuple[Chunk, ...]) -> tuple[str, list[str]]:
    """Chunks as quoted documents labelled C1, C2…; returns (text, labels)."""
    labels = [f"C{i + 1}" for i in range(len(chunks))]
    text = "\n\n".join(quote(lab, c.text, c.title, c.section) for lab, c in zip(labels, chunks))
    return text, labels


def new_sample(attempt: Attempt, contexts: list[Chunk], salvaged: bool = False, **fields: Any) -> Sample:
    """A Sample of ``attempt`` citing ``contexts``; attributes start with the attempt's controls.

    ``salvaged``: an output cut off by max_tokens was kept up to its last complete sentence (recorded).
    """
    attributes = dict(attempt.controls)
    attributes.update(fields.pop("attributes", {}))
    sample = Sample(
        id=attempt.id,
        task=attempt.task,
        contexts=[Citation.of(c) for c in contexts],
        attributes=attributes,
        generation=Generation(
            params=dict(attempt.sampling),
            seed_chunk_ids=attempt.seed_ids,
            attempt=attempt.index,
            request_seed=attempt.request_seed,
            salvaged="truncated" if salvaged else None,
        ),
        **fields,
    )
    sample.attrs()  # the task's attribute model checks what was written (a typo fails here, not at export)
    return sample
