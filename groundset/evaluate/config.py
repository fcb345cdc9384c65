"""Configuration of the evaluate stage: the [evaluate] table of groundset.toml.

```toml
[evaluate]
judge = "auto"                    # auto | default (offline) | verifier | nli | llm | ragas
thresholds = { default = 0.45 }   # per judge; unnamed judges keep their defaults
decontaminate = ["benchmarks/mmlu.jsonl"]
rating = false
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from groundset.config_compat import move_flat_keys
from groundset.evaluate.config_judges import (
    CombineConfig,
    DefaultJudgeConfig,
    JudgeLLMConfig,
    NLIConfig,
    RagasConfig,
    VerifierConfig,
)
from groundset.registry import Registered

__all__ = ["EvaluateConfig", "default_thresholds"]

# Adherence below the threshold rejects a sample ("unsupported"). The default judge registers the threshold its
# weights were fitted with (groundset/evaluate/gate_weights.json, benchmarks/fit_gate.py: the 0.05 grid point with the
# best mean balanced accuracy over the fit groups, never looking at the FaithBench check half).
# Calibrate on labelled data of your own with `groundset evaluate calibrate --labelled FILE.jsonl`.
# nli / llm: 0.5 is the natural cut of a probability / vote share; ragas: share of supported statements.
# Each judge registers its default threshold with itself (groundset.registry.JUDGES).


_MOVED = {
    **{f"nli_{k}": ("nli", k) for k in ("model", "label", "device", "batch_size", "max_length", "trust_remote_code")},
    **{k: ("default", k) for k in ("lexical_sure", "semantic_low", "semantic_high", "semantic_candidates")},
    "ragas_model": ("ragas", "model"),
}


def default_thresholds() -> dict[str, float]:
    """Judge name -> its registered default threshold."""
    from groundset.registry import JUDGES

    return {name: spec.threshold for name, spec in JUDGES.items()}


class EvaluateConfig(BaseModel):
    """Which judge decides grounding, and the filters' thresholds."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # --- grounding judge -----------------------------------------------------------------------------------------
    judge: Registered("JUDGES") = Field(
        "auto", description="auto (a configured or cached verifier model, else llm when [llm] is an openai: / vllm: "
        "model, else default) | default (offline, MiniLM + lexical + fact checks) | verifier | nli | llm | ragas",
        json_schema_extra={"registry": "JUDGES"},
    )
    thresholds: dict[str, float] = Field(
        default_factory=default_thresholds,
        description="adherence threshold per judge, each in [0, 1]; a sample below it is rejected as unsupported",
    )
    aggregate: Literal["min", "mean"] = Field(
        "min",
        description="sample adherence from claim supports: min (every sentence must hold) or mean (any claim that "
        "fails a hard fact check still caps the sample); the default judge's aggregate is learned instead",
    )
    hard_checks: bool = Field(
        True, description="numbers, dates, names, quoted strings and code identifiers of a claim must occur in the sources"
    )
    hard_fail_score: float = Field(0.1, ge=0, le=1, description="highest support a claim failing a hard check can get "
                                   "(the default judge weighs missing facts as learned features instead)")
    on_judge_error: Literal["reject", "keep"] = Field(
        "reject", description="a sample the judge could not score (e.g. LLM output unparseable): reject or keep it"
    )
    batch_size: int = Field(64, gt=0, description="samples scored per judge call")
    trim: bool = Field(
        True,
        description="keep an answer / passage that fails only by its trailing sentences, with those removed when "
        "the rest passes and still answers the question (recorded as details.trim, reason 'trimmed'; the original "
        "is kept in evaluation.details for DPO pairs); off: such samples are rejected",
    )
    trim_min_keep: float = Field(0.5, gt=0, le=1, description="trim only when this share of the sentences remains")

    # default judge
    default: DefaultJudgeConfig = Field(default_factory=DefaultJudgeConfig, description="default judge: its knobs")

    # nli judge
    nli: NLIConfig = Field(default_factory=NLIConfig, description="nli judge: the model")

    # llm judge
    llm_polls: int = Field(1, gt=0, le=10, description="llm judge: verdicts per sample (ChainPoll); support = share of 'yes'")
    llm_max_tokens: int = Field(256, gt=0, description="llm judge: output tokens per claim's verdict (label + quote)")
    llm_top_logprobs: int = Field(
        5, ge=0, le=20, description="llm judge: alternatives per token asked for; P(supported) is read from them "
        "where the backend returns logprobs (0: the label alone)",
    )
    llm: JudgeLLMConfig = Field(default_factory=JudgeLLMConfig, description="llm judge: a dedicated judge model")

    # verifier judge
    verifier: VerifierConfig = Field(default_factory=VerifierConfig, description="verifier judge: the model")
    combine: CombineConfig = Field(default_factory=CombineConfig, description="combine judge: which judges, how")

    # ragas judge
    ragas: RagasConfig = Field(default_factory=RagasConfig, description="ragas judge: the model")

    # --- other filters ---------------------------------------------------------------------------------------------
    sanity: bool = Field(True, description="reject empty/truncated answers, question == answer, copied chunks, repeats")
    copy_ratio: float = Field(0.9, gt=0, le=1, description="answer covering this share of a chunk verbatim is copied")

    roundtrip_k: int = Field(
        5, ge=0, le=1000, description="round-trip filter: a question must retrieve its source chunk(s) in the top k "
        "of the collection (0: off)"
    )

    dedup: bool = Field(True, description="remove exact and near duplicates across the run (best-scoring one stays)")
    dedup_minhash_threshold: float = Field(0.8, gt=0, le=1, description="MinHash Jaccard of questions / answers")
    dedup_num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations")
    dedup_embedding_threshold: float | None = Field(
        0.95, gt=0, le=1, description="cosine of question+answer embeddings above which two are duplicates (unset: off)"
    )

    decontaminate: list[str] = Field(
        default_factory=list, description="benchmark files (jsonl, json, txt, csv, parquet) or saved dataset dirs"
    )
    decontam_ngram: int = Field(13, ge=3, le=50, description="word n-gram length shared with a benchmark = contaminated")
    decontam_min_words: int = Field(
        6, ge=1, description="benchmark strings of at least this many words also match when equal to a sample field"
    )

    rating: bool = Field(False, description="LLM quality rating 1-5 (self-curation rubric), kept as a column")
    min_rating: int = Field(3, ge=1, le=5, description="samples rated below this are rejected (rating = true)")
    rating_max_tokens: int = Field(256, gt=0)

    _auto_reason: str | None = PrivateAttr(None)  # set when judge "auto" was resolved (judges/auto.py)

    @model_validator(mode="before")
    @classmethod
    def _old_flat_keys(cls, data: Any) -> Any:
        return move_flat_keys(data, "evaluate", _MOVED)

    @field_validator("thresholds", mode="before")
    @classmethod
    def _merge_thresholds(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        defaults = default_thresholds()
        unknown = sorted(set(v) - set(defaults))
        if unknown:
            raise ValueError(f"unknown judge(s) {unknown}: thresholds are per judge, one of {', '.join(defaults)}")
        return {**defaults, **v}

    @field_validator("thresholds")
    @classmethod
    def _in_range(cls, v: dict[str, float]) -> dict[str, float]:
        for judge, t in v.items():
            if not 0.0 <= t <= 1.0:
                raise ValueError(f"threshold of judge {judge!r} must be in [0, 1], got {t}")
        return v

    @field_validator("decontaminate")
    @classmethod
    def _no_empty_paths(cls, v: list[str]) -> list[str]:
        if any(not p.strip() for p in v):
            raise ValueError("empty path in decontaminate")
        return v

    @property
    def threshold(self) -> float:
        """The threshold of the selected judge."""
        return self.thresholds[self.judge]
