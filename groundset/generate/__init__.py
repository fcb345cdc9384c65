"""The generate stage: retrieval-grounded samples from the chunks in Qdrant.

```
runner.generate(config, workdir, llm)        plan → drive jobs in batched rounds → append samples / rejects
  plan.TaskPlan        seed order (seeds.py: usable chunks, k-means regions × documents; topics.py for textbook),
                       controls per attempt, deterministic ids
  drive.run_jobs       many jobs in lockstep, one llm.chat per round
  qa / multihop / conversation / textbook / rag      build_requests(…) + parse(…) + job(…) per task, each module
                       ending with TASKS.register(name, Task(...)) (task.py: config, attributes, controls, estimate)
  prompts              every template, demonstration and JSON schema; documents quoted as data
  checks               JSON reading, field cleaning, preamble / standalone / citation checks → Reject(reason)
  journal.TaskLog      samples/<task>.jsonl + .rejects.jsonl, torn-line repair, what is already done
```

>>> from groundset.generate import generate          # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["generate", "GenerateResult", "TaskReport"]


def __getattr__(name: str):
    if name in __all__:
        from groundset.generate import runner

        return getattr(runner, name)
    raise AttributeError(name)
