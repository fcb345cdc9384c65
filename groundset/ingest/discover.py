"""Which files an ingest reads: paths and folders -> files to read, and every entry not read with its reason.

Nothing found is dropped without a word. A folder walk lists, besides the files it reads:

| entry                                     | reason               | named on the command line |
|-------------------------------------------|----------------------|---------------------------|
| a file of a type we do not read (``.css``) | ``skipped``          | ``unsupported_format``    |
| a FIFO, socket or device                   | ``not_a_regular_file`` | same                    |
| a symbolic link whose target is missing    | ``dangling_link``    | same                      |
| a symbolic link loop (to itself, or a folder link back to an ancestor) | ``symlink_loop`` | same      |
| an entry we may not read                   | ``permission_denied`` | same                     |

Met in a folder walk these are :class:`Skipped` (listed in the report, not failures); named on their own they are
failures. Hidden files and folders (``.git``) are not walked.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from pathlib import Path
from typing import Iterable, Iterator

from groundset.errors import InputError

__all__ = ["discover", "file_format", "check_entry", "Skipped", "SUPPORTED_SUFFIXES", "SKIPPED"]

SUPPORTED_SUFFIXES = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".epub": "epub",
    ".docx": "docx",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".xml": "wikipedia",
    ".bz2": "wikipedia",
}

SKIPPED = "skipped"  # reason of an unsupported file found inside a directory: listed, not a failure


class Skipped(InputError):
    """An entry met while walking a folder that is not read (listed in the report, not a failure)."""


def file_format(path: Path) -> str | None:
    """The reader a file goes to, from its suffix ('pdf', 'html', ...), or None when unsupported."""
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


_SPECIAL = [(stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
            (stat.S_ISBLK, "block device")]


def check_entry(path: Path) -> InputError | None:
    """None for a regular file or a directory (links followed), else the InputError saying what it is."""
    source = str(path)
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return InputError(source, "symlink_loop", "a symbolic link that leads back to itself; fix or remove it")
        if os.path.islink(path):
            return InputError(source, "dangling_link",
                              f"a symbolic link to {os.readlink(path)!r}, which does not exist; fix or remove it")
        if e.errno in (errno.EACCES, errno.EPERM):
            return InputError(source, "permission_denied", "no permission to read it; check its owner and mode")
        if e.errno == errno.ENOENT:
            return InputError(source, "not_found", "no such file or directory; check the path")
        return InputError(source, "unreadable", f"cannot look at it: {e.strerror or e}")
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    kind = next((name for test, name in _SPECIAL if test(st.st_mode)), "special file")
    return InputError(source, "not_a_regular_file", f"a {kind}, not a regular file: there is nothing to read "
                      "(reading it could wait forever); remove it or exclude it ([ingest] exclude)")


def _matches(rel: str, name: str, patterns: Iterable[str]) -> bool:
    for pat in patterns:
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatch(rel, pat[3:]):
            return True
    return False


def _walk(root: Path, seen_dirs: set[str]) -> Iterator[tuple[Path, InputError | None]]:
    """(entry, None) for each regular file under ``root``, (entry, error) for each other non-hidden entry, in sorted
    path order. Folder links are followed once; one that leads back to a folder being walked is a loop."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as e:
        yield root, InputError(str(root), "permission_denied" if e.errno in (errno.EACCES, errno.EPERM)
                               else "unreadable", f"cannot list this folder: {e.strerror or e}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        problem = check_entry(path)
        if problem is not None:
            yield path, problem
        elif path.is_dir():
            real = os.path.realpath(path)
            if real in seen_dirs:
                yield path, InputError(str(path), "symlink_loop",
                                       f"a folder link back to {real}, which is already being read; not followed")
                continue
            yield from _walk(path, seen_dirs | {real})
        else:
            yield path, None


def discover(
    paths: list[Path], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[list[Path], list[InputError]]:
    """Files and directories -> (files to read, errors), deterministic and without duplicates.

    Directories are walked recursively in sorted order, skipping hidden files and directories (``.git``).
    ``include`` / ``exclude`` are glob patterns matched against the path relative to the directory given and
    against the file name (``*.html``, ``drafts/*``, ``**/index.html``); a file given by name is kept even when it
    does not match ``include`` but ``exclude`` still applies. Every entry not read comes back as an error (see the
    module docstring): a :class:`Skipped` when met in a folder, a plain InputError (a failure) when named.
    """
    include, exclude = tuple(include), tuple(exclude)
    files: list[Path] = []
    errors: list[InputError] = []
    seen: set[str] = set()

    def wanted(path: Path, rel: str, explicit: bool) -> bool:
        if exclude and _matches(rel, path.name, exclude):
            return False
        return explicit or not include or _matches(rel, path.name, include)

    def add(path: Path, rel: str, explicit: bool, problem: InputError | None) -> None:
        key = os.path.realpath(path) if problem is None else os.path.abspath(path)
        if key in seen or not wanted(path, rel, explicit):
            return
        seen.add(key)
        if problem is not None:
            errors.append(problem if explicit else Skipped(problem.source, problem.reason, problem.detail))
        elif file_format(path) is None:
            supported = " ".join(sorted(SUPPORTED_SUFFIXES))
            detail = (f"'{path.suffix or path.name}' files are not read; supported: {supported} "
                      "(use [ingest] exclude to skip them quietly)")
            errors.append(InputError(str(path), "unsupported_format", detail) if explicit
                          else Skipped(str(path), SKIPPED, detail))
        else:
            files.append(path)

    for given in paths:
        given = Path(given)
        problem = check_entry(given)
        if problem is None and given.is_dir():
            for path, problem in _walk(given, {os.path.realpath(given)}):
                add(path, path.relative_to(given).as_posix(), False, problem)
        else:
            add(given, given.name, True, problem)
    return files, errors
