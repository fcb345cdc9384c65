"""The dpo generation mode: an ungrounded answer for every kept question, kept only when the gate confirms it."""

import json
import re

import pytest

from groundset.config import load_config
from groundset.evaluate.judges import Verdict
from groundset.evaluate.judges.base import ClaimScore
from groundset.export.runner import export, export_rows
from groundset.generate.dpo_pairs import changed_fact_request, closed_book_request, pairs_path, read_pairs
from groundset.llm.fake import FakeLLM
from tests.export.fixtures import filled_workdir, qa


class WordJudge:
    """A stand-in gate: the share of the answer's words found in the contexts (the real judges are tested elsewhere)."""

    name = "words"
    threshold = 0.6

    def __init__(self):
        self.inputs = []

    def score(self, inputs):
        self.inputs += inputs
        out = []
        for i in inputs:
            words = re.findall(r"\w+", i.texts[0].lower())
            ctx = set(re.findall(r"\w+", " ".join(i.contexts).lower()))
            support = sum(w in ctx for w in words) / len(words)
            out.append(Verdict(adherence=support, claims=[ClaimScore(text=i.texts[0], support=support)]))
        return out


def reply(closed_book: str, changed: str = '{"answer": "Item 1 was made in 1999 in Peru."}'):
    def answer(request):
        return closed_book if "own knowledge" in request.messages[0]["content"] else changed
    return answer


def _cfg(tmp_path, **extra):
    return load_config(None, {"export.schema": "dpo", "export.format": "jsonl", "export.out": str(tmp_path / "o"),
                              **extra})


@pytest.fixture
def wd(tmp_path):
    return filled_workdir(tmp_path / "w", [qa(i, f"d{i % 4}") for i in range(8)])


def test_every_question_gets_a_pair_confirmed_by_the_gate(wd, tmp_path):
    llm = FakeLLM(default=reply('{"answer": "It was invented in 1850 by Napoleon."}'))
    judge = WordJudge()
    result = export(_cfg(tmp_path), wd, llm=llm, judge=judge)
    assert result.rows == 8 and not result.skipped
    rows = [json.loads(line) for f in (result.out / "data").glob("*.jsonl") for line in f.read_text().splitlines()]
    row = next(r for r in rows if r["id"] == "qa-d1-1")
    assert row["chosen"] == [{"role": "assistant", "content": "Item 1 of d1 is a thing."}]
    assert row["rejected"] == [{"role": "assistant", "content": "It was invented in 1850 by Napoleon."}]
    assert row["rejected_method"] == "closed_book" and row["rejected_judge"] == "words"
    assert row["rejected_adherence"] < 0.6 and row["rejected_unsupported"] == ["It was invented in 1850 by Napoleon."]
    assert row["rejected_model"] == "fake" and row["rejected_id"] == "qa-d1-1:closed_book"
    # the gate saw the chosen sample's own grounding chunks, and the closed-book request no source at all
    assert judge.inputs[0].contexts == ["Text of chunk 0 of d0."]
    assert all("Text of chunk" not in m["content"] for r in llm.history for m in r.messages)


def test_a_supported_closed_book_answer_falls_back_to_one_changed_fact(wd, tmp_path):
    llm = FakeLLM(default=reply('{"answer": "Text of chunk 1 of d1."}'))  # the model knew it: supported
    built = export_rows(_cfg(tmp_path), wd, llm=llm, judge=WordJudge())
    assert {r["rejected_method"] for r in built.rows} == {"changed_fact"}
    rec = next(iter(read_pairs(wd).values()))
    assert [t["method"] for t in rec.tried] == ["closed_book", "changed_fact"]


def test_no_pair_when_every_ungrounded_answer_is_supported(wd, tmp_path):
    supported = '{"answer": "Text of chunk of."}'  # every word is in every context
    llm = FakeLLM(default=reply(supported, supported))
    with pytest.raises(Exception, match="ungrounded_answer_supported 8"):
        export(_cfg(tmp_path), wd, llm=llm, judge=WordJudge())
    assert all(r.status == "no_pair" and len(r.tried) == 2 for r in read_pairs(wd).values())


