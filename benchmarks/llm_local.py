"""Tokens/s of the local backend (bundled SmolLM2-135M on CPU) at batch 1 and 8, with and without JSON constraints,
and the share of schema-valid JSON replies to real question-writing prompts.

    .venv/bin/python benchmarks/llm_local.py [--n 16] [--max-tokens 96] [--batches 1,8] [--prompts PATH]

Prompts: "write one question and its answer as JSON" over the first N distinct SQuAD contexts of
../shared/corpus/qa/squad_v2_dev_subset.jsonl (or a built-in paragraph repeated when that file is absent).
Every request carries the flat schema {"question": str, "answer": str}. "valid" counts replies that parse and
validate WITHOUT the repair attempt (raw backend output), so it measures the decoder itself. Greedy decoding.
Tokens/s = generated tokens / wall seconds of the generate calls (model load and tokenizer tables excluded);
tokens_per_cpu_s divides by process CPU time instead (steadier on a shared machine; compare at --threads 1).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from groundset.llm.base import ChatRequest
from groundset.llm.config import LLMConfig
from groundset.llm.local import LocalLLM
from groundset.llm.structured import parse_structured

SQUAD = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "qa" / "squad_v2_dev_subset.jsonl"
SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
    "additionalProperties": False,
}
SYSTEM = 'You write quiz questions. Reply with only a JSON object: {"question": "...", "answer": "..."}.'
TASK = "Write one question that the text answers, and its answer, as JSON."
THREADS: int | None = None
FALLBACK = (
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named after the "
    "engineer Gustave Eiffel, whose company designed and built the tower from 1887 to 1889."
)


def contexts(n: int, path: Path) -> list[str]:
    if not path.exists():
        return [FALLBACK] * n
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            seen.setdefault(json.loads(line)["context"], None)
            if len(seen) >= n:
                break
    return list(seen)


def requests(texts: list[str], max_tokens: int) -> list[ChatRequest]:
    return [
        ChatRequest(
            messages=[
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Text:\n{t}\n\n{TASK}"},
            ],
            temperature=0.0, max_tokens=max_tokens, seed=i, json_schema=SCHEMA,
        )
        for i, t in enumerate(texts)
    ]


def run(batch: int, constrained: bool, reqs: list[ChatRequest]) -> dict:
    llm = LocalLLM(LLMConfig(local={"batch_size": batch, "constrained": constrained, "threads": THREADS}))
    llm._ensure()
    t0 = time.perf_counter()
    if constrained:
        llm._tokenizer_data()
    setup = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    results = llm.chat(reqs)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    tokens = sum(r.completion_tokens for r in results)
    reasons: dict[str, int] = {}
    valid = 0
    for r in results:
        parsed = parse_structured(r.text, SCHEMA, r.finish_reason)
        if parsed.ok:
            valid += 1
        else:
            reasons[parsed.reason] = reasons.get(parsed.reason, 0) + 1
    return {
        "batch": batch, "constrained": constrained, "requests": len(reqs), "tokens": tokens,
        "seconds": round(seconds, 1), "tokens_per_s": round(tokens / seconds, 1),
        "tokens_per_cpu_s": round(tokens / cpu, 1), "valid": valid,
        "failures": reasons, "setup_s": round(setup, 1), "example": results[0].text[:160],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=16, help="number of prompts")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--modes", default="off,on", help="constrained decoding off,on")
    ap.add_argument("--prompts", type=Path, default=SQUAD)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads ([llm.local] threads)")
    args = ap.parse_args()
    global THREADS
    THREADS = args.threads
    reqs = requests(contexts(args.n, args.prompts), args.max_tokens)
    t0 = time.perf_counter()
    LocalLLM(LLMConfig(local={"threads": args.threads}))._ensure()
    print(f"model load: {time.perf_counter() - t0:.1f} s")
    for batch in [int(b) for b in args.batches.split(",")]:
        for mode in args.modes.split(","):
            print(json.dumps(run(batch, mode == "on", reqs)), flush=True)


if __name__ == "__main__":
    main()
