"""Calibration from review verdicts: which verdicts are labels, the figures of --labelled, intervals, the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.errors import GroundsetError
from groundset.evaluate.calibrate import best_threshold, metrics
from groundset.review.calibrate import calibrate_from_review, review_rows
from groundset.review.stats import bootstrap, fit_threshold, inclusion_weights, weighted_metrics, wilson
from groundset.review.items import load_evaluated, text_hash
from groundset.review.journal import Verdict, VerdictJournal
from groundset.review.apply import verdicts_path
from tests.review.fixtures import THRESHOLDS, evaluated_workdir, qa


def v(s, decision, **kw):
    return Verdict(sample_id=s.id, decision=decision, task=s.task, gate_kept=bool(s.evaluation.kept),
                   text_hash=text_hash(s), **kw)


def test_wilson_intervals():
    assert wilson(0, 10) == [0.0, 0.2775]
    assert wilson(10, 10) == [0.7225, 1.0]
    assert wilson(5, 10) == [0.2366, 0.7634]
    assert wilson(0, 0) is None
    lo, hi = wilson(45, 50)
    assert lo < 0.9 < hi and hi - lo < wilson(9, 10)[1] - wilson(9, 10)[0]  # more reviews, narrower interval


def test_which_verdicts_become_labels():
    a, b, c, d, e, f = (qa(i, 0.1 * i, i > 2) for i in range(1, 7))
    gone = qa(99, 0.5, True)
    changed = qa(7, 0.9, True)
    unscored = qa(8, None, False, ["truncated"])
    verdicts = {x.id: y for x, y in [
        (a, v(a, "accepted")), (b, v(b, "rejected", reason="unsupported")), (c, v(c, "rejected", reason="contradicts")),
        (d, v(d, "rejected", reason="bad_question")), (e, v(e, "edited", edits={"answer": "Fixed."})),
        (f, v(f, "rejected", reason="other", note="style")), (gone, v(gone, "accepted")),
        (changed, v(changed, "accepted").model_copy(update={"text_hash": "older-text"})),
        (unscored, v(unscored, "accepted"))]}
    samples = {s.id: s for s in (a, b, c, d, e, f, changed, unscored)}
    rows, excluded = review_rows(verdicts, samples)
    assert [(r[2].id, r[1]) for r in rows] == [(a.id, 1), (b.id, 0), (c.id, 0)]
    assert excluded == {"rejected_bad_question": 1, "edited": 1, "rejected_other": 1, "sample_not_evaluated_now": 1,
                        "text_changed_since_review": 1, "no_adherence_score": 1}
    rows, excluded = review_rows(verdicts, samples, all_reasons=True, edited_as="rejected")
    assert {r[2].id: r[1] for r in rows} == {a.id: 1, b.id: 0, c.id: 0, d.id: 0, e.id: 0, f.id: 0}
    rows, _ = review_rows(verdicts, samples, edited_as="accepted")
    assert {r[2].id: r[1] for r in rows}[e.id] == 1


def _reviewed(n_pos=12, n_neg=8):
    pos = [qa(i, 0.55 + 0.04 * i, True) for i in range(n_pos)]  # supported: 0.55 .. 0.99
    neg = [qa(100 + i, 0.05 + 0.07 * i, False) for i in range(n_neg)]  # unsupported: 0.05 .. 0.54
    samples = {s.id: s for s in pos + neg}
    verdicts = {s.id: v(s, "accepted") for s in pos} | {s.id: v(s, "rejected", reason="unsupported") for s in neg}
    return samples, verdicts


def test_figures_are_those_of_labelled_calibration_with_intervals():
    samples, verdicts = _reviewed()
    out = calibrate_from_review(verdicts, samples, THRESHOLDS, "default", weighting="none", rounds=200)
    scores = [samples[i].evaluation.scores["adherence"] for i in verdicts]
    labels = [int(verdicts[i].decision == "accepted") for i in verdicts]
    for key in ("precision", "recall", "f1", "unsupported_caught", "balanced_accuracy", "auc", "threshold"):
        assert out["at_configured"][key] == metrics(scores, labels, 0.6)[key]
        assert out["at_best"][key] == metrics(scores, labels, best_threshold(scores, labels))[key]
    assert out["judge"]["name"] == "default" and out["judge"]["threshold"] == 0.6 and out["rows"] == 20
    assert out["at_best"]["balanced_accuracy"] == 1.0  # the scores separate the labels at ~0.545
    for m in (out["at_configured"], out["at_best"]):
        for key, (lo, hi) in m["ci95"].items():
            assert lo <= m[key] <= hi, key
    lo, hi = out["best_threshold_ci95"]
    assert 0 <= lo <= out["at_best"]["threshold"] <= hi <= 1
    assert out["gate_agreement"]["n"] == 20 and out["gate_agreement"]["share"] == 1.0
    assert out["per_task"]["qa"] == {"n": 20, "supported": 12, "kept_at_configured": 10}


def test_bootstrap_is_deterministic_and_wider_with_fewer_reviews():
    scores = [0.1, 0.3, 0.45, 0.5, 0.7, 0.65, 0.8, 0.9, 0.95, 0.4]
    labels = [0, 0, 1, 0, 1, 0, 1, 1, 1, 0]
    assert bootstrap(scores, labels, None, 0.6, rounds=100, seed=1) == bootstrap(scores, labels, None, 0.6, rounds=100,
                                                                                 seed=1)
    small = bootstrap(scores, labels, None, 0.6, rounds=300)["balanced_accuracy"]
    large = bootstrap(scores * 8, labels * 8, None, 0.6, rounds=300)["balanced_accuracy"]
    assert large[1] - large[0] < small[1] - small[0]


def test_one_sided_verdicts_cannot_calibrate():
    samples, verdicts = _reviewed()
    only_pos = {k: x for k, x in verdicts.items() if x.decision == "accepted"}
    with pytest.raises(GroundsetError, match="needs both"):
        calibrate_from_review(only_pos, samples, THRESHOLDS, "default")


def test_cli_calibrate_from_review(tmp_path):
    samples, verdicts = _reviewed()
    kept = [s for s in samples.values() if s.evaluation.kept]
    wd = evaluated_workdir(tmp_path / "w", kept, [s for s in samples.values() if not s.evaluation.kept])
    journal = VerdictJournal(verdicts_path(wd))
    for x in verdicts.values():
        journal.append(x)
    run = CliRunner().invoke
    r = run(cli, ["--workdir", str(wd.root), "evaluate", "calibrate", "--from-review"])
    assert r.exit_code == 0, r.output
    assert "judge default: 20 reviewed rows (12 supported, 8 not)" in r.output
    assert "best threshold 95% CI" in r.output and "to use it: --set 'evaluate.thresholds={default=" in r.output
    r = run(cli, ["--workdir", str(wd.root), "evaluate", "calibrate", "--from-review", "--json"])
    out = json.loads(r.output[r.output.index("{"):])
    assert out["source"] == "review" and out["rows"] == 20
    assert run(cli, ["--workdir", str(wd.root), "evaluate", "calibrate"]).exit_code == 2
    empty = evaluated_workdir(tmp_path / "e", kept, [])
    r = run(cli, ["--workdir", str(empty.root), "evaluate", "calibrate", "--from-review"])
    assert r.exit_code == 1 and "groundset review" in r.output
    assert load_evaluated(empty).samples  # the workdir itself was fine


def test_equal_weights_give_exactly_the_figures_of_labelled_calibration():
    import random

    rng = random.Random(5)
    for _ in range(20):
        scores = [round(rng.random(), 2) for _ in range(40)]
        labels = [int(rng.random() < x) for x in scores]
        if 0 < sum(labels) < len(labels):
            assert fit_threshold(scores, labels) == best_threshold(scores, labels)
            t = best_threshold(scores, labels)
            assert weighted_metrics(scores, labels, None, t) == metrics(scores, labels, t)


def test_inclusion_weights_undo_the_oversampling_of_rare_strata():
    # population: 90 kept samples, 10 rejected; reviewed: 5 of each → a kept row stands for 18, a rejected one for 2
    w = inclusion_weights(["k"] * 5 + ["r"] * 5, {"k": 90, "r": 10})
    assert w[0] / w[-1] == 9 and abs(sum(w) - 10) < 1e-9
    # weighted, the supported share estimates the population's, not the reviewed sample's
    labels = [1] * 5 + [0] * 5
    scores = [0.9] * 5 + [0.2] * 5
    m = weighted_metrics(scores, labels, w, 0.5)
    assert m["precision"] == 1.0 and m["supported"] == 5  # counts stay those of the reviewed rows


def test_weighting_changes_the_fit_towards_the_population():
    # strata: kept 0.6-0.8 (1000 in the population), rejected 0.4-0.6 (10, rare), rejected 0.0-0.2 (1000); the
    # queue reviews 4 of each, so the rare stratum's supported rows weigh as much as the big ones' unweighted
    a = [qa(i, 0.7 if i < 2 else 0.65, True) for i in range(1000)]
    b = [qa(2000 + i, 0.5, False) for i in range(10)]
    c = [qa(3000 + i, 0.1, False) for i in range(1000)]
    samples = {s.id: s for s in a + b + c}
    verdicts = {s.id: v(s, "accepted") for s in a[:2] + b[:4]}
    verdicts |= {s.id: v(s, "rejected", reason="unsupported") for s in a[2:4] + c[:4]}
    weighted = calibrate_from_review(verdicts, samples, THRESHOLDS, "default", rounds=50)
    plain = calibrate_from_review(verdicts, samples, THRESHOLDS, "default", weighting="none", rounds=50)
    assert plain["rows"] == weighted["rows"] == 12
    assert plain["at_best"]["threshold"] == 0.3  # keeps the rare 0.5s, and so every 0.65 of the big stratum
    assert weighted["at_best"]["threshold"] == 0.675  # the population's cut: between the 0.65s and the 0.7s
    assert weighted["at_best"]["balanced_accuracy"] == 0.9902
    assert weighted["effective_rows"] < plain["effective_rows"] == 12
