"""What the pipeline needs to know of a generator task, registered once in ``groundset.registry.TASKS``.

A task module ends with its registration; the CLI's ``--task`` choices, ``[generate]`` validation (the ``tasks``
names and the ``[generate.<task>]`` sub-table), the plan, the dry run, status, the sanity rules and the export
schemas then know it:

>>> TASKS.register("qa", Task(config=QAConfig, job=job, estimate=estimate, controls=kind_controls), order=10)
... # doctest: +SKIP

``shape`` says which fields of ``Sample`` the task fills: ``"qa"`` (question + answer: the qa, ragas and dpo
schemas take it, sanity requires the question), ``"conversation"`` (turns) or ``"passage"`` (passage + topic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

from groundset.records import Attributes

if TYPE_CHECKING:
    from groundset.generate.base import Attempt, Job
    from groundset.generate.config import TaskParams
    from groundset.generate.corpus import Corpus
    from groundset.llm.base import ChatRequest
    from groundset.records import Chunk

__all__ = ["Task", "Shape", "no_controls", "chunk_units", "task_shape"]

Shape = Literal["qa", "conversation", "passage"]


def no_controls(task: str, cfg: Any, seed: int, index: int) -> dict[str, Any]:
    """Controls of a task that samples none."""
    return {}


def chunk_units(task: str, chunks: list[Chunk], corpus: Corpus, cfg: Any, seed: int) -> list:
    """The default seed order: every usable chunk once, spread over regions of the corpus and documents."""
    from groundset.generate.seeds import diverse_order

    vectors = corpus.vectors([c.id for c in chunks]) if chunks else None
    return diverse_order(chunks, vectors, seed, task)


def _one(cfg: Any) -> int:
    return 1


@dataclass(frozen=True)
class Task:
    """A generator task.

    - ``config``: the pydantic model of its ``[generate.<task>]`` sub-table (a ``TaskParams`` subclass);
    - ``job(attempt, corpus, cfg, usable) -> Job``: the generator that yields requests and returns a Sample/Reject;
    - ``estimate(attempt, corpus, cfg, usable) -> list[ChatRequest]``: representative requests for a dry run;
    - ``controls(task, cfg, seed, index) -> dict``: the sampled controls of attempt ``index`` (deterministic);
    - ``units(task, usable chunks, corpus, cfg, seed) -> list``: the seed order (chunks, or ``Topic``s);
    - ``calls_per_attempt(cfg)`` / ``chunks_per_call(cfg)``: for the plan's call and token estimates;
    - ``seed_filter(chunk, cfg) -> reason | None``: chunks the task cannot seed from, skipped and counted;
      ``seed_check(chunk, corpus, cfg, usable)`` likewise, when the test needs the corpus;
    - ``resolve(cfg, llm_spec) -> cfg``: settings that depend on the backend (multihop's ``mode = "auto"``);
    - ``attributes``: the model of ``Sample.attributes`` (a ``records.Attributes`` subclass); every sample the task
      makes is checked against it, and other stages read them through it (``Sample.attrs()``).
    """

    config: type[TaskParams]
    job: Callable[[Attempt, Corpus, Any, "set[str] | None"], Job]
    estimate: Callable[[Attempt, Corpus, Any, "set[str] | None"], "list[ChatRequest]"]
    shape: Shape = "qa"
    controls: Callable[[str, Any, int, int], dict[str, Any]] = no_controls
    units: Callable[..., list] = chunk_units
    unit_name: str = "usable seed chunks"
    calls_per_attempt: Callable[[Any], int] = _one
    chunks_per_call: Callable[[Any], int] = _one
    attributes: type = Attributes
    description: str = ""
    # ``seed_filter(chunk, cfg) -> reason | None``: a usable chunk this task cannot seed from is skipped, counted by
    # that reason in the plan (backtranslate: "no_passage"; qa's answer-first mode: "no_span")
    seed_filter: Callable[[Chunk, Any], "str | None"] | None = None
    # ``seed_check(chunk, corpus, cfg, usable ids) -> reason | None``: the same for a test that needs the corpus
    # (multihop's bridge mode: a partner holding a passage on a subject of the same kind); one search per chunk
    seed_check: Callable[[Chunk, Corpus, Any, "set[str]"], "str | None"] | None = None
    # ``resolve(cfg, llm_spec) -> cfg``: the task's config for the run's ``[llm] spec`` (multihop: mode "auto" becomes
    # "bridge" for the local backend); the plan, the ids and every job see the resolved config
    resolve: Callable[[Any, str], Any] | None = None

    def config_for(self, cfg: Any, llm_spec: str) -> Any:
        """``cfg`` resolved for ``llm_spec`` (itself when the task has no ``resolve``)."""
        return self.resolve(cfg, llm_spec) if self.resolve is not None else cfg


def task_shape(name: str) -> Shape:
    """The shape of registered task ``name``."""
    from groundset.registry import TASKS

    return TASKS.get(name).shape
