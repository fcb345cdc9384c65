"""The one place that starts or joins Ray, and sets Ray Data up for our stages (quiet, ordered).

>>> ray = connect(RunConfig(engine="ray"))          # doctest: +SKIP  starts a local Ray (all CPUs) once per process
>>> ray = connect(RunConfig(engine="ray", ray_address="ray://head:10001"))   # doctest: +SKIP  joins a cluster

A Ray that is already initialised (a notebook, a test fixture, ``ray.init`` in your script) is used as it is.
Ray is the optional ``ray`` extra; without it ``MissingExtraError`` names the install.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any, Iterator

from groundset.errors import BackendError, MissingExtraError

__all__ = ["import_ray", "connect", "RayEngineError", "root_cause", "retries", "quiet_deprecations"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# "ValueError: …" or a qualified name ("qdrant_client.http.exceptions.UnexpectedResponse: …")
_ERROR_LINE = re.compile(r"^((?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*|[A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit))"
                         r"(?:\(.*\))?: ")


class RayEngineError(BackendError):
    """Ray could not be started or joined, or a Ray job failed as a whole (the stage stops; a rerun resumes)."""


def import_ray() -> Any:
    """``ray`` with ``ray.data`` loaded; MissingExtraError (``pip install 'groundset[ray]'``) without it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingExtraError("ray[data]", "ray", 'the ray engine ([run] engine = "ray", --engine ray)') from None
    return ray


_DEATHS = ("WorkerCrashedError", "ActorDiedError", "ActorUnavailableError", "NodeDiedError", "OutOfMemoryError")


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    while isinstance(e, BaseException) and all(e is not x for x in out):
        out.append(e)
        e = getattr(e, "cause", None) or e.__cause__  # type: ignore[assignment]
    return out


def root_cause(e: BaseException) -> str:
    """``"RuntimeError: CUDA error: device lost"`` for a Ray task error wrapping it (Ray's traceback left out): the
    first ``Name: message`` line of the traceback that is not Ray's own, else the innermost exception. A worker
    process that died (SIGKILL, the OOM killer, a segfault, a lost node) more often than ``[run] ray_retries``
    allows is said so in plain words."""
    chain = _chain(e)
    for x in chain:
        name = type(x).__name__
        if any(d in name for d in _DEATHS):
            return (f"{name}: a Ray worker process died while running this work (killed, out of memory, a crash in "
                    "native code, or a lost node) on every try ([run] ray_retries); its log is under the Ray "
                    "session's logs directory (e.g. /tmp/ray/session_latest/logs)")
    text = _ANSI.sub("", str(e))
    for line in text.splitlines():
        m = _ERROR_LINE.match(line.strip())
        if m and not m.group(1).startswith(("ray.", "UserCodeException", "RayTaskError")):
            return line.strip()[:500]
    inner = chain[-1]
    lines = _ANSI.sub("", str(inner)).strip().splitlines()
    return f"{type(inner).__name__}: {lines[-1] if lines else ''}"[:500]


def retries(run_cfg: Any, *, actors: bool) -> dict[str, int]:
    """The ``map_batches`` / ``flat_map`` options that bound Ray's fault tolerance to ``[run] ray_retries``.

    A worker process that dies (SIGKILL, the OOM killer, a lost node) fails its task with a system error: Ray runs
    the task again (``max_retries``), restarts a dead actor (``max_restarts``) and resends its tasks
    (``max_task_retries``). Ray Data's own default is to retry forever, so a file that kills its reader every time
    would hang the run; bounded, the stage stops with the worker's error and a rerun resumes. Exceptions raised by
    our code are not retried (the readers report them per file; backends return failed results).

    Ray Data 2.60 marks keyword remote args (and ``ray_remote_args_fn``) deprecated, to be removed in Ray 2.64, and
    offers no other way to set these: the calls pass them inside ``quiet_deprecations()``, and
    ``tests/engines/test_engine_choice.py`` checks the plan carries them.

    >>> from groundset.engines.config import RunConfig
    >>> retries(RunConfig(ray_retries=2), actors=True)
    {'max_restarts': 2, 'max_task_retries': 2}
    """
    n = run_cfg.ray_retries
    return {"max_restarts": n, "max_task_retries": n} if actors else {"max_retries": n}


@contextlib.contextmanager
def quiet_deprecations() -> Iterator[None]:
    """Ray Data's warning that keyword remote args are deprecated, silenced (the library is quiet; see ``retries``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`ray_remote_args(_fn)?` is deprecated")
        yield


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def connect(run_cfg: Any, *, progress: bool = False) -> Any:
    """The ``ray`` module, initialised: joins ``run_cfg.ray_address`` or starts a local Ray (``ray_num_cpus``)."""
    ray = import_ray()
    if not ray.is_initialized():
        # workers import groundset from where this driver does (a checkout, or site-packages on every node)
        path = os.pathsep.join(p for p in (_package_root(), os.environ.get("PYTHONPATH", "")) if p)
        kwargs: dict[str, Any] = {
            "include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR,  # quiet library
            "runtime_env": {"env_vars": {"PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false"}},
        }
        try:
            if run_cfg.ray_address:
                ray.init(address=run_cfg.ray_address, **kwargs)
            elif run_cfg.ray_num_cpus is not None:
                ray.init(num_cpus=run_cfg.ray_num_cpus, **kwargs)
            else:  # all CPUs, or the cluster $RAY_ADDRESS names
                ray.init(**kwargs)
        except Exception as e:  # noqa: BLE001 - connection refused, bad address, no resources…
            where = run_cfg.ray_address or "a local Ray"
            raise RayEngineError(
                f"could not start or join {where}: {type(e).__name__}: {e}. Check [run] ray_address (--ray-address; "
                "e.g. ray://HEAD:10001, or unset for a local Ray) or use [run] engine = \"local\"") from None
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = progress
    ctx.print_on_execution_start = False
    ctx.execution_options.preserve_order = True  # rows come back in input order: the driver's journal order
    ctx.execution_options.verbose_progress = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # the library is quiet: no notices from Ray Data
    return ray
