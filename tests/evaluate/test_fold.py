"""The gate's matching folds presentation forms as ingest does (issue 17): ligatures and full-width forms on one
side only change nothing; superscripts, fractions and code strings keep their identity."""

from __future__ import annotations

import pytest

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.facts import Evidence, check_facts, extract_facts
from groundset.evaluate.features import lexical, source
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.default import DefaultJudge
from groundset.evaluate.text import content_words, fold, normalise, question_stems, split_claims, words
from groundset.evaluate.trim import trim_text
from groundset.ingest.text import normalize_compat

LIGATURED = "The conﬁguration ﬁle is speciﬁed in the ﬁrst section, and the ﬂow stays eﬃcient."
PLAIN = "The configuration file is specified in the first section, and the flow stays efficient."


def test_fold_is_the_ingest_normalisation():
    for text in (LIGATURED, "ｆｕｌｌ－ｗｉｄｔｈ １２３", "x² ½ H₂O ™", "print('ﬁ')", "a_b = c[0]"):
        assert fold(text) == normalize_compat(text)
    assert fold(LIGATURED) == PLAIN


@pytest.mark.parametrize("answer, context", [(LIGATURED, PLAIN), (PLAIN, LIGATURED)])
def test_ligature_on_one_side_only_gives_the_same_words(answer, context):
    assert words(answer) == words(context)
    assert content_words(answer) == content_words(context)
    assert "specifi" in content_words(answer) and "ﬁle" not in words(answer)
    assert normalise(answer) == normalise(context)
    lex = lexical(answer, [source(context)], n_candidates=3)
    assert lex.recall_window == 1.0 and lex.recall_all == 1.0 and lex.novel == []


def test_questions_fold_too():
    assert question_stems("Where is the conﬁguration ﬁle speciﬁed?") == question_stems(
        "Where is the configuration file specified?") == {"configur", "file", "specifi"}


@pytest.mark.parametrize("claim, context", [
    ("The Conﬁg Manager shipped 12 units in 2019.", "The Config Manager shipped １２ units in ２０１９."),
    ("The Config Manager shipped １２ units in ２０１９.", "The Conﬁg Manager shipped 12 units in 2019."),
    ("Ｋｉｎｇ Ｈａｒｏｌｄ had 45 ships.", "King Harold had 45 ships."),
    ("Set `ﬁle_name` first.", "Set file_name first."),
])
def test_facts_match_across_presentation_forms(claim, context):
    n, missing = check_facts(claim, Evidence(context))
    assert n >= 1 and missing == []


def test_full_width_facts_are_extracted_like_ascii_ones():
    assert extract_facts("Ｋｉｎｇ Ｈａｒｏｌｄ had １２ ships.") == extract_facts("King Harold had 12 ships.")
    n, missing = check_facts("Ｋｉｎｇ Ｈａｒｏｌｄ had １２ ships.", Evidence("King Harold had 13 ships."))
    assert n == 2 and missing == [("number", "12")]


@pytest.mark.parametrize("claim, context", [
    ("Call `pow²` on it.", "Call pow2 on it."),  # a superscript in code is not a digit
    ("The formula is `x²+y²`.", "The formula is x2+y2."),
    ("It returns `½`.", "It returns 1/2."),
])
def test_code_strings_keep_their_characters(claim, context):
    n, missing = check_facts(claim, Evidence(context))
    assert n == 1 and [kind for kind, _ in missing] == ["code"]
    assert fold(claim) == claim and normalise("x²") != normalise("x2")


def test_claims_keep_their_text_so_trimming_still_finds_them():
    answer = f"{PLAIN} The ﬁnal ﬁgure is 45%."
    segments = split_claims(answer)
    assert [s.text for s in segments][-1] == "The ﬁnal ﬁgure is 45%."
    assert trim_text(answer, [segments[-1].text]) == PLAIN
    code = split_claims("```\nname = 'ﬁle'\n```")
    assert code[0].kind == "code" and code[0].text == "name = 'ﬁle'"


@pytest.mark.parametrize("answer, context", [(LIGATURED, PLAIN), (PLAIN, LIGATURED)])
def test_default_judge_scores_ligatures_as_plain_text(answer, context):
    judge = DefaultJudge(EvaluateConfig(), embed=False)  # lexical features only: no model needed
    plain, folded = judge.score([JudgeInput([PLAIN], [PLAIN]), JudgeInput([answer], [context])])
    assert folded.adherence == pytest.approx(plain.adherence)
    assert folded.adherence >= judge.threshold
