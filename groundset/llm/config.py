"""Configuration of the LLM backends: the [llm] table of groundset.toml, with one sub-table per backend that has
keys of its own.

```toml
[llm]
spec = "vllm:Qwen/Qwen2.5-7B-Instruct"

[llm.vllm]
tensor_parallel_size = 2

[llm.local]                 # the bundled CPU model
batch_size = 16             # sequences decoded together
```
The old flat keys (``[llm] batch_size``, ``local_threads``, ``local_constrained``, ``tensor_parallel_size``,
``max_model_len``, ``gpu_memory_utilization``) are still read, with a deprecation note (``groundset.config_compat``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from groundset.config_compat import move_flat_keys

__all__ = ["LLMConfig", "LocalConfig", "VLLMConfig"]

_MOVED = {
    "batch_size": ("local", "batch_size"),
    "local_threads": ("local", "threads"),
    "local_constrained": ("local", "constrained"),
    "tensor_parallel_size": ("vllm", "tensor_parallel_size"),
    "max_model_len": ("vllm", "max_model_len"),
    "gpu_memory_utilization": ("vllm", "gpu_memory_utilization"),
}


class LocalConfig(BaseModel):
    """``[llm.local]``: the bundled CPU model (spec ``local[:MODEL]``)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    batch_size: int = Field(8, gt=0, description="sequences decoded together (their shared prompt prefix once)")
    threads: int | None = Field(None, gt=0, description="CPU threads for torch (default: the cores other processes "
                                "leave free)")
    constrained: bool = Field(True, description="decode requests that carry a JSON schema under that schema "
                              "(valid JSON)")


class VLLMConfig(BaseModel):
    """``[llm.vllm]``: the in-process vLLM engine (spec ``vllm:MODEL``)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    tensor_parallel_size: int = Field(1, gt=0, description="GPUs one engine is split over")
    max_model_len: int | None = Field(None, gt=0, description="context length of the engine (default: the model's)")
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1, description="share of the GPU's memory the engine takes")


class LLMConfig(BaseModel):
    """Which model generates and judges, and how it is called."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    spec: str = Field("local", description="local[:MODEL] | openai:MODEL | vllm:MODEL | fake")
    base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://localhost:8000/v1")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the API key")
    concurrency: int = Field(8, gt=0, description="parallel requests to an OpenAI-compatible server")
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(
        5, ge=0, description="openai backend: retries of a request on 429/5xx/timeout/connection errors"
    )
    retry_backoff_s: float = Field(
        1.0, gt=0, description="openai backend: first retry wait; doubles each retry, with jitter"
    )
    retry_max_wait_s: float = Field(60.0, gt=0, description="openai backend: cap on one wait, Retry-After included")
    price_prompt_per_m: float = Field(0.0, ge=0, description="price per million prompt tokens, for cost reports")
    price_completion_per_m: float = Field(0.0, ge=0)
    cache: bool = Field(True, description="persistent response cache in the workdir")
    local: LocalConfig = Field(default_factory=LocalConfig, description="the local backend")
    vllm: VLLMConfig = Field(default_factory=VLLMConfig, description="the vllm backend")

    @model_validator(mode="before")
    @classmethod
    def _old_flat_keys(cls, data: Any) -> Any:
        return move_flat_keys(data, "llm", _MOVED)

    @field_validator("spec")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        from groundset.registry import BACKENDS

        kind, _, model = v.partition(":")
        if kind not in BACKENDS:
            usages = [spec.usage for _, spec in BACKENDS.items()]
            use = ", ".join(usages[:-1]) + f" or {usages[-1]}" if len(usages) > 1 else "".join(usages)
            raise ValueError(f"unknown backend {kind!r}{BACKENDS.suggest(kind)}: use {use}")
        if BACKENDS.get(kind).needs_model and not model:
            raise ValueError(f"{kind} needs a model name, e.g. {kind}:Qwen/Qwen2.5-7B-Instruct")
        return v
