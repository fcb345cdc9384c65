"""The SQuAD-derived labelled set (benchmarks/make_labelled.py) on ../shared/corpus, and the default judge on it.

The set's shape, and that the judge scores every row; its figures (a regression check, not evidence: the set is
synthetic) are reported by benchmarks/gate.py, never asserted in a test.
"""

import importlib.util
from pathlib import Path

from groundset.evaluate.calibrate import LabelledRow, calibrate
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.default import DefaultJudge

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "make_labelled.py"


def load_builder():
    spec = importlib.util.spec_from_file_location("make_labelled", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build


def test_labelled_set_is_balanced_in_shape_and_the_default_judge_scores_it(corpus, embedder):
    rows = load_builder()(corpus / "qa" / "squad_v2_dev_subset.jsonl", seed=0)
    labels = {r["label"] for r in rows}
    kinds = {r["kind"] for r in rows}
    assert labels == {0, 1} and {"neg_number", "neg_entity", "neg_negation", "neg_other_paragraph"} <= kinds
    assert all(len(r["response"].split(". ")) >= 2 for r in rows[:50])  # multi-sentence responses
    sample = [LabelledRow(contexts=[r["context"]], response=r["response"], label=r["label"], kind=r["kind"])
              for r in rows[::12]]
    out = calibrate(sample, DefaultJudge(EvaluateConfig(), embedder=embedder))
    # figures are the benchmark's business (benchmarks/gate.py), not a test's: here every row gets a score
    assert out["errors"] == 0 and len(out["scores"]) == len(sample)
    assert all(0.0 <= s <= 1.0 for s in out["scores"]) and out["at_configured"]["n"] == len(sample)
