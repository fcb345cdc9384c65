"""Ingest under bad inputs: does every file get its true reason, does the run go on, how much memory does it take?

    .venv/bin/python benchmarks/faults.py [--big-mb 50] [--huge-mb 0] [--real-embedder]

1. Builds the reliability suite's corpus (tests/reliability/bad_inputs.py: password PDFs, zip bombs, UTF-16, NUL
   bytes, huge tables, FIFOs, symlink loops, odd names ...) and runs ``groundset ingest`` on the folder, in a process
   of its own: prints each entry's expected and reported outcome, the exit status, peak RSS and CPU seconds.
2. ``--big-mb N``: a single-line N MB .txt (the issue's 50 MB case) with the default limits.
3. ``--huge-mb N``: an N MB single-line .txt, first at the default limits (too_large), then with
   ``[ingest] max_file_mb`` raised so that it streams until ``[ingest] max_file_chunks = 5000``.

The embedder is a hash (tests/ingest/fakes.py) unless ``--real-embedder``: the figures are the reading, chunking
and store path; the bundled MiniLM adds a fixed ~0.3-0.8 GB to the ingest process. Peak RSS is each process's own
high-water mark (``ru_maxrss``): the ingest process and its largest reader process.
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


def ingest(workdir: Path, *args: str, real: bool, sets: tuple[str, ...] = ()) -> dict:
    """Run ``groundset ingest`` in a child process; its exit status, wall and CPU seconds, peak RSS, report."""
    rss = workdir.parent / f"{workdir.name}.rss.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GROUNDSET_RSS_OUT": str(rss)}
    if real:
        cmd = [sys.executable, "-c", "import sys; sys.argv[0] = 'groundset'; from groundset.cli import main; main()"]
        env.pop("GROUNDSET_RSS_OUT")
    else:
        cmd = [sys.executable, "-m", "tests.reliability.run_ingest"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    options = [x for kv in sets for x in ("--set", kv)]
    proc = subprocess.run([*cmd, "--workdir", str(workdir), *options, "ingest", *args, "-q"], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peaks = json.loads(rss.read_text()) if rss.exists() else {"self_mb": after.ru_maxrss / 1024, "readers_mb": 0}
    report_path = workdir / "ingest" / "report.json"
    return {"rc": proc.returncode, "wall": wall,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "self_mb": peaks["self_mb"], "readers_mb": peaks["readers_mb"], "stderr": proc.stderr,
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
    ap.add_argument("--real-embedder", action="store_true", help="the bundled MiniLM instead of a hash")
    args = ap.parse_args()
    print(f"CPU: {_cpu()}; load average {os.getloadavg()[0]:.1f} (wall seconds depend on it; CPU seconds less)\n")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
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
