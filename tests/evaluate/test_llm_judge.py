"""The claim-level llm judge: one request per claim in one round, P(supported) from logprobs, quotes checked.

The OpenAI-compatible path runs against the local fake server (tests/llm/fault_server.py), which returns token
logprobs in OpenAI's shape; the label fallback and the quote check also run with the scripted FakeLLM.
"""

import json

import pytest

from groundset.config import load_config
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges import load_judge
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.llm_verdict import CLAIM_SCHEMA, p_supported, parse_claim_verdict
from groundset.llm import load_llm
from groundset.llm.config import LLMConfig
from groundset.llm.fake import FakeLLM
from groundset.workdir import Workdir
from tests.evaluate.conftest import NORMANS
from tests.llm.fault_server import FaultServer

ITEM = JudgeInput(texts=["Rollo led the Normans. They swore fealty to King Charles III."], contexts=[NORMANS])


def verdict(v, quote="under their leader Rollo"):
    return json.dumps({"quote": quote, "verdict": v})


def claim_of(request):
    return request.messages[-1]["content"].split("STATEMENT:\n", 1)[1].split("\n", 1)[0]


def test_every_claim_of_a_batch_goes_out_in_one_round():
    calls = []
    llm = FakeLLM(default=lambda r: verdict("supported"))
    real = llm.chat
    llm.chat = lambda reqs: calls.append(len(reqs)) or real(reqs)
    judge = load_judge(EvaluateConfig(judge="llm"), llm=llm)
    other = JudgeInput(texts=["The Normans conquered England in 1066."], contexts=[NORMANS])
    verdicts = judge.score([ITEM, other])
    assert calls == [3]  # 2 + 1 claims, one chat call
    assert [claim_of(r) for r in llm.history] == ["Rollo led the Normans.", "They swore fealty to King Charles III.",
                                                  "The Normans conquered England in 1066."]
    r = llm.history[0]
    prompt = r.messages[-1]["content"]
    assert prompt.index("[1] The Normans were") < prompt.index("STATEMENT:")  # sources first: a shared prefix
    assert r.json_schema == CLAIM_SCHEMA and r.temperature == 0.0 and r.logprobs == 5
    assert len({q.group for q in llm.history[:2]}) == 1
    assert [c.support for v in verdicts for c in v.claims] == [1.0, 1.0, 1.0]


def test_without_logprobs_the_score_is_the_label():
    replies = {"Rollo led the Normans.": verdict("supported"),
               "They swore fealty to King Charles III.": verdict("partly", "swear fealty to King Charles III")}
    judge = load_judge(EvaluateConfig(judge="llm"), llm=FakeLLM(default=lambda r: replies[claim_of(r)]))
    v = judge.score([ITEM])[0]
    assert [c.support for c in v.claims] == [1.0, 0.0]
    assert [c.note for c in v.claims] == ["llm: supported (label)", "llm: partly (label)"]
    assert judge.describe()["claims_by_label"] == 2


@pytest.mark.parametrize("quote, support", [("under their leader  Rollo,\n agreed", 1.0),  # whitespace differs only
                                            ("Rollo was crowned king of Normandy", 0.0),  # invented
                                            ("", 0.0)])
def test_a_quote_that_is_not_in_the_sources_voids_supported(quote, support):
    judge = load_judge(EvaluateConfig(judge="llm", hard_checks=False), llm=FakeLLM(default=verdict("supported", quote)))
    v = judge.score([JudgeInput(texts=["Rollo led the Normans."], contexts=[NORMANS])])[0]
    assert v.claims[0].support == support
    if support == 0.0:
        assert "voided" in v.claims[0].note and judge.describe()["claims_quote_not_in_sources"] == 1


def logprob_tokens(p_sup):
    """The tokens of '{"quote": "...", "verdict": "supported"}' as a server returns them, the verdict's first token
    carrying the opening quotation mark and alternatives for the three labels."""
    import math

    def tokens(body, content):
        quote = json.loads(content)["quote"]
        rest = (1 - p_sup) / 2
        return [
            {"token": '{"quote": "', "logprob": 0.0, "top_logprobs": []},
            {"token": quote, "logprob": -0.01, "top_logprobs": []},
            {"token": '", "verdict":', "logprob": 0.0, "top_logprobs": []},
            {"token": ' "sup', "logprob": math.log(p_sup), "top_logprobs": [
                {"token": ' "sup', "logprob": math.log(p_sup)}, {"token": ' "un', "logprob": math.log(rest)},
                {"token": ' "part', "logprob": math.log(rest)}, {"token": " {", "logprob": -9.0}]},
            {"token": 'ported"}', "logprob": 0.0, "top_logprobs": []},
        ]

    return tokens


def served_judge(srv, tmp_path, **ev):
    llm = load_llm(LLMConfig(spec="openai:judge", base_url=srv.base_url, max_retries=0),
                   Workdir(tmp_path / "w").ensure(), stage="evaluate")
    return load_judge(EvaluateConfig(judge="llm", hard_checks=False, **ev), llm=llm)


