"""Literal samples and a filled workdir for export and report tests (no model, no other stage needed).

Attributes are built through each task's own attribute model, so a fixture cannot carry a key no generator writes
(tests/generate/test_stage_joints.py checks the same joints on samples the generators make)."""

from __future__ import annotations

import json
from pathlib import Path

from groundset.generate.conversation import ConversationAttributes
from groundset.generate.multihop import MultihopAttributes
from groundset.generate.qa import QAAttributes
from groundset.generate.rag import RagAttributes
from groundset.generate.textbook import TextbookAttributes
from groundset.records import Citation, Evaluation, Sample, Turn
from groundset.workdir import Workdir, write_json_atomic


def cite(doc: str, i: int, text: str | None = None) -> Citation:
    return Citation(
        chunk_id=f"{doc}-c{i}", document_id=doc, source=f"docs/{doc}.html", title=doc.upper(),
        section=["Intro"], text=text or f"Text of chunk {i} of {doc}.",
    )


def qa(i: int, doc: str, kept: bool = True, task: str = "qa", question: str | None = None, **ev) -> Sample:
    ev.setdefault("scores", {"adherence": 0.9 if kept else 0.2})
    return Sample(
        id=f"{task}-{doc}-{i}{'' if kept else '-r'}", task=task, question=question or f"What is item {i} of {doc}?",
        answer=f"Item {i} of {doc} is a thing." if kept else f"Item {i} was invented in 1850 by Napoleon.",
        contexts=[cite(doc, i)], attributes=QAAttributes(kind="factual").model_dump(), generation={"model": "tiny-model"},
        evaluation=Evaluation(kept=kept, **ev),
    )


def conversation(doc: str) -> Sample:
    return Sample(
        id=f"conv-{doc}", task="conversation",
        turns=[Turn(role="user", content="What is X?"), Turn(role="assistant", content="X is Y.", chunk_ids=[f"{doc}-c0"]),
               Turn(role="user", content="And Z?"), Turn(role="assistant", content="Z is W.", chunk_ids=[f"{doc}-c1"])],
        contexts=[cite(doc, 0), cite(doc, 1)], generation={"model": "tiny-model"},
        attributes=ConversationAttributes(asker="student", answerer="teacher", emotion="curious", structure="Q&A session",
                                          scenario="office hours after a class", knowledge="beginner",
                                          retrieved=[[f"{doc}-c0"], [f"{doc}-c1"]]).model_dump(),
        evaluation=Evaluation(kept=True, scores={"adherence": 0.8}),
    )


def textbook(doc: str) -> Sample:
    return Sample(
        id=f"tb-{doc}", task="textbook", question="Write an explanation about Lists in Python for an expert.",
        passage="Lists hold items. They are mutable.", contexts=[cite(doc, 0)], generation={"model": "tiny-model"},
        attributes=TextbookAttributes(topic="Lists in Python", topic_path=["Lists"], audience="expert",
                                      format="explanation", title="Lists").model_dump(),
        evaluation=Evaluation(kept=True, scores={"adherence": 0.95, "rating": 4.0}),
    )


def multihop(a: str, b: str) -> Sample:
    return Sample(
        id=f"mh-{a}-{b}", task="multihop", question=f"How do {a} and {b} relate?", answer=f"{a} feeds {b}.",
        contexts=[cite(a, 0), cite(b, 0)], generation={"model": "tiny-model"},
        attributes=MultihopAttributes(cited_chunk_ids=[f"{a}-c0", f"{b}-c0"], hops=2,
                                      answer_with_citations=f"{a} feeds {b} [C1][C2].").model_dump(),
        evaluation=Evaluation(kept=True, scores={"adherence": 0.7}),
    )


def rag(i: int, gold: str, distractors: list[str]) -> Sample:
    """A rag sample: the gold chunk of ``gold`` among distractor chunks of other documents."""
    contexts = [cite(d, 90 + i, f"Distractor {i} from {d}.") for d in distractors[:1]] + [cite(gold, i)] + [
        cite(d, 90 + i, f"Distractor {i} from {d}.") for d in distractors[1:]]
    return Sample(
        id=f"rag-{gold}-{i}", task="rag", question=f"What is item {i} of {gold}?", answer=f"Item {i} of {gold} is a thing.",
        contexts=contexts, generation={"model": "tiny-model"},
        attributes=RagAttributes(kind="factual", gold_positions=[1 if distractors else 0], gold_chunk_ids=[f"{gold}-c{i}"],
                                 distractor_chunk_ids=[f"{d}-c{90 + i}" for d in distractors],
                                 distractor_scores=[0.5] * len(distractors)).model_dump(),
        evaluation=Evaluation(kept=True, scores={"adherence": 0.85}),
    )


def retrieving_conversation(doc: str, retrieved: list[str]) -> Sample:
    """A conversation whose answers cite ``doc`` only, though chunks of ``retrieved`` documents were shown."""
    s = conversation(doc)
    s.id = f"conv-{doc}-r"
    s.contexts += [cite(d, 50, f"Retrieved chunk of {d}.") for d in retrieved]
    return s


def write_samples(path: Path, samples: list[Sample]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(s.model_dump_json() + "\n" for s in samples), encoding="utf-8")


def filled_workdir(root: Path, kept: list[Sample], rejected: list[Sample] = (), *, evaluate: dict | None = None,
                   generate: dict | None = None, embed_model: str = "tiny-embedder") -> Workdir:
    """A workdir as the stages leave it: ingest report, samples, kept/rejected, summaries, usage.

    ``evaluate`` / ``generate``: what the evaluate / generate stage recorded (merged into the summaries)."""
    wd = Workdir(root).ensure()
    docs = sorted({c.document_id for s in [*kept, *rejected] for c in s.contexts} | {"unused-doc"})
    write_json_atomic(wd.ingest_report, {
        "embed_model": embed_model, "chunk_tokens": 200, "chunk_overlap": 20, "collection": "tiny",
        "counts": {"files": len(docs), "files_ok": len(docs), "files_failed": 0, "documents": len(docs),
                   "chunks": 10 * len(docs), "points": 10 * len(docs)},
        "dropped": {"tiny": 2},
        "documents": [{"id": d, "source": f"docs/{d}.html", "title": d, "chunks": 10} for d in docs],
    })
    by_task: dict[str, list[Sample]] = {}
    for s in [*kept, *rejected]:
        by_task.setdefault(s.task, []).append(s)
    for task, ss in by_task.items():
        write_samples(wd.samples(task), ss)
    wd.rejects("qa").write_text(json.dumps({"reason": "invalid_json", "raw": "{oops"}) + "\n")
    write_samples(wd.kept, list(kept))
    write_samples(wd.rejected, list(rejected))
    write_json_atomic(wd.evaluate_summary, {
        "judge": {"name": "default", "threshold": 0.6, "aggregate": "min"}, "kept": len(kept), "rejected": len(rejected),
        "thresholds": {"default": 0.6}, "filters": {"sanity": True, "dedup": True}, **(evaluate or {})})
    tasks = {t: {"requested": len(ss)} for t, ss in by_task.items()}
    write_json_atomic(wd.generate_summary, {"model": "tiny-model", "tasks": tasks, **(generate or {})})
    write_json_atomic(wd.usage, {"generate": {"model": "tiny-model", "requests": 32, "calls": 30, "retries": 4, "cache_hits": 2,
                                              "repairs": 1, "repaired": 1, "prompt_tokens": 9000, "completion_tokens": 3000,
                                              "failures": {"invalid_json": 1}, "wall_s": 12.5, "cost": 0.015}})
    return wd
