"""judge = "auto" (the default) in each situation, and where its choice is printed and recorded."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.evaluate.judges.auto import choose, resolve
from groundset.evaluate.runner import evaluate, stage_fingerprint
from groundset.llm.fake import FakeLLM
from groundset.workdir import Workdir
from tests.evaluate import tiny_verifiers as tv
from tests.evaluate.conftest import qa


def chosen(overrides):
    c = resolve(load_config(None, overrides)).evaluate
    return c.judge, c._auto_reason, c.verifier.model


def test_auto_is_the_default_and_offline_it_is_the_default_judge():
    assert load_config(None).evaluate.judge == "auto"
    judge, why, _ = chosen({})
    assert judge == "default" and "no verifier model" in why and "'local'" in why
    assert chosen({"llm.spec": "fake"})[0] == "default"


@pytest.mark.parametrize("spec", ["openai:Qwen/Qwen2.5-7B-Instruct", "vllm:Qwen/Qwen2.5-7B-Instruct"])
def test_a_served_generator_checks_the_claims(spec):
    judge, why, _ = chosen({"llm.spec": spec})
    assert judge == "llm" and spec in why


def test_a_served_judge_model_of_its_own():
    judge, why, _ = chosen({"evaluate.llm.spec": "openai:bespokelabs/Bespoke-MiniCheck-7B"})
    assert judge == "llm" and "[evaluate.llm] spec" in why


def test_a_configured_verifier_wins(tmp_path):
    judge, why, model = chosen({"llm.spec": "openai:x", "evaluate.verifier.model": str(tmp_path)})
    assert (judge, model) == ("verifier", str(tmp_path)) and "configured" in why


def test_a_cached_verifier_model_is_found_and_named(tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    tv.put_in_hub_cache(hub, "lytang/MiniCheck-RoBERTa-Large", tv.roberta(tmp_path / "roberta"))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    judge, why, model = chosen({"llm.spec": "openai:x"})
    assert (judge, model) == ("verifier", "lytang/MiniCheck-RoBERTa-Large") and str(hub) in why
    tv.put_in_hub_cache(hub, "vectara/hallucination_evaluation_model", tv.hhem(tmp_path / "hhem"))
    assert chosen({})[2] == "vectara/hallucination_evaluation_model"  # the preferred one of those cached


def test_an_explicit_judge_is_left_alone():
    config = load_config(None, {"evaluate.judge": "default", "llm.spec": "openai:x"})
    assert resolve(config) is config
    ev = load_config(None).evaluate
    assert choose(ev, load_config(None).llm).judge == "default"


def test_the_stage_records_the_choice_and_its_fingerprint_follows_it(tmp_path):
    w = Workdir(tmp_path / "w").ensure()
    w.samples_dir.mkdir(parents=True, exist_ok=True)
    w.samples("qa").write_text(qa("a", "Who led them?", "Their leader was Rollo.").model_dump_json() + "\n")
    reply = json.dumps({"quote": "under their leader Rollo", "verdict": "supported"})
    config = load_config(None, {"llm.spec": "openai:x", "llm.base_url": "http://127.0.0.1:9/v1",
                                "evaluate.dedup": "false"})
    result = evaluate(config, w, FakeLLM(default=reply), progress=False)
    judge = result.summary["judge"]
    assert judge["name"] == "llm" and judge["chosen_by"].startswith("auto: the generator [llm] spec")
    assert result.kept == 1
    offline = load_config(None)
    assert stage_fingerprint(offline) == stage_fingerprint(load_config(None, {"evaluate.judge": "default"}))
    served = {"llm.spec": "openai:x", "llm.base_url": "http://127.0.0.1:9/v1"}
    assert stage_fingerprint(load_config(None, served)) == stage_fingerprint(
        load_config(None, {**served, "evaluate.judge": "llm"}))
    assert stage_fingerprint(load_config(None, served)) != stage_fingerprint(offline)


def test_groundset_run_prints_the_choice_and_why(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The Normans came from Norway.")
    res = CliRunner().invoke(cli, ["--workdir", str(tmp_path / "w"), "--set", f"ingest.paths=[\"{docs}\"]",
                                   "--set", "llm.spec=openai:Qwen/Qwen2.5-7B-Instruct", "run", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "evaluate: judge auto → llm (the generator [llm] spec = 'openai:Qwen/Qwen2.5-7B-Instruct'" in res.output
    assert "llm judge via [llm]" in res.output


def test_a_bad_judge_model_spec_is_refused_when_the_config_loads():
    from groundset.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[evaluate\] llm.spec: .*unknown backend 'opnai' \(did you mean 'openai'\?\)"):
        load_config(None, {"evaluate.llm.spec": "opnai:x"})


def test_evaluate_threshold_applies_to_the_judge_auto_chose(tmp_path):
    w = Workdir(tmp_path / "w").ensure()
    w.samples_dir.mkdir(parents=True, exist_ok=True)
    w.samples("qa").write_text(qa("a", "Who led them?", "Their leader was Rollo.").model_dump_json() + "\n")
    res = CliRunner().invoke(cli, ["-w", str(w.root), "evaluate", "--no-progress", "--threshold", "0.42", "--no-dedup"])
    assert res.exit_code == 0, res.output
    judge = json.loads(w.evaluate_summary.read_text())["judge"]
    assert (judge["name"], judge["threshold"]) == ("default", 0.42) and judge["chosen_by"].startswith("auto: ")
    assert "chosen by auto: no verifier model" in " ".join(res.output.split())
