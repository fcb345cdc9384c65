"""Shared fixtures. Every test runs with HOME, caches and the working directory inside its own tmp_path.

Nothing process-wide leaks from one test into the next: the environment is restored after each test (groundset's
CLI sets telemetry variables itself), and so are PyTorch's thread count and the current directory. The embedding
backend never depends on the CPU: ``GROUNDSET_CPU_AMX=0`` makes every machine take the ONNX int8 branch that a CPU
without AMX takes; tests of the PyTorch bf16 branch (tests/test_embed.py) force it explicitly. Exported ONNX models
live in one cache per test session (``GROUNDSET_CACHE``), so the export is paid once; a test that checks the cache
itself gives its own ``GROUNDSET_CACHE``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def _session_model_cache(tmp_path_factory) -> Path:
    """Where exported embedding models are kept for the whole session (an export takes seconds, not results)."""
    return tmp_path_factory.mktemp("groundset-model-cache")


@pytest.fixture(autouse=True)
def _restore_process_state():
    """Put back the environment and PyTorch's thread count as they were before the test."""
    env = dict(os.environ)
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    yield
    if os.environ != env:
        os.environ.clear()
        os.environ.update(env)
    torch = sys.modules.get("torch")
    if torch is not None:
        want = threads if threads is not None else (os.cpu_count() or 1)
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch, _restore_process_state, _session_model_cache):
    """No test touches the real home, caches or the network; each starts in its own directory."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("UNSTRUCTURED_DISABLE_NOTICE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    for var in ("HF_HOME", "HF_HUB_CACHE"):  # judge "auto" looks for verifier models there: the test's cache only
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("GROUNDSET_WORKDIR", raising=False)
    monkeypatch.delenv("GROUNDSET_CONFIG", raising=False)
    monkeypatch.setenv("GROUNDSET_CPU_AMX", "0")  # the same embedding backend on every CPU (see module docstring)
    monkeypatch.setenv("GROUNDSET_CACHE", str(_session_model_cache))
    monkeypatch.chdir(tmp_path)
    yield
    from groundset.llm.engines import close_engines

    close_engines()  # LLM engines are shared per process: none outlives its test


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus when present (CI and developer machines); tests using it skip cleanly otherwise."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS
