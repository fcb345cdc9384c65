"""End to end in a real browser: Debian's headless chromium driven by Playwright, keyboard only.

Reviews samples with the keyboard, kills the server (SIGKILL) halfway, restarts it, lets a second tab race the
first on one sample, finishes, then checks the journal, the calibration and the export. Skips cleanly without
chromium (`apt-get install -y chromium`) or Playwright (`pip install playwright`; its browser download is not
needed). ``GROUNDSET_REVIEW_SCREENSHOT=FILE`` also saves a screenshot of the page there.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.review.apply import verdicts_path
from groundset.review.journal import Verdict
from tests.review.fixtures import evaluated_workdir

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(workdir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from groundset.cli import main; main()", "--workdir", str(workdir), "review", "--port", str(port),
         "--sample", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=workdir.parent)
    line = proc.stdout.readline()
    assert line.startswith("review page: http://127.0.0.1:"), line + proc.stdout.read() if proc.poll() else line
    return proc


def _verdicts(workdir) -> list[Verdict]:
    return [Verdict.model_validate_json(x) for x in verdicts_path(workdir).read_text().splitlines()]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: apt-get install -y chromium (Debian) to run the browser test")
    with sync_api.sync_playwright() as p:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield b
        b.close()


def _done(page, n: int) -> None:
    page.wait_for_function(f"document.getElementById('progress').textContent.startsWith('{n} done')", timeout=30000)


def test_keyboard_review_survives_a_killed_server_and_a_racing_tab(browser, tmp_path):
    wd = evaluated_workdir(tmp_path / "w")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    server = _start(wd.root, port)
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)  # the page forbids eval
        page = ctx.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        assert page.inner_text("#progress") == "0 done / 26 to do"
        assert page.locator("#contexts .chunk").count() >= 1 and page.locator("#sentences tr").count() >= 1
        assert page.inner_text("#field-answer mark") == "It was discovered in 1850."  # the unsupported sentence
        assert "p. " in page.inner_text("#contexts .where")  # source, section path and page
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("GROUNDSET_REVIEW_SCREENSHOT"):
            shutil.copy(shot, os.environ["GROUNDSET_REVIEW_SCREENSHOT"])

        page.keyboard.press("a")  # accept
        _done(page, 1)
        page.keyboard.press("r")  # reject …
        assert page.is_visible("#reject-panel")
        page.keyboard.press("1")  # … not supported by the chunks
        _done(page, 2)
        page.keyboard.press("e")  # edit: the first editable field has the focus
        page.keyboard.press("End")
        page.keyboard.type(" (checked)")
        page.keyboard.press("Control+Enter")
        _done(page, 3)
        assert [v.decision for v in _verdicts(wd)] == ["accepted", "rejected", "edited"]
        assert _verdicts(wd)[1].reason == "unsupported" and _verdicts(wd)[2].edits

        server.send_signal(signal.SIGKILL)  # killed halfway
        server.wait(10)
        page.keyboard.press("a")
        page.wait_for_function("document.getElementById('message').textContent.includes('does not answer')")
        assert len(_verdicts(wd)) == 3  # nothing given was lost, nothing half-written

        server = _start(wd.root, port)
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        _done(page, 3)  # the restarted server reads the journal
        racing = page.evaluate("location.hash.slice(1)")

        tab2 = ctx.new_page()  # a second tab on the same sample accepts it first
        tab2.goto(url + "#" + racing)
        tab2.wait_for_selector("body[data-ready='1']")
        tab2.keyboard.press("a")
        _done(tab2, 4)
        page.keyboard.press("r")
        page.keyboard.press("2")  # the first tab's view is outdated: refused, the page says so and reloads
        page.wait_for_function("document.getElementById('message').textContent.includes('another tab')")
        assert [v.sample_id for v in _verdicts(wd)].count(racing) == 1

        page.keyboard.press("n")  # next to do
        page.wait_for_function(f"location.hash.slice(1) !== {json.dumps(racing)}")
        page.keyboard.press("r")
        page.keyboard.press(str(len(page.locator("#reasons li").all())))  # other: free text
        page.keyboard.type("wrong river")
        page.keyboard.press("Enter")
        _done(page, 5)
        assert _verdicts(wd)[-1].note == "wrong river"

        page.keyboard.press("f")  # filters: task select focused; arrows choose, Escape returns
        assert page.evaluate("document.activeElement.id") == "f-task"
        page.keyboard.press("ArrowDown")  # all → conversation
        page.wait_for_function("document.getElementById('gate').textContent.includes('conversation')")
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        _done(page, 6)
        assert _verdicts(wd)[-1].task == "conversation"
    finally:
        server.kill()
        server.wait(10)

    verdicts = _verdicts(wd)
    assert len(verdicts) == 6 and len({v.sample_id for v in verdicts}) == 6
    assert {v.tab for v in verdicts} and len({v.tab for v in verdicts}) == 2  # two tabs, both recorded

    run = CliRunner().invoke
    r = run(cli, ["--workdir", str(wd.root), "evaluate", "calibrate", "--from-review", "--all-reasons", "--json"])
    assert r.exit_code == 0, r.output
    cal = json.loads(r.output[r.output.index("{"):])
    assert cal["verdicts"] == 6 and cal["rows"] + sum(cal["excluded"].values()) == 6
    assert cal["excluded"].get("edited") == 1

    out = tmp_path / "export"
    r = run(cli, ["--workdir", str(wd.root), "--set", "export.splits={train = 1.0}", "export", "--schema", "sft",
                  "--format", "jsonl", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = {json.loads(x)["id"]: json.loads(x) for x in (out / "data" / "train.jsonl").read_text().splitlines()}
    latest = {v.sample_id: v for v in verdicts}
    for sid, v in latest.items():
        if v.decision == "rejected":
            assert sid not in rows
        elif sid in rows:
            assert rows[sid]["review"] == v.decision
    edited = [sid for sid, v in latest.items() if v.decision == "edited"]
    assert edited and any("(checked)" in json.dumps(rows[sid]["messages"]) for sid in edited if sid in rows)
    assert "## Human review" in (out / "README.md").read_text()
