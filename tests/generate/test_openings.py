"""Question openings taken from a passage's lead sentence (generate/openings.py), and the forced prefix that
carries them through the backends (ChatRequest.prefix)."""

from __future__ import annotations

import json

import pytest

from groundset.generate.openings import added_words, continuation_problem, json_opening, opening
from groundset.llm.base import ChatRequest
from groundset.llm.cache import request_key
from groundset.llm.fake import FakeLLM
from groundset.llm.openai_body import Dialect


@pytest.mark.parametrize("style, lead, subject, expected", [
    ("question", "The struct module provides pack() and unpack() functions.", "the struct module",
     "What does the struct module"),
    ("question", "Lists are mutable sequences.", "Lists", "What are lists"),
    ("question", "The script can be given an executable mode.", "the script", "How can the script be given"),
    ("question", "Python also has built-in support for complex numbers.", "Python", "What does Python have"),
    ("question", "Activating the virtual environment will change your prompt.", "Activating the virtual environment",
     "What will activating the virtual environment"),
    ("how-to", "The struct module provides pack() and unpack() functions.", "the struct module",
     "How does the struct module"),
    ("how-to", "A module is a file containing definitions.", "a module", "What is a module"),  # no how-to: a question
    ("why", "Name mangling is helpful for letting subclasses override methods.", "Name mangling",
     "Why is name mangling helpful"),
    ("question", "Dynamic ordering is necessary because of diamonds.", "Dynamic ordering",
     "Why is dynamic ordering necessary"),
    ("question", "The memory is freed shortly after the last reference.", "the memory", "How is the memory freed"),
    ("imperative", "The memory is freed shortly after the last reference.", "the memory",
     "Explain how the memory is freed"),
    ("how-to", "A number in the brackets can be used to refer to an argument.", "a number in the brackets",
     "How can a number in the brackets be used"),
    ("question", "By default pip will install packages from PyPI.", "By default pip", None),  # no noun phrase
    ("imperative", "Often dx and dy are the same.", "Often dx and dy", None),  # an adverb, not the subject
    ("question", "Effectively n frames are synthesized.", "Effectively n frames", None),
    ("question", "Common formats are directly supported by modules.", "Common formats", "How are common formats supported"),
    ("question", "The initial expression can be any arbitrary expression.", "the initial expression",
     "What can the initial expression be"),
    ("how-to", "Small functions can be created with the lambda keyword.", "Small functions",
     "How can small functions be created"),
    ("question", "Lists might contain items of different types.", "Lists", "What might lists"),
    ("question", "Many needs can be met with the list type.", "Many needs", "How can many needs be met"),
    ("imperative", "Lists might contain items of different types.", "Lists", "Explain what lists might contain"),
    ("question", "The import statement first tests whether the item is defined.",
     "the import statement first tests whether the item", None),  # the wrong verb was found
    ("imperative", "A module is a file containing definitions.", "a module", "Explain what a module is"),
    ("imperative", "To sort a list, call sorted() on it.", "how to sort a list", "Explain how to sort a list"),
    ("question", "The module used to create virtual environments is called venv.",
     "venv | the module used to create virtual environments", "What is the module used to create virtual environments called"),
    ("question", "If you do much work, automate it.", "", None),  # no lead, no opening
])
def test_openings_follow_the_lead_sentence(style, lead, subject, expected):
    assert opening(style, lead, subject, lead + " Code written in Python uses lists or tuples.") == expected


def test_a_name_keeps_its_capital_and_a_common_noun_loses_it():
    # "Python" is capitalised mid-sentence in the chunk: a name, not a sentence-initial capital
    chunk = "Python uses indentation to group statements. Code written in Python is short."
    assert opening("question", "Python uses indentation to group statements.", "Python", chunk) == "What does Python"
    assert opening("question", "Generators are a simple tool.", "Generators", "Generators are a simple tool.") == (
        "What are generators")
    heading_then_paragraph = "9.10. Generators\n\nGenerators are a simple tool.\n\nGenerators use yield."
    assert opening("question", "Generators are a simple tool.", "Generators", heading_then_paragraph) == (
        "What are generators")


