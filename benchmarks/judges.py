"""Any judge on labelled rows: balanced accuracy at its configured threshold, AUC, the best threshold, rows/s.

    python benchmarks/judges.py --judge default --labelled ../shared/corpus/labels/faithbench_dev.jsonl
    python benchmarks/judges.py --judge verifier --set evaluate.verifier.model=vectara/hallucination_evaluation_model \\
        --labelled ragtruth_qa.jsonl                      # HHEM-2.1-open (GPU if there is one, else ONNX int8)
    python benchmarks/judges.py --judge llm --set llm.spec=openai:Qwen/Qwen2.5-7B-Instruct \\
        --set llm.base_url=http://localhost:8000/v1 --labelled F.jsonl --limit 200
    python benchmarks/judges.py --judge auto --labelled F.jsonl --json out.json

Rows are ``groundset evaluate calibrate`` rows (``context`` string or list, ``response``, ``label`` 1 = supported,
optional ``kind``). Each response is scored as the gate scores a sample (sentences, hard checks, aggregate); a row the
judge cannot score counts as rejected. Speed: the judge alone, model loaded beforehand; CPU seconds are those of this
process (all threads), so wall / CPU shows how busy the machine was. The first line names the CPU and GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a model that is not cached fails at once with the download command

from groundset.config import load_config  # noqa: E402
from groundset.evaluate.calibrate import calibrate, read_labelled  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = "none"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return f"CPU {cpu} ({os.cpu_count()} cores), GPU {gpu}, load average {os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judge", default="auto", help="a registered judge name (default: auto)")
    ap.add_argument("--labelled", type=Path, required=True, help="labelled JSONL rows")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="config override, as groundset's --set (repeatable)")
    ap.add_argument("--config", type=Path, default=None, help="a groundset.toml to start from")
    ap.add_argument("--limit", type=int, default=None, help="first N rows only (for slow judges)")
    ap.add_argument("--split", default=None, help="rows whose 'split' field has this value")
    ap.add_argument("--workdir", type=Path, default=None, help="where an LLM judge keeps its cache (default: temp)")
    ap.add_argument("--json", dest="json_out", type=Path, default=None, help="write the figures here too")
    args = ap.parse_args(argv)

    from groundset.evaluate.judges import load_judge
    from groundset.evaluate.judges.auto import resolve
    from groundset.registry import JUDGES
    from groundset.workdir import Workdir

    overrides = dict(o.split("=", 1) for o in args.overrides)
    overrides["evaluate.judge"] = args.judge
    config = resolve(load_config(args.config, overrides))
    rows = read_labelled(args.labelled)
    if args.split is not None:
        rows = [r for r in rows if r.get("split") == args.split]
    rows = rows[: args.limit] if args.limit else rows
    print(machine())
    if config.evaluate._auto_reason:
        print(f"judge auto → {config.evaluate.judge} ({config.evaluate._auto_reason})")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Workdir(args.workdir or Path(tmp) / "w").ensure()
        llm = None
        if JUDGES.get(config.evaluate.judge).needs_llm and not config.evaluate.llm.is_set():
            from groundset.llm import load_llm

            llm = load_llm(config.llm, workdir, stage="evaluate")
        judge = load_judge(config.evaluate, embed_cfg=config.embed, llm=llm, llm_cfg=config.llm, workdir=workdir)
        out = calibrate(rows, judge, batch_size=config.evaluate.batch_size)
    out.pop("scores")
    out["file"], out["machine"] = str(args.labelled), machine()
    c, b = out["at_configured"], out["at_best"]
    print(f"{out['file']}: {out['rows']} rows ({c['supported']} supported, {c['unsupported']} not), "
          f"{out['errors']} errors")
    print(f"judge {json.dumps(out['judge'], default=str)}")
    print(f"balanced accuracy {c['balanced_accuracy']:.3f} at the configured threshold {c['threshold']} "
          f"(precision {c['precision']:.3f}, recall {c['recall']:.3f}, unsupported caught {c['unsupported_caught']:.3f})")
    print(f"AUC {c['auc']}; best threshold {b['threshold']}: balanced accuracy {b['balanced_accuracy']:.3f} "
          "(chosen on these rows: optimistic)")
    cpu_ms = 1000 * out["cpu_seconds"] / max(1, out["rows"])
    print(f"{out['rows_per_s']} rows/s wall ({out['seconds']} s), {cpu_ms:.1f} CPU-ms per row")
    for kind, k in out.get("per_kind", {}).items():
        print(f"  {kind}: n={k['n']} kept at the configured threshold {k['kept_at_configured']:.1%}")
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=2, default=str))
    return out


if __name__ == "__main__":
    main()
