"""The ingest part of the reliability suite: every bad input named with its true reason, the run goes on, memory
stays bounded. ``groundset ingest`` runs through its CLI in a process of its own (hash embedder, no model), so its
peak RSS is measured.

CI runs ``test_bad_input_corpus`` (a few minutes on 2 busy cores). The long test (a 1 GB single-line file) runs only
with ``GROUNDSET_LONG=1``; ``benchmarks/faults.py`` reports the same figures. Peak RSS is each process's own
``VmHWM`` (tests/reliability/peaks.py), so it does not depend on how large this pytest process has grown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.bad_inputs import build
from tests.reliability.peaks import ENV, read_peaks

ROOT = Path(__file__).resolve().parents[2]
RSS_BOUND_MB = 2048
LONG = pytest.mark.skipif(os.environ.get("GROUNDSET_LONG") != "1", reason="long: set GROUNDSET_LONG=1 to run")

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform != "linux", reason="Linux only")


def run_ingest(workdir: Path, *paths: str, sets: tuple[str, ...] = (), timeout: float = 1500
               ) -> tuple[subprocess.CompletedProcess, dict[str, float]]:
    """(the finished ``groundset ingest``, peak RSS in MB by role: ``cli`` its own ``VmHWM``, ``reader`` that of its
    largest reader process; not ``ru_maxrss``, which a child inherits from this pytest, see peaks.py)."""
    peaks = workdir.parent / f"{workdir.name}.peaks"
    peaks.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), ENV: str(peaks)}
    options = [x for kv in sets for x in ("--set", kv)]
    proc = subprocess.run([sys.executable, "-m", "tests.reliability.run_cli", "--workdir", str(workdir), *options,
                           "ingest", *paths, "-q"], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    got = read_peaks(peaks)
    assert "cli" in got, f"the ingest process wrote no peak: {proc.stderr[-2000:]}"
    return proc, got


def test_bad_input_corpus(tmp_path):
    expected = build(tmp_path)
    assert len(expected) >= 50
    proc, peaks = run_ingest(tmp_path / "work", str(tmp_path / "docs"))
    assert proc.returncode == 3, proc.stderr[-3000:]  # partial: some files failed, the rest is stored
    assert "Traceback" not in proc.stderr
    report = json.loads((tmp_path / "work" / "ingest" / "report.json").read_text())
    docs = tmp_path / "docs"
    got = {Path(f["path"]).relative_to(docs).as_posix(): (f["status"], f.get("reason")) for f in report["files"]}
    assert got == expected  # every entry listed (nothing vanished), each with its true reason
    ok = [f for f in report["files"] if f["status"] == "ok"]
    assert all(f["chunks"] > 0 for f in ok if not f["path"].endswith("no-spaces-1mb.txt"))
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert by_name["mostly-utf8.md"]["notes"] == ["not all of it is valid UTF-8: 1 invalid byte read as cp1252"]
    assert by_name["latin1.txt"]["notes"][0].startswith("not UTF-8: decoded as cp1252")
    assert "[ingest] max_file_mb = 128" in by_name["sparse-2gb.txt"]["detail"]
    assert "qpdf --decrypt" in by_name["password.pdf"]["detail"]
    assert set(peaks) == {"cli", "reader"}  # the files of a megabyte or more were read in reader processes
    assert max(peaks.values()) < RSS_BOUND_MB, f"peak RSS {peaks}"


@pytest.mark.slow
@LONG
def test_a_1gb_single_line_file_in_bounded_memory(tmp_path):
    """The issue's case, scaled to 1 GB: refused by default (too_large, instantly); with the size limit raised it
    streams until [ingest] max_file_chunks, in bounded memory."""
    big = tmp_path / "docs" / "one-line.txt"
    big.parent.mkdir()
    import random

    rng = random.Random(0)  # random words: the chunker's duplicate filter would drop repeated text
    words = "alpha beta gamma delta vector payload search store index query chunk token".split()
    with big.open("w", encoding="ascii") as f:
        for _ in range(1000):
            f.write(" ".join(rng.choices(words, k=160_000)) + " ")  # ~1 MB each
    proc, _ = run_ingest(tmp_path / "w1", str(big))
    assert proc.returncode == 1
    entry = json.loads((tmp_path / "w1" / "ingest" / "report.json").read_text())["files"][0]
    assert entry["reason"] == "too_large"
    proc, peaks = run_ingest(tmp_path / "w2", str(big), sets=("ingest.max_file_mb=2000",
                                                               "ingest.max_file_chunks=20000"))
    assert proc.returncode == 3, proc.stderr[-3000:]
    entry = json.loads((tmp_path / "w2" / "ingest" / "report.json").read_text())["files"][0]
    assert entry["reason"] == "too_many_chunks" and entry["chunks"] == 20_000
    assert max(peaks.values()) < RSS_BOUND_MB, f"peak RSS {peaks}"
