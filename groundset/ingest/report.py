"""What an ingest run did, file by file, and what went into the store: ``workdir.ingest_report`` (the CLI draws its summary table: ``commands/progress.py``).

The report (``ingest/report.json``)::

    {"files": [{"path": "docs/a.pdf", "status": "ok", "documents": 1, "chunks": 40, "new": 40, "dropped": {...},
                "notes": ["not UTF-8: decoded as cp1252 (guessed ...)"]},          # only when there is one
               {"path": "docs/bad.pdf", "status": "failed", "reason": "corrupt_pdf", "detail": "..."},
               {"path": "docs/logo.png", "status": "skipped", "reason": "skipped", "detail": "'.png' files are not read"}],
     "documents": [{"id": "...", "source": "docs/a.pdf", "title": "...", "chunks": 40, "language": "en"}],
     "counts": {"files": 3, "files_ok": 1, "files_failed": 1, "files_skipped": 1, "documents": 1, "chunks": 40, "chunks_new": 40, ...},
     "dropped": {"tiny": 3, "boilerplate": 1, "duplicate": 2},      # chunks dropped by the chunker
     "cleaned": {"navigation": 12, "running_head": 260, ...},        # what the readers removed, by reason
     "quality": {"boilerplate_share": 0.02, "cross_document_duplicates": 0, "languages": {"en": 1},
                 "tokens": {"min": 17, "median": 180, "max": 254, "limit": 254, "over_limit": 0},
                 "shortest": [...], "longest": [...]}}
"""

from __future__ import annotations

import heapq
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundset.ingest.quality import guess_language, text_key
from groundset.records import Chunk, Document
from groundset.workdir import write_json_atomic

__all__ = ["IngestResult", "ReportBuilder"]

_EXAMPLES = 5


@dataclass
class IngestResult:
    """The outcome of one ``ingest`` call. ``exit_code``: 0 all ok, 3 some files failed, 1 nothing usable.

    Unsupported files met inside a directory are ``skipped`` (listed in the report), not failures.
    """

    documents: int = 0
    chunks_new: int = 0
    chunks_unchanged: int = 0
    chunks_deleted: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (source, reason, detail)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # unsupported files found in a directory
    dropped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    files: int = 0
    points: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # read / embed / store seconds (embed and read overlap)

    @property
    def chunks(self) -> int:
        """Chunks of this run's documents now in the store (new + unchanged)."""
        return self.chunks_new + self.chunks_unchanged

    @property
    def exit_code(self) -> int:
        if self.documents == 0 or self.chunks == 0:
            return 1
        return 3 if self.failed else 0


