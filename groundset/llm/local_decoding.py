"""Per-row decoding for the local backend: sampling, stopping and JSON-schema constraints inside one padded batch.

transformers' ``generate`` takes one set of sampling parameters for a whole batch and one global random state.
These hooks make every row independent, so requests with different temperatures, token limits, stop strings,
seeds and schemas can share a batch, and a request's output does not depend on which other requests it was batched
with (up to float rounding of padded matmuls):

- ``RowStopper`` (a ``StoppingCriteria``): ends a row at EOS, at one of its stop strings or at its ``max_tokens``,
  and records the finish reason (``stop`` | ``length``).
- ``JsonConstraint`` (a ``LogitsProcessor``): masks every token that would break the row's JSON schema, using
  lm-format-enforcer's character-level ``JsonSchemaParser`` walked over the tokenizer's prefix tree.
- ``RowSampler`` (a ``LogitsProcessor``, last): samples each row with its own temperature, top_p and
  ``torch.Generator`` seeded from the request (temperature 0 → argmax) and leaves only the chosen token, so the
  batch is run with ``do_sample=False``.

Only the local backend imports this module (it needs torch, transformers and lm-format-enforcer).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from transformers import LogitsProcessor, StoppingCriteria

__all__ = ["RowState", "RowStopper", "RowSampler", "JsonConstraint", "enforcer_tokenizer_data", "make_enforcer"]

logging.getLogger("lmformatenforcer").setLevel(logging.CRITICAL)


@dataclass
class RowState:
    """What one row of the batch asks for, and how it ended."""

    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    enforcer: Any = None  # lmformatenforcer.TokenEnforcer or None
    constraint_failed: bool = False  # the enforcer gave up mid-way; the rest was decoded unconstrained
    done: bool = False
    finish_reason: str | None = None
    generated: int = 0  # tokens produced, EOS included
    generator: torch.Generator | None = None
    forced: int = 0  # the prompt's last tokens are a forced opening of the reply: the enforcer walks them first

    def __post_init__(self) -> None:
        if self.seed is not None:
            self.generator = torch.Generator().manual_seed(int(self.seed) & 0xFFFF_FFFF_FFFF)


class RowStopper(StoppingCriteria):
    """Ends each row at EOS, a stop string or its own token limit. ``prompt_len``: padded prompt length."""

    def __init__(self, rows: list[RowState], prompt_len: int, eos_ids: set[int], decode):
        self.rows, self.prompt_len, self.eos_ids, self.decode = rows, prompt_len, eos_ids, decode

    def __call__(self, input_ids: torch.LongTensor, scores=None, **kwargs) -> torch.BoolTensor:
        n_new = input_ids.shape[1] - self.prompt_len
        out = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for i, row in enumerate(self.rows):
            if row.done:
                out[i] = True
                continue
            row.generated = n_new
            last = int(input_ids[i, -1])
            if last in self.eos_ids:
                row.done, row.finish_reason = True, "stop"
            elif row.stop and any(s in self.decode(input_ids[i, self.prompt_len :]) for s in row.stop):
                row.done, row.finish_reason = True, "stop"
            elif n_new >= row.max_tokens:
                row.done, row.finish_reason = True, "length"
            out[i] = row.done
        return out


class RowSampler(LogitsProcessor):
    """Chooses each row's next token with the row's own sampling parameters; returns scores where only it is finite."""

    def __init__(self, rows: list[RowState]):
        self.rows = rows

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        chosen = torch.argmax(scores, dim=-1)
        idx = [i for i, row in enumerate(self.rows) if not row.done and row.temperature > 0]
        if idx:
            temps = torch.tensor([self.rows[i].temperature for i in idx], dtype=scores.dtype)
            top_p = torch.tensor([self.rows[i].top_p for i in idx], dtype=scores.dtype)
            probs = torch.softmax(scores[idx] / temps[:, None], dim=-1)
            if bool((top_p < 1.0).any()):
                sorted_p, order = torch.sort(probs, dim=-1, descending=True)
                keep = (torch.cumsum(sorted_p, dim=-1) - sorted_p) < top_p[:, None]  # always keeps the top token
                probs = torch.zeros_like(probs).scatter_(1, order, sorted_p * keep)
            for j, i in enumerate(idx):
                chosen[i] = torch.multinomial(probs[j], 1, generator=self.rows[i].generator)[0]
        out = torch.full_like(scores, float("-inf"))
        out.scatter_(1, chosen[:, None], 0.0)
        return out


class JsonConstraint(LogitsProcessor):
    """Masks tokens that cannot continue a valid JSON document for rows that carry an enforcer."""

    def __init__(self, rows: list[RowState], prompt_len: int):
        self.rows, self.prompt_len = rows, prompt_len

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        vocab = scores.shape[-1]
        for i, row in enumerate(self.rows):
            if row.enforcer is None or row.done:
                continue
            try:
                ids = input_ids[i].tolist()
                while row.forced:  # the opening was written by the caller: the parser reads it token by token
                    row.enforcer.get_allowed_tokens(ids[: len(ids) - row.forced])
                    row.forced -= 1
                allowed = row.enforcer.get_allowed_tokens(ids).allowed_tokens
            except Exception:  # noqa: BLE001 - a schema feature lm-format-enforcer cannot follow: go on unconstrained
                row.enforcer, row.constraint_failed = None, True
                continue
            if isinstance(allowed, torch.Tensor):
                mask = _bitmask_to_bool(allowed, vocab)
            else:
                mask = _list_to_bool(allowed, vocab)
            if not bool(mask.any()):
                continue  # the parser gave up (its own bug); leave the row free rather than produce NaNs
            scores[i] = scores[i].masked_fill(~mask, float("-inf"))
        return scores


def _bitmask_to_bool(bitmask: torch.Tensor, vocab: int) -> torch.Tensor:
    """lm-format-enforcer's int32 bitmask (bit k of word i = token 32*i+k) → bool mask over the vocabulary.
    numpy's unpackbits: ~100x faster than the same in torch ops on a busy 2-core machine."""
    bits = np.unpackbits(bitmask.numpy().view(np.uint8), bitorder="little")[:vocab]
    if bits.shape[0] < vocab:
        bits = np.concatenate([bits, np.zeros(vocab - bits.shape[0], dtype=np.uint8)])
    return torch.from_numpy(bits.astype(bool))


def _list_to_bool(tokens: list[int], vocab: int) -> torch.Tensor:
    mask = np.zeros(vocab, dtype=bool)
    if tokens:
        idx = np.fromiter(tokens, dtype=np.int64, count=len(tokens))
        mask[idx[idx < vocab]] = True
    return torch.from_numpy(mask)


_TOKENIZER_DATA: dict[int, tuple[Any, Any]] = {}


def enforcer_tokenizer_data(tokenizer, vocab_size: int):
    """lm-format-enforcer's per-tokenizer tables, built once per tokenizer and process (≈49k decodes for SmolLM2,
    2–3 s). ``vocab_size``: the model's output size (may exceed the tokenizer's length)."""
    cached = _TOKENIZER_DATA.get(id(tokenizer))
    if cached is not None and cached[0] is tokenizer:
        return cached[1]
    from lmformatenforcer import TokenEnforcerTokenizerData

    special = set(tokenizer.all_special_ids)
    token_0 = tokenizer.encode("0", add_special_tokens=False)[-1]
    regular = []
    for idx in range(min(len(tokenizer), vocab_size)):
        if idx in special:
            continue
        # decoding after "0" keeps a leading space that marks a word-start token (same trick as lm-format-enforcer)
        after_0 = tokenizer.decode([token_0, idx])[1:]
        alone = tokenizer.decode([idx])
        regular.append((idx, after_0, len(after_0) > len(alone)))

    def decode(tokens: list[int]) -> str:
        return tokenizer.decode(tokens).rstrip("\ufffd")

    # list mode: with bitmasks, every new string-length state (maxLength) costs a ~49k-step Python loop in the library
    data = TokenEnforcerTokenizerData(regular, decode, tokenizer.eos_token_id, False, vocab_size)
    _TOKENIZER_DATA[id(tokenizer)] = (tokenizer, data)
    return data


def make_enforcer(tokenizer_data, schema: dict[str, Any]):
    """A fresh TokenEnforcer for one request following ``schema`` (any JSON schema lm-format-enforcer supports)."""
    from lmformatenforcer import JsonSchemaParser, TokenEnforcer

    enforcer = TokenEnforcer(tokenizer_data, JsonSchemaParser(schema))
    config = enforcer.root_parser.config  # a fresh config per enforcer (TokenEnforcer sets it)
    config.force_json_field_order = True  # fields in the order of "required": question before answer
    config.max_consecutive_whitespaces = 4  # small models otherwise pad JSON with runs of newlines
    return enforcer
