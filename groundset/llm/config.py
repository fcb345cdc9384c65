"""Configuration of the LLM backends: the [llm] table of groundset.toml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["LLMConfig"]


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
    batch_size: int = Field(8, gt=0, description="local backend: sequences generated together")
    tensor_parallel_size: int = Field(1, gt=0, description="vllm backend")
    max_model_len: int | None = Field(None, gt=0, description="vllm backend")
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    price_prompt_per_m: float = Field(0.0, ge=0, description="price per million prompt tokens, for cost reports")
    price_completion_per_m: float = Field(0.0, ge=0)
    cache: bool = Field(True, description="persistent response cache in the workdir")
    local_threads: int | None = Field(
        None, gt=0, description="local backend: CPU threads for torch (default: torch's choice, all cores)"
    )
    local_constrained: bool = Field(
        True, description="local backend: decode requests that carry a JSON schema under that schema (valid JSON)"
    )

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
