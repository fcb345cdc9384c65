"""multihop's write mode on the local backend: a shorter completion and an answer string that ends in time."""

from __future__ import annotations

import json

from groundset.generate import multihop
from groundset.generate.config import MultihopConfig
from groundset.llm.base import ChatResult
from groundset.records import Sample


def _write_local(**over):
    return multihop.resolve(MultihopConfig(mode="write", **over), "local")


def test_write_mode_on_local_limits_the_answer_string_in_the_schema(attempt_of, fake_corpus, config):
    a = attempt_of("multihop")
    partners = multihop.find_partners(a.seeds[0], fake_corpus, config.generate.multihop)
    chunks = [a.seeds[0], partners[0][0]]
    [req] = multihop.build_requests(a, chunks, _write_local())
    props = req.json_schema["properties"]
    assert props["answer"]["maxLength"] == multihop.LOCAL_WRITE_ANSWER_CHARS and props["question"]["maxLength"] > 0
    [served] = multihop.build_requests(a, chunks, multihop.resolve(MultihopConfig(mode="write"), "openai:m"))
    assert "maxLength" not in served.json_schema["properties"]["answer"]  # strict OpenAI schemas reject it
    assert _write_local(max_answer_chars=900).max_answer_chars == 900


def test_an_answer_closed_by_the_length_limit_keeps_its_complete_sentences(attempt_of, fake_corpus, config):
    a = attempt_of("multihop")
    partners = multihop.find_partners(a.seeds[0], fake_corpus, config.generate.multihop)
    chunks = [a.seeds[0], partners[0][0]]
    cfg = _write_local(max_answer_chars=120)
    first = " ".join(chunks[0].text.split()[:6])
    second = " ".join(chunks[1].text.split()[:6])
    answer = f"{first} [C1]. {second} [C2]. And then it goes on and on about"
    answer = (answer + " more" * 40)[:120]
    question = f"How does {' '.join(chunks[0].text.split()[:3])} relate to {' '.join(chunks[1].text.split()[:3])}?"
    text = json.dumps({"question": question, "answer": answer, "cited": ["C1", "C2"]})
    s = multihop.parse([ChatResult(text=text, finish_reason="stop")], a, chunks, cfg)
    assert isinstance(s, Sample), s
    assert s.answer == f"{first}. {second}." and s.attributes["answer_with_citations"].endswith("[C2].")
