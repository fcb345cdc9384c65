"""Generate (and the LLM calls of evaluate) on Ray Data: each round's requests become a Dataset.

The generate stage is unchanged: the driver plans the attempts, builds the prompts, parses the replies and appends
samples to the journal exactly as with the local engine, so the sample ids, the journal and resuming are the same.
Only the backend's ``chat(requests)`` runs on Ray, behind the same response cache, JSON repair and usage
accounting (``llm.managed.wrap``) on the driver; results stream back row by row (``on_result``), so the driver
journals each one as it arrives, as with the local backends:

- ``fake``, ``local[:MODEL]`` and ``openai:MODEL``: our own backend in ``map_batches`` (Ray tasks, at most
  ``[run] ray_llm_actors`` at once; each worker process builds the backend once and keeps it for later rounds);
- ``vllm:MODEL``: ``ray.data.llm``'s vLLM engine processor (``vLLMEngineProcessorConfig`` + ``build_processor``) on
  GPU nodes, the JSON schema passed as ``sampling_params["structured_outputs"] = {"json": schema}`` and a request's
  ``logprobs=k`` as ``sampling_params["logprobs"]``; the processor's ``logprobs`` column comes back on
  ``ChatResult.logprobs`` in the in-process backend's shape (the llm judge reads P(supported) from it).

>>> config = load_config(None, {"run.engine": "ray", "llm.spec": "fake"})               # doctest: +SKIP
>>> llm = load_ray_llm(config, workdir, "generate")                                     # doctest: +SKIP
>>> llm.name, llm.chat([ChatRequest(messages=[{"role": "user", "content": "Hi"}])])[0].ok  # doctest: +SKIP
('fake', True)

A Dataset per round costs a fraction of a second: with this engine, raise ``[generate] batch_size`` (hundreds or
thousands of attempts per round) so that each round carries enough work.
"""

from __future__ import annotations

import json
import math
import pickle
from typing import Any, Callable

import numpy as np

from groundset.engines.ray_session import RayEngineError, connect, quiet_deprecations, retries, root_cause
from groundset.llm.base import ChatRequest, ChatResult
from groundset.llm.spec import split_spec

__all__ = ["load_ray_llm", "RayBackend", "vllm_preprocess", "vllm_postprocess", "vllm_processor", "vllm_logprobs"]

_BACKENDS: dict[bytes, Any] = {}  # per worker process: [llm] config → raw backend (models stay loaded between rounds)


def chat_batch(batch: dict[str, np.ndarray], llm_cfg: str, backend: bytes = b"") -> dict[str, np.ndarray]:
    """Ray task body: the raw ``[llm]`` backend (or the pickled ``backend`` given to ``RayBackend``) over one batch
    of pickled requests → pickled results, in the same order."""
    from groundset.llm import make_backend
    from groundset.llm.config import LLMConfig

    key = backend or llm_cfg.encode()
    if key not in _BACKENDS:
        _BACKENDS[key] = pickle.loads(backend) if backend else make_backend(LLMConfig.model_validate_json(llm_cfg))
    requests = [pickle.loads(r) for r in batch["request"]]
    results = _BACKENDS[key].chat(requests)
    return {"idx": batch["idx"], "result": np.array([pickle.dumps(r) for r in results], dtype=object)}


# --- vLLM through ray.data.llm -------------------------------------------------------------------------------------
def vllm_preprocess(row: dict[str, Any]) -> dict[str, Any]:
    """A request row → what the vLLM processor reads: ``messages`` and per-row ``sampling_params`` (as the
    in-process vllm backend builds them: a JSON schema as structured output, ``logprobs=k`` when asked)."""
    req: ChatRequest = pickle.loads(row["request"])
    params: dict[str, Any] = {"temperature": req.temperature, "top_p": req.top_p, "max_tokens": req.max_tokens,
                              "seed": req.seed, "stop": list(req.stop or []), "logprobs": req.logprobs,
                              # a JSON string: one Arrow type for every schema; vLLM reads str or dict
                              "structured_outputs": {"json": json.dumps(req.json_schema)} if req.json_schema else None}
    return {"idx": row["idx"], "messages": req.messages, "sampling_params": params, "max_tokens": req.max_tokens,
            "want_logprobs": req.logprobs is not None}


def vllm_logprobs(positions: Any, token_ids: Any) -> list[dict[str, Any]] | None:
    """The processor's ``logprobs`` column (per output position: {token id: {"logprob", "rank", "decoded_token"}},
    ray.data.llm's own conversion of vLLM's ``Logprob``) → ``ChatResult.logprobs``: [{"token", "logprob", "top":
    {token: logprob}}] for the sampled token (``generated_tokens[pos]``) at each position, as the in-process vllm
    backend gives them. Keys may come back as strings, and entries as None, after Arrow."""
    if positions is None:
        return None
    ids = [int(t) for t in (token_ids if token_ids is not None else [])]
    out = []
    for pos, cands in enumerate(positions):
        cands = {int(k): v for k, v in dict(cands or {}).items() if v is not None}
        if not cands:
            continue
        chosen_id = ids[pos] if pos < len(ids) and ids[pos] in cands else next(iter(cands))
        top = {str(v.get("decoded_token", k)): float(v["logprob"]) for k, v in cands.items()}
        chosen = cands[chosen_id]
        out.append({"token": str(chosen.get("decoded_token", chosen_id)), "logprob": float(chosen["logprob"]),
                    "top": top})
    return out


