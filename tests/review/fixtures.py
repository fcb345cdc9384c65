"""An evaluated workdir for review tests: kept and rejected samples of several tasks across the score range."""

from __future__ import annotations

from pathlib import Path

from groundset.records import Citation, Evaluation, Sample, Turn
from groundset.workdir import Workdir

THRESHOLDS = {"default": 0.6, "nli": 0.5, "llm": 0.5, "ragas": 0.8}


def cite(doc: str, i: int, page: int | None = None) -> Citation:
    return Citation(chunk_id=f"{doc}-c{i}", document_id=doc, source=f"docs/{doc}.pdf", title=doc.upper(),
                    section=["Part 1", "Intro"], page=page, text=f"The {doc} river is {100 + i} km long. It flows north.")


def qa(i: int, score: float | None, kept: bool, reasons: list[str] | None = None, task: str = "qa") -> Sample:
    answer = f"The river is {100 + i} km long. It was discovered in 1850."
    claims = [] if score is None else [
        {"text": f"The river is {100 + i} km long.", "support": 0.95},
        {"text": "It was discovered in 1850.", "support": score, **({"missing": ["1850"]} if score < 0.6 else {})},
    ]
    ev = Evaluation(
        kept=kept, reasons=reasons if reasons is not None else ([] if kept else ["unsupported"]),
        scores={} if score is None else {"adherence": score},
        unsupported=[] if score is None or score >= 0.6 else ["It was discovered in 1850."],
        details={"judge": "default", "claims": claims} if score is not None else {},
    )
    return Sample(id=f"{task}-{i}", task=task, question=f"How long is river {i}?", answer=answer,
                  contexts=[cite(f"d{i % 3}", i, page=i + 1)], generation={"model": "tiny"}, evaluation=ev)


def conversation(i: int, score: float, kept: bool) -> Sample:
    return Sample(
        id=f"conv-{i}", task="conversation",
        turns=[Turn(role="user", content="How long is it?"),
               Turn(role="assistant", content=f"It is {100 + i} km long.", chunk_ids=[f"d0-c{i}"])],
        contexts=[cite("d0", i)], generation={"model": "tiny"},
        evaluation=Evaluation(kept=kept, reasons=[] if kept else ["unsupported"], scores={"adherence": score},
                              details={"judge": "default",
                                       "claims": [{"text": f"It is {100 + i} km long.", "support": score}]}),
    )


def samples() -> tuple[list[Sample], list[Sample]]:
    """26 samples: kept ones at 0.6-1.0, rejected ones at 0.0-0.6, two rejected before the judge, conversations."""
    kept = [qa(i, 0.6 + 0.4 * (i % 10) / 10, True) for i in range(12)]
    kept += [conversation(i, 0.9, True) for i in range(2)]
    rejected = [qa(100 + i, 0.06 * i, False) for i in range(8)]
    rejected += [qa(200, None, False, ["truncated"]), qa(201, 0.95, False, ["near_duplicate"])]
    rejected += [conversation(100 + i, 0.3, False) for i in range(2)]
    return kept, rejected


def write(path: Path, items: list[Sample]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(s.model_dump_json() + "\n" for s in items), encoding="utf-8")


def evaluated_workdir(root: Path, kept: list[Sample] | None = None, rejected: list[Sample] | None = None) -> Workdir:
    if kept is None and rejected is None:
        kept, rejected = samples()
    wd = Workdir(root).ensure()
    write(wd.kept, kept or [])
    write(wd.rejected, rejected or [])
    return wd
