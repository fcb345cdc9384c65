"""The backtranslate task and its passage picker: FakeLLM replies, tiny literal chunks, a real embedded Qdrant."""

from __future__ import annotations

import json

import pytest

from groundset.config import load_config
from groundset.errors import ConfigError
from groundset.evaluate import sanity
from groundset.generate import backtranslate
from groundset.generate.base import Attempt
from groundset.generate.checks import Reject
from groundset.generate.passages import pick_passage, prose_runs
from groundset.generate.runner import generate
from groundset.llm.base import ChatResult
from groundset.llm.fake import FakeLLM
from groundset.records import Chunk, Citation, Sample
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, echo_reply, fill_store, make_chunks

CHUNK = (
    "12.2. Creating Virtual Environments\n\n"
    "The module used to create and manage virtual environments is called venv. It usually installs the most "
    "recent version of Python that you have available.\n\n"
    "To create a virtual environment, run the venv module as a script with the directory path:\n\n"
    "python3 -m venv tutorial-env\n\n"
    "This will create the tutorial-env directory if it does not exist."
)


def chunk(text: str = CHUNK) -> Chunk:
    return Chunk(id=Chunk.make_id("venv.html", text), document_id="d1", source="venv.html", title="Venv",
                 text=text, section=["12. Virtual Environments", "12.2. Creating Virtual Environments"], index=0,
                 n_tokens=80)


def attempt(c: Chunk, style: str = "question") -> Attempt:
    return Attempt(task="backtranslate", index=0, seeds=(c,), controls={"style": style},
                   sampling={"temperature": 0.3, "top_p": 0.95, "max_tokens": 48}, id="a1", request_seed=1)


# --- passages ----------------------------------------------------------------------------------------------------
def test_passage_is_verbatim_prose_and_stops_before_code():
    p = pick_passage(CHUNK)
    assert p.text == ("The module used to create and manage virtual environments is called venv. It usually installs "
                      "the most recent version of Python that you have available.")
    assert CHUNK[p.start:p.end] == p.text and p.sentences == 2


def test_sentences_introducing_code_or_pointing_back_are_left_out():
    runs = prose_runs(CHUNK)
    texts = [" ".join(s for _, _, s in r) for r in runs]
    assert not any(t.endswith(":") for t in texts)  # "…with the directory path:" introduces code
    assert not any(t.startswith("This will create") for t in texts)  # points back at the command


def test_code_lists_and_short_fragments_give_no_passage():
    assert pick_passage(">>> x = [1, 2]\n>>> x.append(3)\n\n- item one\n- item two") is None
    assert pick_passage("Lists\n\nA short line.") is None  # under min_words
    assert pick_passage("However, this works as shown below. It also fails.") is None


def test_long_runs_are_cut_at_max_sentences_and_words():
    text = " ".join(f"Sentence number {i} says a plain thing about lists." for i in range(10))
    p = pick_passage(text, max_sentences=3)
    assert p.sentences == 3 and text.startswith(p.text)
    p = pick_passage(text, max_words=20)
    assert p.words <= 20


# --- parse -------------------------------------------------------------------------------------------------------
def test_parse_keeps_the_passage_verbatim_as_a_corpus_answer():
    c = chunk()
    a = attempt(c)
    passage = backtranslate.passage_of(a)
    [req] = backtranslate.build_requests(a, passage)
    assert passage.text in req.messages[-1]["content"] and "12.2. Creating Virtual Environments" in req.messages[-1]["content"]
    s = backtranslate.parse([ChatResult(text='{"question": "Which module creates virtual environments in Python?"}')],
                            a, passage)
    assert isinstance(s, Sample) and s.task == "backtranslate" and s.answer == passage.text
    assert s.answer_origin == "corpus" and s.contexts[0].text[s.attributes["passage_start"]:s.attributes["passage_end"]] == s.answer
    assert s.attributes["style"] == "question" and s.attributes["section"][-1].startswith("12.2")
    backtranslate.BacktranslateAttributes.model_validate(s.attributes)


