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
    return load_config(None, {"generate.tasks": {"qa": 3, "multihop": 2, "conversation": 2, "textbook": 2, "rag": 2}})


@pytest.fixture
def attempt_of(config, fake_corpus):
    """attempt_of(task, j=0, **overrides) -> the planned Attempt j of ``task`` over the fake corpus."""

    def make(task: str, j: int = 0, **overrides):
        cfg = config
        if overrides:
            cfg = load_config(None, {**{f"generate.{task}.{k}": v for k, v in overrides.items()},
                                     "generate.tasks": {task: 3}})
        return TaskPlan(task, cfg, fake_corpus).attempt(j)

    return make
