"""Per-sentence features and their aggregation, on small literal cases (no model needed)."""

import pytest

from groundset.evaluate.features import FEATURES, SAMPLE_FEATURES, claim_features, lexical, sample_features, source
from groundset.evaluate.text import question_stems
from tests.evaluate.conftest import NORMANS


def feats(claim, context=NORMANS, missing=(), n_facts=0, cosine=None, question=None):
    sources = [source(context)]
    lex = lexical(claim, sources, 3)
    return claim_features(lex, sources, list(missing), n_facts, cosine, question_stems(question))


def test_every_feature_is_a_number_in_0_1():
    f, _ = feats("The Normans gave their name to Normandy.")
    assert set(f) == set(FEATURES)
    assert all(0.0 <= f[k] <= 1.0 for k in FEATURES)


def test_a_copied_sentence_has_full_recall_and_no_novel_words():
    f, _ = feats("In 1066 the Normans conquered England; about 3,500 knights took part.")
    assert f["recall_window"] == 1.0 and f["recall_all"] == 1.0 and f["novel"] == 0.0 and f["bigram"] == 1.0


def test_novel_words_and_evaluative_words_count():
    f, _ = feats("The Normans were a remarkably successful and influential seafaring people.")
    assert f["novel"] > 0 and f["evaluative"] > 0
    assert f["recall_all"] < 1.0


def test_missing_facts_by_kind():
    f, _ = feats("About 45% of the knights followed King Harold.", missing=[("number", "45%"), ("entity", "King Harold")],
                 n_facts=2)
    assert f["missing_number"] == 1.0 and f["missing_name"] == 0.5 and f["facts_found"] == 0.0
    g, _ = feats("In 1066 the Normans conquered England.", n_facts=2)
    assert g["facts_found"] == 1.0 and g["missing_number"] == 0.0


@pytest.mark.parametrize("claim, flag", [("The Normans did not conquer England in 1066.", "negation"),
                                         ("The Norman dynasty ruled Scotland.", "negation")])
def test_negation_flips(claim, flag):
    f, note = feats(claim)
    assert f[flag] == 1.0 and note


def test_antonym_flip():
    f, note = feats("The last steam engine was built in 1698.", context="The first steam engine was built in 1698.")
    assert f["antonym"] == 1.0 and "'last'" in note


def test_cosine_is_the_given_one_or_the_not_computed_value():
    assert feats("Rollo led them.", cosine=0.42)[0]["cosine"] == pytest.approx(0.42)
    assert feats("Rollo led them.")[0]["cosine"] == 0.9


def test_source_talk_and_question_overlap():
    f, _ = feats("The passage says Rollo led the raiders.", question="Who led the Norse raiders?")
    assert f["source_talk"] == 1.0 and f["question_overlap"] > 0
    assert feats("Rollo led the raiders.")[0]["question_overlap"] == 0.0


def test_sample_features_are_length_neutral():
    one, _ = feats("Rollo was their leader.")
    a = sample_features([0.9], [one])
    b = sample_features([0.9] * 5, [one] * 5)
    assert set(a) == set(SAMPLE_FEATURES) and a == b
    mixed = sample_features([0.9, 0.1], [one, one])
    assert mixed["min_support"] == 0.1 and mixed["low_share"] == 0.5 and mixed["mean_support"] == pytest.approx(0.5)


def test_words_taken_from_the_question_are_neither_evidence_nor_invention():
    from groundset.evaluate.text import question_stems

    src = [source("Rollo was the leader of the Norse raiders who settled in Normandy.")]
    claim = "The leader of the Viking settlers in the northern province was Rollo."
    plain = lexical(claim, src, 3)
    given = lexical(claim, src, 3, question_stems("Who was the leader of the Viking settlers in the northern province?"))
    assert given.recall_window > plain.recall_window
    assert "vike" in plain.novel and "vike" not in given.novel