def test_p_supported_is_read_from_the_servers_logprobs(tmp_path):
    with FaultServer(reply=lambda body: verdict("supported"), logprobs=logprob_tokens(0.8)) as srv:
        judge = served_judge(srv, tmp_path)
        v = judge.score([JudgeInput(texts=["Rollo led the Normans."], contexts=[NORMANS])])[0]
        body = srv.bodies[0]
    assert body["logprobs"] is True and body["top_logprobs"] == 5
    assert body["response_format"]["json_schema"]["schema"] == CLAIM_SCHEMA
    assert v.claims[0].support == pytest.approx(0.8, abs=1e-6)
    assert v.claims[0].note == "llm: supported, P(supported) 0.800"
    assert judge.describe()["claims_by_logprobs"] == 1


def test_invented_quote_voids_even_a_confident_supported(tmp_path):
    reply = lambda body: verdict("supported", "Rollo was crowned in Paris")  # noqa: E731
    with FaultServer(reply=reply, logprobs=logprob_tokens(0.97)) as srv:
        v = served_judge(srv, tmp_path).score([JudgeInput(texts=["Rollo led the Normans."], contexts=[NORMANS])])[0]
    assert v.claims[0].support == 0.0 and "quote not in the sources" in v.claims[0].note


@pytest.mark.parametrize("top, logprobs", [(0, None), (5, lambda body, content: [])])
def test_fallback_to_the_label_when_no_logprobs_come_back(tmp_path, top, logprobs):
    with FaultServer(reply=lambda body: verdict("unsupported", ""), logprobs=logprobs) as srv:
        judge = served_judge(srv, tmp_path, llm_top_logprobs=top)
        v = judge.score([JudgeInput(texts=["Rollo led the Normans."], contexts=[NORMANS])])[0]
        asked = "logprobs" in srv.bodies[0]
    assert asked == (top > 0)
    assert v.claims[0].support == 0.0 and v.claims[0].note == "llm: unsupported (label)"


def test_a_dedicated_judge_model_from_evaluate_llm(tmp_path):
    with FaultServer(reply=lambda body: verdict("supported")) as srv:
        config = load_config(None, {"llm.spec": "fake", "evaluate.judge": "llm", "evaluate.llm.spec": "openai:minicheck-7b",
                                    "evaluate.llm.base_url": srv.base_url})
        generator = FakeLLM()
        judge = load_judge(config.evaluate, llm=generator, llm_cfg=config.llm, workdir=Workdir(tmp_path / "w").ensure())
        v = judge.score([JudgeInput(texts=["Rollo led the Normans."], contexts=[NORMANS])])[0]
        models = {b["model"] for b in srv.bodies}
    assert judge.describe()["model"] == "openai:minicheck-7b" and models == {"minicheck-7b"}
    assert generator.history == [] and v.claims[0].support == 1.0


def test_polls_average_and_a_claim_no_poll_could_judge_is_an_error():
    llm = FakeLLM([verdict("supported"), verdict("unsupported"), verdict("supported"), "garbled"])
    judge = load_judge(EvaluateConfig(judge="llm", llm_polls=2), llm=llm)
    v = judge.score([ITEM])[0]
    assert [c.support for c in v.claims] == [0.5, 1.0]  # the garbled poll is left out
    assert len({r.seed for r in llm.history}) == 2 and all(r.temperature > 0 for r in llm.history)
    failing = load_judge(EvaluateConfig(judge="llm"), llm=FakeLLM(["not json", verdict("supported")]))
    v = failing.score([ITEM])[0]
    assert v.adherence is None and v.error.startswith("llm judge:")


def test_hard_checks_apply_to_the_llm_judge_too():
    judge = load_judge(EvaluateConfig(judge="llm"), llm=FakeLLM(default=verdict("supported")))
    v = judge.score([JudgeInput(texts=["About 45% of them came from Norway."], contexts=[NORMANS])])[0]
    assert v.claims[0].missing == ["45%"] and v.adherence <= judge.cfg.hard_fail_score


def test_verdict_parsing_and_logprob_reading():
    assert parse_claim_verdict({"quote": 3, "verdict": "Partially supported"}) == ("partly", "")
    assert parse_claim_verdict("Sure: {\"verdict\": \"no\", \"quote\": \"x\"}") == ("unsupported", "x")
    assert parse_claim_verdict({"verdict": "maybe"}).startswith("no supported / partly / unsupported verdict")
    assert parse_claim_verdict("{").startswith("no JSON object")
    assert parse_claim_verdict('{"verdict": }').startswith("invalid_json")
    # the verdict's token also holds '"': alternatives are matched after that prefix; non-labels are ignored
    lp = [{"token": '{"quote":"","verdict":"s', "logprob": -0.1, "top": {'{"quote":"","verdict":"s': -0.1}},
          {"token": 'upported"}', "logprob": 0.0, "top": {}}]
    assert p_supported(lp) == 1.0
    lp = [{"token": '{"verdict": "', "logprob": 0.0, "top": {}},
          {"token": "part", "logprob": -0.5, "top": {"part": -0.5, "un": -1.0, "maybe": -0.1}}]
    assert p_supported(lp) == 0.0  # only partly and unsupported were on offer
    assert p_supported([{"token": '{"quote": "x"}', "logprob": 0.0, "top": {}}]) is None
    assert p_supported(None) is None


def test_a_failed_request_is_the_samples_error_with_its_reason():
    judge = load_judge(EvaluateConfig(judge="llm"), llm=FakeLLM([TimeoutError("no answer within 120s"),
                                                                 verdict("supported")]))
    v = judge.score([ITEM])[0]
    assert v.adherence is None and "TimeoutError: no answer within 120s" in v.error
