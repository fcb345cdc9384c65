"""Configuration of the ingest stage: the [ingest] and [store] tables of groundset.toml ([embed]: groundset.embed.config)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from groundset.embed.config import EmbedConfig  # noqa: E402,F401 - its home is groundset.embed.config; kept importable here

__all__ = ["IngestConfig", "EmbedConfig", "StoreConfig"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class IngestConfig(_Section):
    """How files become chunks."""

    paths: list[str] = Field(default_factory=list, description="files, directories or Wikipedia dumps `run` ingests")
    include: list[str] = Field(default_factory=list, description="glob patterns a file must match (empty: all)")
    exclude: list[str] = Field(default_factory=list, description="glob patterns of files to skip")
    pdf_strategy: Literal["fast", "auto", "hi_res", "ocr_only"] = Field(
        "fast", description="unstructured PDF strategy: fast (text layer, offline) | auto | hi_res (downloads a layout "
        "model) | ocr_only (needs tesseract + poppler)"
    )
    chunk_tokens: int = Field(200, gt=0, description="target chunk size in the embedding model's tokens")
    chunk_overlap: int = Field(32, ge=0, description="overlap between consecutive chunks, in tokens")
    min_chunk_tokens: int = Field(16, ge=0, description="chunks shorter than this are dropped (counted)")
    strip_gutenberg: bool = Field(True, description="remove Project Gutenberg header and licence")
    max_file_mb: float = Field(
        128, gt=0,
        description="files larger than this many MB (Wikipedia dumps excepted: they stream) fail with reason "
        "too_large before anything is read; .txt/.md over 16 MB are streamed, other formats are parsed whole and need "
        "several times their size in memory",
    )
    max_file_chunks: int = Field(
        50_000, gt=0,
        description="a file (a dump included) stops at this many chunks with reason too_many_chunks; what came "
        "before is stored (embedded Qdrant keeps every point in memory: ~2 KB each)",
    )
    reader_memory_mb: int | None = Field(
        1536, gt=0,
        description="memory limit (RLIMIT_DATA) of each reader process: a file that needs more fails with reason "
        "out_of_memory instead of taking the run down (unset: no limit)",
    )
    workers: int | None = Field(
        None, ge=0,
        description="processes reading files while the main process embeds; 0 reads in a thread; unset: 1 process "
        "when the input files (other than Wikipedia dumps) reach 1 MB, else a thread (a process costs ~3 s to start "
        "but keeps the reader from slowing the embedder through Python's GIL)",
    )

    @model_validator(mode="after")
    def _overlap_smaller(self) -> "IngestConfig":
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_tokens ({self.chunk_tokens})")
        return self


class StoreConfig(_Section):
    """Where vectors live: embedded Qdrant under the workdir, or a server."""

    url: str | None = Field(None, description="Qdrant server URL, e.g. http://localhost:6333 (unset: embedded)")
    api_key_env: str = Field("QDRANT_API_KEY", description="environment variable holding the server's API key")
    collection: str = Field("groundset", min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
