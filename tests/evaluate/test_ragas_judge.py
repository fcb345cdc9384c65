"""The ragas adapter with a stub metric. The real ragas (extra `ragas`) is not installed here: untested for real."""

import asyncio
import builtins
import math

import pytest

from groundset.errors import MissingExtraError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.ragas import RagasJudge, build_metric
from groundset.llm.config import LLMConfig


class StubFaithfulness:
    """Mimics ragas 0.4 ``metrics.collections.Faithfulness.ascore`` → an object with ``.value``."""

    def __init__(self, values):
        self.values = list(values)
        self.calls = []

    async def ascore(self, user_input, response, retrieved_contexts):
        self.calls.append((user_input, response, retrieved_contexts))
        value = self.values.pop(0)
        if isinstance(value, Exception):
            raise value
        return type("MetricResult", (), {"value": value})()


def test_score_comes_from_ragas_and_errors_are_kept():
    metric = StubFaithfulness([0.5, RuntimeError("rate limited"), math.nan])
    judge = RagasJudge(EvaluateConfig(judge="ragas"), metric=metric)
    items = [JudgeInput(texts=["Rollo led them. They came from Norway."], contexts=["Rollo led the Norse from Norway."],
                        question="Who led them?")] * 3
    ok, failed, empty = judge.score(items)
    assert ok.adherence == 0.5 and [c.support for c in ok.claims] == [0.5, 0.5]
    assert "rate limited" in failed.error and "no statements" in empty.error
    assert metric.calls[0] == ("Who led them?", "Rollo led them. They came from Norway.", ["Rollo led the Norse from Norway."])


def test_missing_ragas_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_ragas(name, *args, **kwargs):
        if name.startswith("ragas") or name.startswith("openai"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ragas)
    with pytest.raises(MissingExtraError, match=r"groundset\[ragas\]"):
        build_metric(EvaluateConfig(judge="ragas"), LLMConfig(spec="openai:gpt-4o-mini"))


class LoopBoundFaithfulness:
    """Like ragas over an ``AsyncOpenAI`` client: its httpx pool belongs to the first event loop it ran on, and a
    call from another loop fails as httpx does once that loop is closed."""

    def __init__(self):
        self.loop = None
        self.calls = 0

    async def ascore(self, user_input, response, retrieved_contexts):
        loop = asyncio.get_running_loop()
        if self.loop is None:
            self.loop = loop
        elif self.loop is not loop:
            raise RuntimeError("Event loop is closed")
        self.calls += 1
        return type("MetricResult", (), {"value": 1.0})()


def test_two_batches_share_one_event_loop_and_close_releases_it():
    metric = LoopBoundFaithfulness()
    judge = RagasJudge(EvaluateConfig(judge="ragas"), metric=metric)
    item = JudgeInput(texts=["Rollo led them."], contexts=["Rollo led the Norse."], question="Who led them?")
    first = judge.score([item, item])
    second = judge.score([item, item])
    assert [v.error for v in first + second] == [None] * 4
    assert [v.adherence for v in second] == [1.0, 1.0] and metric.calls == 4
    loop = metric.loop
    judge.close()
    assert loop.is_closed()
