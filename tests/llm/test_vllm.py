"""The vLLM backend against a stub ``vllm`` module (vLLM itself needs a GPU and cannot run in CI).

What this covers: engine arguments, SamplingParams / StructuredOutputsParams building, grouping for prefix caching,
result mapping back to the caller's order, finish reasons, token counts, isolation of a request vLLM rejects, and the
MissingExtraError without the extra. What it cannot cover: that real vLLM accepts these objects and honours them.
"""

from __future__ import annotations

import sys
import types
from types import SimpleNamespace

import pytest

from groundset.errors import MissingExtraError
from groundset.llm import ChatRequest, load_llm
from groundset.llm.config import LLMConfig
from groundset.llm.vllm_backend import VLLMBackend, plan_order

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


@pytest.fixture
def stub_vllm(monkeypatch):
    state = SimpleNamespace(engine_kwargs=None, calls=[], shutdown=0)

    class Tokenizer:  # one token per word of every message, plus 3 for the template
        def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=True):
            return [0] * (sum(len(m["content"].split()) for m in messages) + 3)

    class Logprob:
        def __init__(self, logprob, decoded_token):
            self.logprob, self.rank, self.decoded_token = logprob, 1, decoded_token

    class SamplingParams:
        def __init__(self, **kw):
            self.kw = kw

    class StructuredOutputsParams:
        def __init__(self, json=None, **kw):
            self.json = json

    class LLM:
        def __init__(self, **kw):
            state.engine_kwargs = kw
            limit = kw.get("max_model_len", 32768)
            core = SimpleNamespace(shutdown=lambda: setattr(state, "shutdown", state.shutdown + 1))
            self.llm_engine = SimpleNamespace(model_config=SimpleNamespace(max_model_len=limit), engine_core=core)

        def get_tokenizer(self):
            return Tokenizer()

        def chat(self, messages, sampling_params, use_tqdm=True):
            state.calls.append((messages, sampling_params))
            outs = []
            for conv, sp in zip(messages, sampling_params):
                content = conv[-1]["content"]
                if "TOO LONG" in content:
                    raise ValueError("prompt is longer than max_model_len")
                schema = sp.kw.get("structured_outputs")
                text = '{"answer": "%s"}' % content if schema is not None else f"echo {content}"
                finish = "length" if "CUT" in content else "stop"
                k = sp.kw.get("logprobs")
                lps = None if k is None else [{1: Logprob(-0.1, "tok"), **{10 + j: Logprob(-1.0 - j, f"alt{j}")
                                                                          for j in range(k)}} for _ in range(5)]
                comp = SimpleNamespace(text=text, finish_reason=finish, token_ids=[1] * 5, logprobs=lps)
                outs.append(SimpleNamespace(outputs=[comp], prompt_token_ids=[0] * len(content)))
            return outs

    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = LLM, SamplingParams
    sp_mod = types.ModuleType("vllm.sampling_params")
    sp_mod.StructuredOutputsParams = StructuredOutputsParams
    vllm.sampling_params = sp_mod
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", sp_mod)
    return state


def _req(text: str, group: str | None = None, **kw) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], group=group, **kw)


def test_plan_order_puts_groups_together_in_order_of_first_appearance():
    reqs = [_req("a1", "A"), _req("b1", "B"), _req("x"), _req("a2", "A"), _req("b2", "B"), _req("a3", "A")]
    assert plan_order(reqs) == [0, 3, 5, 1, 4, 2]
    assert plan_order([]) == []


