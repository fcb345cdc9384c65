"""The verdict journal: append-only, fsynced, torn lines repaired, concurrent writers serialised, stale views refused."""

from __future__ import annotations

import json
import multiprocessing as mp

import pytest
from pydantic import ValidationError

from groundset.review.journal import REJECT_REASONS, StaleVerdict, Verdict, VerdictJournal


def verdict(sid: str = "s1", decision: str = "accepted", **kw) -> Verdict:
    return Verdict(sample_id=sid, decision=decision, task="qa", gate_kept=True, **kw)


def test_append_sets_revision_and_time_and_survives_reopening(tmp_path):
    path = tmp_path / "review" / "verdicts.jsonl"
    j = VerdictJournal(path)
    first = j.append(verdict(), expect_revision=0)
    second = j.append(verdict(decision="rejected", reason="unsupported"), expect_revision=1)
    assert (first.revision, second.revision) == (1, 2)
    assert second.at >= first.at > 0
    again = VerdictJournal(path)
    assert again.latest()["s1"].decision == "rejected"
    assert [v.revision for v in again.all()] == [1, 2]  # superseded verdicts stay in the journal
    assert [json.loads(line)["revision"] for line in path.read_text().splitlines()] == [1, 2]


def test_a_verdict_on_an_outdated_view_is_refused_and_not_written(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    tab1, tab2 = VerdictJournal(path), VerdictJournal(path)  # two tabs (or two servers) on one workdir
    tab1.append(verdict(), expect_revision=0)
    with pytest.raises(StaleVerdict) as e:
        tab2.append(verdict(decision="rejected", reason="contradicts"), expect_revision=0)
    assert e.value.actual == 1 and "reload" in str(e.value)
    assert len(path.read_text().splitlines()) == 1
    assert tab2.append(verdict(decision="rejected", reason="contradicts"), expect_revision=1).revision == 2


def test_torn_last_line_is_cut_when_opened_and_before_each_append(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    j = VerdictJournal(path)
    j.append(verdict("a"))
    with path.open("a") as f:
        f.write('{"sample_id": "b", "decis')  # a writer killed mid-line
    reopened = VerdictJournal(path)
    assert reopened.repaired == 1 and set(reopened.latest()) == {"a"}
    with path.open("a") as f:
        f.write('{"sample_id": "c", "dec')  # torn again while this journal is open
    reopened.append(verdict("d"))
    assert reopened.repaired == 2
    lines = path.read_text().splitlines()
    assert [json.loads(line)["sample_id"] for line in lines] == ["a", "d"]


def test_a_complete_line_that_is_no_verdict_is_skipped_and_counted(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    path.write_text('{"hello": 1}\nnot json\n' + verdict("x").model_dump_json() + "\n")
    j = VerdictJournal(path)
    assert j.invalid_lines == 2 and set(j.latest()) == {"x"}


@pytest.mark.parametrize("kw,message", [
    ({"decision": "rejected"}, "needs a reason"),
    ({"decision": "rejected", "reason": "nonsense"}, "one of"),
    ({"decision": "rejected", "reason": "other"}, "needs a note"),
    ({"decision": "edited"}, "edited text"),
    ({"decision": "accepted", "edits": {"answer": "x"}}, "carries no edits"),
    ({"decision": "edited", "edits": {"contexts": "x"}}, "cannot edit"),
    ({"decision": "edited", "edits": {"turns": "x"}}, "cannot edit"),
    ({"decision": "maybe"}, "decision"),
])
def test_malformed_verdicts_say_what_is_wrong(kw, message):
    with pytest.raises(ValidationError, match=message):
        Verdict(sample_id="s", task="qa", gate_kept=True, **kw)


def test_valid_verdict_kinds():
    assert verdict(decision="rejected", reason="other", note="off topic").reason == "other"
    assert verdict(decision="edited", edits={"answer": "A.", "turns.3": "B."}).edits["turns.3"] == "B."
    assert list(REJECT_REASONS)[-1] == "other"  # the page offers free text as the last choice


def _writer(path: str, name: str, n: int) -> None:
    j = VerdictJournal(path)
    for i in range(n):
        j.append(verdict(f"{name}-{i}"))
        j.append(verdict("shared", decision="accepted", note=name))  # no expect_revision: last one wins


def test_two_processes_appending_at_once_never_interleave_or_reuse_a_revision(tmp_path):
    path = tmp_path / "verdicts.jsonl"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), name, 40)) for name in ("p1", "p2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 160
    records = [Verdict.model_validate_json(line) for line in lines]  # every line is a whole verdict
    shared = [v.revision for v in records if v.sample_id == "shared"]
    assert shared == list(range(1, 81))  # the revision check and the append happen under one lock
    assert len({v.sample_id for v in records}) == 81
