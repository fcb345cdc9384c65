"""BEIR export and `groundset evaluate retrieval` on a collection whose answers are known (bag-of-words vectors)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.errors import GroundsetError
from groundset.evaluate.retrieval import evaluate_retrieval, export_beir, load_beir, score_rankings
from groundset.records import Citation, Sample
from groundset.workdir import Workdir
from tests.generate.fakes import BowEmbedder, fill_store, make_chunks


@pytest.fixture(autouse=True)
def _bow(monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())


@pytest.fixture
def project(tmp_path):
    config = load_config(None)
    workdir = Workdir(tmp_path / "w").ensure()
    chunks = {c.title + "/" + c.section[0]: c for c in fill_store(config, workdir, make_chunks())}
    d, e = chunks["Dictionaries/Mappings"], chunks["Errors/Exceptions"]
    rows = [
        # retrieves its own chunk first
        Sample(id="q1", task="qa", question="Which dictionary method returns a default value instead of a KeyError "
               "for a missing key?", answer="The get method.", contexts=[Citation.of(d)]),
        # worded like the exceptions chunk: its own chunk is not first
        Sample(id="q2", task="qa", question="Which try statement clause handles the exception and which runs "
               "cleanup code?", answer="x.", contexts=[Citation.of(d)]),
        Sample(id="t1", task="textbook", question="topic", passage="A passage.", contexts=[Citation.of(e)]),
    ]
    workdir.kept.parent.mkdir(parents=True, exist_ok=True)
    workdir.kept.write_text("".join(s.model_dump_json() + "\n" for s in rows))
    return config, workdir, chunks, tmp_path / "beir"


def test_beir_files_load_with_the_datasets_json_loader(project):
    datasets = pytest.importorskip("datasets")
    config, workdir, chunks, out = project
    paths = export_beir(config, workdir, out)
    corpus = datasets.load_dataset("json", data_files=str(paths["corpus"]), split="train")
    queries = datasets.load_dataset("json", data_files=str(paths["queries"]), split="train")
    qrels = datasets.load_dataset("csv", data_files=str(paths["qrels"]), delimiter="\t", split="train")
    assert len(corpus) == len(make_chunks()) and set(corpus.column_names) == {"_id", "title", "text"}
    assert sorted(queries["_id"]) == ["q1", "q2"]  # the textbook sample has no question to retrieve with
    assert qrels.column_names == ["query-id", "corpus-id", "score"] and set(qrels["score"]) == {1}


def test_scores_of_a_collection_whose_answers_are_known(project):
    config, workdir, chunks, out = project
    export_beir(config, workdir, out)
    got = evaluate_retrieval(config, workdir, out, ks=(1, 5))
    corpus, queries, qrels = load_beir(out)
    assert got["queries"] == 2 and got["recall@1"] == 0.5  # q1 finds its chunk first, q2 does not
    assert got["recall@5"] >= 0.5 and 0.5 < got["mrr"] < 1.0
    again = evaluate_retrieval(config, workdir, out, embed_model="bow", ks=(1, 5))  # another model, same vectors
    assert again["recall@1"] == got["recall@1"] and again["retriever"].startswith("bow")


def test_metric_arithmetic():
    got = score_rankings({"a": ["x", "y", "z"], "b": ["z", "y"]}, {"a": {"x": 1}, "b": {"x": 1, "y": 1}}, ks=(1, 2))
    assert got == {"queries": 2, "recall@1": 0.5, "recall@2": 0.75, "mrr": 0.75, "ndcg@10": 0.6934}


def test_no_kept_question_says_what_to_do(tmp_path):
    workdir = Workdir(tmp_path / "w").ensure()
    with pytest.raises(GroundsetError, match="groundset run"):
        export_beir(load_config(None), workdir, tmp_path / "b")


def test_cli_writes_the_files_and_prints_the_figures(project):
    config, workdir, chunks, out = project
    res = CliRunner().invoke(cli, ["--workdir", str(workdir.root), "evaluate", "retrieval", "--json", "--k", "1,5"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.output)
    assert figures["recall@1"] == 0.5 and (workdir.export_dir / "beir" / "qrels" / "test.tsv").exists()
    bad = CliRunner().invoke(cli, ["--workdir", str(workdir.root), "evaluate", "retrieval", "--k", "one"])
    assert bad.exit_code == 2 and "--k" in bad.output
