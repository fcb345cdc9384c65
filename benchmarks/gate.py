"""Benchmark of the context-adherence gate: samples/s of each judge available here and its figures on the
SQuAD-derived labelled set (benchmarks/make_labelled.py; synthetic — an upper bound for real LLM output).

    python benchmarks/gate.py                       # default judge: dev/test figures, speed, whole-stage speed
    python benchmarks/gate.py --nli-model PATH      # also an NLI model you have locally
    python benchmarks/gate.py --llm local --llm-rows 20   # also the llm judge on the bundled SmolLM2 (slow)
    python benchmarks/gate.py --json out.json

The threshold is chosen on the ``dev`` split (maximising balanced accuracy) and reported on ``test`` (other
Wikipedia articles). Speed: the judge alone on the labelled rows (model loaded beforehand; contexts repeat ~3×
in the set, so the source-sentence cache helps, as it does in a real run where several samples share a chunk),
and the whole evaluate stage (sanity, judge, MinHash + embedding dedup) on QA samples made from the rows.
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
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from groundset.evaluate.calibrate import LabelledRow, best_threshold, calibrate, metrics, read_labelled  # noqa: E402
from groundset.evaluate.config import EvaluateConfig  # noqa: E402


def labelled_rows(path: Path | None) -> list[LabelledRow]:
    if path is not None:
        return read_labelled(path)
    spec = importlib.util.spec_from_file_location("make_labelled", ROOT / "benchmarks" / "make_labelled.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return [LabelledRow(contexts=[r["context"]], response=r["response"], label=r["label"], kind=r["kind"],
                        split=r["split"]) for r in mod.build(mod.SQUAD)]


def figures(judge, rows: list[LabelledRow]) -> dict:
    """Threshold from dev, figures on test and on all rows, per kind on test."""
    out = calibrate(rows, judge)
    scores = out.pop("scores")
    by = {s: [i for i, r in enumerate(rows) if r.get("split") == s] for s in ("dev", "test")}
    if not by["dev"] or not by["test"]:
        out["note"] = "no dev/test split: threshold chosen and reported on the same rows"
        return out
    pick = lambda idx: ([scores[i] for i in idx], [rows[i]["label"] for i in idx])  # noqa: E731
    t = best_threshold(*pick(by["dev"]))
    out["threshold_from_dev"] = round(t, 4)
    out["dev_at_dev_threshold"] = metrics(*pick(by["dev"]), t)
    out["test_at_dev_threshold"] = metrics(*pick(by["test"]), t)
    out["test_at_configured"] = metrics(*pick(by["test"]), judge.threshold)
    out["dev_sweep"] = {f"{x:.2f}": metrics(*pick(by["dev"]), x)["balanced_accuracy"]
                        for x in (0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)}
    out["test_per_kind_kept_at_dev_threshold"] = {
        k: round(sum(1 for i in by["test"] if rows[i].get("kind") == k and scores[i] >= t)
                 / max(1, sum(1 for i in by["test"] if rows[i].get("kind") == k)), 4)
        for k in sorted({r.get("kind") for r in rows})
    }
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
    ap.add_argument("--labelled", type=Path, default=None, help="labelled JSONL (default: build from SQuAD)")
    ap.add_argument("--nli-model", default=None, help="local NLI / hallucination model to benchmark too")
    ap.add_argument("--llm", default=None, help="[llm] spec for the llm judge (e.g. local), on --llm-rows rows")
    ap.add_argument("--llm-rows", type=int, default=20)
    ap.add_argument("--llm-max-tokens", type=int, default=1024, help="output tokens per verdict (llm judge)")
    ap.add_argument("--skip-default", action="store_true", help="only the optional judges")
    ap.add_argument("--stage-samples", type=int, default=1000)
    ap.add_argument("--json", type=Path, default=None, help="write all figures here")
    args = ap.parse_args()

    rows = labelled_rows(args.labelled)
    report: dict = {"rows": len(rows), "cpu_count": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    print(f"{len(rows)} labelled rows ({sum(r['label'] for r in rows)} supported)", flush=True)

    from groundset.embed import load_embedder
    from groundset.evaluate.judges.default import DefaultJudge
    from groundset.embed.config import EmbedConfig

    if not args.skip_default:
        t = time.perf_counter()
        embedder = load_embedder(EmbedConfig())
        report["model_load_s"] = round(time.perf_counter() - t, 1)
        judge = DefaultJudge(EvaluateConfig(), embedder=embedder)
        report["default"] = figures(judge, rows)
        report["default"]["sentences_embedded"] = judge.encoded
        _print("default", report["default"])

        report["stage"] = stage_speed(rows, args.stage_samples)
        print(f"whole evaluate stage: {report['stage']}  [load average {os.getloadavg()[0]:.1f}]", flush=True)

    if args.nli_model:
        from groundset.evaluate.judges.nli import NLIJudge

        nli = NLIJudge(EvaluateConfig(judge="nli", nli_model=args.nli_model))
        report["nli"] = figures(nli, rows)
        _print("nli", report["nli"])
    else:
        report["nli"] = "no NLI model available offline here; pass --nli-model PATH"

    if args.llm:
        from groundset.evaluate.judges.llm import LLMJudge
        from groundset.llm import load_llm
        from groundset.llm.config import LLMConfig

        llm = load_llm(LLMConfig(spec=args.llm, cache=False))
        sub = rows[:: max(1, len(rows) // args.llm_rows)][: args.llm_rows]
        cfg = EvaluateConfig(judge="llm", llm_max_tokens=args.llm_max_tokens)
        report["llm"] = calibrate(sub, LLMJudge(cfg, llm), batch_size=8)
        report["llm"].pop("scores")
        _print("llm", report["llm"])
    try:
        import ragas  # noqa: F401

        report["ragas"] = "installed but not benchmarked (needs an OpenAI-compatible endpoint)"
    except ImportError:
        report["ragas"] = "ragas extra not installed"
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")


def _print(name: str, out: dict) -> None:
    cpu_ms = 1000 * out["cpu_seconds"] / max(1, out["rows"])
    print(f"\n== judge {name}: {out['rows']} rows, {out['rows_per_s']} rows/s wall (judge only), "
          f"{cpu_ms:.1f} CPU-ms per row, errors {out['errors']}  [load average {os.getloadavg()[0]:.1f}]")
    for key in ("at_configured", "at_best", "dev_at_dev_threshold", "test_at_dev_threshold", "test_at_configured"):
        if key in out:
            m = out[key]
            print(f"  {key:<22} t={m['threshold']:<7} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
                  f"caught={m['unsupported_caught']:.3f} BA={m['balanced_accuracy']:.3f} AUC={m['auc']}")
    for key in ("dev_sweep", "test_per_kind_kept_at_dev_threshold"):
        if key in out:
            print(f"  {key}: {out[key]}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
