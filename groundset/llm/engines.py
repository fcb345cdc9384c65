"""One engine per process: generate, the llm judge and the rating share the backend ``load_llm`` built first.

>>> a = shared_backend(LLMConfig(spec="fake")); b = shared_backend(LLMConfig(spec="fake", cache=False))
>>> a is b
True
>>> close_engines()

A vLLM engine takes ``gpu_memory_utilization`` (90 %) of the GPU: a second one in the same process finds the memory
taken, and the local model costs ~18 s and ~1.2 GB to load. So backends are kept per process, keyed by everything
in ``[llm]`` that shapes the engine (not the cache switch or the prices), and closed once at the end:
``close_engines()`` (``groundset run`` calls it; it is also registered with ``atexit``).
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import threading
from typing import Any

from groundset.llm.config import LLMConfig

__all__ = ["shared_backend", "close_engines", "engine_key"]

log = logging.getLogger(__name__)
_NOT_ENGINE = frozenset({"cache", "price_prompt_per_m", "price_completion_per_m"})
_ENGINES: dict[str, Any] = {}
_LOCK = threading.Lock()


def engine_key(cfg: LLMConfig) -> str:
    """What identifies an engine: the [llm] settings other than the cache switch and the prices."""
    return json.dumps({k: v for k, v in cfg.model_dump(mode="json").items() if k not in _NOT_ENGINE}, sort_keys=True)


def shared_backend(cfg: LLMConfig) -> Any:
    """The process's backend for ``cfg``: built by ``make_backend`` on first use, then handed out again."""
    from groundset.llm import make_backend

    key = engine_key(cfg)
    with _LOCK:
        backend = _ENGINES.get(key)
        if backend is None:
            if cfg.spec.startswith("vllm:") and any(getattr(b, "name", "").startswith("vllm:") for b in _ENGINES.values()):
                log.warning("a second vLLM engine (%s) starts in this process; GPU memory may not suffice", cfg.spec)
            backend = _ENGINES[key] = make_backend(cfg)
        return backend


def close_engines() -> None:
    """Close every shared backend (HTTP pools, the vLLM engine, the local model) and forget them."""
    with _LOCK:
        backends = list(_ENGINES.values())
        _ENGINES.clear()
    for backend in backends:
        close = getattr(backend, "close", None)
        if callable(close):
            try:
                close()
            except Exception as e:  # noqa: BLE001 - closing must not hide the run's own outcome
                log.warning("closing LLM backend %s failed: %s", getattr(backend, "name", "?"), e)
    if backends:
        gc.collect()


atexit.register(close_engines)
