"""The one atomic-write helper: a file is replaced whole or not at all."""

from __future__ import annotations

import json
import stat

import pytest

from groundset.workdir import atomic_writer, write_json_atomic


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
