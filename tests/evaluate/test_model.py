"""The learned decision: logistic models, the shipped weights file and its agreement with the config."""

import json

import pytest

from groundset.evaluate.config import default_thresholds
from groundset.evaluate.features import FEATURES, SAMPLE_FEATURES
from groundset.evaluate.model import GateModel, LogisticModel, load_model


def test_logistic_model_pulls_and_weakest():
    m = LogisticModel(("a", "b"), mean=(0.5, 0.0), scale=(0.5, 1.0), coef=(1.0, -2.0), intercept=0.25)
    x = {"a": 1.0, "b": 1.0}
    assert m.pulls(x) == {"a": 1.0, "b": -2.0}
    assert m.logit(x) == pytest.approx(-0.75) and m.weakest(x) == "b"
    assert 0 < m.prob(x) < 0.5 and m.prob({"a": 1e9, "b": 0.0}) == pytest.approx(1.0)


def test_model_round_trips_and_rejects_mismatched_lengths():
    m = LogisticModel(("a",), (0.0,), (1.0,), (1.0,), 0.0)
    g = GateModel(m, m, 0.5, {"x": 1})
    assert GateModel.from_dict(json.loads(json.dumps(g.as_dict()))) == g
    with pytest.raises(ValueError, match="same length"):
        LogisticModel.from_dict({"features": ["a", "b"], "mean": [0], "scale": [1], "coef": [1], "intercept": 0})


def test_shipped_weights_match_the_features_and_the_configured_threshold():
    model = load_model()
    assert tuple(model.sentence.features) == FEATURES
    assert tuple(model.sample.features) == SAMPLE_FEATURES
    assert default_thresholds()["default"] == model.threshold
    assert model.info["fitted_by"] == "python benchmarks/fit_gate.py"


def test_a_broken_weights_file_says_how_to_rebuild(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="benchmarks/fit_gate.py"):
        load_model(str(bad))
