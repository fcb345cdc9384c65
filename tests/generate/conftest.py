from __future__ import annotations

import pytest

from groundset.config import load_config
from groundset.generate.corpus import Corpus
from groundset.generate.plan import TaskPlan
from tests.generate.fakes import MemoryStore, bow_embed, make_chunks


@pytest.fixture
def fake_chunks():
    return make_chunks()


@pytest.fixture
def fake_corpus(fake_chunks):
    return Corpus(MemoryStore(fake_chunks), encode=bow_embed)


@pytest.fixture
def config():
    # the fake backend, as the tests use FakeLLM (on "local", multihop's mode "auto" would be its bridge mode)
    return load_config(None, {"generate.tasks": {"qa": 3, "multihop": 2, "conversation": 2, "textbook": 2, "rag": 2},
                              "llm.spec": "fake"})


@pytest.fixture
def attempt_of(config, fake_corpus):
    """attempt_of(task, j=0, seed_contains=None, **overrides) -> a planned Attempt of ``task`` (fake corpus)."""

    def make(task: str, j: int = 0, seed_contains: str | None = None, **overrides):
        cfg = config
        if overrides:
            cfg = load_config(None, {**{f"generate.{task}.{k}": v for k, v in overrides.items()},
                                     "generate.tasks": {task: 3}, "llm.spec": "fake"})
        plan = TaskPlan(task, cfg, fake_corpus)
        if seed_contains is not None:  # the first attempt seeded by the chunk containing this text
            j = next(i for i in range(len(plan.units)) if seed_contains in plan.attempt(i).seeds[0].text)
        return plan.attempt(j)

    return make
