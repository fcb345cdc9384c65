"""The local backend's decoding loop: the shared prompt prefix of a batch is computed once, finished rows leave.

>>> seqs = decode(lm, [[1, 2, 3, 4], [1, 2, 3, 9, 9]], rows, eos={0}, pad_id=0, decode_text=tok.decode)  # doctest: +SKIP
>>> seqs[0]                                 # the tokens generated for row 0 (EOS included when it stopped there)

Requests of one task share their first tokens (system prompt, demonstration, instructions): with ``min_prefix``
or more common tokens, the prefix goes through the model once (batch 1) and its key/value cache is repeated for
every row. Identical prompts (several candidates sampled for one request) are prefilled once and their cache
copied. The rest of each prompt follows with the padding *between* prefix and suffix (masked, positions kept
contiguous), so every row sees exactly its own prompt. Rows that stop (EOS, stop string, their own ``max_tokens``)
are dropped from the batch and the cache, so a long answer does not make the short ones pay for its steps. The
per-token work is the processors of ``local_decoding`` (JSON constraint, per-row sampler, stopper), nothing more.

Only the local backend imports this module (torch, transformers).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch

from groundset.llm.local_decoding import JsonConstraint, RowSampler, RowState, RowStopper

__all__ = ["decode", "common_prefix"]


def common_prefix(seqs: list[list[int]]) -> int:
    """Length of the longest token prefix all ``seqs`` share, leaving each at least one token of its own."""
    if not seqs:
        return 0
    n = min(len(s) for s in seqs) - 1
    first = seqs[0]
    for i in range(max(n, 0)):
        t = first[i]
        if any(s[i] != t for s in seqs):
            return i
    return max(n, 0)


def _cache_kw(lm: Any) -> str:
    params = inspect.signature(lm.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _forward(lm, kw: str, ids, mask, pos, cache):
    out = lm(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1, **{kw: cache})
    return out.logits[:, -1, :].float(), getattr(out, kw, None) or out.past_key_values


def decode(lm: Any, prompts: list[list[int]], rows: list[RowState], eos: set[int], pad_id: int,
           decode_text: Callable[[Any], str], min_prefix: int = 16) -> tuple[list[list[int]], int]:
    """Generate for every prompt under its row's constraints; returns (generated ids per row, shared prefix length)."""
    from transformers import DynamicCache

    kw = _cache_kw(lm)
    rows_of = {}  # identical prompts (candidates of one request) are prefilled once, then their cache is copied
    first = [rows_of.setdefault(tuple(s), len(rows_of)) for s in prompts]
    expand = len(rows_of) < len(prompts)
    full = prompts
    prompts = [list(s) for s in rows_of]
    b = len(prompts)
    p = common_prefix(prompts)
    p = p if p >= min_prefix and b > 1 else 0
    cache = DynamicCache()
    if p:
        prefix = torch.tensor([prompts[0][:p]], dtype=torch.long)
        _, cache = _forward(lm, kw, prefix, torch.ones_like(prefix), torch.arange(p)[None], cache)
        cache.batch_repeat_interleave(b)
    tails = [s[p:] for s in prompts]
    width = max(len(t) for t in tails)
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    tail_mask = torch.zeros((b, width), dtype=torch.long)
    for i, t in enumerate(tails):
        ids[i, width - len(t):] = torch.tensor(t, dtype=torch.long)
        tail_mask[i, width - len(t):] = 1
    mask = torch.cat([torch.ones((b, p), dtype=torch.long), tail_mask], dim=1)
    pos = (p + tail_mask.cumsum(-1) - 1).clamp(min=p)
    logits, cache = _forward(lm, kw, ids, mask, pos, cache)
    seq = torch.cat([torch.tensor([prompts[0][:p]] * b, dtype=torch.long).reshape(b, p), ids], dim=1)
    if expand:
        idx = torch.tensor(first, dtype=torch.long)
        cache.batch_select_indices(idx)
        logits, seq, mask, pos = logits[idx], seq[idx], mask[idx], pos[idx]
        b = len(full)
    prompt_len = seq.shape[1]
    last = pos[:, -1]
    active = list(range(b))
    out: list[list[int]] = [[] for _ in range(b)]
    while active:
        sub = [rows[i] for i in active]
        scores = JsonConstraint(sub, prompt_len)(seq, logits)
        scores = RowSampler(sub)(seq, scores)
        nxt = torch.argmax(scores, dim=-1)
        seq = torch.cat([seq, nxt[:, None]], dim=1)
        done = RowStopper(sub, prompt_len, eos, decode_text)(seq)
        for j, i in enumerate(active):
            out[i].append(int(nxt[j]))
        keep = [j for j in range(len(active)) if not bool(done[j])]
        if not keep:
            break
        if len(keep) < len(active):
            idx = torch.tensor(keep, dtype=torch.long)
            cache.batch_select_indices(idx)
            seq, mask, last, nxt = seq[idx], mask[idx], last[idx], nxt[idx]
            active = [active[j] for j in keep]
        mask = torch.cat([mask, torch.ones((len(active), 1), dtype=torch.long)], dim=1)
        last = last + 1
        logits, cache = _forward(lm, kw, nxt[:, None], mask, last[:, None], cache)
    return out, p