def test_whole_batch_in_one_chat_call_with_results_in_caller_order(stub_vllm):
    cfg = LLMConfig(spec="vllm:org/model", vllm={"tensor_parallel_size": 2, "max_model_len": 4096, "gpu_memory_utilization": 0.8})
    backend = VLLMBackend(cfg)
    reqs = [_req("a1", "A", json_schema=SCHEMA, seed=3), _req("b1", "B"), _req("a2", "A", temperature=0.0, stop=["\n"])]
    results = backend.chat(reqs)
    assert stub_vllm.engine_kwargs == {
        "model": "org/model", "tensor_parallel_size": 2, "gpu_memory_utilization": 0.8, "max_model_len": 4096,
        "logprobs_mode": "processed_logprobs",
    }
    assert len(stub_vllm.calls) == 1
    convs, params = stub_vllm.calls[0]
    assert [c[-1]["content"] for c in convs] == ["a1", "a2", "b1"]
    assert params[0].kw["structured_outputs"].json == SCHEMA and params[0].kw["seed"] == 3
    assert params[1].kw["stop"] == ["\n"] and params[1].kw["temperature"] == 0.0
    assert "structured_outputs" not in params[2].kw
    assert [r.text for r in results] == ['{"answer": "a1"}', "echo b1", "echo a2"]
    assert results[0].prompt_tokens == 2 and results[0].completion_tokens == 5


def test_rejected_request_fails_alone_and_finish_reasons_map(stub_vllm):
    llm = load_llm(LLMConfig(spec="vllm:m"))
    results = llm.chat([_req("fine", json_schema=SCHEMA), _req("TOO LONG"), _req("CUT here")])
    assert results[0].ok and results[0].parsed == {"answer": "fine"}
    assert results[1].error.startswith("backend_error") and "max_model_len" in results[1].error
    assert results[2].ok and results[2].finish_reason == "length"


def test_overlong_prompts_are_filtered_with_the_engine_tokenizer_and_the_batch_stays_whole(stub_vllm):
    backend = VLLMBackend(LLMConfig(spec="vllm:m", vllm={"max_model_len": 12}))
    long = " ".join(["word"] * 9)  # 9 words + 3 template tokens = 12 >= max_model_len
    results = backend.chat([_req("short one"), _req(long), _req("short two")])
    assert len(stub_vllm.calls) == 1 and len(stub_vllm.calls[0][0]) == 2  # one batch call, not one by one
    assert results[0].ok and results[2].ok
    assert results[1].reason == "prompt_too_long" and "max_model_len is 12" in results[1].error
    assert backend.chat([_req(long)])[0].reason == "prompt_too_long" and len(stub_vllm.calls) == 1


def test_logprobs_are_asked_for_and_surfaced(stub_vllm):
    backend = VLLMBackend(LLMConfig(spec="vllm:m"))
    with_lp, without = backend.chat([_req("a", logprobs=2), _req("b")])
    assert stub_vllm.calls[0][1][0].kw["logprobs"] == 2 and "logprobs" not in stub_vllm.calls[0][1][1].kw
    assert len(with_lp.logprobs) == 5 and with_lp.logprobs[0]["token"] == "tok"
    assert with_lp.logprobs[0]["logprob"] == -0.1 and set(with_lp.logprobs[0]["top"]) == {"tok", "alt0", "alt1"}
    assert without.logprobs is None


def test_close_shuts_the_engine_down(stub_vllm):
    backend = VLLMBackend(LLMConfig(spec="vllm:m"))
    backend.chat([_req("a")])
    backend.close()
    backend.close()
    assert stub_vllm.shutdown == 1


def test_missing_extra_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(MissingExtraError, match=r"groundset\[vllm\]"):
        load_llm(LLMConfig(spec="vllm:m"))


def test_without_a_tokenizer_the_batch_goes_as_it_is(stub_vllm, monkeypatch):
    backend = VLLMBackend(LLMConfig(spec="vllm:m", vllm={"max_model_len": 12}))
    backend.chat([_req("warm")])
    monkeypatch.setattr(type(backend._engine), "get_tokenizer", lambda self: (_ for _ in ()).throw(RuntimeError()))
    results = backend.chat([_req("short"), _req(" ".join(["word"] * 20))])
    assert all(r.ok for r in results) and len(stub_vllm.calls[-1][0]) == 2  # vLLM itself decides
