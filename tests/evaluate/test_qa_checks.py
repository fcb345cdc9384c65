"""Off-topic questions and degenerate answers, on small literal cases, and in the sanity filter."""

import pytest

from groundset.evaluate import sanity
from groundset.evaluate.qa_checks import degenerate, off_topic
from groundset.records import Sample
from tests.evaluate.conftest import NORMANS, qa

LISTS = "Lists can contain other lists. A nested list is a list whose items are lists."


def test_on_topic_question_passes():
    assert off_topic("Who led the Norse raiders?", [NORMANS], "Rollo led them.") == ""
    assert off_topic(None, [NORMANS]) == "" and off_topic("Who?", []) == ""


def test_a_name_the_sources_lack_makes_the_question_off_topic():
    assert "Napoleon" in off_topic("When did Napoleon invade Normandy?", [NORMANS])


def test_half_the_key_terms_absent_is_off_topic():
    why = off_topic("What is photosynthesis in chloroplasts of algae?", [NORMANS])
    assert why.startswith("3 of the question's 3 key terms are absent")


def test_a_missing_key_term_the_answer_builds_on_is_off_topic():
    q = "What is the difference between a list of tuples and a list of lists?"
    a = "The list of tuples contains lists containing lists, while the list of lists contains lists containing lists."
    assert "tupl" in off_topic(q, [LISTS], a)
    assert off_topic(q, [LISTS], "Nested lists hold lists.") == ""  # the answer does not build on 'tuples'


@pytest.mark.parametrize("answer, why", [
    ("Rollo Rollo Rollo Rollo Rollo Rollo Rollo Rollo.", "repeats the phrase"),
    ("The list of tuples contains lists containing lists, while the list of lists contains lists containing lists.",
     "few distinct content words"),
    ("Lists lists lists, lists of lists and lists in lists of lists.", "few distinct content words"),
    ("Rollo led the Norse raiders.", ""),
])
def test_repetition(answer, why):
    assert degenerate("Who led them?", answer).startswith(why) if why else degenerate("Who led them?", answer) == ""


def test_restating_the_question_is_degenerate():
    assert degenerate("Who led the Norse raiders?", "The Norse raiders were led.") == \
        "restates the question without adding anything"
    assert degenerate("Who led the Norse raiders?", "Rollo led the Norse raiders.") == ""  # a name was added


def test_tautology_is_degenerate():
    assert degenerate("What is a list?", "A list is a list.") == "tautology: 'A list is a list.'"
    assert degenerate("What is a list?", "A list is a sequence of items.") == ""


def test_sanity_records_the_reason_and_why():
    s = qa("q", "When did Napoleon invade Normandy?", "Napoleon invaded Normandy in 1805.")
    assert sanity.check(s) == ["off_topic_question"]
    assert "Napoleon" in s.evaluation.details["sanity"]["off_topic_question"]
    d = qa("d", "Who led them?", "A leader is a leader.")
    assert sanity.check(d) == ["degenerate_answer"] and d.evaluation.details["sanity"]["degenerate_answer"]
    assert sanity.check(qa("ok", "Who led the Norse raiders?", "Their leader was Rollo.")) == []


def test_a_question_may_name_the_corpus_topic_its_source_path_or_section_carries():
    from groundset.records import Citation

    text = "To read a file's contents, call f.read(size), which reads some quantity of data and returns it."
    cite = Citation(chunk_id="c1", document_id="d1", source="groundset/demo/python-tutorial/inputoutput.html",
                    title="7. Input and Output", section=["7. Input and Output", "7.2. Reading and Writing Files"],
                    text=text)
    ok = Sample(id="s1", task="backtranslate", question="How do I read the contents of a file in Python?",
                answer=text, answer_origin="corpus", contexts=[cite])
    assert sanity.check(ok) == []  # "Python" is the corpus's topic: its path says so, its chunk never does
    bad = ok.model_copy(update={"question": "How do I read the contents of a file in JavaScript?"}, deep=True)
    assert sanity.check(bad) == ["off_topic_question"]
    bare = ok.model_copy(update={"contexts": [cite.model_copy(update={"source": "docs/io.html"})]}, deep=True)
    assert sanity.check(bare) == ["off_topic_question"]  # nothing says Python: still off topic


def test_topic_words_leave_out_extensions_and_url_parts():
    from groundset.evaluate.qa_checks import topic_words

    assert topic_words("https://docs.python.org/3/tutorial/index.html") == "docs python tutorial"
    assert topic_words("", "Normandy", ["History"]) == "Normandy History"
