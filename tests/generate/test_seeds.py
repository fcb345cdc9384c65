"""Seed selection (usable chunks, diverse deterministic order), topic tree, plan determinism, config validation."""

from __future__ import annotations

import numpy as np
import pytest

from groundset.config import load_config
from groundset.errors import ConfigError
from groundset.generate.plan import TaskPlan
from groundset.generate.seeds import diverse_order, kmeans, usable_seeds
from groundset.generate.topics import build_topics, topic_order
from groundset.records import Chunk
from tests.generate.fakes import bow_embed


def chunk(doc: str, i: int, text: str, section=("S",), n_tokens: int | None = None) -> Chunk:
    return Chunk(id=f"{doc}-{i}", document_id=doc, source=f"{doc}.html", title=doc.title(), text=text,
                 section=list(section), index=i, n_tokens=n_tokens if n_tokens is not None else len(text.split()) + 10)


PROSE = "Python lists store items in order and grow as needed when new items are appended to them"


def test_usable_seeds_skips_tiny_boilerplate_symbols_and_repeats():
    chunks = [
        chunk("a", 0, PROSE),
        chunk("a", 1, "Next topic", n_tokens=3),
        chunk("a", 2, "Copyright 2024 Example Inc. All rights reserved. Privacy policy. Terms of use apply here"),
        chunk("a", 3, "{} [] () => ++ -- 0x1F 0x2A == != <= >= && || ;; :: 12 34 56 78 90 11 22 33"),
        chunk("b", 0, PROSE + " again"),
        chunk("b", 1, "Shared footer text that appears on every single page of the site for all readers"),
        chunk("c", 0, "Shared footer text that appears on every single page of the site for all readers"),
        chunk("d", 0, "Shared footer text that appears on every single page of the site for all readers"),
        chunk("d", 1, PROSE + " again"),
    ]
    usable, skipped = usable_seeds(chunks, min_tokens=8)
    assert [c.id for c in usable] == ["a-0", "b-0"]
    assert skipped == {"tiny": 1, "boilerplate": 1, "not_prose": 1, "repeated": 3, "duplicate": 1}


def _corpus(n_docs=6, per_doc=8):
    topics = ["lists append items", "dictionary keys values", "exceptions raise errors", "modules import files",
              "loops range iterate", "classes objects methods"]
    chunks = [chunk(f"d{d}", i, f"{topics[(d + i // 4) % 6]} example number {d} {i} words here and more")
              for d in range(n_docs) for i in range(per_doc)]
    return chunks, bow_embed([c.text for c in chunks])


def test_diverse_order_is_a_seeded_permutation_spread_over_documents():
    chunks, vectors = _corpus()
    order = diverse_order(chunks, vectors, seed=1)
    assert sorted(c.id for c in order) == sorted(c.id for c in chunks)
    assert [c.id for c in order] == [c.id for c in diverse_order(chunks, vectors, seed=1)]
    assert [c.id for c in order] != [c.id for c in diverse_order(chunks, vectors, seed=2)]
    assert [c.id for c in order[:6]] != [c.id for c in chunks[:6]]  # not the first N
    assert len({c.document_id for c in order[:6]}) >= 4
    assert diverse_order([], None, seed=0) == []


def test_kmeans_groups_similar_vectors():
    rs = np.random.default_rng(0)
    a = rs.normal([5, 0, 0], 0.1, (20, 3))
    b = rs.normal([0, 5, 0], 0.1, (20, 3))
    v = np.vstack([a, b]).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    labels = kmeans(v, 2, seed=0)
    assert len(set(labels[:20])) == 1 and len(set(labels[20:])) == 1 and labels[0] != labels[20]


