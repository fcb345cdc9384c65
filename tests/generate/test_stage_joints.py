"""The joints between stages, checked on samples the generators themselves make (no hand-written dicts): what
generate writes is what evaluate and export read."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from groundset.evaluate.sanity import check
from groundset.export.schemas import build_rows, qa_row, ragas_row
from groundset.generate import qa, rag
from groundset.generate.base import new_sample
from groundset.generate.drive import run_jobs
from groundset.generate.runner import generate
from groundset.llm.base import ChatResult
from groundset.llm.fake import FakeLLM
from groundset.records import Attributes, Evaluation, Sample
from groundset.registry import TASKS
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, echo_llm, echo_reply, fill_store

GOOD_QA = {"question": "What does the append method of a Python list do?",
           "answer": "It adds an item to the end of the list."}


def kept(sample: Sample) -> Sample:
    return sample.model_copy(update={"evaluation": Evaluation(kept=True, scores={"adherence": 0.9})})


def test_ragas_export_of_a_generated_rag_sample_references_the_gold_chunk_not_the_distractors(attempt_of, fake_corpus,
                                                                                           config):
    a = attempt_of("rag")
    [(s, _)] = run_jobs([rag.job(a, fake_corpus, config.generate.rag)], FakeLLM([json.dumps(GOOD_QA)]))
    assert isinstance(s, Sample), s
    gold = a.seeds[0].id
    row = ragas_row(kept(s))
    assert row["reference_context_ids"] == [gold]
    assert row["reference_contexts"] == [a.seeds[0].text]
    assert row["retrieved_context_ids"] == [c.chunk_id for c in s.contexts] and len(s.contexts) > 1
    assert row["query_style"] == a.controls["kind"]


def test_every_task_writes_the_attributes_its_model_declares(tmp_path, monkeypatch):
    """Each generated sample reads back through its task's model; export reads nothing outside those models."""
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    from groundset.config import load_config

    config = load_config(None, {"generate.tasks": {"qa": 2, "multihop": 1, "conversation": 1, "textbook": 1, "rag": 1},
                                "generate.conversation.turns": "1", "llm.spec": "fake"})  # multihop: write mode
    workdir = Workdir(tmp_path / "work").ensure()
    fill_store(config, workdir)
    assert generate(config, workdir, echo_llm(), progress=False).complete
    for task in config.generate.tasks:
        samples = [Sample.model_validate(r) for r in read_jsonl(workdir.samples(task))]
        assert samples, task
        for s in samples:
            model = TASKS.get(task).attributes
            assert isinstance(s.attrs(), model) and model is not Attributes  # every built-in declares its own
            assert set(s.attributes) <= set(model.model_fields), task
            assert s.generation.finish_reason == "stop" and s.generation.model == "fake"
        assert len(build_rows("sft", [kept(s) for s in samples]).rows) == len(samples)


def test_a_generator_writing_an_undeclared_attribute_fails_where_it_writes(attempt_of):
    a = attempt_of("qa")
    with pytest.raises(ValidationError, match="persona"):
        new_sample(a, list(a.seeds), question="Q?", answer="A.", attributes={"persona": "a teacher"})


def test_generate_records_a_max_tokens_stop_that_sanity_reads(tmp_path, monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    from groundset.config import load_config

    config = load_config(None, {"generate.tasks": {"qa": 1}, "generate.max_attempts": "1"})
    workdir = Workdir(tmp_path / "work").ensure()
    fill_store(config, workdir)

    def cut(request) -> ChatResult:  # the reply cut by max_tokens after a complete sentence: salvaged
        obj = json.loads(echo_reply(request))
        text = json.dumps({"question": obj["question"], "answer": obj["answer"] + " It also"})[:-2]
        return ChatResult(text=text, finish_reason="length", error="truncated: invalid_json: Unterminated string")

    class CutLLM(FakeLLM):
        def chat(self, requests):
            self.history.extend(requests)
            return [cut(r) for r in requests]

    generate(config, workdir, CutLLM(name="cut"), progress=False)
    [s] = [Sample.model_validate(r) for r in read_jsonl(workdir.samples("qa"))]
    assert s.generation.finish_reason == "length" and s.generation.salvaged == "truncated"
    assert "truncated" not in check(s)  # cut back to complete sentences: not truncated
    assert "truncated" in check(s.model_copy(update={"generation": s.generation.model_copy(update={"salvaged": None})}))


def test_the_page_and_index_of_a_chunk_reach_the_sample_and_the_dataset(attempt_of):
    a = attempt_of("qa", seed_contains="The append method adds an item")
    seed = a.seeds[0].model_copy(update={"page": 37})
    a = type(a)(**{**a.__dict__, "seeds": (seed,)})
    s = qa.parse([ChatResult(text=json.dumps(GOOD_QA), parsed=GOOD_QA, finish_reason="stop")], a)
    assert isinstance(s, Sample), s
    assert (s.contexts[0].page, s.contexts[0].index) == (37, seed.index)
    row = qa_row(kept(s))
    assert row["sources"] == [f"{seed.source}#page=37"] and row["chunk_ids"] == [seed.id]
