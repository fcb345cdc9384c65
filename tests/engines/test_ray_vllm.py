"""The vLLM path on Ray (``ray.data.llm``) with a stub processor: rows carry the JSON schema, results come back in
order, a failed row becomes a failed result. vllm itself is never needed here."""

from __future__ import annotations

import json
import pickle
from types import SimpleNamespace

import numpy as np
import pytest

from groundset.config import load_config
from groundset.engines import ray_generate
from groundset.engines.ray_generate import _result, load_ray_llm, vllm_logprobs, vllm_postprocess, vllm_preprocess
from groundset.evaluate.judges.llm_verdict import CLAIM_SCHEMA, p_supported
from groundset.llm.base import ChatRequest
from groundset.llm.fake import schema_example
from groundset.llm.vllm_backend import _to_result

SCHEMA = {"type": "object", "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
          "required": ["question", "answer"]}
BUILT: list = []


class StubProcessorConfig:
    """Stands in for ``ray.data.llm.vLLMEngineProcessorConfig`` (keyword arguments kept for the assertions)."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs


VERDICT_TOKENS = ['{"quote": "Rollo led them", "verdict": "', "sup", 'ported"}']
# per position: {token id: ray.data.llm's dict of vLLM's Logprob}; the sampled token is generated_tokens[pos]
VERDICT_LOGPROBS = [{11: {"logprob": 0.0, "rank": 1, "decoded_token": VERDICT_TOKENS[0]}},
                    {12: {"logprob": -0.2, "rank": 1, "decoded_token": "sup"},
                     13: {"logprob": -1.8, "rank": 2, "decoded_token": "un"},
                     14: {"logprob": -4.0, "rank": 3, "decoded_token": "part"}},
                    {15: {"logprob": 0.0, "rank": 1, "decoded_token": VERDICT_TOKENS[2]}}]


def stub_engine(row):
    """What the vLLM stage adds to a row: a reply following the row's structured-output schema, token counts, and
    (when ``sampling_params["logprobs"]`` asks) the ``logprobs`` column as ray.data.llm's vLLM stage fills it."""
    params = row["sampling_params"]
    structured = params.get("structured_outputs")
    schema = json.loads(structured["json"]) if structured else None
    if schema == CLAIM_SCHEMA:
        text, tokens, logprobs = "".join(VERDICT_TOKENS), [11, 12, 15], VERDICT_LOGPROBS
    else:
        text = json.dumps(schema_example(schema)) if schema else "plain reply"
        tokens, logprobs = [1, 2], [{1: {"logprob": -0.5, "rank": 1, "decoded_token": text}}, {}]
    return {**row, "generated_text": text, "num_input_tokens": 7, "num_generated_tokens": min(5, params["max_tokens"]),
            "generated_tokens": tokens, "logprobs": logprobs if params.get("logprobs") is not None else None}


def stub_build(config, preprocess, postprocess):
    BUILT.append(config.kwargs)
    return lambda ds: ds.map(preprocess).map(stub_engine).map(postprocess)


def _requests():
    return [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], json_schema=SCHEMA if i % 2 == 0 else None,
                        max_tokens=64 if i != 3 else 4, seed=i) for i in range(5)]


def test_preprocess_keeps_the_json_schema_and_sampling_params():
    row = vllm_preprocess({"idx": 0, "request": pickle.dumps(_requests()[0])})
    assert row["messages"] == [{"role": "user", "content": "q0"}]
    assert json.loads(row["sampling_params"]["structured_outputs"]["json"]) == SCHEMA
    assert row["sampling_params"]["max_tokens"] == 64 and row["sampling_params"]["seed"] == 0
    plain = vllm_preprocess({"idx": 1, "request": pickle.dumps(_requests()[1])})
    assert plain["sampling_params"]["structured_outputs"] is None


def test_postprocess_and_failed_rows():
    done = pickle.loads(vllm_postprocess({"idx": 0, "generated_text": "x", "num_input_tokens": 3,
                                          "num_generated_tokens": 4, "max_tokens": 4})["result"])
    assert (done.text, done.prompt_tokens, done.completion_tokens, done.finish_reason) == ("x", 3, 4, "length")
    failed = _result({"idx": 2, "__inference_error__": "CUDA out of memory"})
    assert not failed.ok and failed.reason == "backend_error" and "out of memory" in failed.error


