"""The fact-checking models a verifier runs, each read the way its authors do. transformers is touched only here.

| kind | models | input | P(supported) |
|---|---|---|---|
| ``hhem`` | HHEM-2.1-open | its prompt "<pad> Determine if the hypothesis is true given the premise?…" | softmax of the T5 token head at token 0, class 1 |
| ``minicheck`` | MiniCheck RoBERTa / DeBERTa | ``premise + eos_token + claim``, one sequence | softmax, class 1 |
| ``minicheck-t5`` | MiniCheck Flan-T5 | ``"predict: " + premise + eos_token + claim`` | first decoder token, softmax over ids 3 / 209 |
| ``nli`` | any MNLI-style cross-encoder | (premise, claim) pair | the entailment label of ``config.id2label`` |
| ``token`` | LettuceDetect (ModernBERT), any token classifier | (RAGTruth prompt with the passages, answer) | 1 − the 'hallucinated' probability of the sentence's tokens |

``load_scorer(cfg)`` finds the files (``verifier_hub.locate``: no download), picks the kind (``[evaluate.verifier]
kind``, else ``verifier_hub.KNOWN``, else the model's config), loads tokenizer and model on the device, and returns a
``Scorer``. A scorer's ``head()`` is a ``torch.nn.Module`` from token ids to probabilities: what runs under PyTorch,
and what ``verifier_onnx`` exports. The HHEM checkpoint is read without its remote code (that code downloads
flan-t5-base at start): its weights go into transformers' own ``T5ForTokenClassification`` built from the config of
its ``foundation`` model, whose tokenizer must be in the cache too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from groundset.errors import BackendError, MissingExtraError
from groundset.evaluate.config_judges import VerifierConfig
from groundset.evaluate.judges.verifier_hub import known, locate

__all__ = ["Scorer", "PairScorer", "TokenScorer", "load_scorer", "detect_kind", "pick_device", "PROMPT_QA",
           "PROMPT_SUMMARY", "MINICHECK_T5_IDS"]

MINICHECK_T5_IDS = (3, 209)  # MiniCheck-Flan-T5: first decoder token "▁" = unsupported, "▁1" = supported
HHEM_PROMPT = "<pad> Determine if the hypothesis is true given the premise?\n\nPremise: {text1}\n\nHypothesis: {text2}"
# LettuceDetect's (RAGTruth's) prompts: the passages are the first sequence, the answer the second
PROMPT_QA = ("Briefly answer the following question:\n{question}\nBear in mind that your response should be strictly "
             "based on the following {num_passages} passages:\n{context}\nIn case the passages do not contain the "
             "necessary information to answer the question, please reply with: \"Unable to answer based on given "
             "passages.\"\noutput:")
PROMPT_SUMMARY = "Summarize the following text:\n{text}\noutput:"
_HALLUCINATED = ("hallucinat", "unsupported", "not_supported", "unfaithful", "inconsistent")


def pick_device(want: str) -> str:
    """``auto`` → cuda when torch sees a GPU, else mps, else cpu."""
    if want != "auto":
        return want
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def _read_config(folder: Path, name: str) -> dict[str, Any]:
    f = folder / "config.json"
    if not f.is_file():
        raise BackendError(f"verifier model {name!r}: no config.json in {folder}; is this a transformers model folder?")
    return json.loads(f.read_text(encoding="utf-8"))


def detect_kind(name: str, config: dict[str, Any]) -> str:
    """The input format of a model from its config (architectures, model_type) and, for MiniCheck, its name."""
    archs = " ".join(config.get("architectures") or [])
    mtype = str(config.get("model_type", ""))
    if mtype.startswith("HHEM") or "HHEM" in archs:
        return "hhem"
    k = known(name)
    if k is not None:
        return k.kind
    if "minicheck" in name.lower():
        return "minicheck-t5" if "ConditionalGeneration" in archs or mtype == "t5" else "minicheck"
    if "ForTokenClassification" in archs:
        return "token"
    if "ForSequenceClassification" in archs:
        return "nli"
    raise BackendError(
        f"verifier model {name!r} ({archs or mtype or 'unknown architecture'}): cannot tell how it reads its input; "
        "set [evaluate.verifier] kind = 'nli' | 'minicheck' | 'minicheck-t5' | 'hhem' | 'token'"
    )


def _limit(tokenizer: Any, config: Any, fallback: int = 512) -> int:
    """The model's own input limit: the tokenizer's ``model_max_length`` and absolute position embeddings."""
    found = []
    mml = getattr(tokenizer, "model_max_length", None)
    if isinstance(mml, int) and 0 < mml < 100_000:
        found.append(mml)
    pos = getattr(config, "max_position_embeddings", None)
    if isinstance(pos, int) and pos > 0 and getattr(config, "model_type", "") not in ("t5", "deberta-v2"):
        offset = (getattr(config, "pad_token_id", 0) or 0) + 1 if config.model_type in ("roberta", "xlm-roberta") else 0
        found.append(pos - offset)
    return min(found) if found else fallback


class Scorer:
    """A loaded verifier model. Subclasses say how inputs are built and what the head returns."""

    kind = "base"

    def __init__(self, name: str, folder: Path, kind: str, tokenizer: Any, model: Any, device: str,
                 max_length: int, label: str | None):
        self.name, self.folder, self.kind = name, folder, kind
        self.tokenizer, self.model, self.device = tokenizer, model, device
        self.max_length, self.label = max_length, label
        self.input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids")
                            if n in getattr(tokenizer, "model_input_names", ["input_ids", "attention_mask"])]
        self.runner = None  # an ONNX session runner (verifier_onnx) replaces the PyTorch head when set
        self.backend = "torch"

    def count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of every token of ``text`` (no special tokens)."""
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [tuple(o) for o in enc["offset_mapping"]]

    def head(self):
        raise NotImplementedError

    def run(self, features: list[dict[str, list[int]]]):
        """Probabilities (numpy) for a batch of unpadded features."""
        import numpy as np
        import torch

        batch = self.tokenizer.pad([{k: f[k] for k in self.input_names if k in f} for f in features],
                                   return_tensors="pt")
        if self.runner is not None:
            return self.runner({k: batch[k].numpy() for k in self.input_names if k in batch})
        with torch.inference_mode():
            out = self.head()(*[batch[k].to(self.device) for k in self.input_names if k in batch])
        return np.asarray(out.float().cpu().numpy())

    def probe_features(self) -> list[dict[str, list[int]]]:
        """A few real inputs, for checking an export against PyTorch."""
        raise NotImplementedError


