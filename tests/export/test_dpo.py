from groundset.export.dpo import build_pairs, normalise_question
from groundset.records import Evaluation
from tests.export.fixtures import conversation, qa


def test_pairs_kept_answer_with_gate_rejected_answer_to_same_question():
    kept = [qa(1, "d1"), qa(2, "d1")]
    rejected = [
        qa(1, "d2", kept=False, question="what is item 1 of D1", reasons=["unsupported"]),
        qa(2, "d2", kept=False, question="What is item 2 of d1?", reasons=["near_duplicate"]),  # not a worse answer
    ]
    built = build_pairs(kept, rejected, reject_reasons=["unsupported"], include_context=True, system_prompt="S")
    assert len(built.rows) == 1
    row = built.rows[0]
    assert row["id"] == "qa-d1-1"
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["chosen"] == [{"role": "assistant", "content": "Item 1 of d1 is a thing."}]
    assert row["rejected"] == [{"role": "assistant", "content": "Item 1 was invented in 1850 by Napoleon."}]
    assert row["rejected_id"] == "qa-d2-1-r" and row["rejected_reasons"] == ["unsupported"]
    assert row["rejected_adherence"] == 0.2
    assert built.skipped == {"no_rejected_answer": 1}


def test_gate_trimmed_answer_pairs_with_its_original():
    s = qa(3, "d1", details={"original_answer": "Item 3 is a thing. It was made in 1999.", "original_adherence": 0.4},
           unsupported=["It was made in 1999."])
    built = build_pairs([s, conversation("d2")], [], reject_reasons=["unsupported"])
    assert built.rows[0]["rejected"][0]["content"] == "Item 3 is a thing. It was made in 1999."
    assert built.rows[0]["rejected_reasons"] == ["unsupported_sentences_trimmed"]
    assert built.rows[0]["rejected_adherence"] == 0.4
    assert built.skipped == {"not_a_question_answer_sample": 1}


def test_a_rejected_answer_is_used_once():
    kept = [qa(1, "d1"), qa(1, "d3", question="What is item 1 of d1?")]
    rejected = [qa(1, "d2", kept=False, question="What is item 1 of d1?", reasons=["unsupported"])]
    built = build_pairs(kept, rejected, reject_reasons=["unsupported"])
    assert len(built.rows) == 1 and built.skipped == {"no_rejected_answer": 1}


def test_normalise_question():
    assert normalise_question("  What's  X?? ") == normalise_question("what s x")
    assert Evaluation().kept is None