def test_llm_failures_are_counted_not_paired(wd, tmp_path):
    cfg = _cfg(tmp_path)
    wd2 = filled_workdir(tmp_path / "w2", [qa(1, "d1"), qa(2, "d2")])
    llm = FakeLLM(default=RuntimeError("down"))
    with pytest.raises(Exception, match="no_ungrounded_answer 2"):
        export(cfg, wd2, llm=llm, judge=WordJudge())
    assert {t["error"] for r in read_pairs(wd2).values() for t in r.tried} == {"RuntimeError"}


def test_resumed_export_asks_nothing_again(wd, tmp_path):
    first = FakeLLM(default=reply('{"answer": "It was invented in 1850 by Napoleon."}'))
    a = export_rows(_cfg(tmp_path), wd, llm=first, judge=WordJudge())
    again = FakeLLM()
    b = export_rows(_cfg(tmp_path), wd, llm=again, judge=WordJudge())
    assert again.history == [] and a.rows == b.rows
    assert len(pairs_path(wd).read_text().splitlines()) == 8


def test_gate_mode_calls_no_llm(wd, tmp_path):
    with pytest.raises(Exception, match="no_rejected_answer 8"):
        export(_cfg(tmp_path, **{"export.dpo_pairs": "gate"}), wd, llm=FakeLLM(), judge=WordJudge())
    assert not pairs_path(wd).exists()


def test_requests_quote_model_text_inside_tags():
    s = qa(1, "d1", question="What </question> is <document> X?")
    cb = closed_book_request(s).messages[-1]["content"]
    assert cb.startswith("<question>\n") and cb.endswith("\n</question>") and cb.count("</question>") == 1
    cf = changed_fact_request(s).messages[-1]["content"]
    assert '<document id="answer">\nItem 1 of d1 is a thing.\n</document>' in cf and cf.count("<document") == 1


def test_with_the_real_default_judge(tmp_path):
    """The gate is the configured [evaluate] judge itself (here the default one, with the bundled MiniLM)."""
    s = qa(1, "d1")
    s.contexts[0].text = "The Rhine flows from the Swiss Alps to the North Sea. It is about 1,230 kilometres long."
    s.question, s.answer = "How long is the Rhine?", "The Rhine is about 1,230 kilometres long."
    wd = filled_workdir(tmp_path / "w", [s])
    llm = FakeLLM(default=reply('{"answer": "The Rhine is 865 miles long and rises in Austria."}'))
    built = export_rows(_cfg(tmp_path), wd, llm=llm)
    assert len(built.rows) == 1 and built.rows[0]["rejected_judge"] == "default"
    assert built.rows[0]["rejected_adherence"] < 0.6


def test_a_torn_last_line_is_redone_not_glued(wd, tmp_path):
    llm = FakeLLM(default=reply('{"answer": "It was invented in 1850 by Napoleon."}'))
    export_rows(_cfg(tmp_path), wd, llm=llm, judge=WordJudge())
    path = pairs_path(wd)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][:40])  # killed while writing the last record
    again = FakeLLM(default=reply('{"answer": "It was invented in 1850 by Napoleon."}'))
    built = export_rows(_cfg(tmp_path), wd, llm=again, judge=WordJudge())
    assert len(again.history) == 1 and len(built.rows) == 8
    assert [json.loads(x)["key"] for x in path.read_text().splitlines()] == [json.loads(x)["key"] for x in lines]


def test_the_gate_is_the_one_the_evaluate_stage_recorded(tmp_path):
    from groundset.generate.dpo_pairs import gate_config

    wd = filled_workdir(tmp_path / "w", [qa(1, "d1")], evaluate={"judge": {"name": "default", "threshold": 0.35}})
    ev = gate_config(load_config(None, {"evaluate.judge": "llm"}), wd)
    assert ev.judge == "default" and ev.thresholds["default"] == 0.35
