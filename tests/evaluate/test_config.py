import pytest

from groundset.config import load_config
from groundset.errors import ConfigError
from groundset.evaluate.config import EvaluateConfig, default_thresholds


def test_thresholds_merge_with_the_defaults_and_follow_the_judge():
    cfg = load_config(None, {"evaluate.thresholds": "{nli = 0.7}", "evaluate.judge": "nli"}).evaluate
    assert cfg.thresholds == {**default_thresholds(), "nli": 0.7}
    assert cfg.threshold == 0.7


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"evaluate.thresholds": "{gpt = 0.5}"}, "unknown judge"),
        ({"evaluate.thresholds": "{default = 1.5}"}, "must be in"),
        ({"evaluate.judge": "magic"}, "[evaluate] judge"),
        ({"evaluate.default.semantic_low": "0.9"}, "semantic_low"),
        ({"evaluate.decontam_ngram": "1"}, "decontam_ngram"),
    ],
)
def test_bad_values_name_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(None, overrides)


def test_assignment_is_validated():
    cfg = EvaluateConfig()
    with pytest.raises(ValueError):
        cfg.min_rating = 9
