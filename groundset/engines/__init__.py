"""Where the stages run: ``local`` (this process, today's loops) or ``ray`` (Ray Data), with the same ids.

The stage functions (``ingest``, ``generate``, ``evaluate``) ask this module for what differs by engine, so the
choice is made in one place ([run] engine, ``--engine``) and Ray is imported only when it is chosen:

>>> from groundset.config import load_config
>>> uses_ray(load_config(None, {"run.engine": "local"}))
False

The Ray side is one module per stage: ``ray_ingest`` (read/chunk in tasks, embed in an actor pool; the driver
upserts into the embedded store, the actors themselves into a Qdrant server), ``ray_generate`` (each round's LLM
requests as a Dataset: our backends in ``map_batches``, or ``ray.data.llm``'s vLLM processor), ``ray_evaluate``
(the judge in an actor pool; dedup stays global). They call the same stage functions and records as the local
engine; ``ray_session`` starts or joins the cluster.
"""

from __future__ import annotations

from typing import Any

__all__ = ["uses_ray", "load_stage_llm", "stage_judge"]


def uses_ray(config: Any) -> bool:
    """True when ``[run] engine = "ray"``."""
    return getattr(getattr(config, "run", None), "engine", "local") == "ray"


def load_stage_llm(config: Any, workdir: Any, stage: str):
    """The LLM a stage uses: ``load_llm(config.llm)`` locally; on Ray the same cache, repair and usage accounting
    on the driver around a backend whose calls run as Ray Data batches (same name, so the same cache keys)."""
    if uses_ray(config):
        from groundset.engines.ray_generate import load_ray_llm

        return load_ray_llm(config, workdir, stage)
    from groundset.llm import load_llm

    return load_llm(config.llm, workdir, stage)


def stage_judge(config: Any, judge: Any, build: dict[str, Any]):
    """``judge`` itself locally; on Ray a judge whose ``score`` runs in an actor pool, each actor building its own
    judge from ``build`` (the ``load_judge`` keyword arguments). A judge that calls the LLM stays on the driver:
    its LLM calls already run on Ray (``load_stage_llm``)."""
    if not uses_ray(config):
        return judge
    from groundset.engines.ray_evaluate import ray_judge

    return ray_judge(config, judge, build)
