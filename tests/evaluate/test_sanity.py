import pytest

from groundset.evaluate.sanity import check
from groundset.records import Sample, Turn
from tests.evaluate.conftest import NORMANS, citation, qa


def conv(*turns):
    return Sample(id="c", task="conversation", turns=[Turn(role=r, content=c) for r, c in turns], contexts=[citation()])


@pytest.mark.parametrize(
    "sample, reasons",
    [
        (qa("1", "Who led the Normans?", "Rollo led them."), []),
        (qa("2", "Who led the Normans?", "   "), ["empty"]),
        (qa("3", "", "Rollo."), ["empty"]),
        (qa("4", "Who led the Normans?", "who led the Normans"), ["question_equals_answer"]),
        (qa("5", "Who led them?", "The Normans were led by Rollo, who agreed to swear fealty to King Charles III of"),
         ["truncated"]),
        (qa("6", "Show code", "Here it is:\n```python\nx = 1\n"), ["truncated"]),
        (qa("7", "What does the text say?", NORMANS), ["copied_context"]),
        (qa("8", "Who?", "Rollo led them. Rollo led them and won. Rollo led them and won."), ["repetitive"]),
        (Sample(id="9", task="textbook", question="Normans", passage=""), ["empty"]),
        (conv(("user", "Who led them?"), ("assistant", "Rollo led the Norse raiders.")), []),
        (conv(("user", "Who led them?")), ["empty"]),
        (conv(("user", "Who led them?"), ("assistant", "Rollo led the Norse raiders from Norway."),
              ("user", "And then?"), ("assistant", "Rollo led the Norse raiders from Norway.")), ["repeated_turns"]),
        (conv(("user", "Rollo led them"), ("assistant", "Rollo led them")), ["question_equals_answer"]),
    ],
)
def test_sanity_reasons(sample, reasons):
    assert check(sample) == reasons


def test_length_finish_reason_means_truncated_unless_salvaged():
    s = qa("1", "Who led them?", "Rollo.")
    s.generation.finish_reason = "length"
    assert check(s) == ["truncated"]
    s.generation.salvaged = "truncated"  # cut back to its last complete sentence by generate
    assert check(s) == []


def test_a_list_without_a_final_full_stop_is_not_truncated():
    s = qa("1", "What did they do?", "They did several things over two centuries of history:\n- settled Normandy\n- conquered England")
    assert check(s) == []
