"""Progress events: what the pipeline functions tell a caller while they work. The library never draws.

``ingest``, ``generate``, ``evaluate`` and ``run`` take ``progress``, a callable that receives ``Tick`` (a bar moved)
and ``Finished`` (a stage ended, with its report when it has one). The CLI passes a rich renderer
(``groundset/commands/progress.py``); a notebook or a Ray worker passes nothing and nothing is printed.

>>> seen = []
>>> emit = progress_callback(seen.append)
>>> emit(Tick("ingest", "files", done=3, total=10, note="a.pdf"))
>>> seen[0].bar, seen[0].done, seen[0].total
('files', 3, 10)
>>> progress_callback(False)(Tick("ingest", "files")) is None     # False / None: a no-op
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Union

__all__ = ["Tick", "Finished", "Event", "Progress", "progress_callback", "silent"]


@dataclass(frozen=True)
class Tick:
    """Bar ``bar`` of ``stage`` stands at ``done`` of ``total`` (None: unknown yet), or moved by ``advance``.

    ``note``: a short text beside the bar (the file being read); ``fields``: extra columns of that stage's bar
    (generate: ``rejected``, ``tokens``)."""

    stage: str
    bar: str
    done: int | None = None
    total: int | None = None
    advance: int = 0
    note: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finished:
    """``stage`` ended (normally or not); ``report``: what it wrote, when it has one (ingest: the report dict)."""

    stage: str
    report: Mapping[str, Any] | None = None


Event = Union[Tick, Finished]
Progress = Callable[[Event], None]


def silent(event: Event) -> None:
    """The default callback: ignores every event."""


def progress_callback(progress: Any) -> Progress:
    """``progress`` as a callback: a callable as it is; None, False or True (the old flag) as ``silent``."""
    return progress if callable(progress) else silent
