"""backtranslate with the real bundled SmolLM2-135M on the CPU: the model writes questions for verbatim passages.

Three literal tutorial passages, greedy decoding: every outcome is a sample (answer = the passage verbatim, a
question about it) or a reject with a known reason; with these passages the model writes at least one usable
question. The gate's own checks are tested elsewhere; this is the real model's half of the task.
"""

from __future__ import annotations

import pytest

from groundset.generate import backtranslate
from groundset.generate.base import Attempt
from groundset.generate.drive import run_jobs
from groundset.generate.openings import OPENING_REASONS
from groundset.generate.question_checks import QUESTION_REASONS
from groundset.records import Chunk, Sample
from tests.generate.bundled import bundled_llm

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

TEXTS = [
    "12.2. Creating Virtual Environments\n\nThe module used to create and manage virtual environments is called "
    "venv. venv will usually install the most recent version of Python that you have available.",
    "12.3. Managing Packages with pip\n\nYou can install, upgrade, and remove packages using a program called pip. "
    "By default pip will install packages from the Python Package Index.",
    "11.3. Working with Binary Data Record Layouts\n\nThe struct module provides pack() and unpack() functions for "
    "working with variable length binary record formats.",
]
REASONS = {"invalid_json", "truncated", "schema_mismatch", "preamble", "not_standalone", "not_a_question",
           "copied_demo", "off_topic", "too_short", "too_long", "comparison_not_in_passage", *QUESTION_REASONS,
           *OPENING_REASONS}


@pytest.fixture(scope="module")
def llm():
    return bundled_llm(4)


def test_real_model_writes_questions_for_verbatim_passages(llm):
    attempts = []
    for i, text in enumerate(TEXTS):
        c = Chunk(id=f"c{i}", document_id="d", source="tutorial.html", title="Python tutorial", text=text,
                  section=[text.split("\n")[0]], index=i, n_tokens=60)
        attempts.append(Attempt(task="backtranslate", index=i, seeds=(c,), controls={"style": "question"},
                                sampling={"temperature": 0.0, "top_p": 1.0, "max_tokens": 48}, id=f"a{i}",
                                request_seed=i))
    outcomes = run_jobs([backtranslate.job(a) for a in attempts], llm)
    samples = [o for o, _ in outcomes if isinstance(o, Sample)]
    assert all(o.reason in REASONS for o, _ in outcomes if not isinstance(o, Sample))
    assert samples, [o for o, _ in outcomes]
    for s in samples:
        seed = next(a.seeds[0] for a in attempts if a.id == s.id)
        assert s.answer_origin == "corpus" and s.answer in seed.text and "\n" not in s.answer
        assert s.question.endswith("?") and len(s.question.split()) >= 3
    assert all(stats.calls == 1 for _, stats in outcomes)  # one short call per passage