@pytest.mark.parametrize("reply,reason", [
    ('{"question": "According to the passage, what is venv?"}', "not_standalone"),
    ('{"question": "Where do barges on the Rhine carry coal?"}', "copied_demo"),
    ('{"question": "What is the capital of France today?"}', "off_topic"),
    ('{"question": "Explain what the venv module does."}', "not_a_question"),
    ('{"question": "What is the difference between venv and Python?"}', "comparison_not_in_passage"),
    ("no json at all", "invalid_json"),
])
def test_bad_questions_are_rejected_with_their_reason(reply, reason):
    a = attempt(chunk())
    out = backtranslate.parse([ChatResult(text=reply)], a, backtranslate.passage_of(a))
    assert isinstance(out, Reject) and out.reason == reason


def test_a_second_question_is_cut_off():
    a = attempt(chunk())
    out = backtranslate.parse([ChatResult(text='{"question": "Which module manages virtual environments? And why '
                                                'is Python great?"}')], a, backtranslate.passage_of(a))
    assert out.question == "Which module manages virtual environments?"


def test_imperative_style_needs_no_question_mark():
    a = attempt(chunk(), "imperative")
    out = backtranslate.parse([ChatResult(text='{"question": "Explain what the venv module is used for."}')], a,
                              backtranslate.passage_of(a))
    assert isinstance(out, Sample) and out.attributes["style"] == "imperative"


def test_chunk_without_passage_is_rejected_without_an_llm_call():
    job = backtranslate.job(attempt(chunk(">>> import venv\n>>> venv.create('x')")))
    with pytest.raises(StopIteration) as stop:
        job.send(None)
    assert stop.value.value.reason == "no_passage"


def test_sanity_does_not_call_a_corpus_answer_copied():
    text = "The module used to create and manage virtual environments is called venv in Python 3."
    s = Sample(id="1", task="backtranslate", question="Which module manages virtual environments?", answer=text,
               answer_origin="corpus", contexts=[Citation.of(chunk(text))])
    assert "copied_context" not in sanity.check(s)
    assert "copied_context" in sanity.check(s.model_copy(update={"answer_origin": "model"}))


def test_unknown_style_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown style"):
        load_config(None, {"generate.backtranslate.styles": {"poem": 1}})


# --- through the runner --------------------------------------------------------------------------------------------
@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    return Workdir(tmp_path / "work").ensure()


def test_runner_seeds_only_chunks_with_a_passage_and_writes_samples(workdir):
    config = load_config(None, {"generate.tasks": {"backtranslate": 4}})
    chunks = make_chunks()
    chunks.append(chunk(">>> import venv\n>>> venv.create('x')"))
    fill_store(config, workdir, chunks)
    llm = FakeLLM(default=echo_reply)
    result = generate(config, workdir, llm, progress=False)
    rep = result.tasks["backtranslate"]
    assert rep.accepted == 4 and rep.skipped_seeds.get("no_passage", 0) >= 1
    rows = list(read_jsonl(workdir.samples("backtranslate")))
    for r in rows:
        s = Sample.model_validate(r)
        assert s.answer_origin == "corpus" and s.answer in s.contexts[0].text
    assert len(llm.history) == 4  # one question per passage (the default), opened from its lead sentence
    assert all(Sample.model_validate(r).attributes["candidates"] == 1 for r in rows)
    opened = [Sample.model_validate(r) for r in rows if r["attributes"]["opening"]]
    assert opened and all(s.question.startswith(s.attributes["opening"]) for s in opened)
    assert json.loads(workdir.generate_summary.read_text())["tasks"]["backtranslate"]["accepted"] == 4


# --- candidates ----------------------------------------------------------------------------------------------------
class RankedCorpus:
    """A corpus whose text search puts the seed chunk at a rank set per question."""

    can_encode = True

    def __init__(self, seed_id: str, ranks: dict[str, int]):
        self.seed_id, self.ranks = seed_id, ranks

    def search_text(self, text, limit):
        rank = self.ranks.get(text, limit + 1)
        others = [Chunk(id=f"o{i}", document_id="d", source="s", title="", text="x", index=i, n_tokens=1)
                  for i in range(limit)]
        if rank <= limit:
            others.insert(rank - 1, chunk())
            others[rank - 1] = others[rank - 1].model_copy(update={"id": self.seed_id})
        return [(c, 1.0) for c in others[:limit]]


