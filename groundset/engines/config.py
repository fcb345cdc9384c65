"""Configuration of the execution engine: the [run] table of groundset.toml.

The engine changes where the work runs, never what it produces: ``engine = "ray"`` gives the same chunk ids, sample
ids and kept set as ``"local"``. So no stage fingerprint includes this section, and switching engines redoes nothing.

>>> RunConfig(engine="ray", ray_address="ray://head:10001").engine
'ray'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RunConfig", "ENGINES"]

ENGINES = ("local", "ray")  # the choices of --engine; [run] engine's type below says the same


class RunConfig(BaseModel):
    """Where the stages run: in this process (local) or on a Ray cluster (the ``ray`` extra)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    engine: Literal["local", "ray"] = Field(
        "local", description="local (this process) | ray (Ray Data: pip install 'groundset[ray]')")
    ray_address: str | None = Field(
        None, description="Ray cluster to join, e.g. ray://head:10001 or auto (default: start a local Ray)")
    ray_num_cpus: int | None = Field(
        None, gt=0, description="CPUs of the local Ray that is started when no ray_address is given (default: all)")
    ray_embed_actors: int = Field(
        1, gt=0, description="ray engine: embedding actors (each loads the [embed] model once)")
    ray_llm_actors: int = Field(
        1, gt=0, description="ray engine: tasks at once running the [llm] backend (local / fake / openai; each "
        "worker keeps its model), or vLLM engine replicas for vllm:MODEL")
    ray_judge_actors: int = Field(1, gt=0, description="ray engine: tasks at once running the grounding judge")
    ray_store_url: str | None = Field(
        None, description="ray engine: the Qdrant server's URL as the Ray workers reach it, when it differs from "
        "[store] url on the driver (e.g. http://qdrant:6333 inside docker compose); the workers write to it")
    ray_retries: int = Field(
        3, ge=0, description="ray engine: times a task is run again, and an actor restarted, after its worker "
        "process died (killed, out of memory, a crashed node); 0: the stage stops at the first death")
    ray_dump_part_mb: float = Field(
        64, gt=0, description="ray engine: a Wikipedia dump is read in parts of about this many MB (compressed for "
        "a multistream .bz2 with its index; a plain .bz2 is one part)")
