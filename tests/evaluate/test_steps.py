"""The gate's steps: a filter answers keep (None) or a reason, the runner appends, counts and marks kept."""

from __future__ import annotations

from groundset.config import load_config
from groundset.evaluate.steps import STEPS, BatchFilter, Filter, Step, StepContext, run_steps
from groundset.records import Evaluation
from tests.evaluate.conftest import qa


class NoDigits(Filter):
    name = "no_digits"

    def check(self, s):
        return "has_digits" if any(ch.isdigit() for ch in s.answer) else None


class Seen(BatchFilter):
    name = "seen"
    batches: list[list[str]] = []

    def check_batch(self, batch):
        Seen.batches.append([s.id for s in batch])
        return [["short", "tiny"] if len(s.answer) <= 5 else None for s in batch]


class Off(Step):
    name = "off"

    def enabled(self):
        return False

    def run(self, todo):  # pragma: no cover - disabled
        raise AssertionError("a disabled step must not run")


def _samples():
    out = [qa("a", "When?", "In 1066."), qa("b", "Who?", "Rollo"), qa("c", "What?", "A region of France."),
           qa("d", "Who?", "Rollo led them")]
    for s in out:
        s.evaluation = Evaluation()
    return out


def test_each_step_sees_the_survivors_and_the_runner_counts():
    Seen.batches = []
    ticks = []
    samples = _samples()
    ctx = StepContext(load_config(None, {"evaluate.batch_size": "2"}), tick=lambda *a: ticks.append(a))
    info = run_steps(samples, ctx, [NoDigits, Off, Seen])
    assert [s.evaluation.reasons for s in samples] == [["has_digits"], ["short", "tiny"], [], []]
    assert [s.evaluation.kept for s in samples] == [False, False, True, True]
    assert Seen.batches == [["b", "c"], ["d"]]  # "a" was rejected before; batches of [evaluate] batch_size
    assert ticks == [("seen", 2, 3), ("seen", 3, 3)]
    assert info["steps"] == {"no_digits": {"in": 4, "rejected": 1}, "seen": {"in": 3, "rejected": 1}}
    assert set(info["seconds"]) == {"no_digits", "off", "seen"}  # a disabled step is timed (0), not counted


def test_the_gate_order_and_names_are_the_summary_keys():
    assert [s.name for s in STEPS] == ["sanity", "decontaminate", "roundtrip", "judge", "rating", "dedup"]