def test_topic_tree_from_titles_and_headings_refined_into_subtopics():
    chunks = [chunk("guide", i, f"Lists hold items {i}. append adds append items.", section=("Guide", "1.2. Lists"))
              for i in range(7)]
    chunks += [chunk("guide", 10, "Dictionaries map keys to values in Python programs.", section=("Guide", "Dicts"))]
    topics = build_topics(chunks, chunks_per_topic=3)
    labels = [t.label for t in topics]
    assert labels[-1] == "Guide › Dicts"
    lists = [t for t in topics if t.path[1] == "Lists"]
    assert len(lists) == 2  # 7 chunks → 3 + 4 (no tiny tail), section number dropped
    assert sum(len(t.chunk_ids) for t in lists) == 7
    assert all(t.label.startswith("Guide › Lists") for t in lists)
    assert [t.id for t in topic_order(topics, 0)] == [t.id for t in topic_order(topics, 0)]


def test_plan_is_deterministic_and_ids_ignore_n(fake_corpus):
    cfg3 = load_config(None, {"generate.tasks": {"qa": 3, "textbook": 2, "conversation": 1}})
    cfg5 = load_config(None, {"generate.tasks": {"qa": 5, "textbook": 2, "conversation": 1}})
    p3, p5 = TaskPlan("qa", cfg3, fake_corpus), TaskPlan("qa", cfg5, fake_corpus)
    assert [p3.attempt(j).id for j in range(3)] == [p5.attempt(j).id for j in range(3)]
    assert len({p5.attempt(j).id for j in range(p5.max_attempts)}) == p5.max_attempts
    other = TaskPlan("qa", load_config(None, {"generate.tasks": {"qa": 3}, "generate.seed": "9"}), fake_corpus)
    assert other.attempt(0).id != p3.attempt(0).id
    tb = TaskPlan("textbook", cfg3, fake_corpus)
    cells = {(tb.attempt(j).controls["audience"], tb.attempt(j).controls["format"]) for j in range(tb.max_attempts)}
    assert len(cells) == min(tb.max_attempts, 15)  # grid cells are not repeated before all were used
    conv = TaskPlan("conversation", cfg3, fake_corpus).attempt(0).controls
    assert set(conv) == {"asker", "answerer", "emotion", "structure", "scenario", "knowledge"}


def test_question_kinds_follow_weights(fake_corpus):
    cfg = load_config(None, {"generate.tasks": {"qa": 200}, "generate.reuse_chunks": "true",
                             "generate.qa.kinds": "{factual = 1, comparison = 0}"})
    plan = TaskPlan("qa", cfg, fake_corpus)
    assert {plan.attempt(j).controls["kind"] for j in range(50)} == {"factual"}


@pytest.mark.parametrize(
    "override, match",
    [
        ({"generate.tasks": "{summary = 3}"}, "unknown task"),
        ({"generate.tasks": "{qa = -1}"}, "tasks"),
        ({"generate.qa.kinds": "{trivia = 1}"}, "unknown question kind"),
        ({"generate.qa.kinds": "{factual = 0}"}, "at least one"),
        ({"generate.multihop.min_similarity": "0.95"}, "min_similarity"),
        ({"generate.multihop.other": "chapter"}, "other"),
        ({"generate.conversation.roles": "[]"}, "roles"),
        ({"generate.conversation.turns": "0"}, "turns"),
        ({"generate.textbook.formats": "[]"}, "formats"),
        ({"generate.rag.distractors": "0"}, "distractors"),
        ({"generate.qa.temperature": "3"}, "temperature"),
        ({"generate.qa.tempreature": "0.1"}, "unknown key"),
    ],
)
def test_config_is_validated(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config(None, override)


def test_config_from_toml_with_task_tables(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text('[generate]\ntasks = { qa = 5, conversation = 2 }\n[generate.qa]\ntemperature = 0.1\n'
                 '[generate.conversation]\nturns = 4\nroles = [["pupil", "tutor"]]\n')
    cfg = load_config(p, {"generate.conversation.turns": "5"})
    assert cfg.generate.qa.temperature == 0.1 and cfg.generate.conversation.roles == [("pupil", "tutor")]
    assert cfg.generate.conversation.turns == 5 and cfg.generate.tasks == {"qa": 5, "conversation": 2}
