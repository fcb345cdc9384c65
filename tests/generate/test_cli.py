"""`groundset generate`: flags onto config, dry run, summary, exit status."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from groundset.cli import EXIT_PARTIAL, cli
from groundset.config import load_config
from groundset.llm.fake import FakeLLM
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, echo_llm, fill_store


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    wd = Workdir(tmp_path / "work").ensure()
    fill_store(load_config(None), wd)
    return wd


def invoke(work, *args):
    return CliRunner().invoke(cli, ["--workdir", str(work.root), "generate", "--no-progress", *args],
                              catch_exceptions=False)


def test_dry_run_prints_plan_and_loads_no_model(work, monkeypatch):
    monkeypatch.setattr("groundset.llm.load_llm", lambda *a, **k: pytest.fail("model loaded"), raising=False)
    r = invoke(work, "--task", "qa", "--task", "conversation", "--n", "2", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "dry run" in r.output and "qa" in r.output and "conversation" in r.output
    assert "2 (≤" in r.output  # qa: 2 planned calls
    assert not work.samples("qa").exists()


def test_run_maps_flags_and_writes_samples(work, monkeypatch):
    seen = {}

    def fake_load(cfg, workdir=None, stage="generate"):
        seen["spec"], seen["url"] = cfg.spec, cfg.base_url
        return echo_llm()

    monkeypatch.setattr("groundset.llm.load_llm", fake_load, raising=False)
    r = invoke(work, "-t", "qa", "-n", "3", "--llm", "openai:some-model", "--base-url", "http://x/v1", "--seed", "4")
    assert r.exit_code == 0, r.output
    assert seen == {"spec": "openai:some-model", "url": "http://x/v1"}
    assert len(list(read_jsonl(work.samples("qa")))) == 3
    assert "LLM calls" in r.output


def test_partial_run_exits_3_with_the_reason(work, monkeypatch):
    monkeypatch.setattr("groundset.llm.load_llm", lambda *a, **k: FakeLLM(default="no json"), raising=False)
    r = invoke(work, "-t", "qa", "-n", "2")
    assert r.exit_code == EXIT_PARTIAL
    assert "invalid_json" in r.output and "max_attempts_factor" in r.output


def test_bad_task_is_a_usage_error(work):
    r = CliRunner().invoke(cli, ["--workdir", str(work.root), "generate", "--task", "summaries"])
    assert r.exit_code == 2 and "summaries" in r.output
