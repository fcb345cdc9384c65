"""Exceptions groundset raises. Every message says what to do next; only the CLI turns them into exit codes.

```
GroundsetError
 ├── ConfigError          bad or unknown key in groundset.toml / a flag (names the key)
 ├── MissingExtraError    an optional dependency is not installed (names the pip command)
 ├── InputError           a file cannot be ingested (names the file and the reason); counted, never fatal to a run
 ├── BackendError         an LLM or embedding endpoint cannot be used at all (not a single failed request)
 └── StoreError           Qdrant cannot be reached or the collection does not match
```
"""

from __future__ import annotations

__all__ = ["GroundsetError", "ConfigError", "MissingExtraError", "InputError", "BackendError", "StoreError"]


class GroundsetError(Exception):
    """Base class for every error groundset raises on purpose."""


class ConfigError(GroundsetError, ValueError):
    """A configuration value is invalid. The message names the key, e.g. ``[ingest] chunk_tokens``."""


class MissingExtraError(GroundsetError, ImportError):
    """An optional dependency is missing."""

    def __init__(self, package: str, extra: str | None = None, purpose: str = ""):
        self.package = package
        self.extra = extra
        install = f"pip install 'groundset[{extra}]'" if extra else f"pip install {package}"
        why = f" for {purpose}" if purpose else ""
        super().__init__(f"{package} is needed{why} but is not installed. Install it with: {install}")


class InputError(GroundsetError):
    """One input file cannot be used. ``reason`` is a short machine-friendly tag (e.g. ``corrupt_pdf``)."""

    def __init__(self, source: str, reason: str, detail: str = ""):
        self.source = source
        self.reason = reason
        self.detail = detail
        super().__init__(f"{source}: {reason}" + (f" ({detail})" if detail else ""))


class BackendError(GroundsetError):
    """An LLM or embedding backend cannot be used (bad spec, unreachable, missing model)."""


class StoreError(GroundsetError):
    """The vector store cannot be used (server down, collection missing or of another dimension)."""
