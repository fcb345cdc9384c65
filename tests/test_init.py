import tomllib

from click.testing import CliRunner
from pydantic import BaseModel

from groundset.cli import cli
from groundset.commands.init import render_config_template, toml_value
from groundset.config import Config, load_config


def _all_keys(model: type[BaseModel], table: str) -> list[tuple[str, str]]:
    keys = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            keys += _all_keys(info.annotation, f"{table}.{key}" if table else key)
        else:
            keys.append((table, key))
    return keys


def test_init_writes_every_key_and_loads_back_to_defaults(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "g.toml")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "g.toml").read_text()
    assert load_config(tmp_path / "g.toml") == Config()
    # every key of every section (and sub-section) is written, set or commented out when unset by default
    tables: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("["):
            current = line.split("]")[0][1:]
            tables[current] = []
        elif current and " = " in line:
            tables[current].append(line.lstrip("# ").split(" = ")[0].strip('"'))
    keys = _all_keys(Config, "")
    assert len(keys) > 40
    missing = [f"[{t}] {k}" for t, k in keys if k not in tables.get(t, [])]
    assert not missing
    assert "schema = " in text and "schema_" not in text  # the alias users write


def test_commented_keys_are_exactly_the_unset_ones():
    data = tomllib.loads(render_config_template())
    assert "base_url" not in data["llm"] and data["llm"]["spec"] == "local"
    assert "# base_url =" in render_config_template()


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "groundset.toml").write_text("# mine\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(tmp_path / "groundset.toml")])
    assert result.exit_code == 1 and "--force" in result.output
    assert runner.invoke(cli, ["init", "--force", str(tmp_path / "groundset.toml")]).exit_code == 0


def test_toml_values_round_trip():
    for v in [True, 0, -1.5, 1e-6, "a \"quoted\" \\ line\n", [1, 2], [("a", "b")], {"qa": 3, "odd key": 1.5}, {}]:
        parsed = tomllib.loads(f"v = {toml_value(v)}")["v"]
        expected = [list(x) for x in v] if v == [("a", "b")] else v
        assert parsed == expected


def test_demo_config_is_valid():
    from pathlib import Path

    cfg = load_config(Path(__file__).resolve().parents[1] / "groundset" / "demo" / "groundset.toml")
    assert cfg.ingest.paths == ["groundset/demo/python-tutorial"]