class PairScorer(Scorer):
    """(premise, claim) → P(supported) for the kinds hhem, minicheck, minicheck-t5 and nli."""

    def __init__(self, *args: Any, index: int | None = 1, prompt: str = HHEM_PROMPT, **kw: Any):
        super().__init__(*args, **kw)
        self.index, self.prompt = index, prompt
        self.overhead = len(self.encode("", "")["input_ids"])

    def encode(self, premise: str, claim: str) -> dict[str, list[int]]:
        tok, eos = self.tokenizer, self.tokenizer.eos_token or self.tokenizer.sep_token or ""
        kw = {"truncation": True, "max_length": self.max_length}
        if self.kind == "nli":
            return dict(tok(premise, claim, truncation="only_first", max_length=self.max_length))
        if self.kind == "minicheck":
            return dict(tok(premise + eos + claim, **kw))
        if self.kind == "minicheck-t5":
            return dict(tok("predict: " + premise + eos + claim, **kw))
        return dict(tok(self.prompt.format(text1=premise, text2=claim), **kw))  # hhem

    def head(self):
        import torch

        model, kind, index = self.model, self.kind, self.index

        class Head(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                if kind == "minicheck-t5":
                    start = torch.zeros_like(input_ids[:, :1])  # decoder_start_token_id = pad = 0
                    logits = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                        decoder_input_ids=start).logits[:, 0, list(MINICHECK_T5_IDS)]
                    return torch.softmax(logits.float(), dim=-1)[:, 1]
                kw = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
                logits = self.model(input_ids=input_ids, attention_mask=attention_mask, **kw).logits.float()
                if kind == "hhem":
                    logits = logits[:, 0, :]
                if index is None:
                    return torch.sigmoid(logits[:, 0])
                return torch.softmax(logits, dim=-1)[:, index]

        return Head().eval()

    def probe_features(self) -> list[dict[str, list[int]]]:
        return [self.encode(p, c) for p, c in _PROBES]


class TokenScorer(Scorer):
    """(passages prompt, answer) → P(unsupported) per answer token (LettuceDetect and other token classifiers)."""

    kind = "token"

    def __init__(self, *args: Any, index: int = 1, **kw: Any):
        super().__init__(*args, **kw)
        self.index = index
        self.tokenizer.padding_side = "right"  # token positions of a padded batch = positions of the features

    def prompt(self, context: str, question: str | None) -> str:
        if question:
            return PROMPT_QA.format(question=question, num_passages=1, context=f"passage 1: {context}")
        return PROMPT_SUMMARY.format(text=f"passage 1: {context}")

    def overhead(self, question: str | None) -> int:
        return len(self.tokenizer(self.prompt("", question), "")["input_ids"])

    def encode(self, context: str, question: str | None, answer: str) -> dict[str, Any]:
        enc = self.tokenizer(self.prompt(context, question), answer, truncation="only_first",
                             max_length=self.max_length, return_offsets_mapping=True)
        seq = enc.sequence_ids()
        return {**{k: enc[k] for k in self.input_names if k in enc},
                "answer_offsets": [tuple(o) if s == 1 else None for o, s in zip(enc["offset_mapping"], seq)]}

    def head(self):
        import torch

        model, index = self.model, self.index

        class Head(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids=None):
                kw = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
                logits = self.model(input_ids=input_ids, attention_mask=attention_mask, **kw).logits.float()
                return torch.softmax(logits, dim=-1)[..., index]

        return Head().eval()

    def probe_features(self) -> list[dict[str, Any]]:
        return [self.encode(p, None, c) for p, c in _PROBES]


