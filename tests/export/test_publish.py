"""Export never deletes what it did not write, and a kill at any moment leaves the previous export or nothing.

The kill tests run the export in a child process and SIGKILL it at a chosen point (no ``finally`` runs, as with a
real ``kill -9``), then check what is on disk and that the next export succeeds and leaves no leftovers.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.export.publish import MANIFEST, ExportLocationError, is_export, publish, remove_export
from groundset.export.runner import export
from tests.export.fixtures import filled_workdir, qa

ROOT = Path(__file__).resolve().parents[2]


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _cfg(out: Path, **extra):
    return load_config(None, {"export.out": str(out), "export.format": "parquet", **extra})


@pytest.fixture
def wd(tmp_path):
    return filled_workdir(tmp_path / "w", [qa(i, f"d{i % 6}") for i in range(24)])


def test_folder_with_a_readme_is_not_deleted(wd, tmp_path):
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "README.md").write_text("my notes")
    (out / "precious.txt").write_text("keep me")
    (out / "sub" / "data.csv").write_text("a,b\n1,2\n")
    before = _tree(out)
    result = CliRunner().invoke(cli, ["--workdir", str(wd.root), "export", "--out", str(out)])
    assert result.exit_code == 1
    assert "not a groundset export" in result.output and "precious.txt" in result.output
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "mine", "w"]  # no build folder left behind


def test_files_added_to_an_export_are_not_deleted(wd, tmp_path):
    out = tmp_path / "out"
    export(_cfg(out), wd)
    (out / "notes.txt").write_text("mine")
    before = _tree(out)
    with pytest.raises(ExportLocationError, match="notes.txt"):
        export(_cfg(out), wd)
    assert _tree(out) == before


def test_reexport_replaces_the_previous_one_and_recognises_it_by_manifest(wd, tmp_path):
    out = tmp_path / "out"
    export(_cfg(out, **{"export.splits": "{train = 0.6, validation = 0.2, test = 0.2}"}), wd)
    assert is_export(out) and (out / "data" / "validation-00000-of-00001.parquet").exists()
    (out / "README.md").unlink()  # the card is not what makes it ours
    result = export(_cfg(out), wd)
    assert not (out / "data" / "validation-00000-of-00001.parquet").exists()
    assert sorted(_tree(out)) == sorted([MANIFEST, *(p.relative_to(out).as_posix() for p in result.files)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out", "w"]


def test_empty_folder_and_missing_parents_are_fine(wd, tmp_path):
    (tmp_path / "empty").mkdir()
    assert export(_cfg(tmp_path / "empty"), wd).rows == 24
    assert export(_cfg(tmp_path / "a" / "b" / "c"), wd).rows == 24


def test_a_file_at_out_is_refused(wd, tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ExportLocationError, match="not a directory"):
        export(_cfg(tmp_path / "f"), wd)
    assert (tmp_path / "f").read_text() == "x"


def test_a_failing_build_leaves_the_previous_export(tmp_path):
    out = tmp_path / "out"
    publish(out, lambda f: (f / "a.txt").write_text("one"))
    before = _tree(out)

    def boom(folder):
        (folder / "half.txt").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        publish(out, boom)
    assert _tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["home", "out"]


def test_remove_export_leaves_foreign_files(tmp_path):
    out = tmp_path / "out"
    publish(out, lambda f: (f / "d").mkdir() or (f / "d" / "a.txt").write_text("one"))
    (out / "d" / "mine.txt").write_text("mine")
    assert remove_export(out) == ["d/mine.txt"] and (out / "d" / "mine.txt").exists()
    assert not (out / "d" / "a.txt").exists() and not (out / MANIFEST).exists()


KILLER = r"""
import os, signal, sys
from pathlib import Path
from groundset.config import load_config
from groundset.export import publish
from groundset.export.runner import export
from groundset.workdir import Workdir

point, wd, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
def die(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "building":            # every data file written, the manifest not yet complete
    real = publish._write_manifest
    publish._write_manifest = lambda folder, files, complete: die() if complete else real(folder, files, complete)
elif point == "swapping":          # the previous export renamed aside, the new one not yet in place
    real_move, calls = publish._move, []
    def move(src, dst):
        calls.append(src)
        die() if len(calls) == 2 else real_move(src, dst)
    publish._move = move
elif point == "cleaning":          # the new export in place, the previous one not yet removed
    publish.remove_export = die
export(load_config(None, {"export.out": out, "export.format": "hf", "export.seed": 1}), Workdir(wd))
"""


@pytest.mark.parametrize("point,expect", [("building", "previous"), ("swapping", "nothing"), ("cleaning", "new")])
def test_kill_mid_export_leaves_previous_export_or_nothing(wd, tmp_path, point, expect):
    out = tmp_path / "out"
    export(_cfg(out), wd)
    previous = _tree(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", KILLER, point, str(wd.root), str(out)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    if expect == "previous":
        assert _tree(out) == previous
    elif expect == "nothing":
        assert not out.exists()
    else:
        assert is_export(out) and (out / "dataset_dict.json").exists()
    # the next export is never blocked, and removes what the killed one left beside it
    result = export(_cfg(out), wd)
    assert result.rows == 24 and is_export(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out", "w"]


def _valid_or_absent(out: Path) -> str:
    """'absent', or 'export' when ``out`` is a complete groundset export whose every listed file exists."""
    import json

    if not out.exists():
        return "absent"
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["complete"] is True
    assert all((out / f).is_file() for f in manifest["files"])
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        [MANIFEST, *manifest["files"]])
    return "export"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_twenty_kills_at_random_moments_never_leave_a_torn_export(wd, tmp_path):
    """SIGKILL a forked export at 20 seeded random moments of its run: each time ``out`` is a complete export or
    absent, and the export after the last kill equals an uninterrupted one."""
    import random
    import signal
    import time

    out = tmp_path / "out"
    cfg = _cfg(out, **{"export.format": "hf"})
    t0 = time.perf_counter()
    export(cfg, wd)
    full = time.perf_counter() - t0  # only to spread the kill moments over one run; nothing is asserted on it
    reference = _tree(out)
    rng = random.Random(21)
    seen = []
    for _ in range(20):
        pid = os.fork()
        if pid == 0:  # the child exports and exits without running any cleanup
            try:
                export(cfg, wd)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, 1.2 * full))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        seen.append(_valid_or_absent(out))
    result = export(cfg, wd)
    assert result.rows == 24 and _tree(out) == reference
    left = {p.name: sorted(x.relative_to(p).as_posix() for x in p.rglob("*")) for p in tmp_path.iterdir()
            if p.name not in ("home", "out", "w")}
    assert not left, (left, seen)


def test_the_export_folder_gets_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        publish(tmp_path / "out", lambda f: (f / "a.txt").write_text("x"))
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
