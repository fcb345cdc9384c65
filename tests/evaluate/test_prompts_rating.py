import pytest

from groundset.evaluate.prompts import parse_rating, rate_messages
from groundset.evaluate.rating import instruction_and_answer, rate
from groundset.llm.fake import FakeLLM
from groundset.records import Sample, Turn


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Good.\nScore: 5", (5, "Good.")),
        ("Score: 2 at first, but on reflection\n**Score: 4**", (4, "Score: 2 at first, but on reflection\n**")),
        ("Rated 4/5", None),
        ("Score: 4/5", (4, "")),
    ],
)
def test_parse_rating(text, expected):
    assert parse_rating(text) == expected


def test_rating_prompt_follows_the_rubric():
    msgs = rate_messages("What is a list?", "A sequence.")
    assert "5-point scale" in msgs[-1]["content"] and msgs[-1]["content"].rstrip().endswith('on the last line.')


def test_instruction_and_answer_per_task():
    conv = Sample(id="c", task="conversation", turns=[Turn(role="user", content="Hi?"),
                                                       Turn(role="assistant", content="Hello."),
                                                       Turn(role="user", content="More?"),
                                                       Turn(role="assistant", content="Yes.")])
    assert instruction_and_answer(conv) == ("Hi?", "Assistant: Hello.\n\nUser: More?\n\nAssistant: Yes.")
    book = Sample(id="b", task="textbook", question="Lists", passage="Lists hold items.")
    assert instruction_and_answer(book) == ("Write a textbook passage about: Lists", "Lists hold items.")


def test_rate_keeps_failures_as_none_with_the_reason():
    s = Sample(id="1", task="qa", question="Q?", answer="A.")
    llm = FakeLLM(["Fine.\nScore: 3", "I like it", RuntimeError("timeout")])
    out = rate([s, s, s], llm)
    assert out[0] == (3, "Fine.") and out[1][0] is None and "Score: N" in out[1][1] and "timeout" in out[2][1]
