"""The bundled SmolLM2 for the slow real-model tests, or a skip when this install lacks it."""

from __future__ import annotations

import pytest


def bundled_llm(batch_size: int):
    """A ``LocalLLM`` on the bundled model (1 thread), or ``pytest.skip`` without transformers / the model."""
    pytest.importorskip("transformers")
    from groundset.llm.config import LLMConfig
    from groundset.llm.local import LocalLLM, default_model_file

    try:
        default_model_file()
    except Exception as e:  # noqa: BLE001 - the bundled model package is not installed here
        pytest.skip(f"bundled model missing: {e}")
    return LocalLLM(LLMConfig(local={"batch_size": batch_size, "threads": 1}))
