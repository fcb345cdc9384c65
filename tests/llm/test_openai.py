"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 with injected faults."""

from __future__ import annotations

import json
import logging

import pytest

from groundset.errors import BackendError
from groundset.llm import ChatRequest, load_llm
from groundset.llm.config import LLMConfig
from groundset.llm.openai_compat import OpenAICompatLLM
from groundset.workdir import Workdir

from .fault_server import FaultServer

SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
}
SECRET = "sk-test-SECRET-0123456789abcdef"


def _cfg(server: FaultServer, **kw) -> LLMConfig:
    base = dict(spec="openai:test-model", base_url=server.base_url, api_key_env="GS_TEST_KEY", concurrency=4,
                timeout_s=5.0, max_retries=2, retry_backoff_s=0.01, retry_max_wait_s=0.05)
    base.update(kw)
    return LLMConfig(**base)


def _req(tag: str, schema=SCHEMA, **kw) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": f"{tag} please"}], json_schema=schema, **kw)


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("GS_TEST_KEY", SECRET)
    with FaultServer() as srv:
        yield srv


def test_every_fault_ends_in_success_or_a_counted_failure(server, tmp_path):
    llm = load_llm(_cfg(server), Workdir(tmp_path / "w"))
    tags = ["ok", "429-then-ok", "500-always", "500-then-ok", "badbody-then-ok", "badbody-always", "drop-then-ok",
            "drop-always"]
    results = llm.chat([_req(t) for t in tags])
    by_tag = dict(zip(tags, results))
    for tag in ["ok", "429-then-ok", "500-then-ok", "badbody-then-ok", "drop-then-ok"]:
        assert by_tag[tag].ok, (tag, by_tag[tag].error)
        assert by_tag[tag].parsed == {"question": "Q?", "answer": "A."}
    assert by_tag["500-always"].error.startswith("http_500")
    assert by_tag["badbody-always"].error.startswith("bad_response")
    assert by_tag["drop-always"].error.startswith("connection_error")
    assert by_tag["429-then-ok"].meta["attempts"] == 2
    assert server.seen["500-always"] == 3  # first try + max_retries
    assert llm.usage.failures == {"http_500": 1, "bad_response": 1, "connection_error": 1}
    saved = json.loads((tmp_path / "w" / "usage.json").read_text())
    assert saved["generate"]["failures"]["connection_error"] == 1


def test_hung_request_times_out_and_is_counted(server):
    llm = load_llm(_cfg(server, timeout_s=0.3, max_retries=1))
    res = llm.chat([_req("hang"), _req("ok")])
    assert res[0].error.startswith("timeout") and res[1].ok
    assert server.seen["hang"] == 2 and llm.usage.failures == {"timeout": 1}


def test_json_schema_400_falls_back_and_is_remembered(server):
    backend = OpenAICompatLLM(_cfg(server))
    first = backend.chat([_req("no-json-schema")])[0]
    assert first.ok and first.meta["response_format"] == "json_object"
    formats = [(b.get("response_format") or {}).get("type") for b in server.bodies]
    assert formats == ["json_schema", "json", "json_object"]
    assert "JSON schema" in server.bodies[-1]["messages"][-1]["content"]  # the schema moved into the prompt
    backend.chat([_req("no-json-schema")])
    assert [(b.get("response_format") or {}).get("type") for b in server.bodies][3:] == ["json_object"]


def test_other_400_is_not_retried_and_does_not_downgrade(server):
    backend = OpenAICompatLLM(_cfg(server))
    res = backend.chat([_req("bad400", schema=None)])[0]
    assert res.error.startswith("http_400") and "context length" in res.error
    assert server.seen["bad400"] == 1
    backend.chat([_req("bad400")])
    assert backend.dialect.mode_for(_req("ok")) == "json_schema"
    assert [(b.get("response_format") or {}).get("type") for b in server.bodies] == [None, "json_schema"]


def test_wrong_model_or_url_stops_the_run_with_a_hint(server):
    with pytest.raises(BackendError, match="base_url"):
        load_llm(_cfg(server)).chat([_req("ok"), _req("model-404")])


def test_request_body_carries_sampling_parameters_and_schema(server):
    backend = OpenAICompatLLM(_cfg(server))
    backend.chat([_req("ok", temperature=0.2, top_p=0.9, max_tokens=33, seed=7, stop=["###"])])
    body = server.bodies[0]
    assert body["model"] == "test-model"
    sampling = (body["temperature"], body["top_p"], body["max_tokens"], body["seed"], body["stop"])
    assert sampling == (0.2, 0.9, 33, 7, ["###"])
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert server.headers[0]["Authorization"] == f"Bearer {SECRET}"


def test_concurrency_is_bounded(server):
    backend = OpenAICompatLLM(_cfg(server, concurrency=3))
    results = backend.chat([_req("slow", schema=None) for _ in range(12)])
    assert all(r.ok for r in results)
    assert 1 <= server.max_in_flight <= 3


def test_retry_after_is_honoured_and_capped(server):
    backend = OpenAICompatLLM(_cfg(server, retry_max_wait_s=5))

    class State:
        attempt_number = 1

        class outcome:  # noqa: N801 - mimics tenacity's RetryCallState
            @staticmethod
            def exception():
                from groundset.llm.openai_compat import _Transient

                return _Transient("http_429", retry_after=2.5)

    assert backend._wait(State) == 2.5
    backend.cfg.retry_max_wait_s = 1.0
    assert backend._wait(State) == 1.0


def test_api_key_never_leaks(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    wd = Workdir(tmp_path / "w")
    llm = load_llm(_cfg(server), wd)
    results = llm.chat([_req("ok"), _req("500-always"), _req("drop-always")])
    assert results[0].ok
    with pytest.raises(BackendError) as info:
        llm.chat([_req("auth")])
    assert "GS_TEST_KEY" in str(info.value)
    llm.close()
    texts = [str(info.value), repr(llm.backend), caplog.text, llm.name]
    texts += [r.error or "" for r in results] + [json.dumps(r.meta) for r in results]
    texts += [(tmp_path / "w" / "usage.json").read_text()]
    texts += [p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "w").glob("llm-cache.sqlite*")]
    for text in texts:
        assert SECRET not in text


def test_second_identical_batch_makes_no_http_call(server, tmp_path):
    wd = Workdir(tmp_path / "w")
    reqs = [_req("ok", seed=i) for i in range(3)]
    first = load_llm(_cfg(server), wd).chat(reqs)
    calls = len(server.bodies)
    again = load_llm(_cfg(server), wd).chat(reqs)  # a new process would build a new LLM the same way
    assert len(server.bodies) == calls == 3
    assert [r.parsed for r in again] == [r.parsed for r in first] and all(r.cached for r in again)
