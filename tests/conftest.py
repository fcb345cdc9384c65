"""Shared fixtures. Every test runs with HOME, caches and the working directory inside its own tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
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
    monkeypatch.delenv("GROUNDSET_WORKDIR", raising=False)
    monkeypatch.delenv("GROUNDSET_CONFIG", raising=False)
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
