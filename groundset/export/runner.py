"""The export stage: kept samples → rows of one schema → splits by document → dataset on disk (+ card, + Hub).

>>> result = export(load_config(None, {"export.schema": "sft"}), Workdir("groundset-work"))   # doctest: +SKIP
>>> result.out, result.split_rows                                                            # doctest: +SKIP
(PosixPath('groundset-work/export/sft'), {'train': 36, 'test': 4})

Nothing is dropped silently: samples that do not fit the schema (a conversation in ``qa``) and kept questions without
an honest rejected answer (``dpo``) are counted per reason in ``ExportResult.skipped`` and in the card. An export
with no rows raises an error that says why and what to change, instead of writing an empty dataset.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from groundset.config import Config
from groundset.errors import GroundsetError
from groundset.export import hf
from groundset.export.card import LICENSE_FILE, CardInputs, licence_file, render_card
from groundset.export.funnel import build_funnel
from groundset.export.publish import publish
from groundset.export.record import read_json, read_record
from groundset.export.schemas import SchemaRows, build_rows
from groundset.export.splits import split_by_document
from groundset.export.stats import exported_figures, iter_samples
from groundset.registry import SCHEMAS
from groundset.review.apply import ReviewApplied, add_review_columns, review_card_section, review_for_export
from groundset.workdir import Workdir

__all__ = ["ExportResult", "NothingKeptError", "export", "export_rows", "output_dir"]


class NothingKeptError(GroundsetError):
    """The gate rejected every evaluated sample: the pipeline worked, but there is no row to export."""

@dataclass
class ExportResult:
    """Where the dataset went and what it holds."""

    out: Path
    schema: str
    fmt: str
    split_rows: dict[str, int] = field(default_factory=dict)
    split_documents: dict[str, int] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    files: list[Path] = field(default_factory=list)
    pushed: str | None = None
    empty_splits: list[str] = field(default_factory=list)  # asked for, but too few documents to fill them

    @property
    def rows(self) -> int:
        return sum(self.split_rows.values())


def output_dir(config: Config, workdir: Workdir) -> Path:
    """``[export] out`` or ``<workdir>/export/<schema>``."""
    ex = config.export
    return Path(ex.out) if ex.out else workdir.export_dir / ex.schema_


def export_rows(config: Config, workdir: Workdir, review: ReviewApplied | None = None, *, llm=None,
                judge=None) -> SchemaRows:
    """Rows of the configured schema from the workdir's kept (and, for dpo, rejected) samples, as the review leaves
    them (people's rejections dropped, their edits applied, ``review`` columns: groundset.review.apply).

    dpo with ``[export] dpo_pairs = "generate"`` first makes (or resumes) the ungrounded answers with ``llm`` /
    ``judge`` (loaded from the config when None; see ``groundset.generate.dpo_pairs``)."""
    review = review_for_export(workdir) if review is None else review
    built = _schema_rows(config, workdir, review, llm=llm, judge=judge)
    add_review_columns(built.rows, built.columns, review)
    built.skipped.update(review.skipped)
    return built


def _schema_rows(config: Config, workdir: Workdir, review: ReviewApplied, *, llm=None, judge=None) -> SchemaRows:
    ex = config.export
    kept = review.samples
    if not kept and review.skipped.get("rejected_by_reviewer"):
        raise NothingKeptError(f"reviewers rejected all {review.skipped['rejected_by_reviewer']} samples the gate kept: "
                               "nothing to export; review more samples or generate more (`groundset review`)")
    if not kept:
        if not (workdir.kept.exists() or workdir.rejected.exists()):
            raise GroundsetError(f"no kept samples in {workdir.kept}: run `groundset evaluate` (or `groundset run`) first")
        rejected = sum(1 for _ in iter_samples(workdir.rejected))
        if rejected:
            raise NothingKeptError(
                f"all {rejected} evaluated samples were rejected, so there is nothing to export; "
                f"see the reasons in {workdir.rejected} or `groundset report`, and loosen [evaluate] or use a "
                "stronger [llm] spec"
            )
        raise NothingKeptError(
            f"no sample reached the evaluate stage: generate accepted none (see {workdir.samples_dir}/*.rejects.jsonl "
            "for why, or `groundset report`); use a stronger [llm] spec or raise [generate] max_attempts_factor"
        )
    spec = SCHEMAS.get(ex.schema_)
    if spec.build is not None:
        rejected = list(iter_samples(workdir.rejected)) if spec.needs_rejected else []
        return spec.build(kept, rejected, ex, config=config, workdir=workdir, llm=llm, judge=judge)
    return build_rows(ex.schema_, kept, include_context=ex.include_context, system_prompt=ex.system_prompt,
                      closed_book_system_prompt=ex.closed_book_system_prompt)


def export(config: Config, workdir: Workdir, *, push: bool = True, llm=None, judge=None) -> ExportResult:
    """Write the dataset of ``config.export`` from ``workdir``; push it when ``[export] push_to_hub`` is set.

    ``llm`` / ``judge``: used by the dpo mode only (see ``export_rows``)."""
    ex = config.export
    review = review_for_export(workdir)
    built = export_rows(config, workdir, review, llm=llm, judge=judge)
    if not built.rows:
        why = ", ".join(f"{k} {v}" for k, v in built.skipped.most_common()) or "no samples"
        spec = SCHEMAS.get(ex.schema_)
        hint = spec.empty_hint or (
            f"the {ex.schema_} schema takes {spec.takes()} samples: add that task to "
            "[generate] tasks or choose another --schema"
        )
        raise GroundsetError(f"schema {ex.schema_}: no rows to export ({why}); {hint}")

    assignment = split_by_document([r["grounded_document_ids"] for r in built.rows], ex.splits, seed=ex.seed)
    splits = {name: [built.rows[i] for i in idx] for name, idx in assignment.items() if idx}
    result = ExportResult(out=output_dir(config, workdir), schema=ex.schema_, fmt=ex.format, skipped=built.skipped)
    result.split_rows = {name: len(rows) for name, rows in splits.items()}
    result.empty_splits = [name for name in ex.splits if name not in splits]
    result.split_documents = {
        name: len({d for r in rows for d in r["grounded_document_ids"]}) for name, rows in splits.items()
    }

    exported_samples = [s for s in built.samples]
    inputs = CardInputs(
        export=ex,
        record=read_record(workdir),
        funnel=build_funnel(workdir, Counter(r["task"] for r in built.rows), built.skipped_by_task,
                            usage=read_json(workdir.usage)),
        figures=exported_figures(exported_samples, workdir),
        schema=ex.schema_,
        fmt=ex.format,
        usage=read_json(workdir.usage),
        split_rows=result.split_rows,
        split_documents=result.split_documents,
        skipped=built.skipped,
        columns=built.columns,
        configs_yaml=hf.data_files_yaml(ex.format, list(splits)),
        dataset_info=hf.dataset_info_yaml(built.columns),
        out=result.out,
        extra_sections=[review_card_section(review, built.rows)],
    )
    if push and ex.push_to_hub:
        inputs.repo_id = ex.push_to_hub  # the card's loading snippet names the repo (and the local folder)
    card = render_card(inputs)
    extra = {LICENSE_FILE: text} if (text := licence_file(inputs)) else {}
    datasets = hf.to_datasets(splits, built.columns)  # rows → Arrow once, for every layout written below
    result.files = publish(result.out, lambda folder: hf.write_dataset(
        splits, built.columns, ex.format, folder, card, extra, datasets=datasets))
    if push and ex.push_to_hub:
        result.pushed = _push(splits, built.columns, datasets, inputs, result.out, ex, extra)
    return result


def _push(splits, columns, datasets, inputs: CardInputs, out: Path, ex, extra: dict[str, str]) -> str:
    """The Hub takes the parquet layout: a parquet export is pushed as written (one write, one card); another format
    gets a parquet copy of the same tables, with the card of that layout, staged in a temporary directory."""
    if ex.format == "parquet":
        return hf.push_folder(out, ex.push_to_hub, private=ex.private)
    inputs.fmt = "parquet"
    inputs.configs_yaml = hf.data_files_yaml("parquet", list(splits))
    with tempfile.TemporaryDirectory(prefix="groundset-push-") as tmp:
        folder = Path(tmp) / "dataset"
        folder.mkdir()
        hf.write_dataset(splits, columns, "parquet", folder, render_card(inputs), extra, datasets=datasets)
        return hf.push_folder(folder, ex.push_to_hub, private=ex.private)
