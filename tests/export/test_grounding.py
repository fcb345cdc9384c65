"""Splits group rows by the documents their answers are grounded in, never by distractors or retrieved chunks."""

import pytest

from groundset.config import load_config
from groundset.export.runner import export, export_rows
from groundset.export.schemas import grounded_chunk_ids, ragas_row
from tests.export.fixtures import filled_workdir, multihop, qa, rag, retrieving_conversation

DOCS = [f"d{i:02d}" for i in range(17)]


def test_grounded_chunks_per_task():
    r = rag(1, "d01", ["d05", "d07"])
    assert grounded_chunk_ids(r) == ["d01-c1"]
    assert grounded_chunk_ids(retrieving_conversation("d02", ["d08", "d09"])) == ["d02-c0", "d02-c1"]
    mh = multihop("d03", "d04")
    mh.attributes["cited_chunk_ids"] = ["d04-c0"]
    assert grounded_chunk_ids(mh) == ["d04-c0"]
    assert grounded_chunk_ids(qa(1, "d06")) == ["d06-c1"]


def test_ragas_row_has_id_columns_and_a_response():
    row = ragas_row(rag(1, "d01", ["d05", "d07"]))
    assert row["reference_context_ids"] == ["d01-c1"]
    assert row["retrieved_context_ids"] == ["d05-c91", "d01-c1", "d07-c91"]
    assert row["response"] == row["reference"] == "Item 1 of d01 is a thing."
    assert row["grounded_document_ids"] == ["d01"] and row["document_ids"] == ["d05", "d01", "d07"]


@pytest.mark.parametrize("schema", ["qa", "ragas", "sft", "conversation"])
def test_distractors_and_retrieved_documents_do_not_collapse_the_splits(tmp_path, schema):
    kept = [rag(i, DOCS[i % 17], [DOCS[(i + 3) % 17], DOCS[(i + 5) % 17]]) for i in range(60)]
    kept += [retrieving_conversation(d, [DOCS[(j + 1) % 17], DOCS[(j + 2) % 17]]) for j, d in enumerate(DOCS)]
    wd = filled_workdir(tmp_path / "w", kept)
    cfg = load_config(None, {"export.schema": schema, "export.format": "jsonl", "export.out": str(tmp_path / "o")})
    result = export(cfg, wd)
    rows = export_rows(cfg, wd).rows
    per_doc = max(sum(1 for r in rows if r["grounded_document_ids"] == [d]) for d in DOCS)
    assert abs(result.split_rows.get("test", 0) - 0.1 * len(rows)) <= per_doc, result.split_rows
    assert result.split_rows["test"] > 0 and result.split_documents["test"] >= 1
