"""Speed of the verifier's CPU paths, PyTorch fp32 vs ONNX Runtime int8, on a randomly initialised cross-encoder of a
real model's shape (weights do not change the cost of a forward pass; they do change what int8 does to the scores,
so the agreement printed here says nothing about a trained model: that check runs on the real model at export).

    python benchmarks/verifier_speed.py --rows 60                     # BERT-base shape (12 x 768), 60 FaithBench rows
    python benchmarks/verifier_speed.py --layers 24 --hidden 1024     # RoBERTa-/DeBERTa-large shape

The tokenizer is the bundled all-MiniLM-L6-v2 WordPiece one (real sub-word lengths); rows come from
``../shared/corpus/labels/faithbench_dev.jsonl``. Both backends score the same (window, sentence) pairs through the
verifier judge, alternately, in one process; CPU seconds are this process's (all threads).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build(folder: Path, layers: int, hidden: int) -> Path:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from groundset.embed import default_model_path

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(default_model_path()))
    tok.model_max_length = 512
    tok.save_pretrained(folder)
    labels = {0: "entailment", 1: "neutral", 2: "contradiction"}
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                     num_attention_heads=hidden // 64, intermediate_size=4 * hidden, num_labels=3, id2label=labels,
                     label2id={v: k for k, v in labels.items()})
    BertForSequenceClassification(cfg).save_pretrained(folder)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--hidden", type=int, default=768)
    ap.add_argument("--rows", type=int, default=60)
    ap.add_argument("--labelled", type=Path, default=ROOT.parent / "shared/corpus/labels/faithbench_dev.jsonl")
    args = ap.parse_args()

    from benchmarks.judges import machine
    from groundset.evaluate.calibrate import read_labelled
    from groundset.evaluate.config import EvaluateConfig
    from groundset.evaluate.judges.base import JudgeInput
    from groundset.evaluate.judges.verifier import VerifierJudge

    rows = read_labelled(args.labelled)[: args.rows]
    items = [JudgeInput(texts=[r["response"]], contexts=r["contexts"]) for r in rows]
    print(machine())
    tmp = Path(tempfile.mkdtemp())
    os.environ["GROUNDSET_CACHE"] = str(tmp / "cache")
    try:
        t = time.perf_counter()
        model = build(tmp / "random-bert", args.layers, args.hidden)
        print(f"random BERT {args.layers} x {args.hidden} built in {time.perf_counter() - t:.1f} s")
        judges = {}
        for backend in ("torch", "onnx"):
            t = time.perf_counter()
            judges[backend] = VerifierJudge(EvaluateConfig(judge="verifier", hard_checks=False, verifier={
                "model": str(model), "backend": backend, "device": "cpu"}))
            print(f"{backend}: loaded in {time.perf_counter() - t:.1f} s -> {judges[backend].scorer.backend}")
        results = {b: {"wall": 0.0, "cpu": 0.0, "scores": []} for b in judges}
        for _ in range(2):  # alternate, so both see the same machine load
            for b, j in judges.items():
                w, c = time.perf_counter(), time.process_time()
                verdicts = j.score(items)
                results[b]["wall"] += time.perf_counter() - w
                results[b]["cpu"] += time.process_time() - c
                results[b]["scores"] = [x.adherence for x in verdicts]
        pairs = judges["torch"].stats["pairs"] // 2
        for b, r in results.items():
            print(f"{b:>5}: {2 * len(items) / r['wall']:.1f} rows/s wall, {1000 * r['cpu'] / (2 * pairs):.1f} CPU-ms "
                  f"per (window, sentence) pair ({pairs} pairs per round)")
        ratio = results["torch"]["cpu"] / results["onnx"]["cpu"]
        diff = max(abs(a - b) for a, b in zip(results["torch"]["scores"], results["onnx"]["scores"]))
        print(f"ONNX ({judges['onnx'].scorer.backend}) / PyTorch fp32: {ratio:.2f}x fewer CPU seconds; largest score "
              f"difference {diff:.4f} (random weights: not a quality figure)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
