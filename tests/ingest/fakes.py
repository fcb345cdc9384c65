"""A fast stand-in for the embedding model: the pipeline's bookkeeping tested without loading MiniLM."""

from __future__ import annotations

import hashlib
import re

import numpy as np

_TOKEN = re.compile(r"\w+|[^\w\s]")


class HashEmbedder:
    """Tokens are words and punctuation marks; a vector is a hash of the text (same text, same vector)."""

    name = "test-hash-embedder"
    dim = 16
    max_tokens = 256
    text_limit = 254

    def __init__(self):
        self.encoded = 0

    def count_tokens(self, text: str) -> int:
        return len(_TOKEN.findall(text))

    def encode(self, texts, batch_size=None):
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            digest = hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()
            out[i] = np.frombuffer(digest[: self.dim], dtype=np.uint8).astype(np.float32) + 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)
