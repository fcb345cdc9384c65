"""Put an export in place without ever deleting what groundset did not write, and atomically.

```
out.parent/
  .out.groundset-build-XXXX/    the new export is written here (manifest first, marked incomplete; files; manifest
                                rewritten complete, listing every file it wrote)
  out/                          the previous export, recognised by its manifest; renamed aside, then the new one
                                renamed in, then the old one removed file by file (only the files its manifest lists)
  .out.groundset-old-XXXX/      the previous export while the swap runs
```
A kill at any moment leaves ``out`` holding the previous export or nothing (between the two renames), and at most a
leftover sibling that the next export recognises by its manifest and removes. Nothing else is ever removed:

- ``out`` that exists and holds files without a groundset manifest (``README.md`` proves nothing) is refused;
- ``out`` that holds a groundset export plus files its manifest does not list is refused, naming the files.

>>> def build(folder):                                            # doctest: +SKIP
...     (folder / "README.md").write_text("card")
>>> publish(Path("export/qa"), build)                             # doctest: +SKIP
[PosixPath('export/qa/README.md')]
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from groundset.errors import GroundsetError

__all__ = ["MANIFEST", "ExportLocationError", "is_export", "publish", "remove_export"]

MANIFEST = ".groundset-export.json"
_FORMAT = "groundset-export/1"
_BUILD, _OLD = "groundset-build-", "groundset-old-"
_OURS = {MANIFEST, MANIFEST + ".tmp"}  # a build folder killed while its first manifest was written holds only these


class ExportLocationError(GroundsetError):
    """``--out`` holds something groundset did not write; the message names it and what to do."""


def _manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == _FORMAT else None


def _write_manifest(folder: Path, files: list[str], complete: bool) -> None:
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"format": _FORMAT, "complete": complete, "files": files}, indent=1) + "\n",
                   encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def is_export(folder: Path) -> bool:
    """True when ``folder`` carries a groundset export manifest (complete or not)."""
    return folder.is_dir() and _manifest(folder) is not None


def foreign_files(folder: Path) -> list[str]:
    """Files under ``folder`` that its manifest does not list (all of them when there is no manifest)."""
    m = _manifest(folder)
    listed = set(m["files"]) if m else set()
    listed |= {MANIFEST, MANIFEST + ".tmp"} if m else set()
    return [f for f in _files(folder) if f not in listed]


def remove_export(folder: Path) -> list[str]:
    """Remove the files ``folder``'s manifest lists, then the emptied directories, then the manifest last (so a kill
    midway leaves a folder still marked as ours, which the next export finishes removing).

    Anything else is left where it is and returned (so a directory holding foreign files survives).
    """
    m = _manifest(folder)
    if m is None:
        return _files(folder)
    for rel in m["files"]:
        p = folder / rel
        if p.is_file() or p.is_symlink():
            p.unlink()
    _remove_empty_dirs(folder, keep_root=True)
    for name in (MANIFEST + ".tmp", MANIFEST):
        (folder / name).unlink(missing_ok=True)
    left = _files(folder)
    if not left:
        _remove_empty_dirs(folder, keep_root=False)
    return left


def _remove_empty_dirs(folder: Path, keep_root: bool) -> None:
    """Remove the directories under ``folder`` that hold no file (deepest first), and ``folder`` itself unless kept."""
    for d in sorted((p for p in folder.rglob("*") if p.is_dir() and not p.is_symlink()),
                    key=lambda p: len(p.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    if not keep_root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _remove_build(folder: Path) -> None:
    """Remove a build folder, its manifest last: a kill midway leaves it still recognisable as ours."""
    for child in folder.iterdir():
        if child.name in _OURS:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    for name in (MANIFEST + ".tmp", MANIFEST):
        (folder / name).unlink(missing_ok=True)
    folder.rmdir()


def _clean_leftovers(out: Path) -> None:
    """Remove build / old siblings of ``out`` left by a killed export (only those carrying our manifest, or empty)."""
    if not out.parent.is_dir():
        return
    prefixes = (f".{out.name}.{_BUILD}", f".{out.name}.{_OLD}")
    for p in out.parent.iterdir():
        if not p.name.startswith(prefixes) or p.is_symlink() or not p.is_dir():
            continue
        if p.name.startswith(prefixes[0]) and (_manifest(p) is not None or set(_files(p)) <= _OURS):
            _remove_build(p)  # a build folder of a killed export: all of it was written by us
        elif _manifest(p) is not None:
            remove_export(p)  # a previous export set aside by a killed swap: only the files it lists
        elif not _files(p):
            _remove_empty_dirs(p, keep_root=False)  # emptied by a killed removal (or never filled)


def _check_target(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ExportLocationError(f"{out} exists and is not a directory: choose another --out")
    if not out.exists() or not any(out.iterdir()):
        return
    foreign = foreign_files(out)
    if _manifest(out) is None:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ExportLocationError(
            f"{out} is not empty and is not a groundset export (no {MANIFEST}; it holds {shown}); groundset never "
            "deletes what it did not write: choose another --out, or move those files away"
        )
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ExportLocationError(
            f"{out} holds a groundset export plus files groundset did not write ({shown}); move them out of {out} "
            "(or choose another --out) and export again"
        )


def publish(out: Path, build: Callable[[Path], object]) -> list[Path]:
    """Run ``build(folder)`` in a fresh sibling folder of ``out``, then rename it to ``out``; returns files written.

    Raises ExportLocationError (before building) when ``out`` holds anything groundset did not write. When ``build``
    raises, its folder is removed and ``out`` is untouched.
    """
    out = Path(out)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.{_BUILD}", dir=out.parent))
    try:
        os.chmod(folder, 0o777 & ~_umask())  # mkdtemp makes it owner-only; an export is as open as a mkdir
        _write_manifest(folder, [], complete=False)  # marks the folder as ours from its first byte
        build(folder)
        files = [f for f in _files(folder) if f not in (MANIFEST, MANIFEST + ".tmp")]
        _write_manifest(folder, files, complete=True)
        for d in (folder, *{(folder / f).parent for f in files}):
            _fsync_dir(d)
    except BaseException:
        _remove_build(folder)  # a folder this call created: everything in it is ours
        raise
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.{_OLD}", dir=out.parent))
        _move(out, old)  # an empty ``out`` or our previous export; ``old`` was created empty, so this is allowed
    _move(folder, out)
    _fsync_dir(out.parent)
    if old is not None:
        remove_export(old) if _manifest(old) is not None else _remove_empty_dirs(old, keep_root=False)
    return [out / f for f in files]


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


def _move(src: Path, dst: Path) -> None:
    """``rename(2)``: atomic on one filesystem (the build folder is a sibling of ``out`` for that reason)."""
    os.replace(src, dst)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
