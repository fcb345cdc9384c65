"""The wrapper every backend gets: cache, structured output with one repair, usage accounting."""

from __future__ import annotations

import json

import pytest

from groundset.errors import BackendError
from groundset.llm import ChatRequest, FakeLLM, estimate_tokens, load_llm, wrap
from groundset.llm.config import LLMConfig
from groundset.llm.usage import load_usage
from groundset.workdir import Workdir

SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
    "additionalProperties": False,
}
GOOD = '{"question": "Where is the tower?", "answer": "Paris."}'


def _req(text: str = "go", **kw) -> ChatRequest:
    kw.setdefault("json_schema", SCHEMA)
    return ChatRequest(messages=[{"role": "user", "content": text}], **kw)


def test_second_identical_batch_makes_zero_backend_calls(tmp_path):
    wd = Workdir(tmp_path)
    fake = FakeLLM(default=lambda r: GOOD)
    reqs = [_req(f"chunk {i}", seed=i) for i in range(5)]
    first = wrap(fake, LLMConfig(spec="fake"), wd).chat(reqs)
    assert len(fake.history) == 5
    llm = wrap(fake, LLMConfig(spec="fake"), wd)  # a fresh wrapper, as in a resumed run
    again = llm.chat(reqs)
    assert len(fake.history) == 5
    assert all(r.cached and r.ok for r in again)
    assert [r.parsed for r in again] == [r.parsed for r in first]
    assert llm.usage.cache_hits == 5 and llm.usage.calls == 0


def test_cache_key_covers_parameters_and_duplicates_get_their_own_entry(tmp_path):
    wd = Workdir(tmp_path)
    answers = iter(f'{{"question": "q{i}", "answer": "a"}}' for i in range(100))
    fake = FakeLLM(default=lambda r: next(answers))
    llm = wrap(fake, LLMConfig(spec="fake"), wd)
    base = _req(seed=1)
    variants = [base, _req(seed=2), _req(seed=1, temperature=0.1), _req(seed=1, max_tokens=9), _req(seed=1, stop=["x"])]
    llm.chat(variants)
    assert len(fake.history) == 5
    pair = llm.chat([base, base])  # the second copy is a new entry; the first is cached
    assert len(fake.history) == 6 and pair[0].cached and not pair[1].cached
    assert pair[0].parsed != pair[1].parsed
    assert [r.parsed for r in llm.chat([base, base])] == [r.parsed for r in pair]
    assert len(fake.history) == 6


def test_failures_are_not_cached(tmp_path):
    fake = FakeLLM([RuntimeError("boom"), GOOD])
    llm = wrap(fake, LLMConfig(spec="fake"), Workdir(tmp_path))
    assert not llm.chat([_req()])[0].ok
    assert llm.chat([_req()])[0].ok
    assert len(fake.history) == 2


def test_cache_off_without_workdir_or_when_disabled(tmp_path):
    fake = FakeLLM(default=lambda r: GOOD)
    wrap(fake, LLMConfig(spec="fake")).chat([_req()])
    wrap(fake, LLMConfig(spec="fake")).chat([_req()])
    llm = wrap(fake, LLMConfig(spec="fake", cache=False), Workdir(tmp_path))
    llm.chat([_req()])
    llm.chat([_req()])
    assert len(fake.history) == 4 and not (tmp_path / "llm-cache.sqlite").exists()


def test_bad_json_then_good_json_succeeds_after_one_repair():
    fake = FakeLLM(["Sure! Here it is: {question: Where?}", "```json\n" + GOOD + "\n```"])
    llm = wrap(fake, LLMConfig(spec="fake"))
    res = llm.chat([_req("Write a QA pair")])[0]
    assert res.ok and res.parsed["answer"] == "Paris."
    assert res.meta["repaired"] and res.meta["first_error"].startswith("invalid_json")
    repair = fake.history[1]
    assert repair.messages[-2] == {"role": "assistant", "content": "Sure! Here it is: {question: Where?}"}
    assert "invalid_json" in repair.messages[-1]["content"] and '"question"' in repair.messages[-1]["content"]
    assert llm.usage.repairs == 1 and llm.usage.repaired == 1 and llm.usage.calls == 2


def test_only_one_repair_then_a_failed_result_with_raw_text_and_reason():
    fake = FakeLLM(['{"question": "Q?"}', '{"question": "Q?", "answer": 3}', GOOD])
    llm = wrap(fake, LLMConfig(spec="fake"))
    res = llm.chat([_req()])[0]
    assert not res.ok and res.error.startswith("schema_mismatch") and res.text == '{"question": "Q?", "answer": 3}'
    assert res.meta["first_text"] == '{"question": "Q?"}'
    assert len(fake.history) == 2
    assert llm.usage.failures == {"schema_mismatch": 1}


def test_truncated_reply_is_reported_as_truncated():
    class Truncating(FakeLLM):
        def chat(self, requests):
            out = super().chat(requests)
            for r in out:
                r.finish_reason = "length"
            return out

    llm = wrap(Truncating(['{"question": "Q', '{"question": "Q?", "ans']), LLMConfig(spec="fake"))
    res = llm.chat([_req()])[0]
    assert res.error.startswith("truncated") and "briefly" in llm.backend.history[1].messages[-1]["content"]


