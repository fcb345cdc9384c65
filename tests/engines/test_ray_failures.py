"""What the ray engine says when work fails on the workers: one plain error naming the step and what to do next."""

from __future__ import annotations

import pytest

from groundset.config import load_config
from groundset.engines.ray_generate import load_ray_llm
from groundset.engines.ray_session import RayEngineError
from groundset.ingest.pipeline import ingest
from groundset.llm.base import ChatRequest
from groundset.workdir import Workdir

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


def test_an_embedding_model_the_workers_cannot_load_fails_before_reading(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nSome text that would be chunked and embedded.\n")
    config = load_config(None, {"run.engine": "ray", "embed.model": str(tmp_path / "no-such-model"),
                                "embed.backend": "sentence-transformers"})
    workdir = Workdir(tmp_path / "work")
    with pytest.raises(RayEngineError, match="embedding model could not be loaded on the Ray workers"):
        ingest([tmp_path / "a.md"], config, workdir, progress=False)
    assert not workdir.ingest_report.exists()  # nothing half-written: the run stopped before reading
