"""Trimming trailing unsupported sentences: the decision rules, on literal numbers and texts."""

from groundset.evaluate.trim import still_answers, trailing_cut, trim_text


def test_only_trailing_unsupported_sentences_are_cut():
    assert trailing_cut([0.9, 0.8, 0.2, 0.1], 0.5, [0.9, 0.85, 0.4, 0.3]) == 2
    assert trailing_cut([0.9, 0.2, 0.8], 0.5, [0.9, 0.4, 0.5]) is None  # an unsupported sentence in the middle
    assert trailing_cut([0.2, 0.9], 0.5, [0.2, 0.4]) is None  # the opening is unsupported
    assert trailing_cut([0.9, 0.8], 0.5, [0.9, 0.8]) is None  # nothing to cut


def test_the_kept_part_must_pass_alone_and_keep_enough():
    assert trailing_cut([0.9, 0.2], 0.5, [0.45, 0.3]) is None
    assert trailing_cut([0.9, 0.2, 0.2, 0.2], 0.5, [0.9, 0.3, 0.2, 0.1], min_keep=0.5) is None
    assert trailing_cut([0.9, 0.2, 0.2, 0.2], 0.5, [0.9, 0.3, 0.2, 0.1], min_keep=0.25) == 1
    assert trailing_cut([0.9, 0.2], 0.5) == 1  # without prefix scores the weakest kept support stands in


def test_the_kept_part_must_still_answer_the_question():
    q = "How many ships did Rollo have?"
    assert not still_answers(q, ["The Normans came from Norway."], ["Rollo had 900 ships."])
    assert still_answers(q, ["Rollo had many ships."], ["They sailed in 911."])
    assert still_answers(None, ["Anything."], ["Else."])


def test_trim_text_keeps_layout():
    assert trim_text("A is 1. B is 2.\nC is 3.", ["C is 3."]) == "A is 1. B is 2."
    assert trim_text("A is 1.", ["Not there."]) is None
