"""The push path against a local fake Hub (HF_ENDPOINT): what huggingface_hub sends, and that the token stays secret.

Exercised: create_repo, repo file listing, README YAML validation, preupload, the NDJSON commit with inline files
and deletions. Not exercised (no Hub here): LFS / Xet storage uploads, which the real Hub asks for parquet files.
"""

import io
import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.export.hf import PushError
from groundset.export.runner import export
from tests.export.fake_hub import FakeHub, visibility_asked
from tests.export.fixtures import filled_workdir, qa

TOKEN = "hf_testtoken_ABCDEFGHIJKLMNOP"


@pytest.fixture
def online(monkeypatch):
    import huggingface_hub.constants as c

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)


def _kept():
    return [qa(i, f"d{i % 4}") for i in range(12)]


def test_push_creates_repo_and_commits_parquet_and_card(tmp_path, monkeypatch, online, capfd):
    wd = filled_workdir(tmp_path / "w", _kept())
    with FakeHub(existing_files=["data/validation-00000-of-00001.parquet", ".gitattributes"]) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        result = CliRunner().invoke(
            cli, ["--workdir", str(wd.root), "export", "--format", "jsonl", "--push-to-hub", "me/grounded", "--private"]
        )
        assert result.exit_code == 0, result.output
    create = next(r for r in hub.requests if r["path"] == "/api/repos/create")
    body = json.loads(create["body"])
    assert visibility_asked(body) is True and (body["name"], body["organization"], body["type"]) == (
        "grounded", "me", "dataset")
    assert all(r["headers"].get("authorization") == f"Bearer {TOKEN}" for r in hub.requests)
    ops = hub.commit_ops()
    assert ops[0]["key"] == "header"
    files = {op["value"]["path"]: op["value"].get("bytes") for op in ops if op["key"] == "file"}
    deleted = [op["value"]["path"] for op in ops if op["key"] == "deletedFile"]
    assert deleted == ["data/validation-00000-of-00001.parquet"]
    assert set(files) == {"README.md", "LICENSE.md", "data/train-00000-of-00001.parquet",
                          "data/test-00000-of-00001.parquet"}
    card = files["README.md"].decode()
    assert "data/train-*.parquet" in card and "dataset_info:" in card
    pushed = sum(pq.read_table(io.BytesIO(files[f])).num_rows for f in files if f.endswith(".parquet"))
    assert pushed == 12
    assert "commit" in result.output
    # the token is never printed nor written
    out, err = capfd.readouterr()
    assert TOKEN not in result.output + out + err
    for path in wd.root.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_push_refused_names_the_fix(tmp_path, monkeypatch, online):
    wd = filled_workdir(tmp_path / "w", _kept())
    cfg = load_config(None, {"export.push_to_hub": "me/grounded"})
    with FakeHub(status=401) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        with pytest.raises(PushError, match="HTTP 401.*HF_TOKEN"):
            export(cfg, wd)
    assert (wd.export_dir / "qa" / "README.md").exists()  # the local export is kept


def test_push_unreachable_endpoint(tmp_path, monkeypatch, online):
    wd = filled_workdir(tmp_path / "w", _kept())
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused
    with pytest.raises(PushError, match="cannot reach"):
        export(load_config(None, {"export.push_to_hub": "me/grounded"}), wd)


def _push(wd, *flags):
    return CliRunner().invoke(cli, ["--workdir", str(wd.root), "export", "--push-to-hub", "me/grounded", *flags])


def _paths(hub):
    return [(r["method"], r["path"]) for r in hub.requests]


def test_private_makes_an_existing_public_repo_private_before_uploading(tmp_path, monkeypatch, online):
    wd = filled_workdir(tmp_path / "w", _kept())
    with FakeHub(repos={"me/grounded": False}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        result = _push(wd, "--private")
        assert result.exit_code == 0, result.output
    assert hub.repos["me/grounded"] is True
    paths = _paths(hub)
    settings = paths.index(("PUT", "/api/datasets/me/grounded/settings"))
    commit = paths.index(("POST", "/api/datasets/me/grounded/commit/main"))
    assert settings < commit
    put = hub.requests[settings]
    assert visibility_asked(json.loads(put["body"])) is True


def test_private_refuses_when_the_repo_cannot_be_made_private(tmp_path, monkeypatch, online):
    wd = filled_workdir(tmp_path / "w", _kept())
    with FakeHub(repos={"me/grounded": False}, settings_status=403) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        result = _push(wd, "--private")
    assert result.exit_code == 1
    assert "exists and is public" in result.output and "nothing was pushed" in result.output
    assert not any(p.endswith("/commit/main") or "/preupload/" in p for _, p in _paths(hub))
    assert hub.repos["me/grounded"] is False


def test_private_repo_already_private_is_left_alone(tmp_path, monkeypatch, online):
    wd = filled_workdir(tmp_path / "w", _kept())
    with FakeHub(repos={"me/grounded": True}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert _push(wd, "--private").exit_code == 0
    assert not any(m == "PUT" for m, _ in _paths(hub)) and hub.repos["me/grounded"] is True


def test_no_flag_sends_no_visibility_so_the_namespace_default_holds(tmp_path, monkeypatch, online):
    wd = filled_workdir(tmp_path / "w", _kept())
    with FakeHub(org_private_default=True) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert _push(wd).exit_code == 0
    create = next(r for r in hub.requests if r["path"] == "/api/repos/create")
    assert visibility_asked(json.loads(create["body"])) is None
    assert hub.repos["me/grounded"] is True


def test_public_never_publishes_an_existing_private_repo(tmp_path, monkeypatch, online):
    wd = filled_workdir(tmp_path / "w", _kept())
    with FakeHub(repos={"me/grounded": True}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert _push(wd, "--public").exit_code == 0
    assert hub.repos["me/grounded"] is True and not any(m == "PUT" for m, _ in _paths(hub))


@pytest.mark.parametrize("fmt,writes", [("parquet", 1), ("jsonl", 2)])
def test_a_push_writes_the_dataset_once_per_layout_and_converts_rows_once(tmp_path, monkeypatch, online, fmt, writes):
    """A parquet export is pushed as written: one write, one card. Another format adds only the parquet copy the
    Hub needs, from the same Arrow tables."""
    from groundset.export import hf, runner

    calls = {"write": 0, "card": 0, "convert": 0}

    def count(name, fn):
        def wrapped(*a, **k):
            calls[name] += 1
            return fn(*a, **k)
        return wrapped

    monkeypatch.setattr(hf, "write_dataset", count("write", hf.write_dataset))
    monkeypatch.setattr(runner, "render_card", count("card", runner.render_card))
    monkeypatch.setattr(hf, "_dataset", count("convert", hf._dataset))
    wd = filled_workdir(tmp_path / "w", _kept())
    with FakeHub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        result = export(load_config(None, {"export.format": fmt, "export.push_to_hub": "me/grounded"}), wd)
    assert result.pushed
    assert calls == {"write": writes, "card": writes, "convert": len(result.split_rows)}
    files = {op["value"]["path"] for op in hub.commit_ops() if op["key"] == "file"}
    assert files == {"README.md", "LICENSE.md", *(f"data/{s}-00000-of-00001.parquet" for s in result.split_rows)}