def vllm_postprocess(row: dict[str, Any]) -> dict[str, Any]:
    """A processor output row (``generated_text``, token counts, ``logprobs``) → a pickled ``ChatResult``."""
    done = int(row.get("num_generated_tokens") or 0)
    result = ChatResult(text=row.get("generated_text") or "", prompt_tokens=int(row.get("num_input_tokens") or 0),
                        completion_tokens=done, finish_reason="length" if done >= int(row["max_tokens"]) else "stop",
                        logprobs=vllm_logprobs(row.get("logprobs"), row.get("generated_tokens"))
                        if row.get("want_logprobs") else None,
                        meta={"engine": "ray.data.llm"})
    return {"idx": row["idx"], "result": pickle.dumps(result)}


def _ray_llm_api():
    """``(vLLMEngineProcessorConfig, build_processor)`` of ``ray.data.llm`` (vllm itself is needed on the GPU nodes
    only: never install ``ray[llm]`` on a CPU machine, it pulls the CUDA stack)."""
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig

    return vLLMEngineProcessorConfig, build_processor


def vllm_processor(llm_cfg: Any, run_cfg: Any, batch_size: int):
    """The ``ray.data.llm`` processor for ``vllm:MODEL`` with the ``[llm.vllm]`` engine settings; logprobs are
    those after sampling processors (``logprobs_mode="processed_logprobs"``), as in the in-process backend."""
    config_cls, build = _ray_llm_api()
    model = split_spec(llm_cfg.spec)[1]
    v = llm_cfg.vllm  # [llm.vllm]: the same engine settings as the in-process vllm backend
    engine_kwargs: dict[str, Any] = {"tensor_parallel_size": v.tensor_parallel_size,
                                     "gpu_memory_utilization": v.gpu_memory_utilization,
                                     "enable_prefix_caching": True, "logprobs_mode": "processed_logprobs"}
    if v.max_model_len:
        engine_kwargs["max_model_len"] = v.max_model_len
    config = config_cls(model_source=model, engine_kwargs=engine_kwargs, concurrency=run_cfg.ray_llm_actors,
                        batch_size=batch_size, should_continue_on_error=True)
    return build(config, preprocess=vllm_preprocess, postprocess=vllm_postprocess)


def _result(row: dict[str, Any]) -> ChatResult:
    if row.get("result"):
        return pickle.loads(row["result"])
    error = row.get("__inference_error__") or "no result"  # a row vLLM failed on bypasses the postprocess
    return ChatResult(error=f"backend_error: {error}"[:500], finish_reason="error")


class RayBackend:
    """A raw backend (``name``, ``chat``) whose calls run on Ray; wrapped by ``llm.managed.wrap`` on the driver."""

    def __init__(self, llm_cfg: Any, run_cfg: Any, backend: Any = None):
        """``backend``: a picklable raw backend to run on the workers instead of the one ``[llm] spec`` names
        (e.g. ``FakeLLM(default=echo_reply)`` for a model-free rehearsal)."""
        from groundset.llm import make_backend

        self.cfg, self.run = llm_cfg, run_cfg
        kind, model = split_spec(llm_cfg.spec)
        self.vllm = kind == "vllm" and backend is None
        self._backend = pickle.dumps(backend) if backend is not None else b""
        # the local backend's name without loading it (constructors are lazy); vllm is not importable here
        self.name = f"vllm:{model}" if self.vllm else (backend or make_backend(llm_cfg)).name
        self.rounds = 0

    def chat(self, requests: list[ChatRequest],
             on_result: Callable[[int, ChatResult], None] | None = None) -> list[ChatResult]:
        """Results in request order; ``on_result(i, result)`` as each row streams back from Ray (the driver
        journals it then, so a killed driver loses only the rows still on the cluster)."""
        if not requests:
            return []
        ray = connect(self.run)
        self.rounds += 1
        rows = [{"idx": i, "request": pickle.dumps(r)} for i, r in enumerate(requests)]
        workers = self.run.ray_llm_actors
        size = max(1, math.ceil(len(rows) / workers))
        ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), workers))
        if self.vllm:
            ds = vllm_processor(self.cfg, self.run, min(size, 256))(ds)
        else:
            with quiet_deprecations():
                ds = ds.map_batches(chat_batch, fn_kwargs={"llm_cfg": self.cfg.model_dump_json(),
                                                           "backend": self._backend},
                                    batch_size=size, batch_format="numpy",
                                    compute=ray.data.TaskPoolStrategy(size=workers), **retries(self.run, actors=False))
        got: dict[int, ChatResult] = {}
        stream = iter(ds.iter_rows())
        while True:
            try:
                row = next(stream)
            except StopIteration:
                break
            except Exception as e:  # noqa: BLE001 - a task error wraps the backend's own: keep its message
                raise RayEngineError(f"the LLM round on Ray failed ({self.name}): {root_cause(e)}; fix it and run "
                                     "again: what the journal holds is kept, the rest is asked again") from None
            i = int(row["idx"])
            got[i] = _result(row)
            if on_result is not None:  # outside the try: the caller's own errors stay its own
                on_result(i, got[i])
        return [got.get(i) or ChatResult(error="backend_error: no result from Ray", finish_reason="error")
                for i in range(len(requests))]


def load_ray_llm(config: Any, workdir: Any, stage: str, backend: Any = None):
    """``load_llm`` for the ray engine: cache, repair and usage on the driver, the backend's calls on Ray."""
    from groundset.llm.managed import wrap

    return wrap(RayBackend(config.llm, config.run, backend), config.llm, workdir=workdir, stage=stage)
