"""One review session: the evaluated samples of a workdir, the queue to review, and the verdict journal.

The HTTP layer (``groundset.review.server``) only parses requests and calls these methods, so the whole workflow
— queue, filters, verdicts, stale views — is testable without a socket:

>>> session = ReviewSession(Workdir("groundset-work"), thresholds={"default": 0.6}, sample=40)   # doctest: +SKIP
>>> first = session.state()["queue"][0]["id"]                                                  # doctest: +SKIP
>>> session.give({"sample_id": first, "decision": "accepted", "expect_revision": 0})            # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import ValidationError

from groundset.errors import GroundsetError
from groundset.review.apply import verdicts_path
from groundset.review.items import BANDS, NO_SCORE, load_evaluated, score_band, text_hash, view
from groundset.review.journal import REJECT_REASONS, Verdict, VerdictJournal
from groundset.review.sampling import stratified_order
from groundset.workdir import Workdir

__all__ = ["ReviewSession", "BadVerdict", "KEYS"]

# key → action of the page (page.html reads this map from /api/state; tests check it covers the workflow)
KEYS: dict[str, str] = {
    "a": "accept",
    "r": "reject",
    "e": "edit",
    "j": "next",
    "ArrowRight": "next",
    "k": "previous",
    "ArrowLeft": "previous",
    "n": "next_todo",
    "f": "filters",
    "?": "help",
    "Escape": "cancel",
    "Ctrl+Enter": "save_edit",
    "Enter": "submit_reason",
    # in the reject panel, digits 1..len(REJECT_REASONS) pick a reason (the last one, "other", asks for text)
}


class BadVerdict(GroundsetError):
    """A verdict the page sent is malformed (the message says which field)."""


class ReviewSession:
    """The samples under review and their verdicts. ``sample``: queue length (None: every sample)."""

    def __init__(self, workdir: Workdir, thresholds: dict[str, float], *, sample: int | None = None,
                 tasks: Iterable[str] = (), seed: int = 0):
        evaluated = load_evaluated(workdir)
        self.invalid_records = evaluated.invalid_records
        self.samples = evaluated.by_id()
        tasks = set(tasks)
        unknown = tasks - {s.task for s in evaluated.samples}
        if tasks and unknown == tasks:
            have = ", ".join(sorted({s.task for s in evaluated.samples})) or "none"
            raise GroundsetError(f"no evaluated sample of task {', '.join(sorted(tasks))}: the workdir has {have}")
        pool = [s for s in evaluated.samples if not tasks or s.task in tasks]
        if not pool:
            raise GroundsetError(f"{workdir.evaluated_dir} holds no sample to review: run `groundset evaluate` first")
        self.thresholds = dict(thresholds)
        self.queue = stratified_order(pool, sample, seed)
        self.journal = VerdictJournal(verdicts_path(workdir))

    def state(self) -> dict[str, Any]:
        """The queue with each sample's verdict, progress, the filter choices, reasons and keys."""
        latest = self.journal.latest()
        queue = []
        for sid in self.queue:
            s = self.samples[sid]
            v = latest.get(sid)
            stale = v is not None and bool(v.text_hash) and v.text_hash != text_hash(s)
            queue.append({
                "id": sid, "task": s.task, "gate": "kept" if s.evaluation.kept else "rejected",
                "adherence": s.evaluation.scores.get("adherence"), "band": score_band(s.evaluation.scores.get("adherence")),
                "verdict": None if v is None or stale else v.decision, "revision": v.revision if v else 0,
            })
        done = sum(1 for q in queue if q["verdict"])
        return {
            "queue": queue,
            "progress": {"done": done, "todo": len(queue) - done, "total": len(queue)},
            "filters": {"task": sorted({q["task"] for q in queue}), "gate": ["kept", "rejected"],
                        "band": [name for name, _, _ in BANDS] + [NO_SCORE]},
            "reasons": REJECT_REASONS,
            "keys": KEYS,
        }

    def sample(self, sample_id: str) -> dict[str, Any]:
        """The page's view of one sample, with its current verdict and revision."""
        s = self.samples.get(sample_id)
        if s is None:
            raise KeyError(sample_id)
        latest = self.journal.latest().get(sample_id)
        out = view(s, self.thresholds)
        out["verdict"] = latest.model_dump(mode="json") if latest else None
        out["revision"] = latest.revision if latest else 0
        out["position"] = self.queue.index(sample_id) if sample_id in self.queue else None
        return out

    def give(self, payload: dict[str, Any]) -> Verdict:
        """Journal a verdict from the page: ``{sample_id, decision, reason?, note?, edits?, expect_revision, tab?}``.

        Raises ``BadVerdict`` for a malformed one, ``KeyError`` for an unknown sample and
        ``groundset.review.journal.StaleVerdict`` when the sample was reviewed elsewhere since the page loaded it.
        """
        if not isinstance(payload, dict):
            raise BadVerdict("send a JSON object")
        sid = payload.get("sample_id")
        s = self.samples.get(sid) if isinstance(sid, str) else None
        if s is None:
            raise KeyError(sid)
        expect = payload.get("expect_revision")
        if not isinstance(expect, int) or isinstance(expect, bool):
            raise BadVerdict("expect_revision (the revision the page showed) must be an integer")
        edits = payload.get("edits") or {}
        if isinstance(edits, dict):
            current = view(s, self.thresholds)["editable"]
            unknown = [k for k in edits if k not in current]
            if unknown:
                raise BadVerdict(f"cannot edit {', '.join(map(str, unknown))} of this sample: "
                                 f"editable are {', '.join(current)}")
            edits = {k: v for k, v in edits.items() if v != current[k]}  # unchanged fields are no edit
        try:
            verdict = Verdict(
                sample_id=sid, decision=payload.get("decision"), reason=payload.get("reason") or None,
                note=str(payload.get("note") or ""), edits=edits, task=s.task, gate_kept=bool(s.evaluation.kept),
                adherence=s.evaluation.scores.get("adherence"), judge=s.evaluation.details.get("judge"),
                text_hash=text_hash(s), tab=str(payload.get("tab") or "")[:64],
            )
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "verdict"
            raise BadVerdict(f"{where}: {first.get('msg', 'invalid')}".replace("Value error, ", "")) from None
        return self.journal.append(verdict, expect_revision=expect)
