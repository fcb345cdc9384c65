"""The local decoding loop on a tiny random Llama built in the test: shared-prefix reuse and row dropping must not
change what any row generates (compared with each prompt decoded alone, no padding, no cache sharing)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from groundset.llm.local_decoding import RowState  # noqa: E402
from groundset.llm.local_loop import common_prefix, decode  # noqa: E402


@pytest.fixture(scope="module")
def lm():
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    model = transformers.LlamaForCausalLM(cfg).eval()
    return model


def alone(lm, prompt, steps):
    """Greedy decoding of one prompt with plain full forwards (the reference)."""
    ids = list(prompt)
    out = []
    with torch.inference_mode():
        for _ in range(steps):
            logits = lm(input_ids=torch.tensor([ids])).logits[0, -1]
            t = int(torch.argmax(logits))
            out.append(t)
            ids.append(t)
    return out


PREFIX = list(range(3, 23))  # 20 shared tokens
PROMPTS = [PREFIX + [30, 31, 32], PREFIX + [40], PREFIX + [50, 51, 52, 53, 54, 55]]


def test_common_prefix_leaves_each_row_a_token():
    assert common_prefix(PROMPTS) == 20
    assert common_prefix([[1, 2], [1, 2]]) == 1
    assert common_prefix([[1], [2]]) == 0


@pytest.mark.parametrize("min_prefix", [16, 10**6])  # prefix reused / not reused
def test_every_row_matches_its_prompt_decoded_alone(lm, min_prefix):
    limits = [6, 2, 9]  # different max_tokens: rows leave the batch at different steps
    rows = [RowState(max_tokens=n) for n in limits]
    with torch.inference_mode():
        got, shared = decode(lm, PROMPTS, rows, eos=set(), pad_id=0, decode_text=lambda ids: "",
                             min_prefix=min_prefix)
    assert shared == (20 if min_prefix == 16 else 0)
    for prompt, n, out, row in zip(PROMPTS, limits, got, rows):
        assert out == alone(lm, prompt, n)
        assert row.finish_reason == "length" and row.generated == n


def test_eos_stops_a_row_and_the_others_go_on(lm):
    first = alone(lm, PROMPTS[0], 1)[0]
    rows = [RowState(max_tokens=5), RowState(max_tokens=5), RowState(max_tokens=5)]
    with torch.inference_mode():
        got, _ = decode(lm, PROMPTS, rows, eos={first}, pad_id=0, decode_text=lambda ids: "")
    assert got[0] == [first] and rows[0].finish_reason == "stop"
    for prompt, out in zip(PROMPTS[1:], got[1:]):
        ref = alone(lm, prompt, 5)
        cut = ref.index(first) + 1 if first in ref else 5
        assert out == ref[:cut]


@pytest.mark.parametrize("min_prefix", [16, 10**6])
def test_identical_prompts_are_prefilled_once_and_each_row_samples_on_its_own(lm, min_prefix):
    # candidates of one request: the same prompt three times beside another; greedy rows match decoding alone,
    # sampled rows with their own seeds follow their own generator
    prompts = [PROMPTS[0], PROMPTS[0], PROMPTS[1], PROMPTS[0]]
    rows = [RowState(max_tokens=4), RowState(max_tokens=7), RowState(max_tokens=3), RowState(max_tokens=5)]
    calls = []
    hook = lm.register_forward_pre_hook(lambda mod, args, kwargs: calls.append(kwargs["input_ids"].shape),
                                        with_kwargs=True)
    try:
        with torch.inference_mode():
            got, _ = decode(lm, prompts, rows, eos=set(), pad_id=0, decode_text=lambda ids: "", min_prefix=min_prefix)
    finally:
        hook.remove()
    prefill = [shape for shape in calls if shape[1] > 1]
    assert max(shape[0] for shape in prefill) == 2  # two distinct prompts went through the model, not four
    for prompt, row, out in zip(prompts, rows, got):
        assert out == alone(lm, prompt, row.max_tokens)
    sampled = [RowState(max_tokens=6, temperature=1.5, seed=s) for s in (1, 2, 1)]
    with torch.inference_mode():
        got, _ = decode(lm, [PROMPTS[2]] * 3, sampled, eos=set(), pad_id=0, decode_text=lambda ids: "")
    assert got[0] == got[2] != got[1]  # same seed, same tokens; another seed, another sample
