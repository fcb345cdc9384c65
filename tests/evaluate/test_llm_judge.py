import json

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges import load_judge
from groundset.evaluate.judges.base import JudgeInput
from groundset.llm.fake import FakeLLM
from tests.evaluate.conftest import NORMANS


def verdicts(*supported):
    return json.dumps({"verdicts": [{"id": i, "reasoning": "checked", "supported": s}
                                    for i, s in enumerate(supported, 1)]})


ITEM = JudgeInput(texts=["Rollo led the Normans. They swore fealty to King Charles III."], contexts=[NORMANS])


def test_claims_are_verified_one_by_one_in_one_request():
    llm = FakeLLM([verdicts(True, False)])
    judge = load_judge(EvaluateConfig(judge="llm"), llm=llm)
    v = judge.score([ITEM])[0]
    assert [c.support for c in v.claims] == [1.0, 0.0]
    assert v.unsupported(judge.threshold) == ["They swore fealty to King Charles III."]
    prompt = llm.history[0].messages[-1]["content"]
    assert "1. Rollo led the Normans." in prompt and "[1] The Normans were" in prompt
    assert llm.history[0].json_schema is not None and llm.history[0].temperature == 0.0


def test_chainpoll_averages_polls_and_skips_a_failed_one():
    llm = FakeLLM([verdicts(True, True), "not json at all", verdicts(True, False)])
    judge = load_judge(EvaluateConfig(judge="llm", llm_polls=3), llm=llm)
    v = judge.score([ITEM])[0]
    assert [c.support for c in v.claims] == [1.0, 0.5]
    assert len({r.seed for r in llm.history}) == 3 and all(r.temperature > 0 for r in llm.history)


def test_every_poll_failing_is_an_error_not_a_crash():
    judge = load_judge(EvaluateConfig(judge="llm"), llm=FakeLLM([json.dumps({"verdicts": []})]))
    v = judge.score([ITEM])[0]
    assert v.adherence is None and "0 verdicts for 2 statements" in v.error


def test_hard_checks_apply_to_the_llm_judge_too():
    llm = FakeLLM([verdicts(True)])
    judge = load_judge(EvaluateConfig(judge="llm"), llm=llm)
    v = judge.score([JudgeInput(texts=["About 45% of them came from Norway."], contexts=[NORMANS])])[0]
    assert v.claims[0].missing == ["45%"] and v.adherence <= judge.cfg.hard_fail_score
