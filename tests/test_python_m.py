"""`python -m groundset` and `python -m groundset.cli` run the same CLI as the console script."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", ["groundset", "groundset.cli"])
def test_python_m_runs_a_command_that_needs_the_app_context(module, tmp_path):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", module, "init"], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "groundset.toml").is_file() and "Managed to invoke callback" not in r.stderr
