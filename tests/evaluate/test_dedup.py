from groundset.evaluate.dedup import find_duplicates
from groundset.records import Sample
from tests.evaluate.conftest import qa


def key(s):
    return s.evaluation.scores.get("adherence", 0.0)


def scored(s, adherence):
    s.evaluation.scores["adherence"] = adherence
    return s


def test_exact_duplicates_keep_the_best_scoring_one():
    a = scored(qa("a", "Who led the Normans?", "Rollo led them."), 0.6)
    b = scored(qa("b", "who led the normans", "Rollo led them!"), 0.9)
    assert find_duplicates([a, b], key=key) == {0: ("duplicate", 1, 1.0)}


def test_near_duplicate_questions_are_found_by_minhash():
    a = qa("a", "Who was the leader of the Norse raiders and pirates?", "Rollo.")
    b = qa("b", "Who was the leader of the Norse raiders and pirates in 911?", "Rollo was.")
    c = qa("c", "Which region did the Normans give their name to?", "Normandy.")
    dups = find_duplicates([a, b, c], key=key, embedding_threshold=None)
    assert list(dups) == [1] and dups[1][0] == "near_duplicate" and dups[1][1] == 0


def test_near_duplicate_answers_are_found_by_minhash():
    text = "The Normans were descended from Norse raiders and pirates from Denmark, Iceland and Norway under Rollo"
    a = scored(qa("a", "Where did the Normans come from?", text + "."), 0.7)
    b = scored(qa("b", "What was the origin of the Normans?", text + ", their leader."), 0.8)
    dups = find_duplicates([a, b], key=key, embedding_threshold=None)
    assert dups == {0: ("near_duplicate", 1, dups[0][2])} and dups[0][2] >= 0.8


def test_semantic_duplicates_by_embedding(embedder):
    a = qa("a", "Who led the Normans?", "Their leader was Rollo.")
    b = qa("b", "Who was the leader of the Normans?", "Rollo was their leader.")
    c = qa("c", "When did the Normans conquer England?", "In 1066.")
    assert find_duplicates([a, b, c], key=key, embedder=embedder, embedding_threshold=0.9).keys() == {1}


def test_duplicates_are_only_looked_for_within_a_task():
    a = qa("a", "Who led the Normans?", "Rollo led them.")
    b = qa("b", "Who led the Normans?", "Rollo led them.", task="rag")
    assert find_duplicates([a, b], key=key) == {}


def test_textbook_passages_on_the_same_topic_are_variety_not_duplicates():
    a = Sample(id="a", task="textbook", question="The Normans", passage="For children: the Normans came from the north.")
    b = Sample(id="b", task="textbook", question="The Normans", passage="For historians: Norman identity formed c. 911.")
    assert find_duplicates([a, b], key=key, embedding_threshold=None) == {}
