"""`groundset run`: every stage end to end on a tiny HTML corpus, skipping what is current, resuming after a kill.

The LLM is scripted (tests.generate.fakes.echo_llm answers every generator prompt from its documents) and the
embedder is a bag of words, so nothing is downloaded or loaded; the stages themselves are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.config import load_config
from groundset.llm.fake import FakeLLM
from groundset.run import run, stage_is_current
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import DOCS, BowEmbedder, echo_reply

pytestmark = pytest.mark.timeout(300)


class Embedder(BowEmbedder):
    text_limit = 500


@pytest.fixture(autouse=True)
def _bow_embedder(monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: Embedder())


def _html(title: str, parts) -> str:
    body = "".join(f"<h2>{sec[0]}</h2><p>{text}</p>" for sec, text in parts)
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


@pytest.fixture
def project(tmp_path):
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for title, parts in DOCS.items():
        (corpus / f"{title.lower()}.html").write_text(_html(title, parts), encoding="utf-8")
    cfg = tmp_path / "groundset.toml"
    cfg.write_text(f"""
[ingest]
paths = ["{corpus}"]
chunk_tokens = 60
chunk_overlap = 8
min_chunk_tokens = 5
[generate]
tasks = {{ qa = 4 }}
min_seed_tokens = 5
batch_size = 2
[export]
format = "jsonl"
splits = {{ train = 0.5, test = 0.5 }}
""")
    return tmp_path, cfg


class Killer(FakeLLM):
    """Answers like echo_llm, then raises KeyboardInterrupt (a Ctrl-C / kill) on call number ``after``."""

    def __init__(self, after: int | None = None):
        super().__init__(name="fake", default=echo_reply)
        self.after = after

    def chat(self, requests):
        if self.after is not None and len(self.history) + len(requests) > self.after:
            raise KeyboardInterrupt
        return super().chat(requests)


def test_run_then_rerun_skips_everything(project):
    root, cfg_path = project
    config = load_config(cfg_path)
    wd = Workdir(root / "work")
    llm = Killer()
    result = run(config, wd, llm, progress=False)
    assert result.exit_code == 0, [(s.name, s.status, s.summary) for s in result.stages]
    assert [s.status for s in result.stages] == ["done"] * 4
    assert result.dataset == wd.export_dir / "qa" and (result.dataset / "README.md").exists()
    assert result.report == wd.report_html and "data:image/png;base64," in wd.report_html.read_text()
    rows = [r for f in (result.dataset / "data").glob("*.jsonl") for r in read_jsonl(f)]
    assert len(rows) == sum(1 for _ in read_jsonl(wd.kept)) > 0
    calls = len(llm.history)
    assert calls > 0

    again = run(config, wd, llm, progress=False)
    assert [s.status for s in again.stages] == ["skipped"] * 4
    assert len(llm.history) == calls  # no LLM call on a re-run
    assert again.dataset == result.dataset

    # a changed export setting re-runs only export; a touched kept file is an input change for export too
    changed = load_config(cfg_path, {"export.schema": "sft"})
    third = run(changed, wd, llm, progress=False)
    assert [s.status for s in third.stages] == ["skipped", "skipped", "skipped", "done"]
    assert (wd.export_dir / "sft" / "README.md").exists()


def test_run_resumes_after_a_kill_in_generate(project):
    root, cfg_path = project
    config = load_config(cfg_path)
    wd = Workdir(root / "work")
    with pytest.raises(KeyboardInterrupt):
        run(config, wd, Killer(after=2), progress=False)
    assert stage_is_current("ingest", config, wd)
    assert not stage_is_current("generate", config, wd)
    written = sum(1 for _ in read_jsonl(wd.samples("qa")))
    assert written >= 1  # the first batch was appended before the kill

    llm = Killer()
    result = run(config, wd, llm, progress=False)
    assert [s.status for s in result.stages] == ["skipped", "done", "done", "done"]
    ids = [r["id"] for r in read_jsonl(wd.samples("qa"))]
    assert len(ids) == len(set(ids)) >= 4  # no duplicate; more than 4 when the gate rejected some (topped up)
    assert sum(1 for _ in read_jsonl(wd.kept)) == 4  # N kept means N kept
    assert len(llm.history) <= len(ids) - written  # the attempts recorded before the kill were not redone


def test_changed_document_is_reingested(project):
    root, cfg_path = project
    config = load_config(cfg_path)
    wd = Workdir(root / "work")
    run(config, wd, Killer(), progress=False)
    doc = root / "docs" / "lists.html"
    doc.write_text(doc.read_text().replace("mutable sequences", "mutable ordered sequences"))
    again = run(config, wd, Killer(), progress=False)
    assert again.stages[0].status == "done"  # the corpus changed
    import shutil

    shutil.rmtree(wd.qdrant_dir)  # the embedded store was deleted: ingest again instead of failing in generate
    third = run(config, wd, Killer(), progress=False)
    assert third.stages[0].status == "done" and third.exit_code == 0


def test_dry_run_prints_plan_without_model(project, monkeypatch):
    root, cfg_path = project
    import groundset.llm as llm_pkg

    monkeypatch.setattr(llm_pkg, "load_llm", lambda *a, **k: pytest.fail("dry run loaded an LLM"), raising=False)
    result = CliRunner().invoke(cli, ["--workdir", str(root / "work"), "--config", str(cfg_path), "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    for stage in ("ingest", "generate", "evaluate", "export"):
        assert stage in out
    assert "from 4 files" in out and "rough estimate" in out
    assert not (root / "work" / "samples").exists()

    run(load_config(cfg_path), Workdir(root / "work"), Killer(), progress=False)
    result = CliRunner().invoke(cli, ["--workdir", str(root / "work"), "--config", str(cfg_path), "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.count("up to date") == 4


def test_run_command_prints_where_things_are(project, monkeypatch):
    root, cfg_path = project
    monkeypatch.setattr("groundset.run.run", _run_with(Killer()))
    result = CliRunner().invoke(cli, ["--workdir", str(root / "work"), "--config", str(cfg_path), "run", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "dataset: " in result.output and "report: " in result.output


def _run_with(llm):
    real = run

    def wrapped(config, workdir, _llm=None, **kw):
        return real(config, workdir, llm, **kw)

    return wrapped


def test_nothing_to_ingest_fails_clearly(tmp_path):
    result = run(load_config(None), Workdir(tmp_path / "w"), Killer(), progress=False)
    assert result.exit_code == 1 and "[ingest] paths" in result.error
    assert json.loads(json.dumps([s.status for s in result.stages])) == ["failed"]
    assert Path(result.report).exists()


def test_gate_keeping_nothing_is_partial_not_a_crash(project):
    root, cfg_path = project

    def hallucinate(request):  # on topic (the question echoes the document), but the answer is invented
        reply = json.loads(echo_reply(request))
        reply["answer"] = "It was designed in 1850 by 4,000 engineers working in Paris for Napoleon."
        return json.dumps(reply)

    result = run(load_config(cfg_path), Workdir(root / "work"), FakeLLM(default=hallucinate), progress=False)
    statuses = {s.name: s.status for s in result.stages}
    # N kept means N kept: generate tops up until its seeds run out, and says so
    assert statuses["generate"] == "partial" and "stopped: seeds_exhausted" in result.stages[1].summary, result.stages
    assert statuses["evaluate"] == "done", result.stages
    assert statuses["export"] == "partial" and "evaluated samples were rejected" in result.stages[-1].summary
    assert result.exit_code == 3 and result.error is None and result.dataset is None
    assert '<mark class="unsupported">It was designed in 1850' in Path(result.report).read_text()


def test_a_standalone_ingest_is_current_for_the_next_run(project, monkeypatch):
    """`groundset ingest` records the stage as `groundset run` does (inputs key included): run re-parses nothing."""
    root, cfg_path = project
    wd = Workdir(root / "work")
    r = CliRunner().invoke(cli, ["--workdir", str(wd.root), "--config", str(cfg_path), "ingest", "--quiet"])
    assert r.exit_code == 0, r.output
    config = load_config(cfg_path)
    assert set(wd.state()["ingest"]) >= {"fingerprint", "inputs", "documents", "chunks"}
    assert stage_is_current("ingest", config, wd)
    monkeypatch.setattr("groundset.ingest.pipeline.ingest", lambda *a, **k: pytest.fail("re-ingested"))
    result = run(config, wd, Killer(), progress=False)
    assert [s.status for s in result.stages][:1] == ["skipped"]
