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
