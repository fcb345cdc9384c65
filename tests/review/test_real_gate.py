"""The page reads what the real evaluate stage writes: sentence scores, unsupported sentences, missing facts."""

from __future__ import annotations

from groundset.config import load_config
from groundset.evaluate.runner import evaluate
from groundset.records import Citation, Sample
from groundset.review.session import ReviewSession
from groundset.workdir import Workdir

NORMANS = ("The Normans gave their name to Normandy, a region in France. They were descended from Norse raiders "
           "from Denmark, Iceland and Norway. In 1066 the Normans conquered England.")


def sample(i: str, answer: str) -> Sample:
    return Sample(id=i, task="qa", question="Who were the Normans?", answer=answer,
                  contexts=[Citation(chunk_id="c1", document_id="d1", source="normans.pdf", title="Normans",
                                     section=["History"], page=3, text=NORMANS)])


def test_review_view_of_real_gate_output(tmp_path):
    wd = Workdir(tmp_path / "w").ensure()
    wd.samples("qa").parent.mkdir(parents=True, exist_ok=True)
    wd.samples("qa").write_text("".join(s.model_dump_json() + "\n" for s in [
        sample("good", "The Normans gave their name to Normandy. They conquered England in 1066."),
        sample("bad", "The Normans had 900 ships in 1066. They came from Norway."),  # not trimmable: the first is unsupported
    ]))
    evaluate(load_config(None, {"evaluate.dedup": "false", "evaluate.judge": "default"}), wd, progress=False)
    session = ReviewSession(wd, load_config(None, {}).evaluate.thresholds)
    bad, good = session.sample("bad"), session.sample("good")
    assert bad["gate"] == "rejected" and good["gate"] == "kept"
    assert bad["judge"] == "default" and bad["threshold"] == session.thresholds["default"]
    flagged = [x for x in bad["sentences"] if x["unsupported"]]
    assert [x["text"] for x in flagged] == ["The Normans had 900 ships in 1066."] and "900" in flagged[0]["missing"]
    assert all(not x["unsupported"] for x in good["sentences"]) and len(good["sentences"]) == 2
    assert bad["contexts"][0]["page"] == 3 and bad["contexts"][0]["section"] == ["History"]
