"""The [embed] table of groundset.toml, and what it resolves to on this machine (backend, precision, AMX).

Every stage embeds (ingest: chunks, generate: retrieval, evaluate: the default judge), so the config lives with the
embedders, not in one stage's config.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EmbedConfig", "resolve_backend", "resolve_precision", "cpu_has_bf16_matrix_units", "AMX_ENV"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EmbedConfig(_Section):
    """Which embedding model turns chunks into vectors."""

    model: str = Field(
        "default",
        description="'default' (bundled all-MiniLM-L6-v2, offline), a sentence-transformers name or path, "
        "or 'openai:MODEL' for an OpenAI-compatible /v1/embeddings endpoint",
    )
    base_url: str | None = Field(None, description="base URL of the embeddings endpoint (openai: models)")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the endpoint's API key")
    batch_size: int = Field(32, gt=0, description="texts per encoder call")
    device: str = Field("cpu", description="cpu | cuda | mps (sentence-transformers models)")
    max_tokens: int | None = Field(None, gt=0, description="model max sequence length (read from the model if unset)")
    backend: Literal["auto", "onnx", "sentence-transformers"] = Field(
        "auto",
        description="how local models run: onnx (ONNX Runtime, exported once and cached; mean-pooling BERT-like "
        "models), sentence-transformers (PyTorch), or auto (for the bundled default on cpu: PyTorch bf16 on a CPU "
        "with AMX, else onnx int8; otherwise sentence-transformers)",
    )
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="sentence-transformers backend: bf16 (checked against fp32 at load; fp32 if it disagrees), fp32, "
        "or auto (bf16 on a cpu with AMX matrix units, else fp32)",
    )
    quantize: bool = Field(True, description="onnx backend: int8 dynamic quantization (checked against fp32)")
    threads: int | None = Field(None, gt=0, description="onnx backend: CPU threads (unset: all cores, at most 8)")


AMX_ENV = "GROUNDSET_CPU_AMX"  # "1" / "0" overrides the CPU detection (benchmarks and tests force each branch)


def cpu_has_bf16_matrix_units() -> bool:
    """Whether the CPU has Intel AMX bf16 tiles: ``$GROUNDSET_CPU_AMX`` ("1" / "0") when set, else from
    /proc/cpuinfo on Linux (no torch import), else from PyTorch's own check; False when none can tell."""
    forced = os.environ.get(AMX_ENV, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    return _detected_amx()


@lru_cache(maxsize=1)
def _detected_amx() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "amx_bf16" in line.split()
    except OSError:
        pass
    try:
        import torch

        return bool(torch.cpu._is_amx_tile_supported())
    except Exception:  # noqa: BLE001 - a private helper: absent or failing means "don't know"
        return False


def resolve_precision(cfg: EmbedConfig) -> str:
    """'fp32' or 'bf16' for the sentence-transformers backend: 'auto' is bf16 on a CPU with AMX, else fp32."""
    if cfg.model.startswith("openai:"):
        return "fp32"  # not ours to choose
    if cfg.precision != "auto":
        return cfg.precision
    return "bf16" if cfg.device == "cpu" and cpu_has_bf16_matrix_units() else "fp32"


def resolve_backend(cfg: EmbedConfig) -> str:
    """The backend ``cfg`` means. 'auto', for the bundled model on CPU: sentence-transformers in bf16 where the CPU has
    AMX (the fastest measured there), else onnx int8 (when onnxruntime is installed)."""
    if cfg.model.startswith("openai:"):
        return "openai"
    if cfg.backend != "auto":
        return cfg.backend
    if cfg.model == "default" and cfg.device == "cpu" and importlib.util.find_spec("onnxruntime") is not None:
        return "sentence-transformers" if resolve_precision(cfg) == "bf16" else "onnx"
    return "sentence-transformers"
