"""Configuration of the evaluate stage: the [evaluate] table of groundset.toml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EvaluateConfig"]


class EvaluateConfig(BaseModel):
    """Which judge decides grounding, and the filters' thresholds."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    judge: str = Field("default", description="default (offline) | nli | llm | ragas")
