"""``judge = "auto"`` (the default): the strongest judge this run can have, chosen once per run and recorded.

1. a verifier model: ``[evaluate.verifier] model`` when set, else the first of ``verifier_hub.PREFERRED`` found in
   the local Hugging Face cache (MiniCheck-Flan-T5, MiniCheck-DeBERTa, HHEM-2.1-open, MiniCheck-RoBERTa,
   LettuceDetect; nothing is downloaded);
2. else the llm judge, when the judge model is a real one: ``[evaluate.llm] spec`` or the generator's ``[llm] spec``
   is ``openai:`` / ``vllm:``;
3. else the offline ``default`` judge.

>>> from groundset.config import load_config
>>> c = resolve(load_config(None, {"llm.spec": "openai:Qwen/Qwen2.5-7B-Instruct"}))   # doctest: +SKIP
>>> c.evaluate.judge, c.evaluate._auto_reason                                          # doctest: +SKIP
('llm', "the generator [llm] spec = 'openai:Qwen/Qwen2.5-7B-Instruct' is a served model: it checks each claim")

``resolve(config)`` returns the config with the choice in ``[evaluate] judge`` (and the cached model in
``[evaluate.verifier] model``); the evaluate stage, its fingerprint, the dry-run plan and ``calibrate`` all read the
resolved config, ``groundset run`` prints the choice and its reason, and the summary and card record them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from groundset.errors import BackendError
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.registry import BACKENDS, JUDGES

__all__ = ["Choice", "choose", "resolve", "served"]


def served(spec: str) -> bool:
    """Whether the backend of ``spec`` serves a real model (``BackendSpec.served``: openai, vllm; not the bundled
    135M ``local`` model nor ``fake``)."""
    from groundset.llm.spec import split_spec

    kind = split_spec(spec)[0]
    return kind in BACKENDS and BACKENDS.get(kind).served


@dataclass(frozen=True)
class Choice:
    judge: str
    reason: str
    verifier_model: str | None = None


def choose(ev: Any, llm_cfg: Any) -> Choice:
    """The judge ``auto`` stands for, given ``[evaluate]`` and ``[llm]`` (see the module docstring)."""
    from groundset.evaluate.judges.verifier_hub import PREFERRED, cached, hub_cache_dir

    if ev.verifier.model:
        return Choice("verifier", f"[evaluate.verifier] model = {ev.verifier.model!r} is configured")
    for repo in PREFERRED:
        if cached(repo):
            return Choice("verifier", f"verifier model {repo} is in the Hugging Face cache ({hub_cache_dir()})", repo)
    if ev.llm.spec and served(ev.llm.spec):
        return Choice("llm", f"[evaluate.llm] spec = {ev.llm.spec!r} is a served judge model")
    spec = getattr(llm_cfg, "spec", "local")
    if served(spec):
        return Choice("llm", f"the generator [llm] spec = {spec!r} is a served model: it checks each claim")
    return Choice("default", f"no verifier model configured or in the Hugging Face cache, and the generator ({spec!r}) "
                  "is not an openai: / vllm: model: the offline default judge")


def resolve(config: Any) -> Any:
    """``config`` itself unless ``[evaluate] judge`` is ``auto``; else a copy holding the choice (see above)."""
    ev = config.evaluate
    if ev.judge != "auto":
        return config
    c = choose(ev, config.llm)
    new = ev.model_copy(update={"judge": c.judge}, deep=True)
    if c.verifier_model:
        new.verifier = new.verifier.model_copy(update={"model": c.verifier_model})
    new._auto_reason = c.reason
    return config.model_copy(update={"evaluate": new})


def _load(cfg: Any, *, llm_cfg: Any = None, **ctx: Any):
    """Loading ``auto`` directly (a caller that did not resolve the config): choose, then load the choice."""
    from groundset.evaluate.judges import load_judge
    from groundset.llm.config import LLMConfig

    c = choose(cfg, llm_cfg or LLMConfig())
    new = cfg.model_copy(update={"judge": c.judge}, deep=True)
    if c.verifier_model:
        new.verifier = new.verifier.model_copy(update={"model": c.verifier_model})
    new._auto_reason = c.reason
    if c.judge == "llm" and ctx.get("llm") is None and not new.llm.is_set():
        raise BackendError("judge 'auto' chose the llm judge but no LLM was given; resolve the config first "
                           "(groundset.evaluate.judges.auto.resolve) so that the stage loads [llm]")
    return load_judge(new, llm_cfg=llm_cfg, **ctx)


JUDGES.register("auto", JudgeSpec(load=_load, threshold=0.5,
                                  description="a configured or cached verifier model, else llm with a served "
                                  "generator, else default (its threshold is the chosen judge's)"), order=0)