_PROBES = [
    ("The Normans were the people who gave their name to Normandy, a region in France.", "Normandy is in France."),
    ("In 1066 the Normans conquered England; about 3,500 knights took part.", "Ten thousand knights took part."),
    ("Paris is the capital of France. It has about two million inhabitants.", "Paris is a city."),
]


def _hallucinated_index(id2label: dict[Any, str], wanted: str | None, name: str) -> int:
    labels = {int(i): str(v) for i, v in id2label.items()}
    if wanted is not None:
        for i, v in labels.items():
            if v.lower() == wanted.lower():
                return i
        raise BackendError(f"[evaluate.verifier] label = {wanted!r} is not a label of {name} ({sorted(labels.values())})")
    for i, v in sorted(labels.items()):
        if any(k in v.lower() for k in _HALLUCINATED):
            return i
    if known(name) is not None and len(labels) == 2:
        return 1  # LettuceDetect: class 1 = hallucinated, per its authors
    raise BackendError(f"cannot tell which label of token classifier {name!r} means 'unsupported' "
                       f"(labels: {sorted(labels.values())}); set [evaluate.verifier] label to it")


def load_scorer(cfg: VerifierConfig) -> Scorer:
    """Find, load and place the model of ``[evaluate.verifier]`` (see the module docstring). Raises BackendError."""
    if not cfg.model:
        raise BackendError("judge = 'verifier' needs [evaluate.verifier] model: a Hub id already in your Hugging Face "
                           "cache (e.g. vectara/hallucination_evaluation_model, lytang/MiniCheck-RoBERTa-Large) or a "
                           "local folder")
    try:
        import torch
        import transformers as tf
    except ImportError:
        raise MissingExtraError("transformers", purpose="the verifier judge") from None
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the library is quiet
    name = cfg.model
    folder = locate(name)
    raw = _read_config(folder, name)
    kind = detect_kind(name, raw) if cfg.kind == "auto" else cfg.kind
    device = pick_device(cfg.device)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    kw: dict[str, Any] = {"trust_remote_code": cfg.trust_remote_code}
    prompt = HHEM_PROMPT
    try:
        if kind == "hhem":
            foundation = str(raw.get("foundation") or "google/flan-t5-base")
            base = locate(foundation, what=f"the foundation model of {name}")
            prompt = str(raw.get("prompt") or HHEM_PROMPT)
            tokenizer = tf.AutoTokenizer.from_pretrained(str(base))
            t5cfg = tf.AutoConfig.from_pretrained(str(base), num_labels=2)
            model = tf.T5ForTokenClassification.from_pretrained(str(folder), config=t5cfg, dtype=dtype,
                                                                key_mapping={r"^t5\.": ""})
        else:
            tokenizer = tf.AutoTokenizer.from_pretrained(str(folder), **kw)
            auto = {"token": tf.AutoModelForTokenClassification, "minicheck-t5": tf.AutoModelForSeq2SeqLM}.get(
                kind, tf.AutoModelForSequenceClassification)
            model = auto.from_pretrained(str(folder), dtype=dtype, **kw)
    except BackendError:
        raise
    except Exception as e:  # noqa: BLE001 - transformers raises OSError, ValueError, KeyError …
        raise BackendError(f"cannot load verifier model {name!r} from {folder} as kind {kind!r}: "
                           f"{type(e).__name__}: {e}") from None
    if not getattr(tokenizer, "is_fast", False):
        raise BackendError(f"verifier model {name!r}: its tokenizer has no fast (Rust) version, which the windows "
                           "need for character offsets; give a folder with a tokenizer.json")
    model.to(device).eval()
    k = known(name)
    max_length = cfg.max_length or (k.max_length if k and k.max_length else _limit(tokenizer, model.config))
    args = (name, folder, kind, tokenizer, model, device, max_length, cfg.label)
    if kind == "token":
        return TokenScorer(*args, index=_hallucinated_index(model.config.id2label, cfg.label, name))
    index: int | None = 1
    if kind == "nli":
        from groundset.evaluate.judges.nli import supported_index

        index = supported_index(model.config.id2label, cfg.label)
    return PairScorer(*args, index=index, prompt=prompt)


def pairs_in_batches(features: Sequence[dict], batch_size: int) -> list[list[int]]:
    """Indices of ``features`` in batches of ``batch_size``, sorted by length (little padding)."""
    order = sorted(range(len(features)), key=lambda i: len(features[i]["input_ids"]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
