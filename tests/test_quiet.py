"""The library is quiet: ingest, generate, evaluate and export called from Python write nothing to stdout or stderr;
what they tell a caller goes to the ``progress`` callback (``groundset.progress``), which the CLI draws."""

from __future__ import annotations

import pytest

from groundset.config import load_config
from groundset.evaluate.runner import evaluate
from groundset.export.runner import export
from groundset.generate.runner import generate
from groundset.ingest.pipeline import ingest
from groundset.progress import Finished, Tick
from groundset.workdir import Workdir
from tests.test_run import Killer, project  # noqa: F401 - the tiny HTML corpus and its config

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(autouse=True)
def _bow_embedder(monkeypatch):
    from tests.test_run import Embedder

    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: Embedder())


def test_pipeline_functions_print_nothing(project, capfd):  # noqa: F811
    root, cfg_path = project
    config = load_config(cfg_path)
    wd = Workdir(root / "work")
    docs = [root / "docs"]
    capfd.readouterr()
    ingested = ingest(docs, config, wd)
    generated = generate(config, wd, Killer())
    evaluated = evaluate(config, wd, Killer())
    exported = export(config, wd)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert ingested.chunks_new > 0 and generated.tasks["qa"].accepted > 0
    assert evaluated.total > 0 and exported.rows == evaluated.kept


def test_progress_callback_gets_the_events(project, capfd):  # noqa: F811
    root, cfg_path = project
    config = load_config(cfg_path)
    wd = Workdir(root / "work")
    events: list = []
    result = ingest([root / "docs"], config, wd, progress=events.append)
    generate(config, wd, Killer(), progress=events.append)
    evaluate(config, wd, Killer(), progress=events.append)
    assert capfd.readouterr() == ("", "")
    ticks = [e for e in events if isinstance(e, Tick)]
    files = sum(e.advance for e in ticks if (e.stage, e.bar) == ("ingest", "files"))
    chunks = sum(e.advance for e in ticks if (e.stage, e.bar) == ("ingest", "chunks"))
    assert files == result.files and chunks == result.chunks_new
    assert [e.done for e in ticks if e.stage == "generate"][-1] == 4  # qa 4 of 4
    assert any(e.stage == "evaluate" and e.bar == "judge" for e in ticks)
    finished = [e for e in events if isinstance(e, Finished)]
    assert [e.stage for e in finished] == ["ingest", "generate", "evaluate"]
    assert finished[0].report["counts"]["chunks_new"] == result.chunks_new  # the CLI's summary table reads it


def test_finished_is_sent_when_ingest_fails(project, monkeypatch):  # noqa: F811
    root, cfg_path = project
    events: list = []

    def broken(*a, **k):
        raise RuntimeError("store is down")

    monkeypatch.setattr("groundset.store.open_store", broken)
    with pytest.raises(RuntimeError, match="store is down"):
        ingest([root / "docs"], load_config(cfg_path), Workdir(root / "work"), progress=events.append)
    assert events and events[-1] == Finished("ingest", None)  # the CLI's bars are stopped, no table drawn


def test_rich_progress_draws_on_stderr_only(capsys):
    from groundset.commands.progress import RichProgress

    report = {"counts": {"files_ok": 1, "files_failed": 0, "documents": 1, "chunks": 2, "chunks_new": 2,
                         "chunks_unchanged": 0, "chunks_deleted": 0, "points": 2},
              "quality": {"tokens": {"min": 1, "median": 2, "max": 3, "limit": 9, "over_limit": 0},
                          "boilerplate_share": 0.0, "cross_document_duplicates": 0, "languages": {"en": 1}},
              "files": [{"path": "a.html", "status": "ok"}], "dropped": {}, "seconds": 0.1}
    with RichProgress() as bar:
        bar(Tick("ingest", "files", done=0, total=1, note=""))
        bar(Tick("ingest", "files", advance=1, note="a.html"))
        bar(Finished("ingest", report))
        bar(Tick("generate", "qa", done=1, total=2, fields={"rejected": 0, "tokens": 5}))
    out, err = capsys.readouterr()
    assert out == ""
    assert "ingest summary" in err and "collection holds 2" in err
    with RichProgress(enabled=False) as bar:
        bar(Finished("ingest", report))
    assert capsys.readouterr() == ("", "")
