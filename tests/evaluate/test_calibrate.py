import json

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.errors import InputError
from groundset.evaluate.calibrate import auc, best_threshold, metrics, read_labelled
from tests.evaluate.conftest import NORMANS


def test_auc_counts_ties_half():
    assert auc([0.5, 0.5], [1, 0]) == 0.5
    assert auc([0.9, 0.1, 0.5], [1, 0, 1]) == 1.0
    assert auc([0.2, 0.3], [1, 1]) is None


def test_metrics_and_best_threshold():
    scores, labels = [0.9, 0.7, 0.6, 0.4, 0.2], [1, 1, 0, 1, 0]
    m = metrics(scores, labels, 0.5)
    assert (m["precision"], m["recall"], m["unsupported_caught"]) == (pytest.approx(2 / 3, abs=1e-4), 0.6667, 0.5)
    assert best_threshold(scores, labels) == pytest.approx(0.65)  # keeps 0.9 and 0.7: recall 2/3, all negatives caught
    assert metrics(scores, labels, best_threshold(scores, labels))["balanced_accuracy"] == 0.8333


def test_read_labelled_accepts_lists_and_booleans_and_names_bad_lines(tmp_path):
    p = tmp_path / "l.jsonl"
    p.write_text(json.dumps({"contexts": ["a", "b"], "response": "r", "supported": True}) + "\n\n"
                 + json.dumps({"context": "c", "answer": "r", "label": 0}) + "\n")
    rows = read_labelled(p)
    assert [(r["contexts"], r["label"]) for r in rows] == [(["a", "b"], 1), (["c"], 0)]
    p.write_text('{"context": "c", "response": "r"}\n')
    with pytest.raises(InputError, match="line 1"):
        read_labelled(p)


LABELLED = [
    {"context": NORMANS, "response": "Rollo was their leader. They came from Norway.", "label": 1, "kind": "pos"},
    {"context": NORMANS, "response": "In 1066 the Normans conquered England.", "label": 1, "kind": "pos"},
    {"context": NORMANS, "response": "Rollo was their leader. They had 900 ships.", "label": 0, "kind": "neg"},
    {"context": NORMANS, "response": "The Normans did not conquer England in 1066.", "label": 0, "kind": "neg"},
]


def test_calibrate_cli_reports_figures_and_the_best_threshold(tmp_path, embedder):
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in LABELLED) + "\n")
    res = CliRunner().invoke(cli, ["evaluate", "calibrate", "--labelled", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{"):])
    assert out["rows"] == 4 and out["at_best"]["auc"] == 1.0 and out["at_best"]["balanced_accuracy"] == 1.0
    assert set(out["per_kind"]) == {"pos", "neg"}
    text = CliRunner().invoke(cli, ["evaluate", "calibrate", "--labelled", str(path)])
    assert text.exit_code == 0 and "best (bal. accuracy)" in text.output and "thresholds" in text.output


def test_a_question_field_reaches_the_judge(tmp_path):
    from groundset.evaluate.calibrate import calibrate, read_labelled

    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"context": "Rollo led them.", "response": "Rollo.", "label": 1,
                                "question": "Who led them?"}) + "\n"
                    + json.dumps({"context": "Rollo led them.", "response": "Bob.", "label": 0}) + "\n")
    rows = read_labelled(path)
    assert [r["question"] for r in rows] == ["Who led them?", None]

    class Recorder:
        threshold = 0.5
        seen: list = []

        def score(self, inputs):
            from groundset.evaluate.judges.base import Verdict

            self.seen.extend(inputs)
            return [Verdict(1.0 if i.texts == ["Rollo."] else 0.0) for i in inputs]

        def describe(self):
            return {"name": "recorder"}

    judge = Recorder()
    out = calibrate(rows, judge)
    assert [i.question for i in judge.seen] == ["Who led them?", None]
    assert out["at_configured"]["n"] == 2
