"""The dataset card (README.md with YAML metadata), written from what the run recorded, about the exported rows.

How the data was made comes from the stages' own records (``groundset.export.record``: the evaluate stage's judge,
threshold and filters; the generator models and sampling parameters of the samples; the ingest's embedder), never
from the config the export command was given. The figures (scores, coverage) are those of the exported rows. The
yield funnel (``groundset.export.funnel``) shows attempts → parsed → kept → exported per task with reasons, tokens
and cost per kept row. From the export's own config: licence, corpus name and licence, splits, tags.

>>> card = render_card(inputs)          # doctest: +SKIP
>>> card.startswith("---\\n")           # doctest: +SKIP
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groundset.export.card_sections import (
    coverage_line,
    funnel_section,
    licence_warning,
    loading_section,
    made_section,
    scores_section,
    splits_section,
    usage_section,
)
from groundset.export.config import ExportConfig
from groundset.export.funnel import Funnel
from groundset.export.record import RunRecord
from groundset.export.stats import RunStats
from groundset.registry import SCHEMAS

__all__ = ["CardInputs", "render_card", "card_metadata", "licence_file", "LICENSE_FILE"]

LICENSE_FILE = "LICENSE.md"

@dataclass
class CardInputs:
    """What the card is written from: the export's config, the run's record, the funnel, the exported rows' figures."""

    export: ExportConfig
    record: RunRecord
    funnel: Funnel
    figures: RunStats  # of the exported rows only
    schema: str
    fmt: str
    usage: dict[str, Any] = field(default_factory=dict)
    split_rows: dict[str, int] = field(default_factory=dict)
    split_documents: dict[str, int] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    columns: dict[str, str] = field(default_factory=dict)
    configs_yaml: list[dict[str, Any]] | None = None
    dataset_info: dict[str, Any] | None = None
    out: Path | None = None
    repo_id: str | None = None
    extra_sections: list[str] = field(default_factory=list)  # markdown sections of other stages (human review)

    @property
    def exported_by_task(self) -> Counter:
        return Counter({t.task: t.exported for t in self.funnel.tasks.values() if t.exported})


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def card_metadata(c: CardInputs) -> dict[str, Any]:
    """The YAML header, per the Hub's dataset card spec: licence (with name and link for ``other``), language,
    creators, source datasets, tags, task categories, size, data files, and features with splits and row counts."""
    ex = c.export
    meta: dict[str, Any] = {"license": ex.license}
    if ex.license == "other":
        meta["license_name"] = ex.license_name or "corpus-terms"
        meta["license_link"] = ex.license_link or LICENSE_FILE
    meta.update({
        "language": list(ex.language),
        "pretty_name": ex.pretty_name or _title(c),
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated", "found"],
        "source_datasets": list(ex.source_datasets) or ["original"],
        "multilinguality": ["monolingual" if len(ex.language) <= 1 else "multilingual"],
        "tags": list(dict.fromkeys([*ex.tags, f"groundset-{c.schema}"])),
        "task_categories": list(SCHEMAS.get(c.schema).task_categories),
        "size_categories": [_size_category(sum(c.split_rows.values()))],
    })
    if c.configs_yaml:
        meta["configs"] = c.configs_yaml
    if c.dataset_info:
        meta["dataset_info"] = {
            **c.dataset_info,
            "splits": [{"name": s, "num_examples": n} for s, n in c.split_rows.items()],
        }
    return meta


def licence_file(c: CardInputs) -> str | None:
    """LICENSE.md for ``license: other`` without a ``license_link`` of the user's (what ``license_link`` points to)."""
    ex = c.export
    if ex.license != "other" or ex.license_link:
        return None
    corpus = ex.corpus_name or "the source corpus"
    terms = ex.corpus_license or "NOT GIVEN — check the corpus' terms before sharing or training on this dataset"
    return (
        f"# Licence\n\nThis dataset was generated with groundset from {corpus}. Its rows quote passages of that "
        f"corpus, so the corpus' terms apply to them.\n\n- Licence of the corpus, as given: {terms}\n"
        "- Licence of the generated text: not set (`[export] license`); set it, with `license_name` / "
        "`license_link` for a licence that is not on the Hub's list.\n"
    )


def _title(c: CardInputs) -> str:
    corpus = c.export.corpus_name or "a document corpus"
    return f"Grounded synthetic {c.schema} data from {corpus}"


def render_card(c: CardInputs) -> str:
    """README.md text: YAML header, then the sections of ``groundset.export.card_sections``."""
    ex = c.export
    header = yaml.safe_dump(card_metadata(c), sort_keys=False, allow_unicode=True, width=1000)
    corpus = ex.corpus_name or "(not described: set `[export] corpus_name`)"
    licence = ex.corpus_license or "**NOT GIVEN** (see the warning above)"
    columns = "\n".join(f"- `{name}`: {spec}" for name, spec in c.columns.items())
    models = ", ".join(f"`{m}`" for m in c.record.generator_models) or "a language model"
    return f"""---
{header}---

# {ex.pretty_name or _title(c)}

{licence_warning(c)}Synthetic `{c.schema}` data generated with groundset from a document corpus: every row was
generated from retrieved chunks of the corpus and passed a context-adherence gate that rejects answers the chunks do
not support. Each row names the documents and chunks (Qdrant point ids) it came from.

## Loading

{loading_section(c)}

## Source corpus

- Corpus: {corpus}
- Licence(s) of the corpus, as given: {licence}
{coverage_line(c)}

## How it was made

{made_section(c)}

## Yield

{funnel_section(c)}

## Tokens and cost per stage

{usage_section(c)}

## Scores

{scores_section(c)}

## Splits

{splits_section(c)}

## Columns

{columns}
{"".join(chr(10) + section + chr(10) for section in c.extra_sections)}
## Intended use

Fine-tuning or evaluating models and retrieval-augmented systems on the content of this corpus: grounded question
answering, chat fine-tuning (`sft`), preference tuning towards grounded answers (`dpo`), RAG evaluation (`ragas`).

## Limitations

- Synthetic: the rows were written by {models}, not by people. The adherence gate checks that answers are
  supported by the cited chunks; it does not check that the corpus itself is correct, and automatic judges miss
  some unsupported claims and reject some supported ones.
- Coverage follows the corpus: topics absent from it are absent here; chunks were sampled, not exhausted.
- Small or local generator models write simpler, sometimes awkward questions; inspect samples before training.
- Licences: the rows quote the corpus; sharing them is subject to the corpus' licence above.
"""