@pytest.mark.usefixtures("ray_cluster")
def test_vllm_spec_runs_through_the_ray_data_llm_processor(tmp_path, monkeypatch):
    monkeypatch.setattr(ray_generate, "_ray_llm_api", lambda: (StubProcessorConfig, stub_build))
    BUILT.clear()
    config = load_config(None, {"run.engine": "ray", "run.ray_llm_actors": 2, "llm.spec": "vllm:Qwen/Qwen3-8B",
                                "llm.vllm.tensor_parallel_size": 2, "llm.vllm.max_model_len": 8192})
    llm = load_ray_llm(config, None, "generate")
    assert llm.name == "vllm:Qwen/Qwen3-8B"
    results = llm.chat(_requests())
    assert [r.ok for r in results] == [True] * 5
    assert [r.parsed for r in results[::2]] == [schema_example(SCHEMA)] * 3  # schema replies validated and parsed
    assert results[1].text == "plain reply" and results[3].finish_reason == "length"
    (kwargs,) = BUILT
    assert kwargs["model_source"] == "Qwen/Qwen3-8B" and kwargs["concurrency"] == 2
    assert kwargs["engine_kwargs"]["tensor_parallel_size"] == 2 and kwargs["engine_kwargs"]["max_model_len"] == 8192
    assert kwargs["should_continue_on_error"] is True
    assert kwargs["engine_kwargs"]["logprobs_mode"] == "processed_logprobs"  # as the in-process backend
    assert all(r.logprobs is None for r in results)  # none asked, none carried


def _claim_request(k):
    return ChatRequest(messages=[{"role": "user", "content": "Is it supported?"}], json_schema=CLAIM_SCHEMA,
                       max_tokens=64, temperature=0.0, logprobs=k)


def _vllm_output(positions, token_ids, text):
    """What vllm.LLM.chat returns for the same reply (``RequestOutput`` with ``Logprob`` objects), for the
    in-process backend's own conversion."""
    lps = [{tid: SimpleNamespace(**d) for tid, d in pos.items()} for pos in positions]
    comp = SimpleNamespace(text=text, finish_reason="stop", token_ids=token_ids, logprobs=lps)
    return SimpleNamespace(outputs=[comp], prompt_token_ids=[0] * 7)


@pytest.mark.usefixtures("ray_cluster")
def test_logprobs_are_requested_and_carried_as_the_in_process_vllm_backend_does(monkeypatch):
    monkeypatch.setattr(ray_generate, "_ray_llm_api", lambda: (StubProcessorConfig, stub_build))
    config = load_config(None, {"run.engine": "ray", "llm.spec": "vllm:Qwen/Qwen3-8B"})
    llm = load_ray_llm(config, None, "evaluate")
    with_lp, without = llm.chat([_claim_request(5), _claim_request(None)])
    assert with_lp.ok and with_lp.parsed == {"quote": "Rollo led them", "verdict": "supported"}
    local = _to_result(_vllm_output(VERDICT_LOGPROBS, [11, 12, 15], "".join(VERDICT_TOKENS)), want_logprobs=True)
    assert with_lp.logprobs == local.logprobs  # the same shape and values as the in-process backend gives
    assert round(p_supported(with_lp.logprobs), 3) == 0.817  # what the llm judge reads from them
    assert without.ok and without.logprobs is None and p_supported(without.logprobs) is None


def test_preprocess_asks_for_logprobs_only_when_the_request_does():
    row = vllm_preprocess({"idx": 0, "request": pickle.dumps(_claim_request(5))})
    assert row["sampling_params"]["logprobs"] == 5 and row["want_logprobs"] is True
    row = vllm_preprocess({"idx": 0, "request": pickle.dumps(_claim_request(None))})
    assert row["sampling_params"]["logprobs"] is None and row["want_logprobs"] is False


def test_logprobs_read_after_arrow_string_keys_and_missing_entries():
    """After an Arrow round trip the token ids may be strings and a struct column fills absent ids with None."""
    arrow = [{str(k): v for k, v in pos.items()} for pos in VERDICT_LOGPROBS]
    arrow[1]["99"] = None
    got = vllm_logprobs(arrow, np.array([11, 12, 15]))
    assert got == vllm_logprobs(VERDICT_LOGPROBS, [11, 12, 15])
    assert got[1] == {"token": "sup", "logprob": -0.2, "top": {"sup": -0.2, "un": -1.8, "part": -4.0}}
    assert vllm_logprobs(None, [1]) is None and vllm_logprobs([{}, None], [1, 2]) == []
