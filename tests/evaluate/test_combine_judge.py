"""judge = "combine": members with their own thresholds (all must pass), or a logistic fusion fitted by calibrate."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges import load_judge
from groundset.evaluate.judges.base import Judge, JudgeInput
from groundset.evaluate.judges.combine import fit_fusion, rescale
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.llm.fake import FakeLLM
from groundset.registry import JUDGES
from tests.evaluate.conftest import NORMANS


class Scripted(Judge):
    """Support = the number after 'score' in the claim for judge a, one minus it for judge b (or an error)."""

    def __init__(self, cfg, name):
        super().__init__(cfg)
        self.name = name

    def _supports(self, items):
        out = []
        for p in items:
            if any("broken" in c for c in p.claims):
                out.append(f"{self.name} could not judge")
                continue
            vals = [float(c.split("score ")[1].split()[0].rstrip(".")) for c in p.claims]
            out.append(vals if self.name == "scripted_a" else [round(1 - v, 4) for v in vals])
        return out


@pytest.fixture
def scripted():
    for name, t in (("scripted_a", 0.6), ("scripted_b", 0.5)):
        JUDGES.register(name, JudgeSpec(load=lambda cfg, _n=name, **ctx: Scripted(cfg, _n), threshold=t))
    yield
    for name in ("scripted_a", "scripted_b"):
        JUDGES.unregister(name)


def combine(**kw):
    return load_judge(EvaluateConfig(judge="combine", hard_checks=False,
                                     combine={"judges": ["scripted_a", "scripted_b"], **kw}))


def item(*scores):
    return JudgeInput(texts=[" ".join(f"Claim with score {s}." for s in scores)], contexts=[NORMANS])


def test_rescale_puts_each_threshold_on_one_half():
    assert rescale(0.6, 0.6) == 0.5 and rescale(0.0, 0.6) == 0.0 and rescale(1.0, 0.6) == 1.0
    assert rescale(0.59, 0.6) < 0.5 <= rescale(0.61, 0.6)
    assert rescale(0.2, 0.0) == pytest.approx(0.6) and rescale(0.99, 1.0) < 0.5


def test_all_passes_only_when_every_judge_passes_its_own_threshold(scripted):
    j = combine()
    both, only_a, only_b = j.score([item(0.45), item(0.7), item(0.3)])
    # a: 0.45 < 0.6 fails, b: 0.55 ≥ 0.5 passes → rejected; 0.7: a passes, b 0.3 fails; 0.3: a fails
    assert all(v.adherence < j.threshold for v in (both, only_a, only_b))
    assert only_a.claims[0].note == "scripted_a 0.70 ≥ 0.6; scripted_b 0.30 < 0.5 (rejects)"
    assert both.claims[0].note == "scripted_a 0.45 < 0.6 (rejects); scripted_b 0.55 ≥ 0.5"
    thresholds = EvaluateConfig(thresholds={"scripted_a": 0.4}).thresholds
    j = load_judge(EvaluateConfig(judge="combine", thresholds=thresholds, hard_checks=False,
                                  combine={"judges": ["scripted_a", "scripted_b"]}))
    v = j.score([item(0.45)])[0]
    assert v.adherence >= j.threshold and "(rejects)" not in v.claims[0].note  # both pass now
    assert set(j.describe()["judges"]) == {"scripted_a", "scripted_b"}


def test_a_member_error_is_the_samples_error(scripted):
    v = combine().score([JudgeInput(texts=["A broken claim with score 0.5."], contexts=[NORMANS])])[0]
    assert v.adherence is None and "scripted_a: scripted_a could not judge" in v.error


def test_fusion_needs_its_weights_and_uses_them(scripted):
    with pytest.raises(BackendError, match="calibrate --judge combine"):
        combine(mode="fusion")
    j = combine(mode="fusion", weights={"scripted_a": 4.0, "scripted_b": 0.0}, bias=-2.0)
    low, high = j.score([item(0.2), item(0.9)])
    assert low.adherence < 0.5 < high.adherence and j.describe()["weights"]["scripted_a"] == 4.0


def test_fit_fusion_weighs_the_judge_that_separates_the_labels():
    labels = [1, 1, 1, 0, 0, 0] * 5
    informative = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1] * 5
    noise = [0.5, 0.1, 0.9, 0.5, 0.9, 0.1] * 5
    fit = fit_fusion({"good": informative, "noise": noise}, labels)
    assert fit["weights"]["good"] > 5 and abs(fit["weights"]["noise"]) < 1
    assert fit["bias"] < 0


def test_calibrate_fits_the_fusion_and_says_what_to_set(scripted, tmp_path):
    f = tmp_path / "labels.jsonl"
    rows = [{"context": NORMANS, "response": f"Claim with score {s}.", "label": int(s > 0.5)}
            for s in (0.9, 0.8, 0.7, 0.2, 0.3, 0.1)]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    res = CliRunner().invoke(cli, ["--workdir", str(tmp_path / "w"), "--set",
                                   'evaluate.combine.judges=["scripted_a", "scripted_b"]', "evaluate", "calibrate",
                                   "--labelled", str(f), "--judge", "combine"])
    assert res.exit_code == 0, res.output
    assert '[evaluate.combine] mode = "fusion", bias = ' in res.output and "scripted_a = " in res.output


def test_the_offline_judge_and_the_llm_judge_together(embedder):
    reply = json.dumps({"quote": "under their leader Rollo", "verdict": "supported"})
    j = load_judge(EvaluateConfig(judge="combine", combine={"judges": ["default", "llm"]}), llm=FakeLLM(default=reply),
                   embedder=embedder)
    v = j.score([JudgeInput(texts=["Rollo led the Normans."], contexts=[NORMANS])])[0]
    assert v.claims[0].note.startswith("default ") and "; llm 1.00 ≥ 0.5" in v.claims[0].note
    assert set(j.describe()["judges"]) == {"default", "llm"}
    with pytest.raises(BackendError, match=r"\[evaluate.combine\] judges"):
        load_judge(EvaluateConfig(judge="combine", combine={"judges": ["auto", "default"]}))
