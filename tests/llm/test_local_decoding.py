"""Per-row decoding hooks of the local backend, on toy tensors and a toy vocabulary (no model load)."""

from __future__ import annotations

import json

import torch
from lmformatenforcer import TokenEnforcerTokenizerData

from groundset.llm.local_decoding import JsonConstraint, RowSampler, RowState, RowStopper, make_enforcer

# a toy vocabulary: 0 = EOS, then characters and a few multi-character pieces
VOCAB = ["</s>", "{", "}", '"', ":", ",", " ", "a", "b", "x", "y", '{"', '":', '"}', "ab", "hello", "h", "e", "l", "o"]
EOS = 0


def _toy_tokenizer_data() -> TokenEnforcerTokenizerData:
    regular = [(i, s, False) for i, s in enumerate(VOCAB) if i != EOS]
    decode = lambda ids: "".join(VOCAB[i] for i in ids if i != EOS)  # noqa: E731
    return TokenEnforcerTokenizerData(regular, decode, EOS, True, len(VOCAB))


def test_sampler_greedy_seeded_and_top_p():
    scores = torch.tensor([[0.0, 2.0, 1.0, 1.9]] * 4)
    rows = [RowState(max_tokens=4), RowState(max_tokens=4, temperature=5.0, seed=11),
            RowState(max_tokens=4, temperature=5.0, seed=11), RowState(max_tokens=4, temperature=5.0, top_p=0.01)]
    picks = []
    for _ in range(10):
        out = RowSampler(rows)(torch.zeros(4, 1, dtype=torch.long), scores.clone())
        assert torch.isfinite(out).sum(dim=1).tolist() == [1, 1, 1, 1]  # exactly one token left per row
        picks.append(out.argmax(dim=1).tolist())
    assert all(p[0] == 1 for p in picks)  # temperature 0: argmax
    assert all(p[3] == 1 for p in picks)  # tiny top_p: only the top token survives
    rows_again = [RowState(max_tokens=4, temperature=5.0, seed=11)]
    replay = [RowSampler(rows_again)(torch.zeros(1, 1, dtype=torch.long), scores[:1].clone()).argmax().item()
              for _ in range(10)]
    assert [p[1] for p in picks] == [p[2] for p in picks] == replay  # same seed, same draws, whatever the batch


def test_stopper_eos_stop_string_and_length():
    rows = [RowState(max_tokens=5), RowState(max_tokens=5, stop=["y"]), RowState(max_tokens=2)]
    decode = lambda ids: "".join(VOCAB[i] for i in ids.tolist())  # noqa: E731
    stopper = RowStopper(rows, prompt_len=1, eos_ids={EOS}, decode=decode)
    ids = torch.tensor([[7, 8], [7, 9], [7, 8]])
    assert stopper(ids).tolist() == [False, False, False]
    ids = torch.tensor([[7, 8, EOS], [7, 9, 10], [7, 8, 8]])
    assert stopper(ids).tolist() == [True, True, True]
    assert [(r.finish_reason, r.generated) for r in rows] == [("stop", 2), ("stop", 2), ("length", 2)]


def test_json_constraint_only_allows_schema_valid_continuations():
    schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 10}}, "required": ["a"]}
    data = _toy_tokenizer_data()
    rows = [RowState(max_tokens=20, enforcer=make_enforcer(data, schema)), RowState(max_tokens=20)]
    constraint, sampler = JsonConstraint(rows, prompt_len=1), RowSampler(rows)
    ids = torch.tensor([[9], [9]])
    prefer = torch.zeros(len(VOCAB))
    prefer[VOCAB.index("hello")] = 5.0  # the model "wants" to ramble; only the second row may
    prefer[EOS] = 1.0
    for _ in range(12):
        scores = constraint(ids, prefer.repeat(2, 1).clone())
        nxt = sampler(ids, scores).argmax(dim=1)
        ids = torch.cat([ids, nxt[:, None]], dim=1)
        if nxt[0].item() == EOS:
            rows[0].done = True
    row0 = ids[0, 1:].tolist()
    text = "".join(VOCAB[i] for i in row0[: row0.index(EOS)])  # EOS came once the object was complete
    assert json.loads(text) == {"a": "hellohello"}  # the string had to close at maxLength
    assert set(ids[1, 1:].tolist()) == {VOCAB.index("hello")}
