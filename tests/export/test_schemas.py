import json

import pytest

from groundset.export.schemas import COLUMNS, build_rows, conversation_row, qa_row, ragas_row, sft_row, textbook_row
from tests.export.fixtures import conversation, multihop, qa, rag, textbook


def test_qa_row_has_question_answer_contexts_and_provenance():
    row = qa_row(qa(1, "d1"))
    assert row["question"] == "What is item 1 of d1?"
    assert row["answer"] == "Item 1 of d1 is a thing."
    assert row["contexts"] == ["Text of chunk 1 of d1."]
    assert row["chunk_ids"] == ["d1-c1"] and row["document_ids"] == ["d1"] and row["sources"] == ["docs/d1.html"]
    assert row["generator_model"] == "tiny-model" and row["adherence"] == 0.9
    assert json.loads(row["attributes"])["kind"] == "factual"  # the task's attribute model, as JSON
    assert set(row) == set(COLUMNS["qa"])


def test_sft_messages_follow_trl_chat_format():
    row = sft_row(qa(1, "d1"), include_context=True, system_prompt="Use the context.")
    roles = [m["role"] for m in row["messages"]]
    assert roles == ["system", "user", "assistant"]
    assert "Text of chunk 1 of d1." in row["messages"][1]["content"]
    assert row["messages"][1]["content"].endswith("Question: What is item 1 of d1?")
    assert row["messages"][2]["content"] == "Item 1 of d1 is a thing."
    closed = sft_row(qa(1, "d1"), include_context=False)
    assert closed["messages"] == [
        {"role": "user", "content": "What is item 1 of d1?"},
        {"role": "assistant", "content": "Item 1 of d1 is a thing."},
    ]


def test_sft_conversation_and_textbook():
    conv = sft_row(conversation("d2"), include_context=True, system_prompt="")
    assert [m["role"] for m in conv["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    assert "Text of chunk 0 of d2." in conv["messages"][0]["content"]
    tb = sft_row(textbook("d3"), include_context=False, closed_book_system_prompt="")
    assert tb["messages"][0]["content"] == "Write an explanation about Lists in Python for an expert."
    assert tb["messages"][-1] == {"role": "assistant", "content": "Lists hold items. They are mutable."}


def test_ragas_row_uses_singleturnsample_columns():
    row = ragas_row(qa(1, "d1"))
    assert row["user_input"] == "What is item 1 of d1?"
    assert row["reference"] == "Item 1 of d1 is a thing."
    assert row["reference_contexts"] == ["Text of chunk 1 of d1."] and row["reference_context_ids"] == ["d1-c1"]
    assert row["response"] == row["reference"] and row["retrieved_context_ids"] == ["d1-c1"]
    assert row["query_style"] == "factual" and row["synthesizer_name"] == "groundset:qa"


def test_ragas_rag_sample_separates_reference_from_retrieved():
    row = ragas_row(rag(2, "d1", ["d9"]))
    assert row["reference_context_ids"] == ["d1-c2"]
    assert row["retrieved_context_ids"] == ["d9-c92", "d1-c2"]


def test_ragas_multihop_references_the_contributing_chunks_and_retrieves_what_was_shown():
    row = ragas_row(multihop("d1", "d4"))
    assert row["reference_context_ids"] == ["d1-c0", "d4-c0"] and row["retrieved_context_ids"] == ["d1-c0", "d4-c0"]
    assert row["persona_name"] is None and row["query_length"] is None  # no task samples them


def test_conversation_and_textbook_rows():
    conv = conversation_row(conversation("d2"), system_prompt="Use the context.")
    assert conv["turn_chunk_ids"] == [[], [], ["d2-c0"], [], ["d2-c1"]]
    assert conv["messages"][0]["role"] == "system" and conv["messages"][0]["content"].startswith("Use the context.")
    assert "Text of chunk 1 of d2." in conv["messages"][0]["content"] and len(conv["messages"]) == 5
    closed = conversation_row(conversation("d2"), include_context=False, closed_book_system_prompt="Be brief.")
    assert closed["messages"][0] == {"role": "system", "content": "Be brief."}
    tb = textbook_row(textbook("d3"))
    assert tb["topic"] == "Lists in Python" and tb["text"].startswith("Lists hold")
    assert tb["instruction"] == "Write an explanation about Lists in Python for an expert."
    assert tb["audience"] == "expert" and tb["format"] == "explanation"


def test_build_rows_counts_misfits_and_adds_score_columns():
    kept = [qa(1, "d1"), conversation("d2"), textbook("d3"), multihop("d1", "d4")]
    built = build_rows("qa", kept)
    assert [r["task"] for r in built.rows] == ["qa", "multihop"]
    assert built.skipped == {"not_a_question_answer_sample": 2}
    tb = build_rows("textbook", kept)
    assert len(tb.rows) == 1 and tb.rows[0]["score_rating"] == 4.0 and tb.columns["score_rating"] == "float64"
    sft = build_rows("sft", kept)
    assert len(sft.rows) == 4 and not sft.skipped
    with pytest.raises(ValueError):
        build_rows("dpo", kept)
