"""`groundset ingest` exit codes (0 / 3 / 1) and `groundset status` output, through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

from groundset.cli import cli

TEXT = "Embeddings map text to vectors. Similar meanings land close together in that space. " * 8


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_ingest_exit_codes_and_status(tmp_path):
    good = tmp_path / "docs"
    good.mkdir()
    (good / "a.md").write_text("# Vectors\n\n" + TEXT, encoding="utf-8")
    (good / "b.txt").write_text("Qdrant\n\n" + TEXT.replace("Embeddings", "Points"), encoding="utf-8")

    ok = _run("-w", "work", "ingest", str(good), "--collection", "demo", "--chunk-tokens", "80", "-q")
    assert ok.exit_code == 0, ok.output

    (good / "junk.pdf").write_bytes(b"\x00\x01not a pdf at all\xff" * 10)
    partial = _run("-w", "work", "ingest", str(good), "--collection", "demo", "--chunk-tokens", "80", "-q")
    assert partial.exit_code == 3
    assert "junk.pdf" in partial.output and "1 file(s) failed" in partial.output

    (tmp_path / "empty.txt").write_bytes(b"")
    nothing = _run("-w", "work2", "ingest", str(tmp_path / "empty.txt"), "-q")
    assert nothing.exit_code == 1 and "nothing usable" in nothing.output

    missing = _run("-w", "work3", "ingest", "-q")
    assert missing.exit_code == 2 and "PATH" in missing.output

    bad_flag = _run("-w", "work3", "ingest", str(good), "--chunk-tokens", "0", "-q")
    assert bad_flag.exit_code == 1 and "chunk_tokens" in bad_flag.output

    (tmp_path / "work" / "samples").mkdir()
    (tmp_path / "work" / "samples" / "qa.jsonl").write_text('{"id": 1}\n{"id": 2}\n', encoding="utf-8")
    status = _run("-w", "work", "--set", "store.collection=demo", "status", "--json")
    assert status.exit_code == 0, status.output
    info = json.loads(status.output)
    assert info["collections"]["demo"] > 0
    assert info["ingest"]["documents"] == 2 and info["ingest"]["files_failed"] == 1
    assert info["samples"] == {"qa": {"generated": 2, "rejected": 0, "to_retry": 0}}
    assert "ingest" in info["stages"]

    table = _run("-w", "work", "status")
    assert table.exit_code == 0 and "demo" in table.output and "documents" in table.output


def test_status_of_an_empty_workdir(tmp_path):
    result = _run("-w", "fresh", "status", "--json")
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert info["collections"] == {} and info["samples"] == {} and "ingest" not in info


def test_a_folder_with_nothing_we_read_says_so(tmp_path):
    pics = tmp_path / "pics"
    pics.mkdir()
    (pics / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    result = _run("-w", "work", "ingest", str(pics), "-q")
    assert result.exit_code == 1
    assert "no supported input files found (1 other files skipped)" in result.output
    report = json.loads((tmp_path / "work" / "ingest" / "report.json").read_text())
    assert [(f["status"], f["reason"]) for f in report["files"]] == [("skipped", "skipped")]
