"""The nli judge: a Hugging Face sequence-classification model scores each claim against each source chunk.

Any NLI or hallucination-detection cross-encoder works when the user has it (by name in the HF cache, or a local
path): e.g. a DeBERTa MNLI model (labels entailment / neutral / contradiction) or a fact-checker with a single
"consistent" logit. Support of a claim = the highest probability of the 'supported' label over the sample's
chunks (premise = chunk, hypothesis = claim). Batched; CPU or GPU. transformers is touched only here.

Which output means 'supported': ``[evaluate.nli] label`` when set, else the first label whose name contains
entail / consistent / support / faithful / factual; a model with one output is read as a sigmoid score.
"""

from __future__ import annotations

from typing import Any

from groundset.errors import BackendError, MissingExtraError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import Judge, Prepared
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.registry import JUDGES

__all__ = ["NLIJudge", "supported_index"]

_SUPPORTED_NAMES = ("entail", "consistent", "support", "faithful", "factual")


def supported_index(id2label: dict[int, str], wanted: str | None = None) -> int | None:
    """Index of the 'supported' label in ``id2label`` (None: single-logit model), or BackendError saying what to set."""
    labels = {int(i): str(name) for i, name in id2label.items()}
    if len(labels) == 1:
        return None
    if wanted is not None:
        for i, name in labels.items():
            if name.lower() == wanted.lower():
                return i
        raise BackendError(f"[evaluate.nli] label = {wanted!r} is not a label of the model (labels: {sorted(labels.values())})")
    for i, name in sorted(labels.items()):
        if any(k in name.lower() for k in _SUPPORTED_NAMES):
            return i
    raise BackendError(
        f"cannot tell which label of the NLI model means 'supported' (labels: {sorted(labels.values())}); "
        "set [evaluate.nli] label to it"
    )


class NLIJudge(Judge):
    """Entailment probability of chunk → claim from a sequence-classification model."""

    name = "nli"

    def __init__(self, cfg: EvaluateConfig):
        super().__init__(cfg)
        if not cfg.nli.model:
            raise BackendError(
                "[evaluate] judge = 'nli' needs [evaluate.nli] model: a Hugging Face NLI or hallucination model name "
                "(in your HF cache) or local path, e.g. a DeBERTa MNLI model"
            )
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError:
            raise MissingExtraError("transformers", purpose="the nli judge") from None
        self._torch = torch
        kw: dict[str, Any] = {"trust_remote_code": cfg.nli.trust_remote_code}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(cfg.nli.model, **kw)
            self.model = AutoModelForSequenceClassification.from_pretrained(cfg.nli.model, **kw)
        except Exception as e:  # noqa: BLE001 - hub, file and config errors come in many types
            raise BackendError(
                f"cannot load NLI model {cfg.nli.model!r}: {type(e).__name__}: {e}. Give a local path or a model "
                "already in your Hugging Face cache (no downloads happen offline)"
            ) from None
        self.model.to(cfg.nli.device).eval()
        self.index = supported_index(self.model.config.id2label, cfg.nli.label)

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(model=self.cfg.nli.model, label=None if self.index is None else self.model.config.id2label[self.index])
        return d

    def _probabilities(self, pairs: list[tuple[str, str]]) -> list[float]:
        torch = self._torch
        out: list[float] = []
        bs = self.cfg.nli.batch_size
        for i in range(0, len(pairs), bs):
            batch = pairs[i : i + bs]
            enc = self.tokenizer(
                [p for p, _ in batch], [h for _, h in batch], truncation="only_first",
                max_length=self.cfg.nli.max_length, padding=True, return_tensors="pt",
            ).to(self.cfg.nli.device)
            with torch.inference_mode():
                logits = self.model(**enc).logits.float()
            if self.index is None:
                probs = torch.sigmoid(logits[:, 0])
            else:
                probs = torch.softmax(logits, dim=-1)[:, self.index]
            out.extend(float(p) for p in probs.cpu())
        return out

    def _supports(self, items: list[Prepared]) -> list[list[float]]:
        pairs: list[tuple[str, str]] = []
        for p in items:
            contexts = p.contexts or [""]
            pairs.extend((ctx, claim) for claim in p.claims for ctx in contexts)
        probs = iter(self._probabilities(pairs))
        result = []
        for p in items:
            n = len(p.contexts or [""])
            result.append([max(next(probs) for _ in range(n)) for _ in p.claims])
        return result


def _load(cfg: EvaluateConfig, **_: Any) -> NLIJudge:
    return NLIJudge(cfg)


JUDGES.register("nli", JudgeSpec(load=_load, threshold=0.5,
                                 description="an NLI / hallucination cross-encoder ([evaluate.nli] model)"), order=20)
