"""Configuration of the export stage: the [export] table of groundset.toml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ExportConfig"]


class ExportConfig(BaseModel):
    """How kept samples become a dataset."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    format: str = Field("hf", pattern="^(hf|jsonl|parquet)$")
    schema_: str = Field("qa", alias="schema", description="qa | sft | dpo | ragas | conversation | textbook")
