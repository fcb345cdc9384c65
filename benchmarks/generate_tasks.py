"""Acceptance rate and LLM calls per accepted sample of every generate task, on ingested demo pages.

    python benchmarks/generate_tasks.py                          # bundled SmolLM2-135M on CPU (slow), n=4 per task
    python benchmarks/generate_tasks.py --llm echo --n 20        # scripted grounded replies (generate/echo.py)
    python benchmarks/generate_tasks.py --llm fake --n 20        # the schema-valid placeholder backend
    python benchmarks/generate_tasks.py --llm openai:MODEL --base-url http://localhost:8000/v1 --n 50
    python benchmarks/generate_tasks.py --pages appetite.html interpreter.html --json out.json

Ingests the pages into a temporary workdir (or reuses --workdir), runs ``generate`` for every task and prints, per
task: accepted / attempts, rejects by reason, LLM calls (incl. JSON repairs) per accepted sample, tokens, seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DEMO = ROOT / "groundset" / "demo" / "python-tutorial"
TASKS = ("qa", "multihop", "conversation", "textbook", "rag")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm", default="local")
    ap.add_argument("--base-url", default=None)
    ap.add_argument("--n", type=int, default=4, help="accepted samples wanted per task")
    ap.add_argument("--tasks", nargs="+", default=list(TASKS))
    ap.add_argument("--pages", nargs="+", default=["appetite.html", "interpreter.html", "modules.html"])
    ap.add_argument("--workdir", default=None, help="reuse an ingested workdir (samples/ is cleared)")
    ap.add_argument("--set", nargs="*", default=[], metavar="SECTION.KEY=VALUE", help="config overrides")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from groundset.config import load_config
    from groundset.generate.runner import generate
    from groundset.workdir import Workdir

    spec = "fake" if args.llm == "echo" else args.llm
    overrides = {"generate.tasks": {t: args.n for t in args.tasks}, "llm.spec": spec, "llm.base_url": args.base_url}
    overrides.update(dict(s.split("=", 1) for s in args.set))
    config = load_config(None, overrides)
    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="gs-bench-")) / "work"
    wd = Workdir(root).ensure()
    if not (wd.qdrant_dir.exists() and args.workdir):
        from groundset.ingest.pipeline import ingest

        t0 = time.perf_counter()
        r = ingest([DEMO / p for p in args.pages], config, wd)
        print(f"ingested {r.documents} pages, {r.points} chunks in {time.perf_counter() - t0:.1f} s")
    for task in TASKS:
        for p in (wd.samples(task), wd.rejects(task)):
            p.unlink(missing_ok=True)
    if wd.llm_cache.exists() and not args.workdir:
        wd.llm_cache.unlink()

    llm = None
    if args.llm == "echo":
        from groundset.generate.echo import echo_reply
        from groundset.llm.fake import FakeLLM

        llm = FakeLLM(default=echo_reply, name="echo")
    result = generate(config, wd, llm, progress=sys.stderr.isatty())
    print(f"\nmodel {result.model}; {args.n} wanted per task; total {result.seconds:.1f} s")
    print(f"{'task':<13}{'accepted':>9}{'attempts':>9}{'rate':>7}{'calls':>7}{'calls/acc':>10}{'tokens':>9}{'s':>7}  rejects")
    for name, t in result.tasks.items():
        per = f"{t.llm_calls / t.accepted:.1f}" if t.accepted else "-"
        rate = f"{t.acceptance_rate:.0%}" if t.acceptance_rate is not None else "-"
        print(f"{name:<13}{t.accepted:>9}{t.attempts:>9}{rate:>7}{t.llm_calls:>7}{per:>10}"
              f"{t.prompt_tokens + t.completion_tokens:>9}{t.seconds:>7.0f}  {dict(t.rejected.most_common())}")
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2))


if __name__ == "__main__":
    main()
