"""The local backend with the real bundled SmolLM2-135M (loaded once per session; few tokens per request)."""

from __future__ import annotations

import pytest

from groundset.errors import BackendError
from groundset.llm import ChatRequest, load_llm, wrap
from groundset.llm.config import LLMConfig
from groundset.llm.local import LocalLLM, default_model_file, load_local_model

pytestmark = pytest.mark.slow

FLAT = {
    "type": "object",
    "properties": {"question": {"type": "string", "maxLength": 60}, "answer": {"type": "string", "maxLength": 30}},
    "required": ["question", "answer"],
    "additionalProperties": False,
}
TEXT = "The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall."


@pytest.fixture(scope="session")
def local() -> LocalLLM:
    llm = LocalLLM(LLMConfig(local={"batch_size": 4}))
    llm._ensure()
    return llm


def _req(content: str, **kw) -> ChatRequest:
    kw.setdefault("max_tokens", 8)
    kw.setdefault("temperature", 0.0)
    return ChatRequest(messages=[{"role": "user", "content": content}], **kw)


def test_bundled_model_is_found_without_importing_its_package():
    path = default_model_file()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_real_generation_in_caller_order_with_per_row_limits(local):
    reqs = [
        _req("Say hello.", max_tokens=6),
        _req(f"Text: {TEXT}\nHow tall is the Eiffel Tower? Answer briefly.", max_tokens=10),
        _req("Count: one, two, three,", max_tokens=3),
    ]
    results = local.chat(reqs)
    assert all(r.ok and r.text for r in results)
    assert [r.completion_tokens <= q.max_tokens for r, q in zip(results, reqs)] == [True, True, True]
    assert results[2].finish_reason == "length" and results[2].completion_tokens == 3
    assert results[1].prompt_tokens > results[0].prompt_tokens  # prompt counts are per row, padding excluded
    alone = local.chat([reqs[1]])[0]
    assert alone.text == results[1].text  # greedy output does not depend on the batch it was in


def test_same_seed_same_output_and_seeds_differ(local):
    sampled = [_req("Write a short poem about the sea.", temperature=1.0, max_tokens=8, seed=s) for s in (1, 1, 2, 3)]
    first = local.chat(sampled)
    again = local.chat(sampled[:1])
    assert first[0].text == first[1].text == again[0].text
    assert len({r.text for r in first[1:]}) > 1


def test_stop_strings_cut_the_reply(local):
    res = local.chat([_req("List three fruits, one per line.", max_tokens=24, stop=["\n"])])[0]
    assert "\n" not in res.text and res.finish_reason in ("stop", "length")


def test_constrained_decoding_returns_schema_valid_json(local):
    llm = wrap(local, LLMConfig())
    req = _req(f"Text: {TEXT}\nWrite one question about the text and its answer as JSON.", max_tokens=64,
               json_schema=FLAT)
    res = llm.chat([req])[0]
    assert res.ok, (res.error, res.text)
    assert set(res.parsed) == {"question", "answer"} and res.meta["constrained"] and not res.meta["repaired"]


def test_model_loaded_once_and_overlong_prompt_fails_alone(local):
    other = LocalLLM(LLMConfig())
    other._ensure()
    assert other._lm is local._lm is load_local_model("")[1]
    too_long = _req("word " * (local.context_length() + 10))
    res = local.chat([too_long, _req("Hi", max_tokens=2)])
    assert res[0].error.startswith("prompt_too_long") and res[1].ok


def test_unloadable_model_is_a_backend_error(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf")
    with pytest.raises(BackendError, match="cannot load local model"):
        load_llm(LLMConfig(spec=f"local:{bad}")).chat([_req("hi")])


def test_a_forced_opening_is_continued_under_the_json_constraint(local):
    # the reply must begin with the prefix; the JSON constraint walks the prefix first, so the reply is still valid
    llm = wrap(local, LLMConfig())
    schema = {"type": "object", "properties": {"question": {"type": "string", "maxLength": 80}},
              "required": ["question"], "additionalProperties": False}
    prefix = '{"question": "When was the Eiffel Tower'
    res = llm.chat([_req(f"Text: {TEXT}\nWrite one question the text answers, as JSON.", max_tokens=24,
                         json_schema=schema, prefix=prefix)])[0]
    assert res.ok, (res.error, res.text)
    assert res.text.startswith(prefix) and res.parsed["question"].startswith("When was the Eiffel Tower")
    assert res.meta["constrained"] and not res.meta.get("constraint_failed")
    plain = local.chat([_req("Say hello.", max_tokens=4, prefix="Hello")])[0]
    assert plain.text.startswith("Hello") and plain.prompt_tokens > 0
