"""The workdir holds all state of a run, so that every stage is resumable and inspectable.

```
groundset-work/
  qdrant/                         embedded Qdrant storage (unless [store] url points at a server)
  ingest/report.json              per-file outcome (ok / failed + reason), counts, chunk quality
  llm-cache.sqlite                LLM response cache: re-runs and resumed runs pay nothing twice
  samples/<task>.jsonl            generated samples, appended as produced
  samples/<task>.rejects.jsonl    unparseable / invalid outputs with raw text and reason
  samples/summary.json            per-task counts of the last generate run
  evaluated/kept.jsonl, evaluated/rejected.jsonl, evaluated/summary.json
  usage.json                      calls, tokens, cache hits, seconds per stage
  state.json                      which stages finished, with the config fingerprint they ran with
  export/, report.html
```
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, TextIO

from groundset.errors import GroundsetError

__all__ = ["Workdir", "WorkdirError", "atomic_writer", "write_json_atomic", "read_jsonl"]


class WorkdirError(GroundsetError):
    """The workdir cannot be created or written (read-only file system, no permission, disk full)."""

    def __init__(self, root: Path, error: OSError, what: str):
        self.root, self.errno = root, error.errno
        why = error.strerror or str(error)
        super().__init__(f"the workdir {root} {what} ({why}): point --workdir (or GROUNDSET_WORKDIR) at a writable "
                         "directory" + (", or free some space" if error.errno == errno.ENOSPC else ""))


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int | None = None) -> Iterator[TextIO]:
    """A text file whose content replaces ``path`` when the block ends: a kill or an error at any moment leaves
    either the old file or the new one, never half of one (and no temporary file after an error). ``mode``: file
    permissions to set (the temporary file is created owner-only).

    >>> with atomic_writer(Path(tmp) / "kept.jsonl") as f:      # doctest: +SKIP
    ...     f.write(line)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a kill at any moment leaves either the old file or the new one, never half of one."""
    with atomic_writer(path) as f:
        json.dump(data, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")


def read_jsonl(path: Path) -> Iterator[dict]:
    """Yield the JSON objects of a JSONL file, skipping a torn last line left by a killed writer."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # an append interrupted mid-line; the writer re-creates that record on resume


class Workdir:
    """Paths inside the workdir, and the small state file that records finished stages."""

    def __init__(self, root: str | Path = "groundset-work"):
        self.root = Path(root)

    def ensure(self) -> "Workdir":
        """Create the workdir if needed and check that it is writable; raises :class:`WorkdirError` (never a raw
        ``OSError``) when it cannot be created or written, e.g. on a read-only file system."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise WorkdirError(self.root, e, "cannot be created") from e
        try:
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=".write-test-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise WorkdirError(self.root, e, "is not writable") from e
        return self

    # --- paths -------------------------------------------------------------------------------------------------
    @property
    def qdrant_dir(self) -> Path:
        return self.root / "qdrant"

    @property
    def ingest_dir(self) -> Path:
        return self.root / "ingest"

    @property
    def ingest_report(self) -> Path:
        return self.ingest_dir / "report.json"

    @property
    def llm_cache(self) -> Path:
        return self.root / "llm-cache.sqlite"

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    def samples(self, task: str) -> Path:
        return self.samples_dir / f"{task}.jsonl"

    def rejects(self, task: str) -> Path:
        return self.samples_dir / f"{task}.rejects.jsonl"

    @property
    def generate_summary(self) -> Path:
        """Per-task accepted / rejected-by-reason counts and LLM use of the last generate run."""
        return self.samples_dir / "summary.json"

    @property
    def evaluated_dir(self) -> Path:
        return self.root / "evaluated"

    @property
    def kept(self) -> Path:
        return self.evaluated_dir / "kept.jsonl"

    @property
    def rejected(self) -> Path:
        return self.evaluated_dir / "rejected.jsonl"

    @property
    def evaluate_summary(self) -> Path:
        return self.evaluated_dir / "summary.json"

    @property
    def usage(self) -> Path:
        return self.root / "usage.json"

    @property
    def export_dir(self) -> Path:
        return self.root / "export"

    @property
    def report_html(self) -> Path:
        return self.root / "report.html"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    # --- stage state -------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        return json.loads(self.state_file.read_text(encoding="utf-8"))

    def write_state(self, stage: str, entry: dict[str, Any] | None) -> None:
        """Set (or, with None, remove) ``stage``'s entry. Called by ``groundset.stages.record`` only: the one
        writer of the run state."""
        state = self.state()
        if entry is None and stage not in state:
            return
        if entry is None:
            state.pop(stage)
        else:
            state[stage] = entry
        write_json_atomic(self.state_file, state)

    def is_done(self, stage: str, fingerprint: str) -> bool:
        return self.state().get(stage, {}).get("fingerprint") == fingerprint
