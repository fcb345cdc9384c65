"""The fit script's pieces: deterministic, sign-constrained weights; the FaithBench split; the pair maker."""

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from groundset.evaluate.features import FEATURES, SAMPLE_FEATURES

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name):
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


def tiny_data(seed=0):
    """Rows of two groups whose supported sentences have high recall; a little noise so the fit is not separable."""
    rng = random.Random(seed)
    rows, feats = [], []
    for i in range(80):
        label = i % 2
        claims = []
        for _ in range(rng.randint(1, 3)):
            f = {k: 0.0 for k in FEATURES}
            f.update(recall_window=rng.uniform(0.6, 1.0) if label else rng.uniform(0.2, 0.8),
                     recall_all=rng.uniform(0.5, 1.0), cosine=0.9, length=rng.uniform(0.3, 0.8),
                     missing_number=float(not label and rng.random() < 0.3))
            claims.append((f, label))
        rows.append({"group": "a" if i < 40 else "b", "label": label})
        feats.append(claims)
    return rows, feats


def test_fit_is_deterministic_and_keeps_the_signs():
    pytest.importorskip("scipy")  # the bench extra (sentence-transformers pulls it in too)
    fit_gate = load("fit_gate")
    m1, r1 = fit_gate.fit(*tiny_data())
    m2, r2 = fit_gate.fit(*tiny_data())
    assert m1.as_dict() == m2.as_dict() and r1 == r2
    assert tuple(m1.sentence.features) == FEATURES and tuple(m1.sample.features) == SAMPLE_FEATURES
    for model in (m1.sentence, m1.sample):
        for name, c in zip(model.features, model.coef):
            sign = fit_gate.SIGNS[name]
            assert c == 0 if sign is None else c * sign >= 0, name
    assert dict(zip(FEATURES, m1.sentence.coef))["recall_window"] > 0
    assert dict(zip(FEATURES, m1.sentence.coef))["question_overlap"] == 0  # no weight by design
    assert 0.2 <= m1.threshold <= 0.8 and set(r1["fit_per_group_at_threshold"]) == {"a", "b"}


def test_faithbench_split_is_by_context_and_stable():
    split = load("gate_pairs").faithbench_split
    assert split("Poseidon (film) .") in ("fit", "check")
    assert split("same context") == split("same context")
    assert {split(f"context {i}") for i in range(20)} == {"fit", "check"}


def test_pair_maker_corrupts_exactly_one_sentence():
    gp = load("gate_pairs")
    docs = {"d": [
        "The Normans were descended from Norse raiders and pirates. Their leader Rollo swore fealty to King Charles "
        "III in 911. The Normans conquered England in 1066 under William. About 3,500 knights took part in it.",
        "Norman architecture used massive stone walls and round arches. The first Norman castles were built of "
        "wood in the eleventh century. Later castles were rebuilt in stone by the Norman lords.",
    ]}
    rows = gp.Maker(docs, seed=0).rows("g", [("d", p) for p in docs["d"]], per_passage=6)
    positives = [r for r in rows if r["kind"] == "positive"]
    negatives = [r for r in rows if r["kind"] != "positive"]
    assert positives and negatives
    assert all(r["label"] == 1 and all(l == 1 for _, l in r["sentences"]) for r in positives)
    assert all(r["label"] == 0 and [l for _, l in r["sentences"]].count(0) == 1 for r in negatives)


@pytest.mark.parametrize("text, expected", [
    ("Rollo, who led the raiders, swore fealty.", "Rollo swore fealty."),
    ("Although it rained, the Normans sailed.", "The Normans sailed."),
])
def test_compress_keeps_the_main_statement(text, expected):
    gp = load("gate_pairs")

    class Always(random.Random):
        def random(self):
            return 0.0

    assert gp.compress(text, Always()) == expected
