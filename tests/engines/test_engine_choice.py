"""Choosing the engine: config and flags, no fingerprint change, and the errors when Ray is missing or unreachable."""

from __future__ import annotations

import sys
import types

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.engines import uses_ray
from groundset.engines.config import RunConfig
from groundset.engines.ray_session import RayEngineError, connect, import_ray
from groundset.errors import ConfigError, MissingExtraError
from groundset.stages import fingerprint


def test_engine_is_local_by_default_and_ray_on_request():
    assert not uses_ray(load_config(None))
    assert uses_ray(load_config(None, {"run.engine": "ray", "run.ray_address": "ray://head:10001"}))
    with pytest.raises(ConfigError, match=r"\[run\] engine"):
        load_config(None, {"run.engine": "spark"})


@pytest.mark.parametrize("stage", ["ingest", "generate", "export"])
def test_switching_engine_changes_no_fingerprint(stage):
    assert fingerprint(stage, load_config(None, {"run.engine": "ray"})) == fingerprint(stage, load_config(None))


def test_cli_flags_set_the_engine(tmp_path):
    out = tmp_path / "groundset.toml"
    result = CliRunner().invoke(cli, ["--engine", "ray", "--ray-address", "ray://head:10001", "init", str(out)])
    assert result.exit_code == 0, result.output
    assert "[run]" in out.read_text() and "ray_address" in out.read_text()
    bad = CliRunner().invoke(cli, ["--engine", "spark", "status"])
    assert bad.exit_code == 2 and "spark" in bad.output


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtraError, match=r"groundset\[ray\]"):
        import_ray()


def test_unreachable_cluster_says_what_to_change(monkeypatch):
    fake = types.ModuleType("ray")
    fake.data = types.ModuleType("ray.data")
    fake.is_initialized = lambda: False

    def init(**kwargs):
        raise ConnectionError(f"cannot reach {kwargs.get('address')}")

    fake.init = init
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setitem(sys.modules, "ray.data", fake.data)
    with pytest.raises(RayEngineError, match=r"ray://nowhere:10001.*ray_address"):
        connect(RunConfig(engine="ray", ray_address="ray://nowhere:10001"))


@pytest.mark.parametrize("cpus, actors, want", [(2, 1, (1.0, 1.0)), (1, 1, (0.5, 0.5)), (4, 4, (0.5, 1.0)),
                                                (16, 4, (1.0, 1.0))])
def test_embedding_actors_never_take_every_cpu_from_the_readers(cpus, actors, want):
    from groundset.engines.ray_ingest import cpu_shares

    actor, read = cpu_shares(cpus, actors)
    assert (actor, read) == want
    assert read > 0 and actors * actor + read <= cpus


class _PlanRecorder:
    """Stands in for ``ray`` (and a Dataset) to record how ``ray_ingest._dataset`` builds its plan."""

    def __init__(self):
        self.steps = []
        self.data = types.SimpleNamespace(from_items=lambda items, **kw: self, TaskPoolStrategy=dict,
                                          ActorPoolStrategy=lambda **kw: kw)

    def cluster_resources(self):
        return {"CPU": 4.0}

    def flat_map(self, fn, **kw):
        self.steps.append(("flat_map", kw))
        return self

    def map_batches(self, fn, **kw):
        self.steps.append(("map_batches", kw))
        return self


HOST, COMPOSE = "http://localhost:6333", "http://qdrant:6333"


@pytest.mark.parametrize("url, worker_url, want", [(None, None, None), (HOST, None, HOST), (HOST, COMPOSE, COMPOSE)])
def test_the_ingest_plan_bounds_retries_and_gives_the_writers_the_workers_url(url, worker_url, want):
    from groundset.engines.ray_ingest import _dataset

    overrides = {"run.engine": "ray", "run.ray_retries": 2, "run.ray_embed_actors": 2}
    if url:
        overrides["store.url"] = url
    if worker_url:
        overrides["run.ray_store_url"] = worker_url
    ray = _PlanRecorder()
    _dataset(ray, [{"path": "a.md"}], load_config(None, overrides), skip=set())
    (_, read), (_, embed) = ray.steps
    assert read["max_retries"] == 2  # keyword remote args: deprecated in Ray Data 2.60, removed in 2.64
    assert (embed["max_restarts"], embed["max_task_retries"]) == (2, 2)
    store = embed["fn_constructor_kwargs"]["store_cfg"]
    assert (store or {}).get("url") == want  # None: the embedded store, the driver is its one writer
    assert embed["compute"] == {"size": 2, "max_tasks_in_flight_per_actor": 2}
