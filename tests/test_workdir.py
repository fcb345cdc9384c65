"""The workdir's one atomic-write helper (a file is replaced whole or not at all), and a workdir that cannot be
written (read-only file system, no permission): one clear line, never a traceback."""

from __future__ import annotations

import errno
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

import groundset.workdir as workdir_mod
from groundset.cli import cli
from groundset.workdir import Workdir, WorkdirError, atomic_writer, write_json_atomic


def test_an_error_inside_the_block_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out" / "kept.jsonl"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_writer(path) as f:
            f.write("half a li")
            raise RuntimeError("killed")
    assert json.loads(path.read_text()) == {"a": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["kept.jsonl"]


def test_the_new_content_replaces_the_file_with_the_asked_permissions(tmp_path):
    path = tmp_path / "report.html"
    with atomic_writer(path, mode=0o644) as f:
        f.write("<html></html>")
    assert path.read_text() == "<html></html>" and stat.S_IMODE(path.stat().st_mode) == 0o644


def _read_only(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(workdir_mod.tempfile, "mkstemp", refuse)


def test_ensure_says_what_to_do(tmp_path, monkeypatch):
    _read_only(monkeypatch)
    with pytest.raises(WorkdirError) as e:
        Workdir(tmp_path / "w").ensure()
    assert "is not writable (Read-only file system)" in str(e.value) and "--workdir" in str(e.value)

    def no_mkdir(self, *args, **kwargs):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", no_mkdir)
    with pytest.raises(WorkdirError) as e:
        Workdir(tmp_path / "other").ensure()
    assert "cannot be created (Permission denied)" in str(e.value)


@pytest.mark.parametrize("args", [["ingest", "docs", "-q"], ["generate", "--llm", "fake", "--n", "1"]])
def test_commands_on_a_read_only_workdir(tmp_path, monkeypatch, args):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nWords about vectors.\n")
    (tmp_path / "w").mkdir()
    _read_only(monkeypatch)
    result = CliRunner().invoke(cli, ["-w", "w", *args])
    assert result.exit_code == 1, result.output
    assert "the workdir w is not writable (Read-only file system)" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)  # a clean exit, no OSError


def test_status_only_reads(tmp_path, monkeypatch):
    (tmp_path / "w").mkdir()
    _read_only(monkeypatch)
    result = CliRunner().invoke(cli, ["-w", "w", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["samples"] == {}
