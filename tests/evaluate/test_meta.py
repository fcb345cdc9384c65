"""Talk about the source is not matched as a claim (groundset.evaluate.meta)."""

import pytest

from groundset.evaluate.judges.base import JudgeInput, prepare
from groundset.evaluate.meta import matched_text, talks_about_source
from groundset.evaluate.text import content_words


@pytest.mark.parametrize(
    "sentence, matched",
    [
        ('The passage provides information about a TV series called "The Millers."',
         'a TV series called "The Millers."'),
        ("Based on the given passages, the tower is 330 metres tall.", "the tower is 330 metres tall."),
        ("According to the text, Rollo led the army.", "Rollo led the army."),
        ("It's important to note that the article states that Rollo led the army.", "Rollo led the army."),
        ("The passage does not seem to connect Ann Richards to Dorothy Richards.", "Ann Richards to Dorothy Richards."),
        ("Rollo led the army, as described in the passage.", "Rollo led the army."),
    ],
)
def test_frames_and_talk_words_are_removed(sentence, matched):
    assert matched_text(sentence) == matched


@pytest.mark.parametrize(
    "sentence",
    [
        "The tower is not 330 metres tall.",  # a real negation stays
        "Open the text file in text mode; the source code is provided.",  # "text" and "source" as plain nouns
        "The summary statistics of the dataset are printed.",
    ],
)
def test_sentences_that_do_not_talk_about_the_source_are_unchanged(sentence):
    assert matched_text(sentence) == sentence


def test_a_sentence_that_is_only_talk_leaves_nothing_to_match():
    assert content_words(matched_text("This summary covers the main points of the passage.")) == []
    assert talks_about_source("This summary covers the passage.") and not talks_about_source("A text file.")


def test_prepare_keeps_the_claim_as_written_and_matches_the_rest():
    p = prepare(JudgeInput(texts=["The passage states that Rollo led 300 ships."],
                           contexts=["Rollo led 300 ships to Normandy."]))
    assert p.claims == ["The passage states that Rollo led 300 ships."]
    assert p.matched == ["Rollo led 300 ships."] and p.missing == [[]]


def test_a_fact_invented_after_the_frame_is_still_missing():
    p = prepare(JudgeInput(texts=["According to the passage, Rollo led 450 ships."],
                           contexts=["Rollo led 300 ships to Normandy."]))
    assert p.missing == [["450"]]
