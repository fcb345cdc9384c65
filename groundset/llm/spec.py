"""What ``load_llm`` needs to know of an LLM backend, registered once in ``groundset.registry.BACKENDS``.

A backend module ends with its registration; ``[llm] spec`` validation (``KIND[:MODEL]``), its error message and
``load_llm`` then know it:

>>> BACKENDS.register("vllm", BackendSpec(load=VLLMBackend, usage="vllm:MODEL", needs_model=True))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["BackendSpec", "split_spec"]


def split_spec(spec: str) -> tuple[str, str]:
    """``"openai:Qwen/Qwen2.5-7B-Instruct"`` → ``("openai", "Qwen/Qwen2.5-7B-Instruct")``; ``"local"`` → ``("local", "")``."""
    kind, _, model = spec.partition(":")
    return kind, model


@dataclass(frozen=True)
class BackendSpec:
    """An LLM backend: ``load(llm_config)`` builds the raw backend (a ``chat(requests) -> results`` object; heavy
    libraries imported there, not at registration); ``usage`` is how a spec names it (``openai:MODEL``);
    ``needs_model``: a spec without ``:MODEL`` is an error; ``served``: a real model behind an OpenAI-compatible
    endpoint (``base_url``), which judges that speak that API (ragas) and ``judge = "auto"`` can use."""

    load: Callable[[Any], Any]
    usage: str
    needs_model: bool = False
    served: bool = False
    description: str = ""
