"""The record types that flow through the stages.

```
files ──ingest──▶ Document ──chunk──▶ Chunk ──store──▶ Qdrant ──generate──▶ Sample ──evaluate──▶ Sample (+evaluation)
```

All records are pydantic models, serialised one per line as JSON (``record.model_dump_json()``) and read back with
``Sample.model_validate_json(line)``. Ids are content hashes, so the same input always gives the same id:

>>> Chunk.make_id("docs/a.html", "Python is a language.") == Chunk.make_id("docs/a.html", "Python is a language.")
True
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from groundset.registry import Registered

__all__ = [
    "Block",
    "Document",
    "Chunk",
    "Citation",
    "Turn",
    "Attributes",
    "Generation",
    "Evaluation",
    "Sample",
    "content_hash",
    "stable_uuid",
]

def content_hash(*parts: Any) -> str:
    """sha256 hex digest of the parts (strings as-is, anything else as canonical JSON)."""
    h = hashlib.sha256()
    for part in parts:
        text = part if isinstance(part, str) else json.dumps(part, sort_keys=True, ensure_ascii=False)
        h.update(text.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def stable_uuid(*parts: Any) -> str:
    """A UUID string derived from a content hash: usable as a Qdrant point id."""
    return str(uuid.UUID(content_hash(*parts)[:32]))


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Block(_Record):
    """One structural piece of a document: a paragraph, list, table or code block, with where it sits."""

    text: str
    section: list[str] = Field(default_factory=list)  # heading path, outermost first
    page: int | None = None
    kind: str = "text"  # text | title | list | table | code


class Document(_Record):
    """A source document after partitioning and cleaning.

    ``id`` is the content hash of source + text: a changed file gets a new id, an unchanged one keeps it.
    """

    id: str
    source: str  # path or URL as given by the user (Wikipedia: dump path + '#' + page title)
    title: str
    blocks: list[Block]
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)

    @classmethod
    def make(cls, source: str, title: str, blocks: list[Block], **metadata: Any) -> "Document":
        text = "\n\n".join(b.text for b in blocks)
        return cls(id=content_hash(source, text), source=source, title=title, blocks=blocks, metadata=metadata)


class Chunk(_Record):
    """A retrievable piece of a document. ``id`` is also its Qdrant point id (a UUID string)."""

    id: str
    document_id: str
    source: str
    title: str
    text: str
    section: list[str] = Field(default_factory=list)
    page: int | None = None
    index: int  # position within the document
    n_tokens: int  # in the embedding model's own tokenizer

    @staticmethod
    def make_id(source: str, text: str) -> str:
        """Point id from the document source and the chunk text: unchanged chunks keep their id on re-ingest."""
        return stable_uuid(source, text)


class Citation(_Record):
    """A chunk a sample was generated from (or retrieved for it), carried with its text and where it sits: the
    document's section path, the PDF page it starts on (None when the format has no pages) and its position in the
    document, so that a reviewer can be pointed to "page 37"."""

    chunk_id: str
    document_id: str
    source: str
    title: str = ""
    section: list[str] = Field(default_factory=list)
    page: int | None = None  # of the chunk's first block, when the document has pages (PDF)
    index: int | None = None  # Chunk.index: position within the document
    text: str

    @classmethod
    def of(cls, chunk: Chunk) -> "Citation":
        return cls(
            chunk_id=chunk.id,
            document_id=chunk.document_id,
            source=chunk.source,
            title=chunk.title,
            section=chunk.section,
            page=chunk.page,
            index=chunk.index,
            text=chunk.text,
        )


class Turn(_Record):
    """One message of a conversation. Assistant turns cite the chunk ids they rely on."""

    role: Literal["system", "user", "assistant"]
    content: str
    chunk_ids: list[str] = Field(default_factory=list)


class Attributes(_Record):
    """Task-specific attributes of a sample; each task declares its own subclass (``Task.attributes``), so a key
    that one stage writes and another reads is a field both import, never a string each side spells on its own.

    Other stages read them through these methods only, which a task overrides when it has the information:
    """

    def reference_chunk_ids(self) -> list[str] | None:
        """Chunk ids of the contexts that ground the answer (rag: the gold chunk, not the distractors); None: all."""
        return None

    def distractor_ids(self) -> list[str]:
        """Chunk ids of contexts put there to mislead (rag's hard negatives); empty for most tasks."""
        return []

    def question_kind(self) -> str | None:
        """The sampled kind of question (factual, definition…), when the task samples one."""
        return None


class Generation(_Record):
    """How a sample was generated; written by the generate stage, read by evaluate, export and the card."""

    model: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)  # temperature, top_p, max_tokens
    seed_chunk_ids: list[str] = Field(default_factory=list)
    attempt: int | None = None
    request_seed: int | None = None
    calls: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: Literal["stop", "length"] | None = None  # "length": a call of this sample hit max_tokens
    salvaged: str | None = None  # "truncated": an output cut at max_tokens, kept up to its last full sentence


class Evaluation(_Record):
    """What the evaluate stage found. ``kept`` is None until a decision was made."""

    kept: bool | None = None
    reasons: list[str] = Field(default_factory=list)  # reject reasons, e.g. "unsupported", "near_duplicate"
    scores: dict[str, float] = Field(default_factory=dict)  # e.g. {"adherence": 0.91, "rating": 4}
    unsupported: list[str] = Field(default_factory=list)  # sentences the sources do not support
    details: dict[str, Any] = Field(default_factory=dict)  # per-claim scores, judge name, rating reasoning…


class Sample(_Record):
    """One generated item of any task.

    Which fields are set depends on ``task``: qa / multihop / rag use ``question`` + ``answer``; conversation uses
    ``turns``; textbook uses ``passage`` (+ ``question`` as the topic prompt). Task-specific extras (question kind,
    audience, format, distractor positions…) live in ``attributes``. ``contexts`` are the cited chunks with text.
    """

    id: str
    task: Registered("TASKS")
    question: str | None = None
    answer: str | None = None
    turns: list[Turn] | None = None
    passage: str | None = None
    # "corpus": the answer is a verbatim span of contexts[0], or blank-line separated spans of the contexts (multihop
    # bridge) (human-written text, grounded by construction: copy checks do not apply); "model": the LLM wrote it
    answer_origin: Literal["model", "corpus"] = "model"
    contexts: list[Citation] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)  # the task's Attributes model, dumped (see attrs())
    generation: Generation = Field(default_factory=Generation)
    evaluation: Evaluation = Field(default_factory=Evaluation)

    @staticmethod
    def make_id(task: str, seed_chunk_ids: list[str], params: dict[str, Any], index: int) -> str:
        """Deterministic id from task, seed chunk ids, generation parameters and sample index."""
        return content_hash(task, sorted(seed_chunk_ids), params, index)[:24]

    def attrs(self) -> Attributes:
        """``attributes`` read through the task's own model (``Task.attributes`` in groundset.registry.TASKS)."""
        from groundset.registry import TASKS

        return TASKS.get(self.task).attributes.model_validate(self.attributes)

    def claims_text(self) -> list[str]:
        """The generated texts a grounding judge must check: the answer, each assistant turn, or the passage."""
        if self.turns is not None:
            return [t.content for t in self.turns if t.role == "assistant"]
        if self.passage is not None:
            return [self.passage]
        return [self.answer] if self.answer else []
