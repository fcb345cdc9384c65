"""Export honours the review: people's rejections dropped, edits applied and recorded, review columns, card."""

from __future__ import annotations

import json

import pytest
from datasets import load_dataset

from groundset.config import load_config
from groundset.export.runner import NothingKeptError, export, export_rows
from groundset.review.apply import SYNTHETIC_LEVELS, apply_review, verdicts_path
from groundset.review.items import text_hash
from groundset.review.journal import Verdict, VerdictJournal
from tests.export.fixtures import conversation, filled_workdir, qa as export_qa
from tests.review.fixtures import qa


def v(s, decision, **kw):
    return Verdict(sample_id=s.id, decision=decision, task=s.task, gate_kept=bool(s.evaluation.kept),
                   text_hash=text_hash(s), **kw)


def test_apply_review_decisions():
    k1, k2, k3, k4, k5 = (qa(i, 0.9, True) for i in range(5))
    r_unsup, r_dup = qa(10, 0.3, False), qa(11, 0.95, False, ["near_duplicate"])
    verdicts = {s.id: x for s, x in [
        (k1, v(k1, "accepted")), (k2, v(k2, "rejected", reason="unsupported")),
        (k3, v(k3, "edited", edits={"answer": "The river is 103 km long."})),
        (k4, v(k4, "accepted").model_copy(update={"text_hash": "stale"})),
        (r_unsup, v(r_unsup, "accepted")), (r_dup, v(r_dup, "accepted"))]}
    out = apply_review([k1, k2, k3, k4, k5], [r_unsup, r_dup], verdicts)
    assert [s.id for s in out.samples] == [k1.id, k3.id, k4.id, k5.id, r_unsup.id]
    assert out.skipped == {"rejected_by_reviewer": 1, "reviewer_kept_but_gate_near_duplicate": 1}
    assert out.decisions == {k1.id: "accepted", k3.id: "edited", r_unsup.id: "accepted"}
    edited = out.samples[1]
    assert edited.answer == "The river is 103 km long." and k3.answer.endswith("1850.")  # input left alone
    assert out.originals[k3.id] == {"answer": k3.answer}
    assert edited.evaluation.details["review"]["decision"] == "edited"
    assert (out.stale, out.rescued) == (1, 1)
    agreement = out.stats["agreement"]
    assert (agreement["n"], agreement["gate_kept_reviewer_rejected"], agreement["gate_rejected_reviewer_kept"]) == (
        5, 1, 2)


def test_edit_of_a_conversation_turn():
    c = conversation("d1")
    out = apply_review([c], [], {c.id: v(c, "edited", edits={"turns.3": "Z is V."})})
    assert out.samples[0].turns[3].content == "Z is V." and out.originals[c.id] == {"turns.3": "Z is W."}


@pytest.fixture
def reviewed(tmp_path):
    kept = [export_qa(i, f"d{i % 4}") for i in range(12)]
    rejected = [export_qa(50, "d1", kept=False)]
    wd = filled_workdir(tmp_path / "w", kept, rejected)
    j = VerdictJournal(verdicts_path(wd))
    j.append(v(kept[0], "accepted"))
    j.append(v(kept[1], "rejected", reason="unsupported"))
    j.append(v(kept[2], "edited", edits={"answer": "Item 2 of d2 is a thing, checked."}))
    j.append(v(rejected[0], "rejected", reason="contradicts"))
    return wd, kept


def test_export_drops_rejections_applies_edits_and_labels_every_row(reviewed, tmp_path):
    wd, kept = reviewed
    cfg = load_config(None, {"export.schema": "qa", "export.format": "jsonl", "export.out": str(tmp_path / "out"),
                             "export.splits": "{train = 1.0}"})
    result = export(cfg, wd)
    assert result.skipped["rejected_by_reviewer"] == 1
    rows = {r["id"]: r for r in load_dataset(str(result.out))["train"]}
    assert kept[1].id not in rows and len(rows) == 11
    assert rows[kept[0].id]["review"] == "accepted" and rows[kept[0].id]["synthetic_level"] == "human-verified"
    edited = rows[kept[2].id]
    assert edited["answer"] == "Item 2 of d2 is a thing, checked." and edited["synthetic_level"] == "human-edited"
    assert json.loads(edited["review_original"]) == {"answer": kept[2].answer}
    assert rows[kept[3].id]["review"] == "none" and rows[kept[3].id]["synthetic_level"] == SYNTHETIC_LEVELS["none"]
    assert rows[kept[3].id]["review_original"] is None
    card = (result.out / "README.md").read_text()
    section = card[card.index("## Human review"):]
    assert "4 of 13 evaluated samples (30.8%)" in section
    assert "1 were accepted and 1 edited" in section
    assert "Agreement between gate and reviewers: 3 of 4 (75.0%) (95% CI" in section
    assert "dropped from the export: 1" in section


def test_without_review_every_row_is_machine_rated(tmp_path):
    wd = filled_workdir(tmp_path / "w", [export_qa(i, f"d{i % 3}") for i in range(6)])
    cfg = load_config(None, {"export.schema": "sft", "export.out": str(tmp_path / "o")})
    built = export_rows(cfg, wd)
    assert {(r["review"], r["synthetic_level"]) for r in built.rows} == {("none", "machine-rated")}
    assert built.columns["review"] == "string"
    card = (export(cfg, wd).out / "README.md").read_text()
    assert "No sample was reviewed by a person" in card


def test_reviewers_rejecting_everything_says_so(tmp_path):
    kept = [export_qa(i, "d1") for i in range(2)]
    wd = filled_workdir(tmp_path / "w", kept)
    j = VerdictJournal(verdicts_path(wd))
    for s in kept:
        j.append(v(s, "rejected", reason="not_useful"))
    with pytest.raises(NothingKeptError, match="reviewers rejected all 2 samples"):
        export(load_config(None, {"export.out": str(tmp_path / "o")}), wd)


def test_a_new_verdict_makes_run_export_again(reviewed):
    from groundset.run import input_signature

    wd, kept = reviewed
    cfg = load_config(None, {})
    before = input_signature("export", cfg, wd)
    VerdictJournal(verdicts_path(wd)).append(v(kept[5], "rejected", reason="unsupported"))
    assert input_signature("export", cfg, wd) != before
