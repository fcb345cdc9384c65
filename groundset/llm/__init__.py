"""LLM backends behind one batch-first interface: a list of ``ChatRequest`` in, a list of ``ChatResult`` out, in order.

>>> from groundset.llm import load_llm, ChatRequest
>>> from groundset.llm.config import LLMConfig
>>> llm = load_llm(LLMConfig(spec="fake"))
>>> llm.chat([ChatRequest(messages=[{"role": "user", "content": "Hi"}])])[0].ok
True

``load_llm(cfg, workdir, stage)`` reads the spec string — ``local[:MODEL]`` (default; transformers on CPU, the
bundled SmolLM2), ``openai:MODEL`` (any OpenAI-compatible server at ``cfg.base_url``), ``vllm:MODEL`` (offline
vLLM, the ``vllm`` extra) or ``fake`` (extractive replies grounded in each prompt's documents, which pass generate's
checks and the gate: ``fake_replies``) — and wraps the backend with the SQLite
response cache, JSON-schema validation with one repair attempt, and usage accounting (see ``managed``).
Heavy libraries are imported only when their backend is used.
"""

from __future__ import annotations

import json
from typing import Any

from groundset.llm.base import LLM, ChatRequest, ChatResult
from groundset.llm.config import LLMConfig
from groundset.llm.fake import FakeLLM
from groundset.llm.managed import ManagedLLM, wrap
from groundset.llm.spec import split_spec
from groundset.llm.usage import Usage

__all__ = [
    "LLM", "ChatRequest", "ChatResult", "FakeLLM", "LLMConfig", "ManagedLLM", "Usage",
    "load_llm", "make_backend", "wrap", "estimate_tokens", "close_engines",
]


def close_engines() -> None:
    """Close the backends ``load_llm`` shared in this process (see ``engines``)."""
    from groundset.llm.engines import close_engines as close

    close()


def make_backend(cfg: LLMConfig) -> Any:
    """The raw backend named by ``cfg.spec`` (no cache, no repair, no accounting), from ``registry.BACKENDS``."""
    from groundset.registry import BACKENDS

    return BACKENDS.get(split_spec(cfg.spec)[0]).load(cfg)


def load_llm(cfg: LLMConfig, workdir=None, stage: str = "generate", *, shared: bool = True) -> LLM:
    """The LLM that generators and judges use: ``cfg.spec``'s backend with cache (when ``cfg.cache`` and a
    ``workdir`` is given), structured-output repair and usage saved to ``workdir.usage`` under ``stage``.

    The backend is the process's shared one for ``cfg`` (``engines.shared_backend``): generate and evaluate in one
    process use ONE engine, closed by ``close_engines()``; closing the returned LLM closes only its cache.
    ``shared=False`` builds a private backend, closed with the LLM."""
    if shared:
        from groundset.llm.engines import shared_backend

        return ManagedLLM(shared_backend(cfg), cfg, workdir=workdir, stage=stage, owns_backend=False)
    return wrap(make_backend(cfg), cfg, workdir=workdir, stage=stage)


def _approx_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def estimate_tokens(requests: list[ChatRequest]) -> tuple[int, int]:
    """(prompt tokens, completion tokens upper bound) of ``requests`` without calling any model.

    Prompt tokens are approximated as characters / 4 plus 4 per message (and the schema, which some backends add to
    the prompt); the completion bound is the sum of ``max_tokens``. Repairs can add up to as much again.
    """
    prompt = completion = 0
    for r in requests:
        prompt += sum(_approx_tokens(m.get("content") or "") + 4 for m in r.messages)
        if r.json_schema is not None:
            prompt += _approx_tokens(json.dumps(r.json_schema))
        completion += r.max_tokens
    return prompt, completion
