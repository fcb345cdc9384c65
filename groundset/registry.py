"""One registry per extension point: generate tasks, grounding judges, export schemas and LLM backends.

A module that provides something registers it once, at its bottom; everything that needs the list of names — the
CLI's choices, config validation, the dry-run plan, status, sanity rules, export and the card — reads the registry:

>>> from groundset.registry import Registry
>>> colours = Registry("colour")
>>> colours.register("red", "#f00")
'#f00'
>>> colours.get("red"), colours.names()
('#f00', ['red'])
>>> colours.get("rde")
Traceback (most recent call last):
...
groundset.registry.UnknownNameError: unknown colour 'rde' (did you mean 'red'?); one of: red

Discovery: on the first read, a registry imports the modules of its ``packages`` whose source calls
``<VAR>.register(`` (so adding a built-in is adding its module, nothing else; modules that register nothing, and
their heavy imports, are not loaded), then the modules named by installed ``groundset`` entry points (plugins).
Code can also call ``register`` itself, e.g. a test with a throwaway task (``unregister`` removes it again).
``order`` sorts ``names()`` (then registration order), so built-ins keep their documented order.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Generic, Iterator, TypeVar

from pydantic import AfterValidator

from groundset.errors import GroundsetError

if TYPE_CHECKING:  # the registered types live with what they describe
    from groundset.evaluate.judges.spec import JudgeSpec
    from groundset.export.spec import Schema
    from groundset.generate.task import Task
    from groundset.llm.spec import BackendSpec

__all__ = ["Registry", "UnknownNameError", "Registered", "TASKS", "JUDGES", "SCHEMAS", "BACKENDS",
           "ENTRY_POINT_GROUP"]

T = TypeVar("T")
ENTRY_POINT_GROUP = "groundset"  # [project.entry-points.groundset] name = "your_module": imported on discovery


class UnknownNameError(GroundsetError, ValueError):
    """A name that no module registered; the message lists the close matches and every known name."""


class Registry(Generic[T]):
    """Named objects of one ``kind``, filled by the modules that provide them (see the module docstring)."""

    def __init__(self, kind: str, var: str = "", packages: tuple[str, ...] = ()):
        self.kind = kind
        self._marker = f"{var}.register(" if var else ""
        self._packages = packages
        self._items: dict[str, tuple[int, int, T]] = {}
        self._lock = threading.RLock()
        self._discovered = not packages
        self._discovering = False

    def register(self, name: str, obj: T, *, order: int = 100) -> T:
        """Add ``obj`` under ``name`` (a second registration of a name replaces the first); returns ``obj``."""
        if not name or not isinstance(name, str):
            raise ValueError(f"a {self.kind} needs a non-empty name")
        with self._lock:
            seq = self._items[name][1] if name in self._items else len(self._items)
            self._items[name] = (order, seq, obj)
        return obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` (no error when it is not there)."""
        with self._lock:
            self._items.pop(name, None)

    def get(self, name: str) -> T:
        """The object registered as ``name``; an unknown name raises ``UnknownNameError`` with a suggestion."""
        self._discover()
        try:
            return self._items[name][2]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        """"unknown task 'qz' (did you mean 'qa'?); one of: qa, multihop, …"."""
        names = self.names()
        return f"unknown {self.kind} {name!r}{self.suggest(name)}; one of: {', '.join(names) or 'none registered'}"

    def check(self, name: str) -> str:
        """``name`` when it is registered, else ``UnknownNameError`` (a ``ValueError``: pydantic validators report it)."""
        if name not in self:
            raise UnknownNameError(self.unknown_message(name))
        return name

    def suggest(self, name: str) -> str:
        """" (did you mean 'qa'?)" for a close registered name, else ""."""
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    def names(self) -> list[str]:
        """Registered names, by ``order`` then registration; what click choices and config validation use."""
        self._discover()
        with self._lock:
            return [n for n, _ in sorted(self._items.items(), key=lambda kv: kv[1][:2])]

    def items(self) -> Iterator[tuple[str, T]]:
        for name in self.names():
            yield name, self._items[name][2]

    def __contains__(self, name: object) -> bool:
        self._discover()
        return name in self._items

    def _discover(self) -> None:
        if self._discovered or self._discovering:  # re-entrant reads during discovery see what is there so far
            return
        with self._lock:
            if self._discovered:
                return
            self._discovering = True
            try:
                for module in self._provider_modules():
                    importlib.import_module(module)
                for plugin in _entry_point_modules():
                    try:
                        importlib.import_module(plugin)
                    except Exception as e:  # noqa: BLE001 - a third-party module: say which, and how to get rid of it
                        raise GroundsetError(
                            f"the groundset plugin {plugin!r} (entry point group {ENTRY_POINT_GROUP!r}) failed to "
                            f"import: {type(e).__name__}: {e}; fix it or uninstall the package that provides it"
                        ) from e
                self._discovered = True
            finally:
                self._discovering = False

    def _provider_modules(self) -> list[str]:
        found = []
        for package in self._packages:
            spec = importlib.util.find_spec(package)
            for folder in (spec.submodule_search_locations or []) if spec else []:
                for path in sorted(Path(folder).glob("*.py")):
                    if self._marker in path.read_text(encoding="utf-8"):
                        found.append(f"{package}.{path.stem}")
        return found


def _entry_point_modules() -> list[str]:
    from importlib.metadata import entry_points

    return [ep.value.partition(":")[0] for ep in entry_points(group=ENTRY_POINT_GROUP)]


TASKS: Registry[Task] = Registry("task", "TASKS", ("groundset.generate",))
JUDGES: Registry[JudgeSpec] = Registry("judge", "JUDGES", ("groundset.evaluate.judges",))
SCHEMAS: Registry[Schema] = Registry("schema", "SCHEMAS", ("groundset.export",))
BACKENDS: Registry[BackendSpec] = Registry("LLM backend", "BACKENDS", ("groundset.llm",))


def Registered(var: str):  # noqa: N802 - used like a type: ``judge: Registered("JUDGES") = "default"``
    """A pydantic field type: a string that must be a name of the registry ``var`` of this module (read when a value
    is validated, so whatever registered by then counts)."""
    return Annotated[str, AfterValidator(lambda v: globals()[var].check(v))]
