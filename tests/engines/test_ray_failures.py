"""What the ray engine says when work fails on the workers: one plain error naming the step and what to do next."""

from __future__ import annotations

import pytest

from groundset.config import load_config
from groundset.engines.ray_generate import load_ray_llm
from groundset.engines.ray_session import RayEngineError
from groundset.llm.base import ChatRequest

pytestmark = pytest.mark.usefixtures("ray_cluster")


class BrokenBackend:
    """A raw backend that cannot work at all on the worker (a lost GPU, a model that will not load)."""

    name = "broken"

    def chat(self, requests):
        raise RuntimeError("CUDA error: device lost")


def test_a_failing_llm_round_stops_the_stage_with_the_workers_message():
    llm = load_ray_llm(load_config(None, {"run.engine": "ray", "llm.spec": "fake"}), None, "generate",
                       backend=BrokenBackend())
    with pytest.raises(RayEngineError, match=r"\(broken\): RuntimeError: CUDA error: device lost; fix it and run"):
        llm.chat([ChatRequest(messages=[{"role": "user", "content": "hi"}])])