class ReportBuilder:
    """Collects per-file outcomes and chunk statistics while the pipeline runs; ``write`` saves the report."""

    def __init__(self, limit: int):
        self.limit = limit
        self.started = time.time()
        self.files: dict[str, dict[str, Any]] = {}
        self.documents: list[dict[str, Any]] = []
        self.dropped: Counter[str] = Counter()
        self.cleaned: Counter[str] = Counter()  # what the readers removed (blocks / lines), by reason
        self.boilerplate_seen = 0
        self._lengths: list[int] = []
        self._short: list[tuple[int, int, dict]] = []  # max-heap by -tokens for the shortest
        self._long: list[tuple[int, int, dict]] = []
        self._keys: dict[str, set[str]] = defaultdict(set)  # text key -> document ids
        self._n = 0
        self.notes: list[str] = []

    def file(self, path: str) -> dict[str, Any]:
        return self.files.setdefault(
            path, {"path": path, "status": "ok", "documents": 0, "chunks": 0, "new": 0, "dropped": {}, "cleaned": {}}
        )

    def failed(self, path: str, reason: str, detail: str) -> None:
        entry = self.file(path)
        entry.update(status="failed", reason=reason, detail=detail)

    def skipped(self, path: str, detail: str, reason: str = "skipped") -> None:
        entry = self.file(path)
        entry.update(status="skipped", reason=reason, detail=detail)

    def document(self, path: str, doc: Document, chunks: list[Chunk], dropped: Counter[str], new: int) -> None:
        """Record one chunked document of file ``path``; ``new`` of its chunks were not in the store yet."""
        entry = self.file(path)
        entry["documents"] += 1
        entry["chunks"] += len(chunks)
        entry["new"] += new
        for reason, n in dropped.items():
            entry["dropped"][reason] = entry["dropped"].get(reason, 0) + n
        self.dropped.update(dropped)
        for note in doc.metadata.get("notes") or []:
            if note not in entry.setdefault("notes", []):
                entry["notes"].append(note)
        for reason, n in (doc.metadata.get("dropped") or {}).items():
            if isinstance(n, int):
                entry["cleaned"][reason] = entry["cleaned"].get(reason, 0) + n
                self.cleaned[reason] += n
        self.documents.append({
            "id": doc.id, "source": doc.source, "title": doc.title, "chunks": len(chunks),
            # the ray engine's reading tasks guess it where the document is read (on the driver it cost ~50 ms/doc)
            "language": doc.metadata.get("language") or guess_language(doc.text[:3000]),
        })
        for c in chunks:
            self._n += 1
            self._lengths.append(c.n_tokens)
            self._keys[text_key(c.text)].add(doc.id)
            item = {"source": c.source, "section": c.section, "page": c.page, "tokens": c.n_tokens, "text": c.text[:300]}
            heapq.heappush(self._short, (-c.n_tokens, -self._n, item))
            if len(self._short) > _EXAMPLES:
                heapq.heappop(self._short)
            heapq.heappush(self._long, (c.n_tokens, -self._n, item))
            if len(self._long) > _EXAMPLES:
                heapq.heappop(self._long)

    def quality(self) -> dict[str, Any]:
        lengths = self._lengths
        kept = len(lengths)
        boiler = self.dropped.get("boilerplate", 0)
        dups = [ids for ids in self._keys.values() if len(ids) > 1]
        return {
            "boilerplate_share": round(boiler / (kept + boiler), 4) if kept + boiler else 0.0,
            "cross_document_duplicates": sum(len(ids) for ids in dups),
            "cross_document_duplicate_texts": len(dups),
            "languages": dict(Counter(d["language"] for d in self.documents).most_common()),
            "tokens": {
                "min": min(lengths, default=0),
                "median": statistics.median(lengths) if lengths else 0,
                "max": max(lengths, default=0),
                "limit": self.limit,
                "over_limit": sum(1 for n in lengths if n > self.limit),
            },
            "shortest": [item for _, _, item in sorted(self._short, key=lambda t: (-t[0], -t[1]))],
            "longest": [item for _, _, item in sorted(self._long, key=lambda t: (-t[0], -t[1]))],
        }

    def to_dict(self, result: IngestResult, **extra: Any) -> dict[str, Any]:
        files = list(self.files.values())
        return {
            **extra,
            "seconds": round(result.seconds, 2),
            "exit_code": result.exit_code,
            "counts": {
                "files": len(files),
                "files_ok": sum(1 for f in files if f["status"] == "ok"),
                "files_failed": sum(1 for f in files if f["status"] == "failed"),
                "files_skipped": sum(1 for f in files if f["status"] == "skipped"),
                "documents": result.documents,
                "chunks": result.chunks,
                "chunks_new": result.chunks_new,
                "chunks_unchanged": result.chunks_unchanged,
                "chunks_deleted": result.chunks_deleted,
                "points": result.points,
            },
            "dropped": dict(self.dropped),
            "cleaned": dict(self.cleaned),
            "timings": {k: round(v, 2) for k, v in result.timings.items()},
            "notes": self.notes,
            "quality": self.quality(),
            "files": files,
            "documents": self.documents,
        }

    def write(self, path: Path, result: IngestResult, **extra: Any) -> dict[str, Any]:
        data = self.to_dict(result, **extra)
        write_json_atomic(path, data)
        return data

