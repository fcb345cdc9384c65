"""Why the reliability suite measures ``VmHWM`` and not ``ru_maxrss``: a parent that holds 400 MB spawns a small
child. The child's ``ru_maxrss`` says >= 400 MB (Linux folds the pre-exec address space, the parent's copy, into it),
its ``VmHWM`` says what the child itself used. Inside a 2.9 GB pytest the old measure read 2,858 MB for an ingest
that peaks at ~350 MB alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.peaks import ENV, hwm_mb, read_peaks, write_peak

ROOT = Path(__file__).resolve().parents[2]
HELD_MB = 400

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc/<pid>/status is Linux")

PARENT = r"""
import json, multiprocessing, resource, subprocess, sys
from tests.reliability.peaks import hwm_mb
CHILD = ("import json, resource; from tests.reliability.peaks import hwm_mb; "
         "print(json.dumps([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, hwm_mb()]))")
def spawned(q):
    q.put([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, hwm_mb()])
if __name__ == "__main__":  # (a spawned child imports this file again: hold the memory in the parent only)
    held = bytearray(int(sys.argv[1]) << 20)
    for i in range(0, len(held), 4096):
        held[i] = 1  # resident, not only reserved
    out = {"parent": hwm_mb(), "exec": json.loads(subprocess.check_output([sys.executable, "-c", CHILD]))}
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=spawned, args=(q,))
    p.start()
    out["spawn"] = q.get(timeout=120)
    p.join()
    out["children"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(out))
"""


def test_ru_maxrss_of_a_child_carries_its_parents_peak_vmhwm_does_not(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    proc = subprocess.run([sys.executable, str(script), str(HELD_MB)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    assert got["parent"] >= HELD_MB
    for how in ("exec", "spawn"):  # subprocess (vfork + exec) and multiprocessing's spawn (fork + exec)
        maxrss, hwm = got[how]
        assert maxrss >= HELD_MB, (how, got)  # the parent's peak, not the child's
        assert hwm < HELD_MB / 2, (how, got)  # the child's own
    assert got["children"] >= HELD_MB  # RUSAGE_CHILDREN: the largest of those inherited figures


def test_peaks_are_written_per_process_and_role(tmp_path):
    write_peak("cli", tmp_path)
    write_peak("cli", tmp_path)  # replaces its own file
    (tmp_path / "reader-1.json").write_text(json.dumps({"role": "reader", "pid": 1, "hwm_mb": 5.0}))
    (tmp_path / "reader-2.json").write_text(json.dumps({"role": "reader", "pid": 2, "hwm_mb": 7.5}))
    peaks = read_peaks(tmp_path)
    assert peaks["reader"] == 7.5 and peaks["cli"] >= 1.0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("cli")) == [
        f"cli-{__import__('os').getpid()}.json"]
    assert hwm_mb(2**31 - 1) == 0.0  # no such process: no figure, no exception
