"""Ingest under bad inputs, and every stage under kill -9: true reasons, bounded memory, nothing lost.

    .venv/bin/python benchmarks/faults.py [--big-mb 50] [--huge-mb 0] [--kills 20] [--real-embedder]

0. The measure: a parent holding 1 GB spawns a small child; the child's ``ru_maxrss`` and its own ``VmHWM``.
   (``ru_maxrss`` survives fork + exec on Linux, so a child of a big process reports the parent's peak: the 2.9 GB
   once read inside the full pytest suite. Every peak below is a process's own ``VmHWM``, tests/reliability/peaks.py.)
1. Builds the reliability suite's corpus (tests/reliability/bad_inputs.py: password PDFs, zip bombs, UTF-16, NUL
   bytes, huge tables, FIFOs, symlink loops, odd names ...) and runs ``groundset ingest`` on the folder, in a process
   of its own: prints each entry's expected and reported outcome, the exit status, peak RSS and CPU seconds.
2. ``--big-mb N``: a single-line N MB .txt (the issue's 50 MB case) with the default limits.
3. ``--huge-mb N``: an N MB single-line .txt, first at the default limits (too_large), then with
   ``[ingest] max_file_mb`` raised so that it streams until ``[ingest] max_file_chunks = 5000``.
4. ``--kills N`` (0: skip): ingest, generate and evaluate each SIGKILLed at N seeded random moments and resumed
   until complete (tests/reliability/kills.py); a table of kills, lost, duplicated, torn and equal.

The embedder is a hash (tests/ingest/fakes.py) unless ``--real-embedder``: the figures are the reading, chunking
and store path; the bundled MiniLM adds a fixed ~0.3-0.8 GB to the ingest process. Peak RSS: the ingest process's
own, and that of its largest reader process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.bad_inputs import build  # noqa: E402
from tests.reliability.peaks import ENV, read_peaks  # noqa: E402

EXPERIMENT = r"""
import json, resource, subprocess, sys
from tests.reliability.peaks import hwm_mb
held = bytearray(1 << 30)
for i in range(0, len(held), 4096):
    held[i] = 1
child = ("import json, resource; from tests.reliability.peaks import hwm_mb; "
         "print(json.dumps([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, hwm_mb()]))")