def test_candidates_share_one_prompt_the_first_greedy_the_others_seeded():
    a = attempt(chunk())
    reqs = backtranslate.build_requests(a, backtranslate.passage_of(a), candidates=3)
    assert len(reqs) == 3 and all(r.messages == reqs[0].messages for r in reqs)
    assert reqs[0].temperature == 0.0 and reqs[1].temperature == reqs[2].temperature == 0.3
    assert len({r.seed for r in reqs}) == 3
    assert reqs[0].messages[-1]["content"].endswith("Style: " + backtranslate.STYLES["question"] + "\nAbout: venv")


def test_the_candidate_retrieving_its_chunk_best_is_kept():
    c = chunk()
    a = attempt(c)
    passage = backtranslate.passage_of(a)
    qs = ["Which module manages virtual environments?", "What is the venv module called?",
          "According to the passage, what is venv?"]
    corpus = RankedCorpus(c.id, {qs[0]: 4, qs[1]: 1})
    out = backtranslate.choose([ChatResult(text=json.dumps({"question": q})) for q in qs], a, passage, corpus)
    assert isinstance(out, Sample) and out.question == qs[1]
    assert out.attributes["candidates"] == 3 and out.attributes["chosen"] == 1 and out.attributes["candidate_rank"] == 1
    backtranslate.BacktranslateAttributes.model_validate(out.attributes)


def test_without_a_searchable_corpus_the_candidate_sharing_most_key_terms_is_kept():
    a = attempt(chunk())
    qs = ["Which module manages Python installs on laptops?", "Which module creates and manages virtual environments?"]
    out = backtranslate.choose([ChatResult(text=json.dumps({"question": q})) for q in qs], a,
                               backtranslate.passage_of(a), None)
    assert out.question == qs[1] and out.attributes["candidate_rank"] is None


def test_when_every_candidate_fails_the_most_frequent_reason_counts_and_all_are_recorded():
    a = attempt(chunk())
    replies = ['{"question": "What is the capital of France today?"}', "no json",
               '{"question": "What is the capital of Spain today?"}']
    out = backtranslate.choose([ChatResult(text=r) for r in replies], a, backtranslate.passage_of(a), None)
    assert isinstance(out, Reject) and out.reason == "off_topic"
    assert out.detail.endswith("candidates: off_topic, invalid_json, off_topic")


@pytest.mark.parametrize("question,reason", [
    ("Why did the venv module be installed?", "ungrammatical"),
    ("How do I use the `weakref` module with venv?", "absent_identifier"),
    ("Why did you choose venv for virtual environments?", "asks_the_author"),
    ("Which module manages memory leaks and garbage collection in virtual environments?", "question_not_in_passage"),
    ("Which sea does the Rhine drain into with venv?", "copied_demo"),
])
def test_new_question_reasons_in_parse(question, reason):
    a = attempt(chunk())
    out = backtranslate.parse([ChatResult(text=json.dumps({"question": question}))], a, backtranslate.passage_of(a))
    assert isinstance(out, Reject) and out.reason == reason, out


def test_passages_open_with_a_lead_sentence_when_asked():
    text = ("Note how the local assignment changed nothing at all in the end. The global statement can be used to "
            "indicate that particular variables live in the global scope and should be rebound there.")
    assert pick_passage(text, min_words=5).text.startswith("The global statement")  # a lead is preferred
    assert pick_passage("Note how the local assignment changed nothing at all in the end.", min_words=5,
                        lead=True) is None
    assert pick_passage("Note how the local assignment changed nothing at all in the end.", min_words=5) is not None


@pytest.mark.parametrize("text", [
    "See self-documenting expressions for more information on the specifier of the format strings.",
    "(This also works when the list of names is defined by the package author in the module.)",
    "the code in the module will be executed, just as if you imported it into the running program.",
    "Don’t explicitly assign a value to it — you would create an independent local variable.",
    "Errors detected during execution are called exceptions: you will soon learn how to handle them in programs.",
    "The only difference between the two is that within single quotes you do not need to escape double quotes.",
    "The most versatile is the list, which can be written as a list of comma-separated values between brackets.",
    "More details are at The initialization of the sys.path module search path, in the reference manual.",
    "Encryption is covered in more detail in Chapter 4, with all the info functions and the constructor.",
])
def test_pointers_asides_and_continuations_do_not_open_a_passage(text):
    assert pick_passage(text, min_words=5) is None


