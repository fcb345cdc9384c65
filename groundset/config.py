"""One configuration object per stage, loaded from one TOML file, overridable key by key.

``groundset.toml`` has one table per stage (``[ingest]``, ``[embed]``, ``[store]``, ``[llm]``, ``[generate]``,
``[evaluate]``, ``[export]``), plus ``[run]`` (the engine: local or Ray). Every key can be overridden on the command
line, either by a named flag of a command (``--collection``, ``--llm``…) or generically with ``--set
SECTION.KEY=VALUE``. Validation happens on load;
an error names the key:

>>> load_config(None, {"ingest.chunk_tokens": "0"})
Traceback (most recent call last):
...
groundset.errors.ConfigError: [ingest] chunk_tokens: Input should be greater than 0 (got 0)
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from groundset.embed.config import EmbedConfig
from groundset.engines.config import RunConfig
from groundset.errors import ConfigError
from groundset.evaluate.config import EvaluateConfig
from groundset.export.config import ExportConfig
from groundset.generate.config import GenerateConfig
from groundset.ingest.config import IngestConfig, StoreConfig
from groundset.llm.config import LLMConfig

__all__ = ["Config", "load_config", "DEFAULT_CONFIG_FILE"]

DEFAULT_CONFIG_FILE = "groundset.toml"


class Config(BaseModel):
    """The whole configuration: one section per stage."""

    model_config = ConfigDict(extra="forbid")

    ingest: IngestConfig = Field(default_factory=IngestConfig)
    embed: EmbedConfig = Field(default_factory=EmbedConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    run: RunConfig = Field(default_factory=RunConfig)  # where stages run; in no fingerprint (same output)

    def fingerprint(self, *sections: str) -> str:
        """A stable hash of the named sections, used to tell whether a stage's output is still current."""
        from groundset.records import content_hash

        return content_hash({s: getattr(self, s).model_dump(mode="json") for s in sections})[:16]


def _parse_value(raw: Any) -> Any:
    """CLI override values arrive as strings; read them as TOML/JSON scalars or lists when they look like one."""
    if not isinstance(raw, str):
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _format_error(err: ValidationError, origin: str) -> str:
    lines = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        key = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else f"[{loc[0]}]" if loc else "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; `groundset init` writes every key with its default)"
        got = e.get("input")
        suffix = "" if e["type"] in ("extra_forbidden", "missing") or isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"{key}: {msg}{suffix}")
    return (f"{origin}: " if origin else "") + "; ".join(lines)


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Read ``path`` (or defaults when None), apply ``{"section.key": value}`` overrides, validate.

    Overrides whose value is None are ignored, so CLI flags that were not given change nothing.
    """
    data: dict[str, Any] = {}
    origin = ""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} not found (create one with `groundset init`)")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{p}: not valid TOML: {e}") from None
        origin = str(p)
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"override {dotted!r}: use SECTION.KEY=VALUE, e.g. ingest.chunk_tokens=200")
        if section not in Config.model_fields:
            raise ConfigError(f"override {dotted!r}: unknown section [{section}] (one of {', '.join(Config.model_fields)})")
        target = data.setdefault(section, {})
        *parents, leaf = key.split(".")  # nested tables: generate.qa.temperature
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = _parse_value(value)
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_error(e, origin)) from None
