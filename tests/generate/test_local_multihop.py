"""multihop's bridge mode with the real bundled SmolLM2-135M on the CPU: the model writes the question for two
verbatim passages.

Three literal pairs of tutorial passages, the default bridge settings (2 questions per pair, the first greedy):
every outcome is a sample (the answer both passages verbatim, a question naming both hops) or a reject with a known
reason, and with these pairs the model writes at least one usable question. The round trip needs a corpus to search
and is tested with fakes (test_multihop_bridge.py); this is the real model's half of the mode.
"""

from __future__ import annotations

import pytest

from groundset.generate import multihop_bridge as bridge
from groundset.generate.base import Attempt
from groundset.generate.config import MultihopConfig
from groundset.generate.drive import run_jobs
from groundset.generate.question_checks import QUESTION_REASONS
from groundset.records import Chunk, Sample
from tests.generate.bundled import bundled_llm

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

PAIRS = [
    (("10.5. String Pattern Matching", "The re module provides regular expression tools for advanced string "
      "processing. For complex matching and manipulation, regular expressions offer succinct, optimized solutions."),
     ("11.2. Templating", "The string module contains a Template class that offers yet another way to substitute "
      "values into strings, using placeholders like $x.")),
    (("11.4. Multi-threading", "The array module provides an array() object that is like a list that stores only "
      "homogeneous data and stores it more compactly."),
     ("11.3. Working with Binary Data Record Layouts", "The struct module provides pack() and unpack() functions for "
      "working with variable length binary record formats.")),
    (("4.7. Defining Functions", "A function definition associates the function name with the function object in "
      "the current symbol table."),
     ("4.8.6. Lambda Expressions", "Small anonymous functions can be created with the lambda keyword. Lambda "
      "functions can be used wherever function objects are required.")),
]
REASONS = {"invalid_json", "truncated", "schema_mismatch", "preamble", "not_standalone", "not_a_question",
           "copied_demo", "too_short", *bridge.BRIDGE_REASONS, *QUESTION_REASONS}


@pytest.fixture(scope="module")
def llm():
    return bundled_llm(9)


def _chunk(i: int, section: str, text: str) -> Chunk:
    return Chunk(id=f"c{i}", document_id=f"d{i}", source=f"tutorial{i}.html", title="The Python Tutorial", text=text,
                 section=[section], index=0, n_tokens=60)


def _job(attempt: Attempt, pair: bridge.Pair, cfg: MultihopConfig):
    results = yield bridge.build_requests(attempt, pair, cfg)
    return bridge.choose(results, attempt, pair, cfg)


def test_real_model_writes_questions_that_need_both_passages(llm):
    cfg = MultihopConfig(mode="bridge")
    jobs, pairs = [], []
    for i, ((sa, ta), (sb, tb)) in enumerate(PAIRS):
        a, b = _chunk(2 * i, sa, ta), _chunk(2 * i + 1, sb, tb)
        pa, pb = bridge.passage_for(a, cfg), bridge.passage_for(b, cfg)
        assert pa is not None and pb is not None, (ta, tb)
        pair = bridge.Pair(a, pa, b, pb, 0.5)
        attempt = Attempt(task="multihop", index=i, seeds=(a,), controls={}, id=f"m{i}", request_seed=i,
                          sampling={"temperature": cfg.temperature, "top_p": 1.0, "max_tokens": cfg.question_tokens})
        pairs.append(pair)
        jobs.append(_job(attempt, pair, cfg))
    outcomes = run_jobs(jobs, llm)
    assert all(o.reason in REASONS for o, _ in outcomes if not isinstance(o, Sample)), [o for o, _ in outcomes]
    samples = [(o, pair) for (o, _), pair in zip(outcomes, pairs) if isinstance(o, Sample)]
    assert samples, [o for o, _ in outcomes]
    for s, pair in samples:
        assert s.answer_origin == "corpus" and s.answer == bridge.answer_of(pair)
        assert s.question.endswith("?") and s.attributes["hops"] == 2
    assert all(stats.calls == cfg.questions and stats.completion_tokens <= cfg.questions * cfg.question_tokens
               for _, stats in outcomes)