def test_a_style_the_passage_cannot_answer_becomes_an_instruction():
    text = "Lists\n\nA namespace is a mapping from names to objects in the running interpreter."
    a = attempt(chunk(text), "why")
    passage = backtranslate.passage_of(a)
    assert backtranslate.style_for("why", passage) == "imperative"
    [req] = backtranslate.build_requests(a, passage)
    assert "Style: " + backtranslate.STYLES["imperative"] in req.messages[-1]["content"]
    out = backtranslate.parse([ChatResult(text='{"question": "Explain what a namespace maps names to."}')], a, passage)
    assert isinstance(out, Sample) and out.attributes["style"] == "imperative"


def test_an_instruction_must_open_with_a_verb_that_asks():
    a = attempt(chunk(), "imperative")
    passage = backtranslate.passage_of(a)
    out = backtranslate.parse([ChatResult(text='{"question": "The venv module creates virtual environments."}')], a,
                              passage)
    assert isinstance(out, Reject) and out.reason == "not_a_question"
    ok = backtranslate.parse([ChatResult(text='{"question": "Describe what venv creates and manages."}')], a, passage)
    assert isinstance(ok, Sample)


def test_a_candidate_cut_at_max_tokens_does_not_mark_the_chosen_one_truncated(workdir):
    config = load_config(None, {"generate.tasks": {"backtranslate": 2}, "generate.backtranslate.candidates": 3})
    fill_store(config, workdir, make_chunks())

    class SampledCut(FakeLLM):
        """The greedy candidate is fine; the sampled ones stop at max_tokens."""

        def chat(self, requests):
            out = super().chat(requests)
            for req, res in zip(requests, out):
                if req.temperature > 0:
                    res.text, res.parsed, res.error, res.finish_reason = '{"question": "Which', None, None, "length"
            return out

    llm = SampledCut(default=echo_reply)
    result = generate(config, workdir, llm, progress=False)
    assert result.tasks["backtranslate"].accepted == 2 and len(llm.history) == 6
    rows = [Sample.model_validate(r) for r in read_jsonl(workdir.samples("backtranslate"))]
    assert all(s.generation.finish_reason == "stop" and s.attributes["chosen"] == 0 for s in rows)
    assert all("truncated" not in sanity.check(s) for s in rows)


def test_a_lead_that_points_back_is_no_lead():
    # "those questions" were asked in the paragraph before: the passage would not stand alone
    text = "Python provides a measurement tool that answers those questions immediately, with one module."
    assert pick_passage(text, min_words=5, lead=True) is None
    assert pick_passage("Python provides a measurement tool that answers such questions quickly, in one module.",
                        min_words=5, lead=True) is None
    assert pick_passage("Python provides a measurement tool for those of us who time code, in one module.",
                        min_words=5, lead=True) is not None


def test_the_opening_is_forced_and_what_the_model_adds_must_be_in_the_passage():
    a = attempt(chunk())
    passage = backtranslate.passage_of(a)
    start = "What is the module used to create and manage virtual environments called"
    [req] = backtranslate.build_requests(a, passage, opening=True)
    assert req.prefix == '{"question": "' + start and req.temperature == 0.0
    assert backtranslate.build_requests(a, passage)[0].prefix is None  # opening off
    ok = backtranslate.parse([ChatResult(text=req.prefix + '?"}')], a, passage)
    assert isinstance(ok, Sample) and ok.question == start + "?"
    off = backtranslate.parse([ChatResult(text=req.prefix + ' in a shell script?"}')], a, passage)
    assert isinstance(off, Reject) and off.reason == "added_not_in_passage" and "shell" in off.detail


def test_the_fake_backend_finishes_an_opening_and_the_sample_records_it(workdir):
    c = chunk()
    llm = FakeLLM(default=echo_reply)
    cfg = backtranslate.BacktranslateConfig(opening=True, candidates=1)
    a = attempt(c)
    gen = backtranslate.job(a, None, cfg)
    reqs = next(gen)
    try:
        gen.send(llm.chat(reqs))
    except StopIteration as stop:
        sample = stop.value
    assert isinstance(sample, Sample), sample
    assert sample.question.startswith("What is the module used to create and manage virtual environments called")
    assert sample.attributes["opening"] == "What is the module used to create and manage virtual environments called"