def test_nothing_raises_out_of_a_batch_but_backend_errors_do():
    class Broken:
        name = "broken"

        def chat(self, requests):
            raise RuntimeError("CUDA exploded")

    results = wrap(Broken(), LLMConfig(spec="fake")).chat([_req(), _req("b")])
    assert [r.error.split(":")[0] for r in results] == ["backend_error", "backend_error"]

    class Unusable:
        name = "unusable"

        def chat(self, requests):
            raise BackendError("cannot load the model: use [llm] spec = 'local'")

    with pytest.raises(BackendError):
        wrap(Unusable(), LLMConfig(spec="fake")).chat([_req()])


def test_mixed_batch_keeps_order_and_plain_text_needs_no_json():
    fake = FakeLLM(["plain answer", "garbage", GOOD, GOOD])
    res = wrap(fake, LLMConfig(spec="fake")).chat([_req(json_schema=None), _req("second"), _req("third")])
    assert res[0].ok and res[0].text == "plain answer" and res[0].parsed is None
    assert res[1].ok and res[1].meta["repaired"]  # the repair took the 4th reply
    assert res[2].ok and not res[2].meta["repaired"]


def test_usage_is_accounted_per_stage_and_accumulates_in_the_workdir(tmp_path):
    wd = Workdir(tmp_path)
    cfg = LLMConfig(spec="fake", price_prompt_per_m=1.0, price_completion_per_m=2.0)
    llm = wrap(FakeLLM(["bad", GOOD, GOOD]), cfg, wd, stage="generate")
    llm.chat([_req("a b c"), _req("d e f")])
    llm.chat([_req("a b c")])  # cache hit
    judge = wrap(FakeLLM([RuntimeError("nope")]), cfg, wd, stage="evaluate")
    judge.chat([_req("judge this")])
    usage = load_usage(wd.usage)
    gen, ev = usage["generate"], usage["evaluate"]
    assert (gen.requests, gen.calls, gen.cache_hits, gen.repairs, gen.repaired) == (3, 3, 1, 1, 1)
    assert gen.prompt_tokens > 0 and gen.completion_tokens > 0
    assert gen.cost == pytest.approx((gen.prompt_tokens * 1.0 + gen.completion_tokens * 2.0) / 1e6)
    assert ev.failures == {"RuntimeError": 1} and gen.failures == {}
    wrap(FakeLLM([GOOD]), cfg, wd, stage="generate").chat([_req("new")])
    assert load_usage(wd.usage)["generate"].requests == 4  # a later run adds to the stage
    assert json.loads(wd.usage.read_text())["generate"]["model"] == "fake"


def test_load_llm_fake_gives_schema_valid_replies(tmp_path):
    llm = load_llm(LLMConfig(spec="fake"), Workdir(tmp_path), stage="generate")
    res = llm.chat([_req(), _req(json_schema=None)])
    assert set(res[0].parsed) == {"question", "answer"} and res[1].ok


def test_estimate_tokens_needs_no_model():
    reqs = [_req("x" * 400, max_tokens=100), _req("y" * 40, max_tokens=50, json_schema=None)]
    prompt, completion = estimate_tokens(reqs)
    assert completion == 150
    assert 110 < prompt < 200


def test_results_are_reported_as_they_arrive_and_a_callers_error_is_not_a_backend_error(tmp_path):
    from groundset.llm.cache import ResponseCache

    wd = Workdir(tmp_path)
    llm = wrap(FakeLLM(default=lambda r: GOOD), LLMConfig(spec="fake"), wd)
    seen = []

    def on_result(i, res):
        seen.append((i, len(ResponseCache(wd.llm_cache))))  # the reply is in the cache before the caller hears of it
        if i == 1:
            raise KeyError("a bug in the caller")

    with pytest.raises(KeyError, match="a bug in the caller"):
        llm.chat([_req("a"), _req("b"), _req("c")], on_result=on_result)
    assert seen == [(0, 1), (1, 2)]
    assert len(ResponseCache(wd.llm_cache)) == 3 and llm.usage.failures == {}  # the other replies are journalled


def test_replies_that_arrived_before_a_backend_crash_are_kept(tmp_path):
    from groundset.llm.base import ChatResult

    class Streaming:
        name = "streaming"

        def chat(self, requests, on_result=None):
            on_result(0, ChatResult(text=GOOD, finish_reason="stop", prompt_tokens=3, completion_tokens=2))
            raise RuntimeError("connection pool exploded")

    wd = Workdir(tmp_path)
    llm = wrap(Streaming(), LLMConfig(spec="fake"), wd)
    first, second = llm.chat([_req("a"), _req("b")])
    assert first.ok and first.parsed["answer"] == "Paris."
    assert second.reason == "backend_error" and "exploded" in second.error
    assert llm.usage.calls == 2 and llm.usage.prompt_tokens == 3 and llm.usage.failures == {"backend_error": 1}
    again = wrap(FakeLLM(name="streaming"), LLMConfig(spec="fake"), wd).chat([_req("a")])[0]
    assert again.cached and again.ok  # it was journalled in the cache as it arrived
