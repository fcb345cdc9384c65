"""`groundset status` counts each attempt once, by its final record."""

from __future__ import annotations

import json

from click.testing import CliRunner

from groundset.cli import cli
from groundset.commands.status import gather
from groundset.config import load_config
from groundset.workdir import Workdir


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_superseded_llm_error_rejects_are_not_counted(tmp_path):
    wd = Workdir(tmp_path / "w").ensure()
    _write(wd.samples("qa"), [{"id": "a"}, {"id": "b"}])
    _write(wd.rejects("qa"), [
        {"id": "a", "reason": "llm_error"},  # retried by a later run, accepted
        {"id": "c", "reason": "llm_error"}, {"id": "c", "reason": "too_short"},  # retried, rejected for good
        {"id": "d", "reason": "llm_error"},  # still waiting for its retry
        {"id": "e", "reason": "not_standalone"},
    ])
    info = gather(load_config(None), wd)
    assert info["samples"]["qa"] == {"generated": 2, "rejected": 2, "to_retry": 1}

    out = CliRunner().invoke(cli, ["--workdir", str(wd.root), "status", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["samples"]["qa"] == {"generated": 2, "rejected": 2, "to_retry": 1}
