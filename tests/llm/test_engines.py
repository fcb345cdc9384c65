"""One LLM engine per process: what makes two configs share one, and closing them all."""

from __future__ import annotations

import logging

import groundset.llm as llm_pkg
from groundset.llm import load_llm
from groundset.llm.config import LLMConfig
from groundset.llm.engines import close_engines, shared_backend
from groundset.llm.fake import FakeLLM


class Engine(FakeLLM):
    def __init__(self, fail_close: bool = False):
        super().__init__(name="fake")
        self.closed, self.fail_close = 0, fail_close

    def close(self):
        self.closed += 1
        if self.fail_close:
            raise RuntimeError("GPU already gone")


def test_configs_differing_only_in_cache_or_prices_share_an_engine(monkeypatch):
    monkeypatch.setattr(llm_pkg, "make_backend", lambda cfg: Engine())
    a = shared_backend(LLMConfig(spec="fake"))
    assert shared_backend(LLMConfig(spec="fake", cache=False, price_prompt_per_m=2.0)) is a
    assert shared_backend(LLMConfig(spec="fake", local={"batch_size": 3})) is not a
    assert load_llm(LLMConfig(spec="fake")).backend is a
    private = load_llm(LLMConfig(spec="fake"), shared=False)
    assert private.backend is not a
    private.close()
    assert private.backend.closed == 1 and a.closed == 0


def test_closing_the_engines_survives_a_failing_close_and_starts_afresh(monkeypatch, caplog):
    engines = [Engine(fail_close=True), Engine()]
    monkeypatch.setattr(llm_pkg, "make_backend", lambda cfg: engines.pop(0))
    first = shared_backend(LLMConfig(spec="fake"))
    other = shared_backend(LLMConfig(spec="fake", local={"batch_size": 2}))
    with caplog.at_level(logging.WARNING):
        close_engines()
    assert first.closed == 1 and other.closed == 1 and "GPU already gone" in caplog.text
    monkeypatch.setattr(llm_pkg, "make_backend", lambda cfg: Engine())
    assert shared_backend(LLMConfig(spec="fake")) is not first
