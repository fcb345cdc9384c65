"""The evaluate stage end to end on a few literal samples in a tmp workdir."""

import json

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.errors import GroundsetError
from groundset.evaluate.runner import evaluate, stage_fingerprint
from groundset.llm.fake import FakeLLM
from groundset.records import Sample, Turn
from groundset.workdir import Workdir, read_jsonl
from tests.evaluate.conftest import citation, qa


def write(workdir, task, samples, rejects=()):
    workdir.samples_dir.mkdir(parents=True, exist_ok=True)
    with workdir.samples(task).open("a") as f:
        for s in samples:
            f.write(s.model_dump_json() + "\n")
    with workdir.rejects(task).open("a") as f:
        for r in rejects:
            f.write(json.dumps(r) + "\n")


def samples():
    return [
        qa("good", "Who led the Norse raiders?", "Their leader was Rollo."),
        qa("dup", "who led the norse raiders", "Their leader was Rollo!"),
        qa("invented", "How many knights took part?", "They had 900 knights, about 45% of them from Norway."),
        qa("empty", "What?", "  "),
        qa("swap", "Whom did they swear fealty to?", "They swore fealty to King Louis VII of West Francia."),
        Sample(id="conv", task="conversation", contexts=[citation()], turns=[
            Turn(role="user", content="Who were the Normans?"),
            Turn(role="assistant", content="Sure! They gave their name to Normandy, a region in France."),
            Turn(role="user", content="Who led them?"),
            Turn(role="assistant", content="Their leader was Rollo."),
        ]),
    ]


@pytest.fixture
def workdir(tmp_path):
    w = Workdir(tmp_path / "work").ensure()
    write(w, "qa", [s for s in samples() if s.task == "qa"], rejects=[{"raw": "unparseable"}])
    write(w, "conversation", [s for s in samples() if s.task == "conversation"])
    return w


def load(path):
    return {d["id"]: Sample.model_validate(d) for d in read_jsonl(path)}


def summary_threshold(workdir):
    return json.loads(workdir.evaluate_summary.read_text())["judge"]["threshold"]


def test_kept_rejected_and_summary(workdir, embedder):
    config = load_config(None, {"evaluate.dedup_embedding_threshold": "0.99"})
    result = evaluate(config, workdir, progress=False)
    kept, rejected = load(workdir.kept), load(workdir.rejected)
    assert set(kept) == {"good", "conv"}
    assert {k: v.evaluation.reasons for k, v in rejected.items()} == {
        "dup": ["duplicate"], "invented": ["unsupported"], "empty": ["empty"], "swap": ["unsupported"]}
    inv = rejected["invented"].evaluation
    assert inv.kept is False and inv.scores["adherence"] < summary_threshold(workdir)
    assert inv.unsupported == ["They had 900 knights, about 45% of them from Norway."]
    assert inv.details["claims"][0]["missing"] == ["900", "45%"]
    assert inv.details["decision"]["decision"] == "rejected"
    assert inv.details["decision"]["sentence"] == "They had 900 knights, about 45% of them from Norway."
    assert inv.details["decision"]["sentence_feature"] and inv.details["decision"]["why"]
    assert kept["good"].evaluation.details["decision"]["decision"] == "kept"
    assert rejected["dup"].evaluation.details["duplicate_of"] == "good"
    assert kept["good"].evaluation.kept is True and kept["good"].evaluation.scores["adherence"] >= 0.5
    assert kept["conv"].evaluation.details["not_checked"] == ["Sure!"]
    summary = json.loads(workdir.evaluate_summary.read_text())
    assert summary["total"] == 6 and summary["kept"] == 2 and result.kept == 2 and result.complete
    assert summary["reasons"] == {"unsupported": 2, "duplicate": 1, "empty": 1}
    assert summary["per_task"]["conversation"] == {"total": 1, "kept": 1, "rejected": 0, "reasons": {}}
    assert summary["judge"]["name"] == "default" and summary["thresholds"]["default"] == summary["judge"]["threshold"]
    assert summary["scores"]["adherence"]["n"] == 5 and summary["samples_per_s"] > 0
    assert set(summary["seconds"]) >= {"total", "sanity", "judge", "dedup"}


def test_rerun_replaces_outputs_and_resets_evaluations(workdir, embedder):
    config = load_config(None, {"evaluate.dedup": "false"})
    evaluate(config, workdir, progress=False)
    first = workdir.kept.read_text()
    evaluate(config, workdir, progress=False)
    assert workdir.kept.read_text() == first
    assert all(s.evaluation.reasons.count("unsupported") <= 1 for s in load(workdir.rejected).values())


WITH = ("The with statement allows objects like files to be used in a way that ensures they are always cleaned up "
        "promptly and correctly.")
TUTORIAL = ("Some objects define standard clean-up actions. " + WITH + " After the statement is executed, the file f "
            "is always closed, even if a problem was encountered while processing the lines.")


def test_trailing_unsupported_sentences_are_trimmed_and_recorded(tmp_path, embedder):
    """The demo's case: a sentence verbatim from the tutorial, then an invented one."""
    w = Workdir(tmp_path / "w").ensure()
    invented = "It was added to Python 1.2 by Guido van Rossum to replace the goto statement."
    write(w, "qa", [qa("t", "What does the with statement do?", f"{WITH} {invented}", context=TUTORIAL)])
    result = evaluate(load_config(None), w, progress=False)
    s = load(w.kept)["t"]
    assert s.answer == WITH
    assert s.evaluation.details["original_answer"] == f"{WITH} {invented}"
    trim = s.evaluation.details["trim"]
    assert trim["reason"] == "trimmed" and [r["text"] for r in trim["removed"]] == [invented]
    assert trim["removed"][0]["note"] and s.evaluation.details["trimmed"] == [invented]
    assert s.evaluation.unsupported == [] and s.evaluation.reasons == []
    assert s.evaluation.details["original_adherence"] < s.evaluation.scores["adherence"]
    assert result.summary["trimmed"] == 1


