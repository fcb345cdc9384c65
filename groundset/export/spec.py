"""What the export stage needs to know of a dataset schema, registered once in ``groundset.registry.SCHEMAS``.

A schema module ends with its registration; ``--schema`` choices, ``[export] schema`` validation, the runner, the
"no rows" hint and the card's task categories then know it:

>>> SCHEMAS.register("qa", Schema(columns=COLUMNS["qa"], row=lambda s, **_: qa_row(s), fits=question_answer))
... # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from groundset.export.schemas import SchemaRows
    from groundset.records import Sample

__all__ = ["Schema", "any_sample"]


def any_sample(sample: Sample) -> str | None:
    """Every sample with some content fits."""
    return None if (sample.turns or sample.passage or (sample.question and sample.answer)) else "empty_sample"


@dataclass(frozen=True)
class Schema:
    """A row layout of the exported dataset.

    - ``columns``: column name -> type in the neutral notation of ``groundset.export.hf`` (``list<string>``, …);
    - ``row(sample, *, include_context, system_prompt, closed_book_system_prompt) -> dict``: one row of a kept
      sample (a row function that needs none of them takes ``**_``);
    - ``fits(sample) -> reason | None``: None when the sample can become a row, else why not (counted, in the card);
    - ``shapes``: the task shapes it takes (``groundset.generate.task``), for the "no rows" hint (None: any);
    - ``build(kept, rejected, export_config, *, config, workdir, llm, judge) -> SchemaRows``: set for schemas whose
      rows are not one per kept sample (dpo pairs kept and rejected answers, and may make ungrounded answers with
      ``llm`` / ``judge``, loaded from ``config`` when None); ``needs_rejected``: give it the gate's rejected samples;
    - ``task_categories``: the card's ``task_categories`` metadata.
    """

    columns: dict[str, str]
    row: Callable[..., dict[str, Any]] | None = None
    fits: Callable[[Sample], str | None] = any_sample
    shapes: tuple[str, ...] | None = None
    build: Callable[[list, list, Any], SchemaRows] | None = None
    needs_rejected: bool = False
    empty_hint: str = ""
    task_categories: tuple[str, ...] = ("text-generation",)
    description: str = ""

    def takes(self) -> str:
        """"qa, multihop or rag": the registered tasks whose samples fit (by shape)."""
        if self.shapes is None:
            return "any"
        from groundset.registry import TASKS

        names = [n for n, t in TASKS.items() if t.shape in self.shapes]
        return " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names) or "no registered"
