"""One local Ray (2 CPUs) for all the ``engine = "ray"`` tests of this package (started once: a start costs seconds),
shut down after the last of them; its files are under pytest's tmp dirs.

The tests that use it skip when ray is not installed (``pip install 'groundset[ray]'``). Ray's workers get the
environment the tests give the driver (the embedding backend forced as on every CPU, the session's model cache,
offline hub).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])


@pytest.fixture(scope="package")
def ray_cluster(_session_model_cache, tmp_path_factory):
    """A local Ray with 2 CPUs for tests/engines; shut down after its last test. Skips without the ray extra."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'groundset[ray]')")
    if ray.is_initialized():
        ray.shutdown()
    env = {"GROUNDSET_CPU_AMX": "0", "GROUNDSET_CACHE": str(_session_model_cache), "HF_HUB_OFFLINE": "1",
           "DO_NOT_TRACK": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH", "")) if p)}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
             object_store_memory=200 << 20, _temp_dir=str(tmp_path_factory.mktemp("ray")),
             runtime_env={"env_vars": env})
    yield ray
    ray.shutdown()
