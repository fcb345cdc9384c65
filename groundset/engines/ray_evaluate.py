"""Evaluate on Ray Data: the grounding judge scores batches of samples in Ray tasks; the rest stays on the driver.

``evaluate_samples`` runs as with the local engine (sanity, decontamination, rating, then dedup over the whole
set, so duplicates are found across blocks, not within one); only ``judge.score`` is sent to Ray:

>>> build = {"cfg": cfg, "embed_cfg": config.embed, "llm_cfg": config.llm, "workdir": wd}   # doctest: +SKIP
>>> judge = ray_judge(config, load_judge(**build), build)                                  # doctest: +SKIP
>>> verdicts = judge.score(inputs)          # doctest: +SKIP  the same verdicts as the local judge, in order

Each Ray worker process builds the judge once from the same ``load_judge`` arguments (the verifier / NLI models
load there; ask for GPUs with Ray's own options) and keeps it for the next batches. A judge that calls the LLM
(``llm``, ``ragas``) stays on the driver: its LLM requests already run on Ray (``ray_generate``).
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np

from groundset.engines.ray_session import RayEngineError, connect, quiet_deprecations, retries, root_cause

__all__ = ["ray_judge", "RayJudge", "judge_batch"]

_JUDGES: dict[bytes, Any] = {}  # per worker process: load_judge arguments → judge
SCORE_BATCH = 4096  # samples per Dataset (each Dataset costs a fraction of a second to start)


def judge_batch(batch: dict[str, np.ndarray], build: bytes) -> dict[str, np.ndarray]:
    """Ray task body: pickled ``JudgeInput``s → pickled verdicts, in order."""
    from groundset.evaluate.judges import load_judge

    if build not in _JUDGES:
        _JUDGES[build] = load_judge(**pickle.loads(build))
    verdicts = _JUDGES[build].score([pickle.loads(x) for x in batch["input"]])
    return {"idx": batch["idx"], "verdict": np.array([pickle.dumps(v) for v in verdicts], dtype=object)}


class RayJudge:
    """The driver's judge (name, threshold, ``describe``, its embedder for dedup) with ``score`` run on Ray."""

    score_batch = SCORE_BATCH

    def __init__(self, judge: Any, build: dict[str, Any], run_cfg: Any, batch_size: int):
        self._judge, self._build, self._run, self._batch = judge, pickle.dumps(build), run_cfg, batch_size

    def __getattr__(self, name: str) -> Any:  # name, threshold, describe, embedder, close…
        return getattr(self._judge, name)

    def score(self, inputs: list[Any]) -> list[Any]:
        if not inputs:
            return []
        ray = connect(self._run)
        workers = self._run.ray_judge_actors
        rows = [{"idx": i, "input": pickle.dumps(x)} for i, x in enumerate(inputs)]
        size = max(1, min(self._batch, math.ceil(len(rows) / workers)))
        ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), workers))
        with quiet_deprecations():
            ds = ds.map_batches(judge_batch, fn_kwargs={"build": self._build}, batch_size=size, batch_format="numpy",
                                compute=ray.data.TaskPoolStrategy(size=workers), **retries(self._run, actors=False))
        try:
            got = {int(r["idx"]): pickle.loads(r["verdict"]) for r in ds.iter_rows()}
        except Exception as e:  # noqa: BLE001 - a task error wraps the judge's own: keep its message
            raise RayEngineError(f"the judge {self._judge.name!r} failed on Ray: {root_cause(e)}; fix it and run "
                                 "evaluate again") from None
        return [got[i] for i in range(len(inputs))]


def ray_judge(config: Any, judge: Any, build: dict[str, Any]) -> Any:
    """``judge`` with its scoring on Ray, or ``judge`` itself when it calls the LLM (those calls are on Ray)."""
    from groundset.registry import JUDGES

    cfg = config.evaluate
    if JUDGES.get(cfg.judge).uses_llm(cfg):
        return judge
    return RayJudge(judge, build, config.run, cfg.batch_size)
