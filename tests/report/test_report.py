import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.report import write_report
from groundset.report.html import highlight
from tests.export.fixtures import conversation, filled_workdir, qa, textbook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workdir(tmp_path):
    kept = [qa(i, f"d{i % 3}") for i in range(6)] + [conversation("d5"), textbook("d6")]
    rejected = [qa(i, "d1", kept=False, reasons=["unsupported"], unsupported=[f"Item {i} was invented in 1850 by Napoleon."])
                for i in range(2)]
    rejected[0].contexts[0].text = "<script>alert('x')</script><img src=x onerror=alert(1)> & more"
    rejected[0].question = "Is <b>this</b> escaped?"
    return filled_workdir(tmp_path / "w", kept, rejected)


def test_report_is_self_contained_with_plots(workdir):
    path = write_report(load_config(None), workdir)
    assert path == workdir.report_html
    page = path.read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 5  # adherence, rating, reasons, tasks, lengths, coverage
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in images)
    assert not re.search(r'(src|href)="https?://', page)  # nothing fetched from elsewhere
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in page
    assert "Is &lt;b&gt;this&lt;/b&gt; escaped?" in page
    assert '<mark class="unsupported">Item 0 was invented in 1850 by Napoleon.</mark>' in page
    assert "rejected: unsupported" in page and "qa failed: invalid_json" in page
    assert "documents cited" in page


def test_highlight_escapes_and_marks():
    assert highlight("x < y. Wrong <claim>.", ["Wrong <claim>."]) == 'x &lt; y. <mark class="unsupported">Wrong &lt;claim&gt;.</mark>'


def test_report_command_on_empty_workdir(tmp_path):
    result = CliRunner().invoke(cli, ["--workdir", str(tmp_path / "empty"), "report"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "empty" / "report.html").read_text()
    assert "No evaluated samples yet" in page


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")), reason="chromium not installed")
def test_report_renders_in_headless_chromium(workdir, tmp_path):
    path = write_report(load_config(None), workdir)
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "screenshot-report.sh"), str(path), str(shot), "1600"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
    assert len(data) > 50_000  # a blank page compresses to a few KB; plots and text do not


def test_report_names_the_judge_and_embedder_the_run_recorded(tmp_path):
    wd = filled_workdir(tmp_path / "w", [qa(i, f"d{i % 3}") for i in range(4)], embed_model="my-embedder",
                        evaluate={"judge": {"name": "nli", "threshold": 0.3}})
    page = write_report(load_config(None, {"evaluate.judge": "llm", "embed.model": "other"}), wd).read_text()
    assert "judge <code>nli</code>" in page and "embeddings <code>my-embedder</code>" in page
