"""The round-trip filter on a tiny embedded collection (bag-of-words vectors in a real local Qdrant under tmp_path)."""

from __future__ import annotations

import pytest

from groundset.config import load_config
from groundset.evaluate import roundtrip
from groundset.evaluate.runner import evaluate
from groundset.records import Citation, Sample
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, fill_store, make_chunks


@pytest.fixture(autouse=True)
def _bow(monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())


@pytest.fixture
def store(tmp_path):
    config = load_config(None)
    workdir = Workdir(tmp_path / "w").ensure()
    chunks = {c.title + c.section[0]: c for c in fill_store(config, workdir, make_chunks())}
    return config, workdir, chunks


def sample(i, question, chunk, task="qa"):
    return Sample(id=i, task=task, question=question, answer=chunk.text.split(".")[0] + ".",
                  contexts=[Citation.of(chunk)])


def test_specific_question_keeps_generic_one_fails_and_rank_is_recorded(store):
    config, workdir, chunks = store
    dicts = chunks["DictionariesMappings"]
    good = sample("good", "Which dictionary method returns a default value instead of raising a KeyError for a "
                          "missing key?", dicts)
    generic = sample("generic", "What is the purpose of this?", dicts)
    with roundtrip.open_retriever(config, workdir) as retrieve:
        counts = roundtrip.apply([good, generic], retrieve, k=2)
    assert counts == {"checked": 2, "failed": 1}
    assert good.evaluation.scores["roundtrip_rank"] == 1 and not good.evaluation.reasons
    assert good.evaluation.details["roundtrip"] == {"k": 2, "ranks": {dicts.id: 1}}
    assert generic.evaluation.reasons == [roundtrip.REASON]
    assert generic.evaluation.details["roundtrip"]["ranks"][dicts.id] != 1


def test_multihop_needs_every_cited_chunk_and_passages_are_not_checked(store):
    config, workdir, chunks = store
    a, b = chunks["DictionariesMappings"], chunks["ErrorsExceptions"]
    multi = Sample(id="m", task="multihop", question="Which dictionary lookup raises a KeyError exception?",
                   answer="x.", contexts=[Citation.of(a), Citation.of(b)])
    book = Sample(id="t", task="textbook", question="Dictionaries", passage="A dictionary maps keys.",
                  contexts=[Citation.of(a)])
    with roundtrip.open_retriever(config, workdir) as retrieve:
        counts = roundtrip.apply([multi, book], retrieve, k=1)
    assert counts["checked"] == 1 and "roundtrip" not in book.evaluation.details
    assert multi.evaluation.reasons == [roundtrip.REASON]  # only one of its two chunks can be first


def test_empty_collection_checks_nothing(tmp_path):
    config = load_config(None)
    with roundtrip.open_retriever(config, Workdir(tmp_path / "empty").ensure()) as retrieve:
        assert retrieve is None


def test_the_gate_runs_the_filter_and_writes_the_reason(store):
    config, workdir, chunks = store
    dicts = chunks["DictionariesMappings"]
    rows = [sample("good", "Which dictionary method returns a default value instead of raising a KeyError?", dicts),
            sample("generic", "What is the purpose of this?", dicts)]
    workdir.samples("qa").parent.mkdir(parents=True, exist_ok=True)
    workdir.samples("qa").write_text("".join(s.model_dump_json() + "\n" for s in rows))
    result = evaluate(load_config(None, {"evaluate.roundtrip_k": 2, "evaluate.dedup": False}), workdir, progress=False)
    rejected = {r["id"]: r for r in read_jsonl(workdir.rejected)}
    assert roundtrip.REASON in rejected["generic"]["evaluation"]["reasons"]
    assert result.summary["filters"]["roundtrip"]["checked"] == 2
    off = evaluate(load_config(None, {"evaluate.roundtrip_k": 0, "evaluate.dedup": False}), workdir, progress=False)
    assert roundtrip.REASON not in off.reasons
