"""The issue-12 experiment scripts' pure pieces (benchmarks/gate_pmi.py, gate_xenc.py) on small literal cases."""

import pytest

from tests.evaluate.test_fit_gate import load


def _lm_row(lc, lu, spans):
    text = "Paris is large. Rome grew old."
    words = [(0, 5), (6, 8), (9, 14), (14, 15), (16, 20), (21, 25), (26, 29), (29, 30)]  # one token per word / dot
    return {"text": text, "offsets": [list(o) for o in words], "lc": lc, "lu": lu, "spans": spans}


def test_pmi_sentence_features_per_claim():
    pmi = load("gate_pmi")
    lc = [-1.0, -0.5, -2.0, -0.1, -1.0, -6.0, -1.0, -0.1]
    lu = [-5.0, -0.5, -4.0, -0.1, -5.0, -3.0, -4.0, -0.1]  # PMI: 4, 0, 2, 0 | 4, -3, 3, 0
    f1, f2 = pmi.sentence_features(_lm_row(lc, lu, [[0, 15], [16, 30]]))
    assert f1["tok_mean"] == pytest.approx(1.5) and f1["tok_min"] == 0.0
    # content words (stopword "is" left out): paris 4, large 2 → none below 1; rome 4, grew -3, old 3 → one of three
    assert f1["cw_low1"] == 0.0 and f2["cw_low1"] == pytest.approx(1 / 3)
    assert f2["cw_min"] == -3.0 and f2["tok_low0"] == pytest.approx(1 / 4)
    assert f2["lc_cw_min"] == -6.0


def test_pmi_claim_not_found_is_none_and_rows_aggregate_by_sign():
    pmi = load("gate_pmi")
    lc = [-1.0, -0.5, -2.0, -0.1, -1.0, -6.0, -1.0, -0.1]
    lu = [-5.0, -0.5, -4.0, -0.1, -5.0, -3.0, -4.0, -0.1]
    feats = pmi.sentence_features(_lm_row(lc, lu, [[0, 15], None, [16, 30]]))
    assert feats[1] is None
    row = pmi.row_features(_lm_row(lc, lu, [[0, 15], [16, 30]]))
    assert row["cw_min@worst"] == -3.0  # higher = supported: the worst is the min
    assert row["cw_low1@worst"] == pytest.approx(1 / 3)  # higher = unsupported: the worst is the max
    assert row["cw_low1@mean"] == pytest.approx(1 / 6)
    assert pmi.row_features(_lm_row(lc, lu, [None])) is None


def test_synthetic_sample_is_fixed_interleaved_and_leaves_faithbench_out():
    pmi = load("gate_pmi")
    rows = [{"group": g} for g in ["a"] * 5 + ["b"] * 3 + ["faithbench_fit"] * 4]
    s = pmi.synthetic_sample(rows, 2)
    assert s == pmi.synthetic_sample(rows, 2)
    assert [rows[i]["group"] for i in s] == ["a", "b", "a", "b"]
    assert len(pmi.synthetic_sample(rows, 10)) == 8


def test_claims_of_labelled_sentences_have_their_spans():
    pmi = load("gate_pmi")
    row = {"contexts": ["The Normans came from Normandy in France."], "question": None,
           "sentences": [["The Normans came from Normandy.", 1], ["They had 900 ships.", 0]]}
    text = pmi._response(row)
    claims, spans = pmi._claims(row, text)
    assert claims == ["The Normans came from Normandy.", "They had 900 ships."]
    assert [text[a:b] for a, b in spans] == claims


class _Tok:
    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": text.split()}


def test_xenc_window_prefers_matching_sentences_in_source_order_within_budget():
    xenc = load("gate_xenc")
    source = "Cats sleep a lot. Dogs bark at night. The Normans had ships. Ships need wood."
    assert xenc.window(source, "Normans built ships of wood.", _Tok(), budget=8) == (
        "The Normans had ships. Ships need wood.")
    # a single sentence longer than the budget is still taken
    assert xenc.window("One two three four five six.", "four", _Tok(), budget=2) == "One two three four five six."
