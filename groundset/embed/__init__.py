"""Embedding models behind one small interface, used by ingest (chunks), generate (retrieval) and evaluate (judge).

>>> emb = load_embedder(EmbedConfig())                # the bundled all-MiniLM-L6-v2, offline   # doctest: +SKIP
>>> emb.encode(["a sentence"]).shape                                                             # doctest: +SKIP
(1, 384)

```
base.py     the Embedder protocol, the bundled model's path, the fp32 probes, tokenizer helpers   (numpy)
config.py   [embed] EmbedConfig; which backend / precision it means on this CPU (AMX detection)   (pydantic)
st.py       sentence-transformers models (PyTorch), bf16 where the CPU has AMX                   (sentence-transformers)
onnx.py     the same models exported to ONNX Runtime, int8-quantized, cached                     (onnxruntime)
openai.py   an OpenAI-compatible /v1/embeddings endpoint                                         (httpx)
```
Imports go one way (``st``, ``onnx``, ``openai`` → ``base``; ``__init__`` → ``config``, ``base``, and the backend
it loads, when it loads it): no cycle, and no heavy library until an embedder is built.
Vectors are float32 and L2-normalised, so a dot product is the cosine similarity.
Backends: ``[embed] backend = 'auto'`` runs the bundled model on CPU the fastest measured way for the CPU it is on:
in PyTorch bf16 where the CPU has bf16 matrix units (Intel AMX: ~2x fp32, 1.6x ONNX int8 on this project's Xeon),
else with ONNX Runtime, int8-quantized (exported once to the user cache). Either way the reduced-precision model is
checked against fp32 on probe sentences at load (cosine >= ``MIN_COSINE``) and fp32 is used when it falls short.
Other local models run with sentence-transformers; ``openai:MODEL`` calls an OpenAI-compatible endpoint.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from groundset.embed.base import DEFAULT_NAME, MIN_COSINE, PROBES, Embedder, default_model_path
from groundset.embed.config import AMX_ENV, EmbedConfig, cpu_has_bf16_matrix_units, resolve_backend, resolve_precision
from groundset.errors import BackendError

__all__ = ["Embedder", "EmbedConfig", "load_embedder", "default_model_path", "resolve_backend", "resolve_precision",
           "DEFAULT_NAME", "MIN_COSINE", "PROBES", "AMX_ENV", "cpu_has_bf16_matrix_units"]


@lru_cache(maxsize=4)
def _cached(model: str, device: str, batch_size: int, max_tokens: int | None, base_url: str | None, key_env: str,
            backend: str = "sentence-transformers", quantize: bool = True, threads: int | None = None,
            precision: str = "fp32"):
    if model.startswith("openai:"):
        from groundset.embed.openai import OpenAIEmbedder

        return OpenAIEmbedder(model.split(":", 1)[1], base_url, key_env, batch_size, max_tokens)
    if backend == "onnx":
        from groundset.embed.onnx import OnnxEmbedder

        path = default_model_path() if model == "default" else model
        if not Path(path).is_dir():
            raise BackendError(f"[embed] backend = 'onnx' needs a local model directory, not {model!r}; download it "
                               "once (e.g. with huggingface-cli) and give its path, or use backend = "
                               "'sentence-transformers'")
        name = DEFAULT_NAME if model == "default" else model
        return OnnxEmbedder(path, name, quantize=quantize, batch_size=batch_size, max_tokens=max_tokens,
                            threads=threads)
    from groundset.embed.st import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model, device, batch_size, max_tokens, precision)


def load_embedder(cfg: EmbedConfig) -> Embedder:
    """The embedder ``cfg`` names, loaded once per process."""
    return _cached(cfg.model, cfg.device, cfg.batch_size, cfg.max_tokens, cfg.base_url, cfg.api_key_env,
                   resolve_backend(cfg), cfg.quantize, cfg.threads, resolve_precision(cfg))
