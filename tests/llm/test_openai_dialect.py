"""What the OpenAI-compatible backend sends to servers that refuse parts of a request: TGI's 422 on OpenAI's JSON
formats, OpenAI reasoning models' 400 on max_tokens / temperature (the real bodies, see fault_server.py), logprobs
and retry counts."""

from __future__ import annotations

import json

import pytest

from groundset.llm import ChatRequest, load_llm
from groundset.llm.openai_body import Dialect, names_format, reasoning_family
from groundset.llm.openai_compat import OpenAICompatLLM
from groundset.workdir import Workdir

from .fault_server import OPENAI_400_MAX_TOKENS, TGI_422_FORMAT, TGI_422_TOO_LONG, FaultServer
from .test_openai import SCHEMA, _cfg, _req

OTHER = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


@pytest.fixture
def server():
    with FaultServer() as srv:
        yield srv


def _formats(server, start=0):
    return [(b.get("response_format") or {}).get("type") for b in server.bodies[start:]]


def test_tgi_422_on_openai_json_formats_falls_back_to_tgis_own_form(server):
    backend = OpenAICompatLLM(_cfg(server))
    first, second = backend.chat([_req("tgi")])[0], backend.chat([_req("tgi")])[0]
    assert first.ok and second.ok and json.loads(first.text) == {"question": "Q?", "answer": "A."}
    assert first.meta["response_format"] == "json" and first.meta["attempts"] == 2
    assert _formats(server) == ["json_schema", "json", "json"]  # the refusal is remembered for this schema
    assert server.bodies[-1]["response_format"] == {"type": "json", "value": SCHEMA}


def test_a_422_that_does_not_name_the_format_fails_as_it_is(server):
    backend = OpenAICompatLLM(_cfg(server))
    res = backend.chat([_req("tgi-too-long")])[0]
    assert res.reason == "http_422" and "Input validation error" in res.error
    assert server.seen["tgi-too-long"] == 1 and _formats(server) == ["json_schema"]
    assert backend.dialect.mode_for(_req("ok")) == "json_schema"


def test_a_refusal_downgrades_only_requests_with_that_schema(server):
    backend = OpenAICompatLLM(_cfg(server))
    assert backend.chat([_req("no-json-schema")])[0].meta["response_format"] == "json_object"
    n = len(server.bodies)
    assert backend.chat([_req("ok", schema=OTHER)])[0].meta["response_format"] == "json_schema"
    assert _formats(server, n) == ["json_schema"]


def test_format_refusal_words_are_needed_on_400_or_422():
    assert names_format(422, TGI_422_FORMAT.decode())
    assert names_format(400, '{"error": "response_format json_schema is not supported"}')
    assert not names_format(422, TGI_422_TOO_LONG.decode())
    assert not names_format(400, '{"error": "context length exceeded"}')
    assert not names_format(400, OPENAI_400_MAX_TOKENS.decode())
    assert not names_format(500, "response_format")


def test_unknown_reasoning_model_is_adapted_from_the_real_400_bodies(server):
    backend = OpenAICompatLLM(_cfg(server))  # "test-model": not a known reasoning family
    res = backend.chat([_req("reasoning")])[0]
    assert res.ok and res.meta["attempts"] == 3 and res.meta["response_format"] == "json_schema"
    first, second, third = server.bodies
    assert "max_tokens" in first and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 512 and second["temperature"] == 0.7
    assert "temperature" not in third and third["top_p"] == 1.0  # only what the server refused is dropped
    assert _formats(server) == ["json_schema"] * 3  # never mistaken for a format refusal
    backend.chat([_req("reasoning")])
    assert len(server.bodies) == 4  # learnt once for the backend


@pytest.mark.parametrize("model", ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini", "openai/o3"])
def test_known_reasoning_families_get_max_completion_tokens_from_the_start(server, model):
    backend = OpenAICompatLLM(_cfg(server, spec=f"openai:{model}"))
    assert backend.chat([_req("reasoning", max_tokens=40)])[0].ok
    assert len(server.bodies) == 1
    body = server.bodies[0]
    assert body["max_completion_tokens"] == 40 and not {"max_tokens", "temperature", "top_p"} & set(body)


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-5-chat-latest", "Qwen/Qwen2.5-7B-Instruct", "llama3.1:8b",
                                   "omni-moderation"])
def test_other_models_keep_max_tokens_and_temperature(model):
    assert not reasoning_family(model)
    body = Dialect(model).body(_req("ok", temperature=0.3), "json_schema")
    assert body["max_tokens"] == 512 and body["temperature"] == 0.3


def test_logprobs_are_asked_for_and_surfaced_also_from_the_cache(server, tmp_path):
    wd = Workdir(tmp_path / "w")
    req = ChatRequest(messages=[{"role": "user", "content": "ok go"}], logprobs=2, seed=1)
    res = load_llm(_cfg(server), wd).chat([req])[0]
    assert server.bodies[0]["logprobs"] is True and server.bodies[0]["top_logprobs"] == 2
    assert res.logprobs[0]["logprob"] == -0.25 and len(res.logprobs[0]["top"]) == 2
    again = load_llm(_cfg(server), wd).chat([req])[0]
    assert again.cached and again.logprobs == res.logprobs and len(server.bodies) == 1
    plain = OpenAICompatLLM(_cfg(server)).chat([_req("ok", schema=None)])[0]
    assert "logprobs" not in server.bodies[-1] and plain.logprobs is None


def test_retries_are_counted_in_usage_json(server, tmp_path):
    wd = Workdir(tmp_path / "w")
    llm = load_llm(_cfg(server), wd)
    results = llm.chat([_req("429-then-ok"), _req("500-always"), _req("ok")])
    assert [r.meta["retries"] for r in results] == [1, 2, 0]
    assert llm.usage.retries == 3
    assert json.loads((tmp_path / "w" / "usage.json").read_text())["generate"]["retries"] == 3
