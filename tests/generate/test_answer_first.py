"""qa's answer-first mode and its span picker: literal chunks, FakeLLM replies, a real embedded Qdrant."""

from __future__ import annotations

import pytest

from groundset.config import load_config
from groundset.generate import answer_first
from groundset.generate.base import Attempt
from groundset.generate.checks import Reject
from groundset.generate.runner import generate
from groundset.generate.spans import find_spans, pick_span
from groundset.llm.base import ChatResult
from groundset.llm.fake import FakeLLM
from groundset.records import Chunk, Sample
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, echo_reply, fill_store, make_chunks

TEXT = ("Packages\n\nYou can install, upgrade, and remove packages using a program called pip. By default pip will "
        "install packages from the Python Package Index.")


def chunk(text: str = TEXT) -> Chunk:
    return Chunk(id=Chunk.make_id("venv.html", text), document_id="d1", source="venv.html", title="Python",
                 text=text, section=["Packages"], index=0, n_tokens=60)


def attempt(c: Chunk, index: int = 0) -> Attempt:
    return Attempt(task="qa", index=index, seeds=(c,), controls={"kind": "factual"},
                   sampling={"temperature": 0.3, "top_p": 0.95, "max_tokens": 48}, id="a1", request_seed=1)


@pytest.mark.parametrize("sentence,kind,span", [
    ("The module used to create and manage virtual environments is called venv.", "term", "venv"),
    ("For convenience, builtin exception types define __str__() to print all the arguments.", "identifier", "__str__()"),
    ("The process waits for up to 30 seconds before it gives up on the lock.", "number", "30 seconds"),
    ("By default pip will install packages from the Python Package Index.", "entity", "Python Package Index"),
    ("A module is a file containing definitions and statements.", "definition", "module"),
])
def test_each_span_kind_is_found_in_its_sentence(sentence, kind, span):
    got = [(s.kind, s.text) for s in find_spans(sentence)]
    assert (kind, span) in got
    s = next(s for s in find_spans(sentence) if (s.kind, s.text) == (kind, span))
    assert s.sentence == sentence and sentence[s.start:s.end] == sentence


def test_title_word_alone_is_no_entity_and_code_gives_no_span():
    assert not [s for s in find_spans("It runs on machines made by people in Python today, they say.", "Python")
                if s.kind == "entity"]
    assert pick_span(">>> import os\n>>> os.getcwd()") is None


def test_parse_question_for_the_span_answer_is_its_sentence():
    a = attempt(chunk())
    span = answer_first.span_of(a)
    assert (span.kind, span.text) == ("term", "pip")
    [req] = answer_first.build_requests(a, span)
    assert '"pip"' in req.messages[-1]["content"]
    s = answer_first.parse([ChatResult(text='{"question": "Which program installs and removes Python packages?"}')],
                           a, span)
    assert isinstance(s, Sample) and s.answer == span.sentence and s.answer_origin == "corpus"
    assert s.contexts[0].text[s.attributes["answer_start"]:s.attributes["answer_end"]] == s.answer
    s.attrs()


@pytest.mark.parametrize("reply,reason", [
    ('{"question": "What does pip install by default?"}', "answer_in_question"),
    ('{"question": "In this text, which program installs packages?"}', "not_standalone"),
    ('{"question": "What is the tallest mountain on Earth?"}', "off_topic"),
    ('{"question": "How far does the Rhine flow from the Swiss Alps to the North Sea?"}', "copied_demo"),
])
def test_bad_questions_have_their_reason(reply, reason):
    a = attempt(chunk())
    out = answer_first.parse([ChatResult(text=reply)], a, answer_first.span_of(a))
    assert isinstance(out, Reject) and out.reason == reason


def test_runner_answer_first_mode(tmp_path, monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    workdir = Workdir(tmp_path / "w").ensure()
    config = load_config(None, {"generate.tasks": {"qa": 3}, "generate.qa.mode": "answer_first"})
    chunks = make_chunks() + [chunk(">>> import os\n>>> os.getcwd()")]
    fill_store(config, workdir, chunks)
    llm = FakeLLM(default=lambda r: '{"question": "Which method or statement does this rule describe in Python lists and modules?"}')
    result = generate(config, workdir, llm, progress=False)
    rep = result.tasks["qa"]
    assert rep.skipped_seeds.get("no_span", 0) >= 1
    rows = [Sample.model_validate(r) for r in read_jsonl(workdir.samples("qa"))]
    assert rows and all(s.attributes["mode"] == "answer_first" and s.answer in s.contexts[0].text for s in rows)
    assert rep.accepted + sum(rep.rejected.values()) == rep.attempts


def test_unknown_mode_is_a_config_error():
    from groundset.errors import ConfigError

    with pytest.raises(ConfigError, match="mode"):
        load_config(None, {"generate.qa.mode": "guess"})
