"""Benchmark of the context-adherence gate: per labelled file and kind, balanced accuracy at the shipped threshold,
AUC and rows/s; the whole evaluate stage's speed on QA-length samples.

    python benchmarks/gate.py                        # faithbench_dev (fit / check halves) + the SQuAD-derived set
    python benchmarks/gate.py --labelled A.jsonl --labelled B.jsonl   # your own labelled files (calibrate format)
    python benchmarks/gate.py --nli-model PATH       # also an NLI model you have locally
    python benchmarks/gate.py --llm local --llm-rows 20   # also the llm judge on the bundled SmolLM2 (slow)
    python benchmarks/gate.py --json out.json

Figures are at the threshold the judge ships with (``[evaluate] thresholds.default``, chosen by
benchmarks/fit_gate.py on fit data only). ``faithbench_dev.jsonl`` is reported per half (sha256 of the context:
even = fit, odd = check; only the check half is evidence, the fit half was fitted on). The SQuAD-derived set
(benchmarks/make_labelled.py) is a regression test, not evidence: its negatives are rule-made. Speed: the judge
alone on the labelled rows (model loaded beforehand), rows/s wall and CPU-ms per row (the machine may be shared:
CPU time is the steadier figure), and the whole evaluate stage on QA samples made from the SQuAD-derived rows.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from groundset.evaluate.calibrate import LabelledRow, calibrate, metrics, read_labelled  # noqa: E402
from groundset.evaluate.config import EvaluateConfig  # noqa: E402

FAITHBENCH = ROOT.parent / "shared" / "corpus" / "labels" / "faithbench_dev.jsonl"


def squad_rows() -> list[LabelledRow]:
    spec = importlib.util.spec_from_file_location("make_labelled", ROOT / "benchmarks" / "make_labelled.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return [LabelledRow(contexts=[r["context"]], response=r["response"], label=r["label"], kind=r["kind"],
                        split=r["split"]) for r in mod.build(mod.SQUAD)]


def labelled_sets(paths: list[Path]) -> dict[str, list[LabelledRow]]:
    """Name → rows; faithbench_dev gets its fit / check half as ``split``."""
    from gate_pairs import faithbench_split

    sets: dict[str, list[LabelledRow]] = {}
    for p in paths or ([FAITHBENCH] if FAITHBENCH.is_file() else []):
        rows = read_labelled(p)
        if p.name == FAITHBENCH.name:
            for r in rows:
                r["split"] = faithbench_split(r["contexts"][0])
        sets[p.stem] = rows
    if not paths:
        sets["squad_adherence (regression)"] = squad_rows()
    return sets


def figures(judge, rows: list[LabelledRow]) -> dict:
    """Per split and per kind: metrics at the shipped threshold (and the best one, for information)."""
    out = calibrate(rows, judge)
    scores = out.pop("scores")
    t = judge.threshold
    groups: dict[str, list[int]] = {"all": list(range(len(rows)))}
    for i, r in enumerate(rows):
        for key in (f"split={r.get('split')}" if r.get("split") else None, f"kind={r.get('kind')}" if r.get("kind") else None):
            if key:
                groups.setdefault(key, []).append(i)
    out["groups"] = {}
    for name, idx in groups.items():
        s, y = [scores[i] for i in idx], [rows[i]["label"] for i in idx]
        m = metrics(s, y, t)
        if 0 < sum(y) < len(y):
            out["groups"][name] = m
        else:  # a kind of one label: only the share kept means something
            out["groups"][name] = {"n": len(y), "label": y[0], "kept": round(sum(v >= t for v in s) / len(s), 4)}
    out["cpu_ms_per_row"] = round(1000 * out["cpu_seconds"] / max(1, out["rows"]), 2)
    return out


def stage_speed(rows: list[LabelledRow], n: int) -> dict:
    """The whole evaluate stage on ``n`` QA samples built from the labelled rows."""
    from groundset.config import load_config
    from groundset.evaluate.runner import evaluate
    from groundset.records import Citation, Sample
    from groundset.workdir import Workdir

    with tempfile.TemporaryDirectory() as tmp:
        w = Workdir(Path(tmp) / "w").ensure()
        w.samples_dir.mkdir(parents=True)
        with w.samples("qa").open("w") as f:
            for i, r in enumerate(rows[:n]):
                cit = Citation(chunk_id=f"c{i}", document_id="d", source="squad", text=r["contexts"][0])
                s = Sample(id=f"s{i}", task="qa", question=f"Question {i}?", answer=r["response"], contexts=[cit])
                f.write(s.model_dump_json() + "\n")
        cpu = time.process_time()
        result = evaluate(load_config(None), w, progress=False)
        cpu = time.process_time() - cpu
        s = result.summary
        return {"samples": s["total"], "seconds": s["seconds"], "cpu_seconds": round(cpu, 1),
                "samples_per_s": s["samples_per_s"], "judge_samples_per_s": s["judge_samples_per_s"],
                "cpu_ms_per_sample": round(1000 * cpu / max(1, s["total"]), 1), "reasons": s["reasons"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labelled", type=Path, action="append", default=[],
                    help="labelled JSONL (calibrate format); repeatable (default: faithbench_dev + SQuAD-derived)")
    ap.add_argument("--nli-model", default=None, help="local NLI / hallucination model to benchmark too")
    ap.add_argument("--llm", default=None, help="[llm] spec for the llm judge (e.g. local), on --llm-rows rows")
    ap.add_argument("--llm-rows", type=int, default=20)
    ap.add_argument("--llm-max-tokens", type=int, default=1024, help="output tokens per verdict (llm judge)")
    ap.add_argument("--skip-default", action="store_true", help="only the optional judges")
    ap.add_argument("--stage-samples", type=int, default=1000, help="QA samples for the whole-stage speed (0: skip)")
    ap.add_argument("--json", type=Path, default=None, help="write all figures here")
    args = ap.parse_args()

    sets = labelled_sets(args.labelled)
    report: dict = {"cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg(), "sets": {}}
    from groundset.embed import load_embedder
    from groundset.evaluate.judges.default import DefaultJudge
    from groundset.embed.config import EmbedConfig

    if not args.skip_default:
        t = time.perf_counter()
        embedder = load_embedder(EmbedConfig())
        report["model_load_s"] = round(time.perf_counter() - t, 1)
        for name, rows in sets.items():
            judge = DefaultJudge(EvaluateConfig(), embedder=embedder)  # a fresh cache per set
            report["sets"][name] = figures(judge, rows)
            report["sets"][name]["sentences_embedded"] = judge.encoded
            _print(f"default on {name}", report["sets"][name])
        if args.stage_samples:
            report["stage"] = stage_speed(squad_rows(), args.stage_samples)
            print(f"whole evaluate stage (QA samples): {report['stage']}  [load average {os.getloadavg()[0]:.1f}]",
                  flush=True)

    if args.nli_model:
        from groundset.evaluate.judges.nli import NLIJudge

        nli = NLIJudge(EvaluateConfig(judge="nli", nli={"model": args.nli_model}))
        for name, rows in sets.items():
            report.setdefault("nli", {})[name] = figures(nli, rows)
            _print(f"nli on {name}", report["nli"][name])
    if args.llm:
        from groundset.evaluate.judges.llm import LLMJudge
        from groundset.llm import load_llm
        from groundset.llm.config import LLMConfig

        llm = load_llm(LLMConfig(spec=args.llm, cache=False))
        rows = next(iter(sets.values()))
        sub = rows[:: max(1, len(rows) // args.llm_rows)][: args.llm_rows]
        cfg = EvaluateConfig(judge="llm", llm_max_tokens=args.llm_max_tokens)
        report["llm"] = calibrate(sub, LLMJudge(cfg, llm), batch_size=8)
        report["llm"].pop("scores")
        print(f"llm judge on {len(sub)} rows: {report['llm']['at_configured']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")


def _print(name: str, out: dict) -> None:
    print(f"\n== {name}: {out['rows']} rows, {out['rows_per_s']} rows/s wall (judge only), "
          f"{out['cpu_ms_per_row']} CPU-ms per row, errors {out['errors']}  [load average {os.getloadavg()[0]:.1f}]")
    print(f"  threshold {out['at_configured']['threshold']} (shipped); best on these rows would be "
          f"{out['at_best']['threshold']} (BA {out['at_best']['balanced_accuracy']:.3f}, for information only)")
    for g, m in out["groups"].items():
        if "balanced_accuracy" in m:
            print(f"  {g:<28} n={m['n']:<5} BA={m['balanced_accuracy']:.3f} AUC={m['auc']} P={m['precision']:.3f} "
                  f"R={m['recall']:.3f} caught={m['unsupported_caught']:.3f}")
        else:
            print(f"  {g:<28} n={m['n']:<5} label={m['label']} kept={m['kept']:.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