def test_json_opening_leaves_the_string_open_and_escapes():
    assert json_opening('What does "with"') == '{"question": "What does \\"with\\"'
    assert json.loads(json_opening("What is x") + '?"}') == {"question": "What is x?"}


def test_fake_replies_continue_a_forced_opening():
    llm = FakeLLM([' provide?"}', '{"question": "What does X do?"}'])
    req = ChatRequest(messages=[{"role": "user", "content": "q"}], prefix='{"question": "What does X',
                      json_schema={"type": "object", "properties": {"question": {"type": "string"}}})
    first, second = llm.chat([req, req])
    assert first.text == '{"question": "What does X provide?"}' and first.parsed == {"question": "What does X provide?"}
    assert second.text == '{"question": "What does X do?"}'  # a whole reply that begins with the opening: as is


def test_the_opening_is_part_of_the_cache_key_only_when_set():
    base = ChatRequest(messages=[{"role": "user", "content": "q"}])
    with_prefix = ChatRequest(messages=base.messages, prefix="What")
    assert request_key("m", base) != request_key("m", with_prefix)
    assert request_key("m", base) == request_key("m", ChatRequest(messages=base.messages, prefix=None))


def test_endpoints_that_cannot_continue_a_reply_are_asked_for_the_opening():
    req = ChatRequest(messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "Write a question."}],
                      prefix='{"question": "What does X')
    body = Dialect("m").body(req, "json_schema")
    assert body["messages"][0] == {"role": "system", "content": "s"}
    assert body["messages"][-1]["content"].endswith('Begin your reply with exactly: {"question": "What does X')
    assert ChatRequest(messages=req.messages).hinted() == req.messages


@pytest.mark.parametrize("question, start, lead, subject, reason", [
    ("What do some objects define standard clean-up actions to be undertaken?", "What do some objects",
     "Some objects define standard clean-up actions to be undertaken.", "Some objects", "restates_lead"),
    ("Explain what a class in an except clause is compatible with an exception.",
     "Explain what a class in an except clause is", "A class in an except clause is compatible with an exception.",
     "a class in an except clause", "restates_lead"),
    ("How may package authors decide not to support package authors?", "How may package authors",
     "Package authors may also decide not to support it.", "Package authors", "repeats_subject"),
    ("Explain what a function definition is in a function definition.", "Explain what a function definition is",
     "A function definition associates the function name with the function object.", "a function definition",
     "repeats_subject"),
    ("What does the format use placeholders with braces?", "What does the format",
     "The format uses placeholder names formed by $ with valid Python identifiers.", "the format", "restates_lead"),
    ("What does the format use placeholder names formed by a dollar?", "What does the format",
     "The format uses placeholder names formed by $ with valid Python identifiers.", "the format", "restates_lead"),
    ("Explain what referencing the name a hereafter is an error.", "Explain what referencing the name a hereafter is",
     "Referencing the name a hereafter is an error.", "Referencing the name a hereafter", "restates_lead"),
    # a How question may repeat the lead; a What question that asks for something is fine
    ("How can a number in the brackets be used to refer to the position of the object?",
     "How can a number in the brackets be used", "A number in the brackets can be used to refer to the position of "
     "the object.", "a number in the brackets", None),
    ("What does the struct module provide?", "What does the struct module",
     "The struct module provides pack() and unpack() functions.", "the struct module", None),
    ("What is x?", "", "x is y.", "x", None),  # no opening: nothing to judge
])
def test_what_the_model_writes_after_the_opening(question, start, lead, subject, reason):
    assert continuation_problem(question, start, lead, subject) == reason


def test_a_gerund_subject_loses_its_capital():
    assert opening("question", "Reconstructing the data is called deserializing.", "Reconstructing the data",
                   "Reconstructing the data is called deserializing. Python does it.") == (
        "What is reconstructing the data called")


def test_a_number_the_passage_lacks_is_an_added_word():
    assert added_words("What will pip freeze produce in version 3.7?", "What will pip freeze",
                       "pip freeze will produce a list of packages in a version.") == ["3.7"]
    assert added_words("What does Python 3.11 add?", "What does Python", "Python 3.11 adds a module.") == []
