"""The question checks of backtranslate / answer-first: one literal case per reason, and questions that pass."""

import pytest

from groundset.generate.question_checks import QUESTION_REASONS, overlap, problem

PASSAGE = ("The struct module provides pack() and unpack() functions for working with variable length binary record "
           "formats. Unlike the array module, it reads mixed types.")
ABOUT = "11. Brief Tour of the Standard Library 11.3. Working with Binary Data Record Layouts python tutorial"


@pytest.mark.parametrize("question,reason", [
    ("Why did the struct module be used for binary records?", "ungrammatical"),
    ("How do I use the the struct module?", "ungrammatical"),
    ("What is the struct module's module?", "ungrammatical"),
    ("How do I ...?", "ungrammatical"),
    ("What is the purpose of the keyword `struct?", "ungrammatical"),
    ("Explain how to pack binary records using Python, 11.3. Working with Binary Data Record Layouts",
     "copied_heading"),
    ("How do I pack binary records, but how do I unpack them?", "compound_question"),
    ("What do pack() and unpack() do with binary records and which one is faster?", "compound_question"),
    ("Explain what the struct module does, and why it is so important to binary records.", "compound_question"),
    ("Explain what the struct module is and how to use it.", "compound_question"),
    ("What is the difference between the struct module and the struct module?", "self_comparison"),
    ("Why did you choose the struct module for binary records?", "asks_the_author"),
    ("How do I use weakref.ref() with binary records?", "absent_identifier"),
    ("How do I read binary records with `numpy`?", "absent_identifier"),
    ("How do I pack binary records with `form`?", "absent_identifier"),  # a word, not a part of "formats"
    ("How do I read binary record formats in JavaScript?", "absent_identifier"),
    ("Which library compresses images and audio streams quickly?", "question_not_in_passage"),
    ("Which functions work with variable length binary record formats?", "misses_subject"),
])
def test_each_reason(question, reason):
    assert reason in QUESTION_REASONS
    assert problem(question, PASSAGE, ABOUT, subject="the struct module") == reason


def test_a_purpose_question_needs_a_passage_that_states_one():
    plain = "The struct module is written in C and ships with every Python."
    assert problem("What is the purpose of the struct module?", plain) == "purpose_not_in_passage"
    assert problem("What is the purpose of the struct module?", plain + " It is used to read C structs.") is None
    assert problem("What is the purpose of the struct module?", PASSAGE) is None  # "functions for working with"


def test_a_named_subject_may_be_named_or_described():
    subject = "venv | the module used to create and manage virtual environments"
    text = "The module used to create and manage virtual environments is called venv."
    assert problem("What is the venv module called?", text, subject=subject) is None
    assert problem("Which module creates and manages virtual environments?", text, subject=subject) is None
    assert problem("Which module is called by the manager?", text, subject=subject) == "misses_subject"


@pytest.mark.parametrize("question", [
    "Which functions does the struct module provide for binary record formats?",
    "How do I use pack() and unpack() for variable length binary records?",
    "What is the difference between the struct module and the array module?",
    "How do I work with binary record layouts in Python?",  # "Python": the section path / corpus names it
    "Explain what the struct module is used for.",
])
def test_good_questions_pass(question):
    assert problem(question, PASSAGE, ABOUT) is None
    if "struct" in question:
        assert problem(question, PASSAGE, ABOUT, subject="the struct module") is None


def test_overlap_counts_the_section_path_as_present():
    q = "How do I work with binary data record layouts?"
    assert overlap(q, "The struct module packs bytes.", ABOUT) == 1.0
    assert overlap(q, "The struct module packs bytes.") < 0.6
    assert overlap("What is it?", PASSAGE) == 1.0  # no key terms: nothing to miss
    assert problem("Which module packs binary record layouts?", "The struct module packs bytes.", ABOUT,
                   min_overlap=1.0) is None


def test_covers_is_the_share_of_the_subject_the_question_names():
    from groundset.generate.question_checks import covers

    assert covers("What does the struct module provide?", "the struct module") == 1.0
    assert covers("How do I read binary records?", "the struct module") == 0.0
    assert covers("How do I check whether a key is in a dictionary?",
                  "how to check whether a single key is in the dictionary") >= 0.6
    assert covers("Anything?", "") == 0.0