print(json.dumps({"parent": hwm_mb(), "child": json.loads(subprocess.check_output([sys.executable, "-c", child]))}))
"""


def experiment() -> None:
    """Step 0 of the module doc."""
    out = subprocess.run([sys.executable, "-c", EXPERIMENT], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout
    got = json.loads(out)
    maxrss, hwm = got["child"]
    print(f"measure: a parent holding {got['parent']:.0f} MB (VmHWM) spawns `python -c ...`: the child's ru_maxrss "
          f"{maxrss:.0f} MB, its own VmHWM {hwm:.0f} MB\n")


def kill_table(tmp: Path, kills: int, seed: int) -> None:
    """Step 4 of the module doc."""
    from tests.reliability.kills import STAGES, kill_and_resume, prepare

    h = prepare(tmp / "kills")
    print(f"\n{'stage':<9} {'kills':>5} {'chains':>6} {'mid-work':>8} {'records':>7} {'lost':>4} {'dup':>4} "
          f"{'torn':>4} {'half lines':>10} {'litter':>6} {'equal':>5} {'run s':>6} {'total s':>7}")
    for stage in STAGES:
        r = kill_and_resume(h, stage, kills, seed)
        print(f"{stage:<9} {r.kills:>5} {r.chains:>6} {r.mid_work:>8} {r.records:>7} {r.lost:>4} {r.duplicated:>4} "
              f"{r.torn:>4} {r.torn_after_kill:>10} {len(r.litter):>6} {str(r.equal):>5} {r.run_s:>6.1f} "
              f"{r.seconds:>7.1f}")
        for d in r.differences + r.broken_after_kill + r.litter:
            print(f"{'':<9} !! {d}")
        print(f"{'':<9} progress at each kill: {r.trail}")


def ingest(workdir: Path, *args: str, real: bool, sets: tuple[str, ...] = ()) -> dict:
    """Run ``groundset ingest`` in a child process; its exit status, wall and CPU seconds, peak RSS, report."""
    peaks = workdir.parent / f"{workdir.name}.peaks"
    peaks.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), ENV: str(peaks)}
    env["GROUNDSET_TEST_EMBEDDER"] = "real" if real else "hash"
    cmd = [sys.executable, "-m", "tests.reliability.run_cli"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    options = [x for kv in sets for x in ("--set", kv)]
    proc = subprocess.run([*cmd, "--workdir", str(workdir), *options, "ingest", *args, "-q"], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    got = read_peaks(peaks)
    report_path = workdir / "ingest" / "report.json"
    return {"rc": proc.returncode, "wall": wall,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "self_mb": got.get("cli", float("nan")), "readers_mb": got.get("reader", 0.0), "stderr": proc.stderr,
            "report": json.loads(report_path.read_text()) if report_path.exists() else None}


def line(name: str, r: dict) -> str:
    return (f"{name:<34} exit {r['rc']}  wall {r['wall']:7.1f} s  cpu {r['cpu']:7.1f} s  peak RSS: ingest "
            f"{r['self_mb']:6.0f} MB, largest reader {r['readers_mb']:6.0f} MB")


def corpus(tmp: Path, real: bool) -> None:
    expected = build(tmp)
    r = ingest(tmp / "work", str(tmp / "docs"), real=real)
    files = {Path(f["path"]).relative_to(tmp / "docs").as_posix(): f for f in (r["report"] or {}).get("files", [])}
    right = 0
    print(f"{'entry':<42} {'expected':<32} reported")
    for name, want in sorted(expected.items()):
        f = files.get(name, {})
        got = (f.get("status", "MISSING"), f.get("reason"))
        right += got == want
        mark = "" if got == want else "   <-- WRONG"
        print(f"{name[:42]!s:<42} {want[0] + ' ' + str(want[1] or ''):<32} {got[0]} {got[1] or ''}{mark}")
    listed = len(files)
    print(f"\n{right}/{len(expected)} entries with the expected outcome; {listed} listed in the report "
          f"(nothing vanished: {listed == len(expected)})")
    print(line("bad-input corpus", r))


def single_line(path: Path, mb: int) -> None:
    """``mb`` MB of random words on one line (random, so that the chunker's duplicate filter keeps every chunk)."""
    import random

    rng = random.Random(0)
    words = "alpha beta gamma delta vector payload search store index query chunk token embed point".split()
    with path.open("w", encoding="ascii") as f:
        for _ in range(max(1, mb)):
            f.write(" ".join(rng.choices(words, k=160_000)) + " ")  # ~1 MB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big-mb", type=int, default=50, help="single-line .txt at default limits (0: skip)")
    ap.add_argument("--huge-mb", type=int, default=0, help="single-line .txt, refused then streamed (0: skip)")
    ap.add_argument("--kills", type=int, default=20, help="SIGKILLs per stage (0: skip)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    ap.add_argument("--only-kills", action="store_true", help="skip steps 0-3")
    ap.add_argument("--real-embedder", action="store_true", help="the bundled MiniLM instead of a hash")
    args = ap.parse_args()
    print(f"CPU: {_cpu()}; load average {os.getloadavg()[0]:.1f} (wall seconds depend on it; CPU seconds less)\n")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.only_kills:
            args.big_mb = args.huge_mb = 0
        else:
            experiment()
            corpus(tmp, args.real_embedder)
        if args.big_mb:
            big = tmp / "big" / "one-line.txt"
            big.parent.mkdir()
            single_line(big, args.big_mb)
            r = ingest(tmp / "w-big", str(big), real=args.real_embedder)
            f = r["report"]["files"][0]
            print(line(f"{args.big_mb} MB single line", r) + f"\n{'':<34} {f['status']} {f.get('reason') or ''}: "
                  f"{f['chunks']} chunks")
        if args.huge_mb:
            huge = tmp / "huge" / "one-line.txt"
            huge.parent.mkdir()
            single_line(huge, args.huge_mb)
            raised = ("ingest.max_file_mb=100000", "ingest.max_file_chunks=5000")  # streams until 5,000 chunks
            for label, sets in (("default limits", ()), ("max_file_mb raised", raised)):
                r = ingest(tmp / f"w-huge-{len(sets)}", str(huge), real=args.real_embedder, sets=sets)
                f = r["report"]["files"][0]
                print(line(f"{args.huge_mb} MB, {label}", r) + f"\n{'':<34} {f['status']} {f.get('reason') or ''}: "
                      f"{f['chunks']} chunks")
        if args.kills:
            kill_table(tmp, args.kills, args.seed)


def _cpu() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return f"{row.split(':', 1)[1].strip()} x{os.cpu_count()}"
    except OSError:
        pass
    return f"{os.cpu_count()} cores"


if __name__ == "__main__":
    main()
