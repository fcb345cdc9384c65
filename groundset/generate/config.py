"""Configuration of the generate stage: the [generate] table of groundset.toml, one sub-table per task.

```toml
[generate]
tasks = { qa = 50, multihop = 20 }
seed = 0
reuse_chunks = false

[generate.qa]
temperature = 0.2
kinds = { factual = 2, definition = 1, explanation = 1, procedural = 1, comparison = 1 }

[generate.conversation]
turns = 4
roles = [["student", "teacher"], ["journalist", "domain expert"]]
```

Every key has a default; a changed task section changes the sample ids of that task (new samples, not a mix).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails

__all__ = [
    "GenerateConfig",
    "TaskParams",
    "QAConfig",
    "MultihopConfig",
    "ConversationConfig",
    "TextbookConfig",
    "RagConfig",
    "QUESTION_KINDS",
    "BRIDGE_KINDS",
]

QUESTION_KINDS = ("factual", "definition", "explanation", "procedural", "comparison")
BRIDGE_KINDS = ("differ", "common")  # multihop bridge mode: how two subjects differ | what they have in common


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TaskParams(_Section):
    """Sampling parameters shared by every task (per task so that factual tasks can run cooler)."""

    temperature: float = Field(0.7, ge=0, le=2, description="sampling temperature")
    top_p: float = Field(0.95, gt=0, le=1, description="nucleus sampling mass")
    max_tokens: int = Field(384, gt=0, le=32768, description="completion tokens per LLM call")

    def sampling(self) -> dict:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}


def _check_weights(v: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(v) - set(QUESTION_KINDS))
    if unknown:
        raise ValueError(f"unknown question kind(s) {unknown}: use {', '.join(QUESTION_KINDS)}")
    if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
        raise ValueError("weights must be >= 0 with at least one > 0")
    return v


def _non_empty(name: str, v: list) -> list:
    if not v:
        raise ValueError(f"{name} must list at least one value")
    return v


class QAConfig(TaskParams):
    """Single-hop question/answer from one seed chunk."""

    temperature: float = Field(0.3, ge=0, le=2)
    max_tokens: int = Field(256, gt=0, le=32768)
    mode: Literal["model", "answer_first"] = Field(
        "model", description="model: the LLM writes question and answer | answer_first: an answer span (term, "
        "identifier, number with unit, entity, definition) is picked from the chunk, the LLM writes only the question, "
        "and the answer is the span's sentence verbatim (max_tokens 48 is plenty)"
    )
    kinds: dict[str, float] = Field(
        default_factory=lambda: {"factual": 3, "definition": 1, "explanation": 2, "procedural": 2, "comparison": 1},
        description="question kind -> relative weight (factual, definition, explanation, procedural, comparison)",
    )

    @field_validator("kinds")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_weights(v)


class MultihopConfig(TaskParams):
    """A question needing the seed chunk plus nearest-neighbour partners from another section or document.

    ``mode``: ``write`` — the LLM writes question, answer and citations over the whole chunks; ``bridge`` — a
    verbatim passage of the seed and one of a partner are the answer, the LLM writes only the question that needs
    both (short prompt, one short output: what a small CPU model can do); ``auto`` — ``bridge`` for the bundled
    ``local`` backend, ``write`` for any other.
    """

    temperature: float = Field(0.4, ge=0, le=2)
    max_tokens: int = Field(320, gt=0, le=32768, description="completion tokens (write mode; the local backend "
                            "caps an unset value at 160)")
    mode: Literal["auto", "write", "bridge"] = Field(
        "auto", description="write: the LLM writes question + answer | bridge: two verbatim passages are the answer, "
        "the LLM writes only the question | auto: bridge for the local backend, else write")
    max_answer_chars: int | None = Field(None, ge=40, description="write: the answer string ends at this many "
                                         "characters, cut back to its last full sentence (the local backend: 400 "
                                         "unless set; None: no limit)")
    question_tokens: int = Field(40, gt=0, le=512, description="bridge: completion tokens for the question")
    questions: int = Field(2, ge=1, le=16, description="bridge: questions written per passage pair in one batch (the "
                           "first greedy, the others sampled); the best is kept")
    kinds: dict[str, float] = Field(
        default_factory=lambda: {"differ": 2, "common": 1},
        description="bridge: question kind -> weight (differ: how the two subjects differ; common: what they share)")
    kin: bool = Field(True, description="bridge: the two subjects must share a word besides the corpus topic (two "
                      "modules, two kinds of attribute): a comparison a reader asks; false: the nearest partner")
    passage_words: int = Field(40, ge=5, le=300, description="bridge: longest passage (words) taken from each chunk")
    passage_sentences: int = Field(3, ge=1, le=20, description="bridge: most sentences per passage")
    min_passage_words: int = Field(10, ge=1, description="bridge: shortest passage (words)")
    min_overlap: float = Field(0.7, ge=0, le=1, description="bridge: share of the question's key terms the passages "
                               "(or their section paths) must contain")
    roundtrip_k: int = Field(5, ge=0, le=100, description="bridge: the question must retrieve BOTH chunks among the "
                             "k nearest at generation time (0: leave it to the gate)")
    partners: int = Field(1, ge=1, le=4, description="partner chunks added to the seed chunk")
    candidates: int = Field(24, ge=1, le=500, description="nearest neighbours examined to find partners")
    min_similarity: float = Field(0.3, ge=-1, le=1, description="partners must be at least this similar (cosine)")
    max_similarity: float = Field(0.9, ge=-1, le=1, description="…and below this, so they are not near-duplicates")
    other: str = Field("section", pattern="^(section|document)$", description="partners come from another section | document")
    min_overlap_words: int = Field(1, ge=0, description="content words each cited chunk must share with the Q&A")

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(BRIDGE_KINDS))
        if unknown:
            raise ValueError(f"unknown bridge kind(s) {unknown}: use {', '.join(BRIDGE_KINDS)}")
        if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("weights must be >= 0 with at least one > 0")
        return v

    @model_validator(mode="after")
    def _band(self) -> "MultihopConfig":
        if self.min_similarity >= self.max_similarity:
            raise ValueError(f"min_similarity ({self.min_similarity}) must be below max_similarity ({self.max_similarity})")
        if self.min_passage_words > self.passage_words:
            raise ValueError(f"min_passage_words ({self.min_passage_words}) must not exceed passage_words "
                             f"({self.passage_words})")
        return self


class ConversationConfig(TaskParams):
    """A multi-turn dialogue; every follow-up question triggers a fresh retrieval."""

    temperature: float = Field(0.8, ge=0, le=2)
    max_tokens: int = Field(256, gt=0, le=32768, description="completion tokens per turn message")
    turns: int = Field(3, ge=1, le=20, description="user/assistant exchanges per conversation")
    context_chunks: int = Field(2, ge=1, le=10, description="chunks retrieved for each user question")
    roles: list[tuple[str, str]] = Field(
        default_factory=lambda: [
            ("student", "teacher"),
            ("doctoral student", "professor"),
            ("confused audience member", "speaker"),
            ("new team member", "senior engineer"),
            ("curious reader", "author"),
        ],
        description="(asker, answerer) pairs",
    )
    emotions: list[str] = Field(
        default_factory=lambda: ["curious", "confused", "skeptical", "enthusiastic", "frustrated", "neutral"],
        description="emotional context of the asker",
    )
    structures: list[str] = Field(
        default_factory=lambda: ["Q&A session", "debate", "lecture", "informal discussion"],
        description="conversation structure",
    )
    scenarios: list[str] = Field(
        default_factory=lambda: [
            "preparing for an exam",
            "debugging a problem at work",
            "office hours after a class",
            "a meetup talk",
            "reviewing documentation together",
        ],
        description="where the conversation takes place",
    )
    knowledge_levels: list[str] = Field(
        default_factory=lambda: ["beginner", "intermediate", "expert"], description="knowledge level of the asker"
    )

    @field_validator("roles", "emotions", "structures", "scenarios", "knowledge_levels")
    @classmethod
    def _non_empty(cls, v, info):
        return _non_empty(info.field_name, v)


class TextbookConfig(TaskParams):
    """A passage on a topic of the corpus (titles + headings refined into subtopics), audience × format grid."""

    temperature: float = Field(0.8, ge=0, le=2)
    max_tokens: int = Field(512, gt=0, le=32768)
    context_chunks: int = Field(3, ge=1, le=12, description="chunks the passage is grounded on")
    chunks_per_topic: int = Field(3, ge=1, le=50, description="a section with more chunks is split into subtopics")
    min_words: int = Field(40, ge=1, description="shorter passages are rejected as too_short")
    audiences: list[str] = Field(
        default_factory=lambda: ["high school student", "undergraduate student", "expert"],
        description="who the passage is written for (crossed with formats)",
    )
    formats: list[str] = Field(
        default_factory=lambda: [
            "textbook section",
            "tutorial",
            "FAQ",
            "table with explanation",
            "worked problem with solution",
        ],
        description="passage formats (crossed with audiences); unknown ones get a generic demonstration",
    )

    @field_validator("audiences", "formats")
    @classmethod
    def _non_empty(cls, v, info):
        return _non_empty(info.field_name, v)


class RagConfig(TaskParams):
    """Question, answer and a shuffled context list: the gold chunk plus retrieved hard negatives."""

    temperature: float = Field(0.3, ge=0, le=2)
    max_tokens: int = Field(256, gt=0, le=32768)
    distractors: int = Field(3, ge=1, le=50, description="hard negatives retrieved for the question")
    max_distractor_similarity: float = Field(
        0.95, ge=-1, le=1, description="chunks this similar to the gold chunk are skipped (likely positives)"
    )
    kinds: dict[str, float] = Field(
        default_factory=lambda: {"factual": 3, "definition": 1, "explanation": 1, "procedural": 1},
        description="question kind -> relative weight",
    )

    @field_validator("kinds")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_weights(v)


def _prefixed(err: ValidationError, key: str) -> list[InitErrorDetails]:
    """The errors of a task sub-table, located under its key (``[generate] qa.temperature``)."""
    return [
        {"type": e["type"], "loc": (key, *e["loc"]), "input": e.get("input"), "ctx": e.get("ctx", {})}
        for e in err.errors(include_url=False)
    ]


class GenerateConfig(_Section):
    """What to generate and how much; one sub-table per task."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    tasks: dict[str, int] = Field(default_factory=lambda: {"qa": 20}, description="task name -> accepted samples wanted")
    seed: int = Field(0, description="random seed for seed-chunk sampling and sampling parameters")
    reuse_chunks: bool = Field(
        False, description="after every usable chunk was a seed once, start again (else the run stops short)"
    )
    min_seed_tokens: int = Field(24, ge=0, description="chunks shorter than this are never seeds")
    max_attempts_factor: float = Field(
        3.0, ge=1, le=100, description="attempts per task are capped at ceil(n × factor) + 2 (rejects are retried)"
    )
    max_attempts: int | None = Field(
        None, ge=1, description="absolute cap on attempts per task (overrides max_attempts_factor; cost control)"
    )
    rounds: int = Field(
        6, ge=1, le=100, description="`groundset run`: generate and gate alternate in up to this many rounds, topping "
        "up until each task has n KEPT samples (1: generate n once, keep what passes)"
    )
    budget_tokens: int | None = Field(None, gt=0, description="`run` stops topping up past this many LLM tokens")
    budget_cost: float | None = Field(None, gt=0, description="…past this cost ([llm] price_*_per_m)")
    budget_seconds: float | None = Field(None, gt=0, description="…past this many seconds of generate + gate")
    batch_size: int = Field(16, ge=1, le=4096, description="attempts per task sent to the LLM together (all tasks share each call; written per batch)")
    speculate: bool = Field(
        False, description="fill a batch beyond the attempts still needed (by the yield so far; half on the first "
        "batch), keeping the extra outcomes only where a run without it would have made them: the same records in "
        "fewer rounds (a CPU model decodes 8 rows in about the time of 2), at the cost of unused calls"
    )

    @model_validator(mode="wrap")
    @classmethod
    def _task_sections(cls, data: Any, handler: Any) -> "GenerateConfig":
        """Every registered task gets its sub-table, validated by the task's own config model; other keys fail."""
        from groundset.registry import TASKS

        if isinstance(data, dict):
            data, errors = dict(data), []
            for key in [k for k in data if k not in cls.model_fields]:
                if key not in TASKS:
                    errors.append({"type": "extra_forbidden", "loc": (key,), "input": data[key]})
            for name, spec in TASKS.items():
                value = data.get(name, {})
                if isinstance(value, spec.config):
                    continue
                try:
                    data[name] = spec.config.model_validate(value)
                except ValidationError as e:
                    errors += _prefixed(e, name)
            if errors:
                raise ValidationError.from_exception_data(cls.__name__, errors)
        return handler(data)

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, v: dict[str, int]) -> dict[str, int]:
        from groundset.registry import TASKS

        for name, n in v.items():
            TASKS.check(name)
            if not isinstance(n, int) or n < 0:
                raise ValueError(f"tasks.{name} must be a whole number >= 0 (got {n!r})")
        return v

    def task(self, name: str) -> TaskParams:
        """The sub-section of task ``name``."""
        return getattr(self, name)

    @classmethod
    def task_sections(cls) -> dict[str, type[TaskParams]]:
        """Sub-table name -> config model, one per registered task (for ``groundset init``)."""
        from groundset.registry import TASKS

        return {name: spec.config for name, spec in TASKS.items()}
