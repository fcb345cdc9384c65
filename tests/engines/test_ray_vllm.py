"""The vLLM path on Ray (``ray.data.llm``) with a stub processor: rows carry the JSON schema, results come back in
order, a failed row becomes a failed result. vllm itself is never needed here."""

from __future__ import annotations

import json
import pickle

import pytest

from groundset.config import load_config
from groundset.engines import ray_generate
from groundset.engines.ray_generate import _result, load_ray_llm, vllm_postprocess, vllm_preprocess
from groundset.llm.base import ChatRequest
from groundset.llm.fake import schema_example

SCHEMA = {"type": "object", "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
          "required": ["question", "answer"]}
BUILT: list = []


class StubProcessorConfig:
    """Stands in for ``ray.data.llm.vLLMEngineProcessorConfig`` (keyword arguments kept for the assertions)."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs


def stub_engine(row):
    """What the vLLM stage adds to a row: a reply following the row's structured-output schema, token counts."""
    params = row["sampling_params"]
    structured = params.get("structured_outputs")
    text = json.dumps(schema_example(json.loads(structured["json"]))) if structured else "plain reply"
    return {**row, "generated_text": text, "num_input_tokens": 7, "num_generated_tokens": min(5, params["max_tokens"])}


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