def test_an_unsupported_sentence_in_the_middle_is_not_trimmed(tmp_path, embedder):
    w = Workdir(tmp_path / "w").ensure()
    write(w, "qa", [qa("t", "Who led them?", "Their leader was Rollo. He had 900 ships. They came from Norway.")])
    evaluate(load_config(None), w, progress=False)
    s = load(w.rejected)["t"]
    assert s.evaluation.reasons == ["unsupported"] and "trim" not in s.evaluation.details


def test_trimming_can_be_switched_off(tmp_path, embedder):
    w = Workdir(tmp_path / "w").ensure()
    write(w, "qa", [qa("t", "What does the with statement do?", f"{WITH} It was added by Guido in 1994.",
                       context=TUTORIAL)])
    evaluate(load_config(None, {"evaluate.trim": "false"}), w, progress=False)
    assert load(w.rejected)["t"].evaluation.reasons == ["unsupported"]


def test_off_topic_and_degenerate_samples_are_rejected_with_why(tmp_path, embedder):
    w = Workdir(tmp_path / "w").ensure()
    lists = "Lists can contain other lists. A nested list is a list whose items are lists."
    write(w, "qa", [
        qa("off", "What is the difference between a list of tuples and a list of lists?",
           "The list of tuples holds tuples of lists, while a list of lists holds nested lists.", context=lists),
        qa("taut", "What can lists contain?", "A nested list is a nested list.", context=lists),
    ])
    evaluate(load_config(None), w, progress=False)
    rejected = load(w.rejected)
    assert rejected["off"].evaluation.reasons == ["off_topic_question"]
    assert "tupl" in rejected["off"].evaluation.details["sanity"]["off_topic_question"]
    assert rejected["taut"].evaluation.reasons == ["degenerate_answer"]
    assert rejected["taut"].evaluation.details["sanity"]["degenerate_answer"].startswith("tautology")


def test_llm_judge_and_rating_with_a_fake_llm(tmp_path):
    w = Workdir(tmp_path / "w").ensure()
    write(w, "qa", [qa("a", "Who led them?", "Their leader was Rollo."),
                    qa("b", "Where from?", "They came from Norway."),
                    qa("c", "When?", "In 1066.")])

    def reply(request):
        content = request.messages[-1]["content"]
        if "STATEMENT:" in content:
            if "STATEMENT:\nIn 1066." in content:
                return "garbled"
            return json.dumps({"quote": "Rollo", "verdict": "supported"})
        return "Short.\nScore: 2" if "Norway" in content else "Fine.\nScore: 5"

    config = load_config(None, {"evaluate.judge": "llm", "evaluate.rating": "true", "evaluate.dedup": "false"})
    result = evaluate(config, w, FakeLLM(default=reply), progress=False)
    kept, rejected = load(w.kept), load(w.rejected)
    assert set(kept) == {"a"} and kept["a"].evaluation.scores == {"adherence": 1.0, "rating": 5}
    assert kept["a"].evaluation.details["rating_reasoning"] == "Fine."
    assert rejected["b"].evaluation.reasons == ["low_rating"]
    assert rejected["c"].evaluation.reasons == ["judge_error"] and "judge_error" in rejected["c"].evaluation.details
    assert result.judge_errors == 1 and not result.complete and result.exit_code == 3


def test_fingerprint_depends_on_the_llm_only_when_the_gate_uses_it():
    base, other_llm = {"evaluate.judge": "default"}, {"llm.spec": "openai:some-model"}
    assert stage_fingerprint(load_config(None, base)) == stage_fingerprint(load_config(None, {**base, **other_llm}))
    with_llm = {"evaluate.judge": "llm"}
    assert stage_fingerprint(load_config(None, with_llm)) != stage_fingerprint(load_config(None, {**with_llm, **other_llm}))


def test_decontamination_against_a_named_benchmark(tmp_path, embedder):
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"q": "Who was the leader of the Norse raiders and pirates?"}) + "\n")
    w = Workdir(tmp_path / "w").ensure()
    write(w, "qa", [qa("x", "Who was the leader of the Norse raiders and pirates?", "Rollo."),
                    qa("y", "Who led them?", "Rollo.")])
    evaluate(load_config(None, {"evaluate.decontaminate": json.dumps([str(bench)])}), w, progress=False)
    x = load(w.rejected)["x"].evaluation
    assert x.reasons == ["contaminated"] and x.details["contamination"]["benchmark"] == str(bench)
    assert "y" in load(w.kept)


def test_no_samples_says_what_to_run(tmp_path):
    with pytest.raises(GroundsetError, match="groundset generate"):
        evaluate(load_config(None), Workdir(tmp_path / "empty").ensure(), progress=False)


def test_cli_runs_the_gate(workdir, embedder):
    res = CliRunner().invoke(cli, ["-w", str(workdir.root), "evaluate", "--no-progress", "--threshold", "0.55",
                                   "--no-dedup"])
    assert res.exit_code == 0, res.output
    assert "qa" in res.output and "unsupported" in res.output
    summary = json.loads(workdir.evaluate_summary.read_text())
    assert summary["judge"]["threshold"] == 0.55 and summary["filters"]["dedup"] is False
