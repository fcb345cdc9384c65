"""The verdict journal: ``review/verdicts.jsonl`` in the workdir, one JSON line per verdict, append-only.

```
{"sample_id": "3f…", "decision": "rejected", "reason": "unsupported", "note": "", "edits": {}, "revision": 1, …}
{"sample_id": "3f…", "decision": "accepted", "reason": null, "revision": 2, …}      ← a later verdict supersedes
```
Every verdict is written, flushed and fsynced before the server answers, so a closed tab or a killed server loses
nothing that was acknowledged. Writers take an exclusive ``flock`` on the file while they read what others
appended, check the revision and append, so two tabs (or two servers on one workdir) never interleave lines and
never overwrite each other's verdict unseen: a verdict that was given on an outdated view of its sample
(``expect_revision`` lower than the journal's) is refused with ``StaleVerdict`` and the page reloads the sample. A
torn last line left by a killed writer is cut off (and counted) before the next append.

>>> j = VerdictJournal(tmp / "verdicts.jsonl")          # doctest: +SKIP
>>> j.append(Verdict(sample_id="s1", decision="accepted", task="qa", gate_kept=True), expect_revision=0)  # doctest: +SKIP
>>> j.latest()["s1"].decision                           # doctest: +SKIP
'accepted'
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from groundset.generate.journal import repair_tail

__all__ = ["Verdict", "VerdictJournal", "StaleVerdict", "REJECT_REASONS", "GROUNDING_REASONS", "Decision"]

Decision = Literal["accepted", "rejected", "edited"]

# The short list the page offers (in this order, keys 1..n); "other" takes free text.
REJECT_REASONS: dict[str, str] = {
    "unsupported": "not supported by the cited chunks",
    "contradicts": "contradicts the cited chunks",
    "bad_question": "question unclear, generic or not answerable from the chunks",
    "incomplete": "answer incomplete or truncated",
    "not_useful": "correct but not useful for training",
    "other": "other (say why)",
}
# Reasons that say the gate's judge should have rejected the sample: the labels calibration uses by default.
GROUNDING_REASONS = frozenset({"unsupported", "contradicts"})


class StaleVerdict(Exception):
    """The sample was reviewed (by another tab) since this verdict's view of it was loaded."""

    def __init__(self, sample_id: str, expected: int, actual: int):
        super().__init__(f"sample {sample_id} has {actual} verdict(s) now, this one was given on revision {expected}: "
                         "reload the sample and give the verdict again")
        self.sample_id, self.expected, self.actual = sample_id, expected, actual


class Verdict(BaseModel):
    """One reviewer verdict on one sample, with what the gate said about it when it was given."""

    model_config = ConfigDict(extra="forbid")

    sample_id: str
    decision: Decision
    reason: str | None = None  # rejected: a key of REJECT_REASONS; edited: optional
    note: str = ""  # free text ("other" requires it)
    edits: dict[str, str] = Field(default_factory=dict)  # field → new text: answer | question | passage | turns.<i>
    task: str
    gate_kept: bool
    adherence: float | None = None
    judge: str | None = None
    text_hash: str = ""  # fingerprint of the text the reviewer saw (groundset.review.items.text_hash)
    revision: int = 0  # set by the journal: 1 for the first verdict on a sample, 2 for the next…
    tab: str = ""  # the browser tab that gave it
    at: float = 0.0  # unix time, set by the journal

    @model_validator(mode="after")
    def _consistent(self) -> "Verdict":
        if self.decision == "rejected":
            if self.reason not in REJECT_REASONS:
                raise ValueError(f"a rejection needs a reason, one of {', '.join(REJECT_REASONS)}")
            if self.reason == "other" and not self.note.strip():
                raise ValueError("reason 'other' needs a note saying why")
        if self.reason is not None and self.reason not in REJECT_REASONS:
            raise ValueError(f"unknown reason {self.reason!r}: one of {', '.join(REJECT_REASONS)}")
        if self.decision == "edited" and not self.edits:
            raise ValueError("an edit verdict needs the edited text")
        if self.decision != "edited" and self.edits:
            raise ValueError(f"a verdict '{self.decision}' carries no edits")
        for key in self.edits:
            head, _, idx = key.partition(".")
            if head not in ("answer", "question", "passage", "turns") or (head == "turns") != idx.isdigit():
                raise ValueError(f"cannot edit {key!r}: answer, question, passage or turns.<index>")
        return self


def _append_line(path: Path, line: bytes) -> None:
    """One write of the whole line at the end of the file, then fsync."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        view = memoryview(line)
        while view:  # a regular file takes it in one write; loop in case a signal cut it short
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


class VerdictJournal:
    """The append-only journal of one workdir; safe across threads, tabs and processes (POSIX ``flock``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)
        self._lock = threading.Lock()
        self._offset = 0
        self._verdicts: list[Verdict] = []
        self._latest: dict[str, Verdict] = {}
        self.invalid_lines = 0  # complete lines that are not a verdict (hand-edited file): skipped, counted
        self.repaired = 0  # torn last lines cut off
        with self._locked():
            self.repaired += repair_tail(self.path)
            self._sync()

    # --- reading ---------------------------------------------------------------------------------------------------
    def _sync(self) -> None:
        """Read what was appended since the last read (by us or by another process)."""
        with self.path.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line still being written by nobody (torn) stays unread
        for raw in data[:end].splitlines():
            if not raw.strip():
                continue
            try:
                v = Verdict.model_validate_json(raw)
            except ValidationError:
                self.invalid_lines += 1
                continue
            self._verdicts.append(v)
            self._latest[v.sample_id] = v
        self._offset += end

    def refresh(self) -> None:
        with self._locked(shared=True):
            self._sync()

    def latest(self) -> dict[str, Verdict]:
        """The current verdict of every reviewed sample (the last one given)."""
        self.refresh()
        return dict(self._latest)

    def all(self) -> list[Verdict]:
        """Every verdict in the order given, superseded ones included."""
        self.refresh()
        return list(self._verdicts)

    def revision(self, sample_id: str) -> int:
        v = self._latest.get(sample_id)
        return v.revision if v else 0

    # --- writing ---------------------------------------------------------------------------------------------------
    def append(self, verdict: Verdict, expect_revision: int | None = None) -> Verdict:
        """Write ``verdict`` (revision and time set here), fsynced; raise ``StaleVerdict`` when ``expect_revision``
        (the revision the reviewer saw) is not the journal's current one. Returns the verdict as written."""
        with self._locked():
            self.repaired += repair_tail(self.path)
            self._sync()
            current = self.revision(verdict.sample_id)
            if expect_revision is not None and expect_revision != current:
                raise StaleVerdict(verdict.sample_id, expect_revision, current)
            written = verdict.model_copy(update={"revision": current + 1, "at": round(time.time(), 3)})
            _append_line(self.path, (written.model_dump_json() + "\n").encode("utf-8"))
            self._sync()
        return written

    # --- locking ---------------------------------------------------------------------------------------------------
    class _Held:
        def __init__(self, journal: "VerdictJournal", shared: bool):
            self.j, self.shared = journal, shared

        def __enter__(self):
            self.j._lock.acquire()
            self.f = self.j.path.open("rb")
            fcntl.flock(self.f.fileno(), fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX)
            return self

        def __exit__(self, *exc):
            fcntl.flock(self.f.fileno(), fcntl.LOCK_UN)
            self.f.close()
            self.j._lock.release()

    def _locked(self, shared: bool = False) -> "_Held":
        return self._Held(self, shared)
