"""The sub-tables of ``[evaluate]`` that configure one judge: ``[evaluate.default]``, ``[evaluate.verifier]``,
``[evaluate.nli]``, ``[evaluate.ragas]`` and ``[evaluate.llm]``.

```toml
[evaluate]
judge = "auto"                        # a configured or cached verifier, else llm with a real generator, else default

[evaluate.verifier]
model = "vectara/hallucination_evaluation_model"   # a Hub id (in your HF cache) or a local path

[evaluate.llm]                        # unset keys: those of [llm] (the generator's backend and model)
spec = "openai:bespokelabs/Bespoke-MiniCheck-7B"
base_url = "http://localhost:8001/v1"
```
No judge module is imported here: ``groundset.evaluate.config`` reads these models on every command.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["DefaultJudgeConfig", "VerifierConfig", "NLIConfig", "RagasConfig", "JudgeLLMConfig", "CombineConfig",
           "merged_llm_config"]

VerifierKind = Literal["auto", "hhem", "minicheck", "minicheck-t5", "nli", "token"]


class VerifierConfig(BaseModel):
    """A fact-checking model scoring each sentence against windows of its cited chunks (judge = "verifier")."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str | None = Field(
        None, description="Hub id (already in your Hugging Face cache) or local folder of a fact-checking model: "
        "HHEM-2.1-open, MiniCheck (RoBERTa / DeBERTa / Flan-T5), an MNLI cross-encoder or a LettuceDetect token "
        "classifier",
    )
    kind: VerifierKind = Field(
        "auto", description="how the model reads its input: hhem | minicheck | minicheck-t5 | nli | token (auto: from "
        "the model's config and name)",
    )
    label: str | None = Field(
        None, description="nli: the label meaning 'supported'; token: the label meaning 'unsupported' (default: found "
        "in the model's id2label)",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field("auto", description="auto: the GPU when there is one")
    backend: Literal["auto", "torch", "onnx"] = Field(
        "auto", description="auto: PyTorch on a GPU, ONNX Runtime int8 on a CPU (exported once, checked against PyTorch)"
    )
    max_length: int | None = Field(None, gt=32, description="tokens per model input (default: the model's maximum)")
    window_overlap: int = Field(
        64, ge=0, description="tokens shared by neighbouring windows of a long context (a window starts at a sentence)"
    )
    batch_size: int = Field(16, gt=0, description="model inputs per forward pass (sorted by length)")
    trust_remote_code: bool = Field(False, description="allow a model's own code (not needed for the known models)")


class DefaultJudgeConfig(BaseModel):
    """judge = "default": the offline judge (MiniLM + lexical + fact checks, weights in gate_weights.json)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    lexical_sure: float = Field(
        0.8, ge=0, le=1, description="token recall above which a claim needs no embedding comparison"
    )
    semantic_low: float = Field(0.4, ge=-1, le=1, description="unused since the default judge's decision is learned "
                                "(gate_weights.json); kept so that existing configs load")
    semantic_high: float = Field(0.85, ge=-1, le=1, description="unused, see semantic_low")
    semantic_candidates: int = Field(
        3, gt=0, description="context sentences (best by token overlap) compared by embedding"
    )

    @model_validator(mode="after")
    def _semantic_range(self) -> "DefaultJudgeConfig":
        if self.semantic_low >= self.semantic_high:
            raise ValueError(f"semantic_low ({self.semantic_low}) must be below semantic_high ({self.semantic_high})")
        return self


class RagasConfig(BaseModel):
    """judge = "ragas": the ragas Faithfulness metric on an OpenAI-compatible endpoint."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str | None = Field(None, description="model name (default: the [llm] openai: model)")


class NLIConfig(BaseModel):
    """judge = "nli": a sequence-classification model (NLI or hallucination cross-encoder) run with transformers."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str | None = Field(
        None, description="HF sequence-classification model name or local path (NLI or hallucination model)"
    )
    label: str | None = Field(None, description="label meaning 'supported' (default: found by name)")
    device: str = Field("cpu", description="cpu | cuda | mps")
    batch_size: int = Field(16, gt=0, description="model inputs per forward pass")
    max_length: int = Field(512, gt=16, description="tokens of premise + claim")
    trust_remote_code: bool = Field(False, description="allow the model's own code (e.g. HHEM)")


class JudgeLLMConfig(BaseModel):
    """A dedicated judge model for judge = "llm"; every unset key is taken from ``[llm]``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    spec: str | None = Field(None, description="openai:MODEL | vllm:MODEL | local[:MODEL] (unset: [llm] spec)")
    base_url: str | None = Field(None, description="OpenAI-compatible server of the judge model (unset: [llm] base_url)")
    api_key_env: str | None = Field(None, description="environment variable with its API key (unset: [llm]'s)")
    concurrency: int | None = Field(None, gt=0, description="parallel requests (unset: [llm]'s)")
    timeout_s: float | None = Field(None, gt=0)
    max_model_len: int | None = Field(None, gt=0, description="vllm backend (unset: [llm.vllm] max_model_len)")

    @field_validator("spec")
    @classmethod
    def _known_backend(cls, v: str | None) -> str | None:
        if v is not None:
            from groundset.llm.config import LLMConfig

            LLMConfig._known_kind(v)  # the same message as a bad [llm] spec
        return v

    def is_set(self) -> bool:
        return any(v is not None for v in self.model_dump().values())


class CombineConfig(BaseModel):
    """judge = "combine": several judges at once, each with its own threshold."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    judges: list[str] = Field(default_factory=lambda: ["default", "verifier"],
                              description="the judges combined (each keeps its [evaluate] thresholds entry)")
    mode: Literal["all", "fusion"] = Field(
        "all", description="all: a sentence must pass every judge's threshold; fusion: a logistic model over the "
        "judges' scores, weights fitted by `groundset evaluate calibrate --judge combine`",
    )
    weights: dict[str, float] = Field(default_factory=dict, description="fusion: weight per judge (from calibrate)")
    bias: float = Field(0.0, description="fusion: intercept (from calibrate)")


def merged_llm_config(llm_cfg: Any, judge_llm: JudgeLLMConfig):
    """``[llm]`` with the keys ``[evaluate.llm]`` sets replaced (validated again: a bad spec names its key)."""
    changes = {k: v for k, v in judge_llm.model_dump().items() if v is not None}
    if not changes:
        return llm_cfg
    merged = {**llm_cfg.model_dump(), **changes}
    if "max_model_len" in changes:  # the judge's engine: [llm.vllm] with its own context length
        merged["vllm"] = {**merged["vllm"], "max_model_len": merged.pop("max_model_len")}
    return type(llm_cfg).model_validate(merged)
