"""The default judge on small literal cases (real MiniLM, loaded once per session)."""

import pytest

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.default import DefaultJudge
from tests.evaluate.conftest import NORMANS


def score(judge, *texts, contexts=(NORMANS,)):
    return judge.score([JudgeInput(texts=list(texts), contexts=list(contexts))])[0]


def test_supported_answer_passes(default_judge):
    v = score(default_judge, "The Normans gave their name to Normandy, a region in France.")
    assert v.adherence >= default_judge.threshold
    assert v.unsupported(default_judge.threshold) == []


def test_supported_paraphrase_passes(default_judge):
    v = score(default_judge, "Rollo was the leader of the Norse raiders, who came from Denmark, Iceland and Norway.")
    assert v.adherence >= default_judge.threshold


def test_invented_number_is_caught(default_judge):
    v = score(default_judge, "In 1066 the Normans conquered England. About 45% of the knights were from Norway.")
    assert v.adherence < default_judge.threshold
    bad = [c for c in v.claims if c.missing]
    assert [c.missing for c in bad] == [["45%"]]
    assert v.unsupported(default_judge.threshold) == ["About 45% of the knights were from Norway."]


def test_entity_swap_is_caught(default_judge):
    v = score(default_judge, "The Normans agreed to swear fealty to King Louis VII of West Francia.")
    assert v.adherence < default_judge.threshold
    assert v.claims[0].missing == ["King Louis VII of West Francia"]


def test_negation_is_caught(default_judge):
    v = score(default_judge, "The Normans did not conquer England in 1066.")
    assert v.adherence < default_judge.threshold
    assert "negation" in v.claims[0].note


def test_dropped_negation_is_caught(default_judge):
    v = score(default_judge, "The Norman dynasty ruled Scotland.")
    assert v.adherence < default_judge.threshold


def test_antonym_is_caught(default_judge):
    ctx = "The first steam engine was built by Thomas Savery in 1698."
    v = score(default_judge, "The last steam engine was built by Thomas Savery in 1698.", contexts=[ctx])
    assert v.adherence < default_judge.threshold
    assert "antonym" in v.claims[0].note


def test_unrelated_answer_is_caught(default_judge):
    v = score(default_judge, "Photosynthesis converts light energy into chemical energy in plants.")
    assert v.adherence < default_judge.threshold


def test_length_does_not_decide(default_judge):
    good = ["The Normans gave their name to Normandy.", "Rollo was their leader.",
            "They were descended from Norse raiders.", "They came from Denmark, Iceland and Norway."]
    long_bad = score(default_judge, " ".join(good + ["They had 900 ships."]))
    short_good = score(default_judge, good[1])
    assert long_bad.adherence < default_judge.threshold <= short_good.adherence


def test_pleasantries_and_questions_are_not_claims(default_judge):
    v = score(default_judge, "Sure! Rollo was their leader. Would you like to know more?")
    assert [c.text for c in v.claims] == ["Rollo was their leader."]
    assert v.skipped == ["Sure!", "Would you like to know more?"]


def test_nothing_to_check_gives_no_score(default_judge):
    v = score(default_judge, "Great question!")
    assert v.adherence is None and v.error is None


@pytest.mark.parametrize("aggregate", ["min", "mean"])
def test_the_learned_aggregate_decides_and_names_sentence_and_feature(embedder, aggregate):
    judge = DefaultJudge(EvaluateConfig(aggregate=aggregate), embedder=embedder)
    text = "The Normans gave their name to Normandy. Rollo was their leader. They had 900 ships."
    v = score(judge, text)
    assert v.adherence < judge.threshold
    assert v.decision["decision"] == "rejected" and v.decision["sentence"] == "They had 900 ships."
    assert v.decision["sentence_feature"] in {"missing_number", "recall_window", "recall_all"}
    assert set(v.decision["sample_features"]) >= {"min_support", "mean_support"}
    assert len(v.prefix_adherence) == 3 and v.prefix_adherence[-1] == v.adherence
    assert v.prefix_adherence[1] >= judge.threshold  # the first two sentences alone pass


def test_notes_say_why_a_claim_is_unsupported(default_judge):
    v = score(default_judge, "The Normans gave their name to Normandy. They worshipped Zeus in marble temples.")
    good, bad = v.claims
    assert good.note.startswith("supported")
    assert bad.support < default_judge.threshold and ":" in bad.note
    assert any(w in bad.note for w in ("zeus", "marbl", "templ", "Zeus"))


def test_the_shipped_weights_embed_only_when_they_use_the_cosine(embedder):
    judge = DefaultJudge(EvaluateConfig(), embedder=embedder)
    weights = dict(zip(judge.model.sentence.features, judge.model.sentence.coef))
    assert judge.uses_embeddings == (weights["cosine"] != 0)
    forced = DefaultJudge(EvaluateConfig(), embedder=embedder, embed=True)
    score(forced, "Photosynthesis converts light energy into chemical energy in plants.")
    assert forced.encoded > 0
    never = DefaultJudge(EvaluateConfig(), embedder=embedder, embed=False)
    score(never, "Photosynthesis converts light energy into chemical energy in plants.")
    assert never.encoded == 0


def test_preambles_are_not_claims(default_judge):
    v = score(default_judge, "Here's a concise summary of the passage, covering the core points:\n\nRollo was their leader.")
    assert [c.text for c in v.claims] == ["Rollo was their leader."]


@pytest.mark.parametrize("hard_checks, caught", [(True, True), (False, False)])
def test_hard_checks_can_be_switched_off(embedder, hard_checks, caught):
    judge = DefaultJudge(EvaluateConfig(hard_checks=hard_checks), embedder=embedder)
    v = score(judge, "In 1066 the Normans conquered England with 3,900 knights.")
    assert (v.adherence < judge.threshold) is caught


def test_titles_count_as_evidence_for_names(default_judge):
    v = default_judge.score([JudgeInput(texts=["The Norman Conquest changed England."],
                                        contexts=["In 1066 the Normans conquered England."],
                                        extra_evidence=["Norman Conquest"])])[0]
    assert v.claims[0].missing == []


def test_a_multihop_claim_may_join_two_sources(default_judge):
    a = "Rollo was the leader of the Norse raiders who settled in Normandy."
    b = "The Duchy of Normandy later conquered England in 1066 under William."
    v = score(default_judge, "Rollo led the raiders who settled Normandy, which conquered England in 1066.", contexts=[a, b])
    assert v.adherence >= default_judge.threshold
