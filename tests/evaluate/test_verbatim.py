"""Corpus answers (backtranslate, qa answer-first): the judge does not doubt the corpus's own text, sanity does not
call it degenerate, and a question may name what the sources are about (their title)."""

from __future__ import annotations

from groundset.config import load_config
from groundset.evaluate import sanity
from groundset.evaluate.runner import evaluate_samples
from groundset.records import Citation, Sample

TEXT = ("A try statement may have more than one except clause, to specify handlers for different exceptions. At most "
        "one handler will be executed.")


def sample(answer: str, origin: str = "corpus", question: str = "How many except clauses can a try statement have?"):
    cite = Citation(chunk_id="c1", document_id="d1", source="errors.html", title="8. Errors and Exceptions — Python",
                    section=["8.3. Handling Exceptions"], text="Handling\n\n" + TEXT)
    return Sample(id="s", task="backtranslate", question=question, answer=answer, answer_origin=origin,
                  contexts=[cite])


def test_a_verbatim_corpus_answer_is_not_judged_and_is_kept():
    s = sample(TEXT)
    evaluate_samples([s], load_config(None, {"evaluate.dedup": False}))
    assert s.evaluation.kept, s.evaluation
    assert s.evaluation.details["judge"] == "verbatim" and s.evaluation.scores["adherence"] == 1.0


def test_a_corpus_flag_on_text_that_is_not_in_the_chunk_is_judged():
    s = sample("A try statement may have at most three except clauses, as decided in 1994.")
    evaluate_samples([s], load_config(None, {"evaluate.dedup": False}))
    assert s.evaluation.details["judge"] != "verbatim"


def test_the_question_may_name_the_sources_title_subject():
    s = sample(TEXT, question="How many except clauses can a try statement have in Python?")
    assert "off_topic_question" not in sanity.check(s)
