"""Configuration of the generate stage: the [generate] table of groundset.toml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GenerateConfig"]


class GenerateConfig(BaseModel):
    """What to generate and how much. Task-specific knobs are added by the generators."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    tasks: dict[str, int] = Field(default_factory=lambda: {"qa": 20}, description="task name -> number of samples")
    seed: int = Field(0, description="random seed for seed-chunk sampling and sampling parameters")
