"""The default judge on real small-model output: SmolLM2-135M (the bundled local backend) answers SQuAD questions
from their paragraph, and the gate scores the answers. No labels: it prints what was kept and what was dropped and
why, for a person to read (the point: small models invent numbers and names, and the hard checks catch them).

    python benchmarks/gate_smollm.py [--n 24] [--out .bench/smollm_gate.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from groundset.evaluate.config import EvaluateConfig  # noqa: E402
from groundset.evaluate.judges.base import JudgeInput  # noqa: E402
from groundset.evaluate.judges.default import DefaultJudge  # noqa: E402
from groundset.llm import ChatRequest, load_llm  # noqa: E402
from groundset.llm.config import LLMConfig  # noqa: E402

SQUAD = ROOT.parent / "shared" / "corpus" / "qa" / "squad_v2_dev_subset.jsonl"
PROMPT = "Context:\n{context}\n\nAnswer the question in two or three sentences, using only the context.\nQuestion: {question}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--out", type=Path, default=ROOT / ".bench" / "smollm_gate.jsonl")
    ap.add_argument("--llm", default="local", help="[llm] spec (default: the bundled SmolLM2; 'fake' checks plumbing)")
    args = ap.parse_args()
    rows = [json.loads(line) for line in SQUAD.open(encoding="utf-8")]
    rows = [r for r in rows if not r["is_impossible"] and re.search(r"\d", r["context"])][: args.n]
    llm = load_llm(LLMConfig(spec=args.llm, cache=False))
    requests = [ChatRequest(messages=[{"role": "user", "content": PROMPT.format(**r)}], temperature=0.0, max_tokens=96)
                for r in rows]
    answers = [res.text.strip() for res in llm.chat(requests)]
    judge = DefaultJudge(EvaluateConfig())
    verdicts = judge.score([JudgeInput(texts=[a], contexts=[r["context"]]) for a, r in zip(answers, rows)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    kept = 0
    with args.out.open("w", encoding="utf-8") as f:
        for r, a, v in zip(rows, answers, verdicts):
            ok = v.adherence is None or v.adherence >= judge.threshold
            kept += ok
            missing = sorted({m for c in v.claims for m in c.missing})
            f.write(json.dumps({"question": r["question"], "gold": r["answers"]["text"][0], "answer": a,
                                "adherence": v.adherence, "kept": ok, "missing": missing,
                                "claims": [c.as_dict() for c in v.claims]}, ensure_ascii=False) + "\n")
            print(f"{'KEPT' if ok else 'DROP'} {v.adherence if v.adherence is None else round(v.adherence, 2)} "
                  f"missing={missing} | Q: {r['question']} | A: {a[:220]!r}")
    print(f"\n{kept}/{len(rows)} kept at threshold {judge.threshold}; details in {args.out}")


if __name__ == "__main__":
    main()
