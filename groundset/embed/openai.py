"""An OpenAI-compatible ``/v1/embeddings`` endpoint as an embedder (``[embed] model = "openai:MODEL"``); httpx is
touched only here.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from groundset.embed.base import _normalise
from groundset.errors import BackendError

__all__ = ["OpenAIEmbedder"]


class OpenAIEmbedder:
    """An OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, TEI, Ollama, hosted APIs)."""

    def __init__(self, model: str, base_url: str | None, api_key_env: str, batch_size: int = 64,
                 max_tokens: int | None = None, timeout_s: float = 60.0):
        import httpx

        if not base_url:
            raise BackendError(f"[embed] model = 'openai:{model}' needs [embed] base_url, e.g. http://localhost:8000/v1")
        self.name = model
        self.batch_size = batch_size
        self.max_tokens = max_tokens or 512
        self.text_limit = self.max_tokens - 2  # count_tokens is an estimate: keep a margin
        key = os.environ.get(api_key_env, "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)
        self.dim = int(self._embed(["dimension probe"]).shape[1])

    def _embed(self, texts: list[str]) -> np.ndarray:
        import httpx

        try:
            r = self._client.post("/embeddings", json={"model": self.name, "input": texts})
            r.raise_for_status()
        except httpx.HTTPError as e:
            raise BackendError(f"embeddings endpoint {self._client.base_url} failed: {type(e).__name__}: {e}") from None
        data = sorted(r.json()["data"], key=lambda d: d["index"])
        return _normalise(np.array([d["embedding"] for d in data], dtype=np.float32))

    def count_tokens(self, text: str) -> int:
        """Approximation (no tokenizer for a remote model): ~0.75 words per token."""
        return int(len(text.split()) / 0.75) + 1

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs = batch_size or self.batch_size
        return np.vstack([self._embed(list(texts[i : i + bs])) for i in range(0, len(texts), bs)])
