"""Peak memory of a process tree, measured per process: each process's own high-water mark (``VmHWM``).

Why not ``resource.getrusage(...).ru_maxrss``: on Linux it survives ``fork`` + ``execve``. ``exec_mmap()`` folds
the old address space's high-water mark (the copy of the parent, or under ``vfork`` the parent's own) into the new
process's ``signal->maxrss``, so a child spawned from a 2.9 GB pytest reports >= 2.9 GB whatever it does itself;
and ``RUSAGE_CHILDREN`` is the maximum over every child ever waited for. ``VmHWM`` in ``/proc/<pid>/status`` belongs
to the address space, which ``execve`` replaces with a fresh one. ``tests/reliability/test_peaks.py`` shows both.

>>> record("ingest", "/tmp/peaks")           # doctest: +SKIP   (at exit: /tmp/peaks/ingest-<pid>.json)
>>> read_peaks("/tmp/peaks")                 # doctest: +SKIP
{'ingest': 351.2, 'reader': 724.0}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["hwm_mb", "write_peak", "read_peaks", "ENV"]

ENV = "GROUNDSET_PEAK_DIR"  # where each process of a measured run writes its own peak


def hwm_mb(pid: int | str = "self") -> float:
    """``VmHWM`` of ``pid`` in MB: the peak resident set of its current address space (0.0 when unreadable)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for row in f:
                if row.startswith("VmHWM:"):
                    return int(row.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def write_peak(role: str, folder: str | os.PathLike) -> None:
    """Write this process's ``VmHWM`` to ``folder/<role>-<pid>.json`` (replacing what it wrote before)."""
    path = Path(folder) / f"{role}-{os.getpid()}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"role": role, "pid": os.getpid(), "hwm_mb": hwm_mb()}), encoding="utf-8")
    os.replace(tmp, path)


def read_peaks(folder: str | os.PathLike) -> dict[str, float]:
    """{role: the largest peak written by a process of that role} (``{}`` when nothing was written)."""
    peaks: dict[str, float] = {}
    for p in Path(folder).glob("*.json"):
        d = json.loads(p.read_text(encoding="utf-8"))
        peaks[d["role"]] = max(peaks.get(d["role"], 0.0), d["hwm_mb"])
    return peaks
