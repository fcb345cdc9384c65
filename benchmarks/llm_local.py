"""Speed of the local backend (bundled SmolLM2-135M on CPU) beside its bounds, and what prefix KV reuse buys.

    .venv/bin/python benchmarks/llm_local.py [--batches 1,8,32] [--prompt-tokens 256] [--steps 16] [--threads N]
                                             [--requests 16] [--candidates 1] [--skip-kernels] [--skip-chat]

1. Kernels (model forward only, no constraint, no sampling): prefill tokens/s of B prompts of ``--prompt-tokens``
   tokens each, and decode tokens/s of B rows (``--steps`` single-token steps on the KV cache), for each B. Beside
   them, the bounds: prefill — achieved GFLOP/s (2 × parameters × tokens per second, attention left out) against
   nothing better than the cores' own peak; decode — tokens/s if every step only had to read the weights once at
   the memory bandwidth measured here (a 512 MiB numpy copy): B × bandwidth / weight bytes.
2. Chat (the real backend: chat template, JSON-constrained decoding, per-row sampling): ``--requests`` backtranslate
   passages of the bundled demo corpus, ``--candidates`` requests each (one prompt, several seeds), once with the shared prompt prefix computed once per batch and once
   without (``min_prefix`` out of reach); wall and CPU seconds, prompt tokens the prefix pass saved, valid JSON.

Figures depend on the CPU and on what else runs: compare rows of one run, prefer the CPU-seconds columns on a
shared machine, and set ``--threads`` to the cores that are really free.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def bandwidth_gb_s(mib: int = 512, rounds: int = 3) -> float:
    a = np.ones(mib * 2**20 // 8)
    b = np.empty_like(a)
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        np.copyto(b, a)
        best = max(best, 2 * a.nbytes / (time.perf_counter() - t) / 1e9)  # read + write
    return best


def kernels(lm, batches: list[int], prompt_tokens: int, steps: int) -> None:
    import torch
    from transformers import DynamicCache

    from groundset.llm.local_loop import _cache_kw

    kw = _cache_kw(lm)
    params = sum(p.numel() for p in lm.parameters())
    weight_bytes = sum(p.numel() * p.element_size() for p in lm.parameters())
    bw = bandwidth_gb_s()
    print(f"model: {params / 1e6:.1f} M parameters, {weight_bytes / 2**20:.0f} MiB of weights; memory bandwidth "
          f"(numpy copy) {bw:.1f} GB/s; torch threads {torch.get_num_threads()}")
    print(f"{'batch':>5} {'prefill tok/s':>14} {'GFLOP/s':>8} {'decode tok/s':>13} {'decode bound':>13} {'share':>6}")
    vocab = lm.config.vocab_size
    for b in batches:
        ids = torch.randint(100, vocab - 1, (b, prompt_tokens))
        with torch.inference_mode():
            t = time.perf_counter()
            out = lm(input_ids=ids, use_cache=True, logits_to_keep=1, **{kw: DynamicCache()})
            pre = time.perf_counter() - t
            cache = getattr(out, kw, None) or out.past_key_values
            nxt = torch.argmax(out.logits[:, -1], -1)[:, None]
            t = time.perf_counter()
            for _ in range(steps):
                out = lm(input_ids=nxt, use_cache=True, logits_to_keep=1, **{kw: cache})
                cache = getattr(out, kw, None) or out.past_key_values
                nxt = torch.argmax(out.logits[:, -1], -1)[:, None]
            dec = time.perf_counter() - t
        pre_tps, dec_tps = b * prompt_tokens / pre, b * steps / dec
        bound = b * bw * 1e9 / weight_bytes
        print(f"{b:>5} {pre_tps:>14.0f} {2 * params * pre_tps / 1e9:>8.1f} {dec_tps:>13.1f} {bound:>13.0f} "
              f"{dec_tps / bound:>6.0%}")


def demo_requests(candidates: int, n: int):
    """``n`` backtranslate requests over paragraphs of the bundled tutorial (``<p>`` text, tags stripped)."""
    import html
    import re
    from pathlib import Path

    from groundset.generate import backtranslate
    from groundset.generate.base import Attempt
    from groundset.generate.passages import pick_passage
    from groundset.records import Chunk

    root = Path(__file__).resolve().parents[1] / "groundset" / "demo" / "python-tutorial"
    texts: list[str] = []
    for path in sorted(root.glob("*.html")):
        for para in re.findall(r"<p>(.*?)</p>", path.read_text(encoding="utf-8"), re.S):
            text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", para)).split())
            if pick_passage(text):
                texts.append(text)
    texts = texts[:: max(1, len(texts) // n)][:n]
    reqs = []
    for i, text in enumerate(texts):
        c = Chunk(id=f"c{i}", document_id="d", source="s", title="Python tutorial", text=text, section=["S"], index=i,
                  n_tokens=64)
        a = Attempt(task="backtranslate", index=i, seeds=(c,), controls={"style": ["question", "how-to"][i % 2]},
                    sampling={"temperature": 0.0, "top_p": 1.0, "max_tokens": 48}, id=f"a{i}", request_seed=i)
        reqs += backtranslate.build_requests(a, backtranslate.passage_of(a), candidates)
    return reqs


def chat(llm, requests) -> None:
    import groundset.llm.local_loop as loop
    from groundset.llm.structured import parse_structured

    original = loop.decode
    for label, min_prefix in (("prefix reused", 16), ("no reuse", 10**9)):
        loop.decode = lambda *a, _m=min_prefix, **k: original(*a, **{**k, "min_prefix": _m})
        llm.stats["prefix_tokens_reused"] = 0
        t, c = time.perf_counter(), time.process_time()
        results = llm.chat(requests)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        valid = sum(parse_structured(r.text, q.json_schema, r.finish_reason).error is None
                    for r, q in zip(results, requests))
        prompt = sum(r.prompt_tokens for r in results)
        gen = sum(r.completion_tokens for r in results)
        print(f"{label:<14} {len(requests)} requests: wall {wall:6.1f} s, CPU {cpu:6.1f} s, prompt tokens {prompt} "
              f"(prefix pass saved {llm.stats['prefix_tokens_reused']}), generated {gen}, valid JSON {valid}/"
              f"{len(requests)}")
    loop.decode = original


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--prompt-tokens", type=int, default=256)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--requests", type=int, default=16, help="passages (each asks --candidates questions)")
    ap.add_argument("--candidates", type=int, default=1, help="questions per passage (same prompt, own seeds)")
    ap.add_argument("--skip-kernels", action="store_true")
    ap.add_argument("--skip-chat", action="store_true")
    args = ap.parse_args()
    from groundset.llm.config import LLMConfig
    from groundset.llm.local import LocalLLM

    llm = LocalLLM(LLMConfig(local={"batch_size": args.requests * args.candidates, "threads": args.threads}))
    llm._ensure()
    if not args.skip_kernels:
        kernels(llm._lm, [int(b) for b in args.batches.split(",")], args.prompt_tokens, args.steps)
    if not args.skip_chat:
        llm._tokenizer_data()
        chat(llm, demo_requests(args.candidates, args.requests))


if __name__ == "__main__":
    main()
