"""Configuration of the export stage: the [export] table of groundset.toml.

>>> ExportConfig(splits={"train": 0.8, "test": 0.2}).splits
{'train': 0.8, 'test': 0.2}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from groundset.registry import Registered

__all__ = ["ExportConfig", "FORMATS", "SPLIT_NAMES"]

FORMATS = ("hf", "jsonl", "parquet")
SPLIT_NAMES = ("train", "validation", "test")


class ExportConfig(BaseModel):
    """How kept samples become a dataset, where it goes, and what its card says."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    format: str = Field("hf", pattern="^(hf|jsonl|parquet)$", description="hf (save_to_disk) | jsonl | parquet")
    schema_: Registered("SCHEMAS") = Field(
        "qa",
        alias="schema",
        description="qa | sft | dpo | ragas | conversation | textbook",
    )
    out: str | None = Field(None, description="output directory (unset: <workdir>/export/<schema>)")
    splits: dict[str, float] = Field(
        default_factory=lambda: {"train": 0.9, "test": 0.1},
        description="split name (train, validation, test) -> share of samples; split by source document",
    )
    seed: int = Field(0, description="seed for assigning documents to splits")
    include_context: bool = Field(
        True, description="sft/dpo prompts carry the cited chunks (RAG style); false: the question alone (closed book)"
    )
    system_prompt: str = Field(
        "Answer using only the provided context.",
        description="system message of sft/dpo/conversation rows when include_context is true ('' for none)",
    )
    closed_book_system_prompt: str = Field(
        "You are a helpful assistant.",
        description="system message of sft/dpo/conversation rows when include_context is false ('' for none: the "
        "chat template's default then applies)",
    )
    dpo_pairs: str = Field(
        "generate",
        pattern="^(generate|gate)$",
        description="dpo schema: 'generate' makes an ungrounded answer for every kept question with [llm] (no "
        "sources, or one fact changed) and keeps it when the [evaluate] judge finds it unsupported; 'gate' pairs "
        "only with answers the gate itself rejected or trimmed (no LLM call)",
    )
    dpo_reject_reasons: list[str] = Field(
        default_factory=lambda: ["unsupported"],
        description="reject reasons that make a dropped answer usable as a DPO 'rejected' answer "
        "(grounding failures; never duplicates or contamination)",
    )
    push_to_hub: str | None = Field(None, description="Hub repo id (user/name) to push to; token from HF_TOKEN or login")
    private: bool | None = Field(
        None,
        description="true: the Hub repo must be private (an existing public repo is made private before the push, "
        "or the push is refused); false: create a public repo; unset: the Hub's default for the namespace",
    )
    license: str = Field("other", description="licence of the generated dataset (card metadata), e.g. cc-by-4.0")
    license_name: str = Field(
        "", description="with license = 'other': the licence's name (card metadata; default 'corpus-terms')"
    )
    license_link: str = Field(
        "", description="with license = 'other': URL of the licence text (unset: a LICENSE.md is written beside the card)"
    )
    source_datasets: list[str] = Field(
        default_factory=list, description="Hub ids of datasets the corpus came from (card metadata; default 'original')"
    )
    corpus_name: str = Field("", description="what the source corpus is, for the dataset card")
    corpus_license: str = Field("", description="licence(s) of the source corpus, as you know them (dataset card)")
    language: list[str] = Field(default_factory=lambda: ["en"], description="language codes (dataset card)")
    pretty_name: str | None = Field(None, description="dataset title (dataset card)")
    tags: list[str] = Field(default_factory=lambda: ["synthetic", "groundset"], description="dataset card tags")

    @field_validator("splits")
    @classmethod
    def _valid_splits(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = [k for k in v if k not in SPLIT_NAMES]
        if unknown:
            raise ValueError(f"unknown split {unknown[0]!r}: use train, validation and test")
        if "train" not in v:
            raise ValueError("a train split is required, e.g. {train = 0.9, test = 0.1}")
        if any(r <= 0 for r in v.values()):
            raise ValueError("split shares must be > 0 (leave a split out instead)")
        total = sum(v.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"split shares must add up to 1 (they add up to {total:g})")
        return v

    @field_validator("push_to_hub")
    @classmethod
    def _repo_id(cls, v: str | None) -> str | None:
        if v is not None and (v.count("/") != 1 or not all(v.split("/"))):
            raise ValueError(f"{v!r} is not a Hub repo id: use USER_OR_ORG/NAME")
        return v
