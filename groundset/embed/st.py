"""sentence-transformers models (PyTorch): any name or local path, the bundled MiniLM by default; bf16 where it agrees
with fp32. sentence-transformers is touched only here.

>>> emb = SentenceTransformerEmbedder("default")      # doctest: +SKIP
>>> emb.encode(["a sentence"]).shape                  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from groundset.embed.base import DEFAULT_NAME, MIN_COSINE, PROBES, _normalise, default_model_path, fast_tokenizer, \
    special_token_count
from groundset.errors import BackendError

__all__ = ["SentenceTransformerEmbedder"]


class SentenceTransformerEmbedder:
    """A sentence-transformers model by name or local path ('default' = the bundled MiniLM)."""

    def __init__(self, model: str = "default", device: str = "cpu", batch_size: int = 32, max_tokens: int | None = None,
                 precision: str = "fp32"):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

        path = default_model_path() if model == "default" else model
        self.name = DEFAULT_NAME if model == "default" else model
        self.model_path = path
        try:
            self.model = SentenceTransformer(path, device=device)
        except Exception as e:  # noqa: BLE001 - sentence-transformers raises many kinds
            raise BackendError(
                f"cannot load embedding model {model!r}: {e}. Use [embed] model = 'default' for the bundled offline "
                "model, a local path, or a name available in your Hugging Face cache."
            ) from None
        if max_tokens:
            self.model.max_seq_length = max_tokens
        self.max_tokens = int(self.model.max_seq_length or 512)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.batch_size = batch_size
        self.tokenizer = self.model.tokenizer
        self._tk = fast_tokenizer(self.tokenizer) if hasattr(self.tokenizer, "backend_tokenizer") else None
        specials = special_token_count(self._tk) if self._tk else len(self.tokenizer.encode(""))
        self.text_limit = self.max_tokens - specials
        self.precision = "fp32"
        self.bf16_min_cosine: float | None = None
        if precision == "bf16":
            self._to_bf16()

    def _to_bf16(self) -> None:
        """Run in bfloat16 if it agrees with fp32 on the probe sentences (cosine >= MIN_COSINE), else stay fp32."""
        import torch

        reference = self.encode(PROBES)
        self.model.to(torch.bfloat16)
        worst = float((self.encode(PROBES) * reference).sum(axis=1).min())
        self.bf16_min_cosine = worst
        if worst >= MIN_COSINE:
            self.precision = "bf16"
        else:  # casting back would keep bf16's rounding: reload the fp32 weights
            seq = self.model.max_seq_length
            self.model = type(self.model)(self.model_path, device=str(self.model.device))
            self.model.max_seq_length = seq

    def set_threads(self, n: int) -> None:
        """CPU threads PyTorch may use (process-wide); ingest lowers it while reader processes share the cores."""
        import torch

        if self.model.device.type == "cpu" and torch.get_num_threads() != n:
            torch.set_num_threads(n)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's own tokenizer, without special tokens."""
        if self._tk is None:
            return len(self.tokenizer.encode(text, add_special_tokens=False))
        return len(self._tk.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self.model.encode(
            list(texts), batch_size=batch_size or self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return _normalise(np.asarray(v, dtype=np.float32))
