"""The review session and its HTTP API: what the page shows, verdicts journalled, stale tabs, request checks."""

from __future__ import annotations

import json
import re
import socket
from importlib import resources

import httpx
import pytest
from click.testing import CliRunner

from groundset.cli import cli
from groundset.errors import GroundsetError
from groundset.review.apply import verdicts_path
from groundset.review.journal import REJECT_REASONS
from groundset.review.server import serve_in_thread
from groundset.review.session import KEYS, ReviewSession
from tests.review.fixtures import THRESHOLDS, evaluated_workdir


@pytest.fixture
def wd(tmp_path):
    return evaluated_workdir(tmp_path / "w")


@pytest.fixture
def http(wd):
    server, thread = serve_in_thread(ReviewSession(wd, THRESHOLDS))
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
    server.shutdown()
    server.server_close()
    thread.join(5)


def post(client, body, **headers):
    return client.post("/api/verdict", content=json.dumps(body),
                       headers={"Content-Type": "application/json", **headers})


def test_state_has_the_stratified_queue_progress_filters_reasons_and_keys(wd):
    st = ReviewSession(wd, THRESHOLDS, sample=10).state()
    assert len(st["queue"]) == 10
    assert {q["gate"] for q in st["queue"]} == {"kept", "rejected"}
    assert st["progress"] == {"done": 0, "todo": 10, "total": 10}
    assert set(st["filters"]) == {"task", "gate", "band"} and "no score" in st["filters"]["band"]
    assert st["reasons"] == REJECT_REASONS
    conv = ReviewSession(wd, THRESHOLDS, tasks=["conversation"])
    assert {conv.samples[i].task for i in conv.queue} == {"conversation"} and len(conv.queue) == 4


def test_sample_view_shows_fields_cited_chunks_and_sentence_scores(wd):
    s = ReviewSession(wd, THRESHOLDS).sample("qa-102")
    assert s["gate"] == "rejected" and s["reasons"] == ["unsupported"] and s["threshold"] == 0.6
    assert s["fields"]["question"] == "How long is river 102?"
    c = s["contexts"][0]
    assert (c["source"], c["section"], c["page"]) == ("docs/d0.pdf", ["Part 1", "Intro"], 103)
    assert [(x["text"], x["unsupported"]) for x in s["sentences"]] == [
        ("The river is 202 km long.", False), ("It was discovered in 1850.", True)]
    assert s["sentences"][1]["missing"] == ["1850"]
    assert s["verdict"] is None and s["revision"] == 0
    conv = ReviewSession(wd, THRESHOLDS).sample("conv-0")
    assert conv["fields"]["turns"][1]["role"] == "assistant" and list(conv["editable"]) == ["turns.1"]


def test_nothing_to_review_says_what_to_run(tmp_path):
    with pytest.raises(GroundsetError, match="groundset evaluate"):
        ReviewSession(evaluated_workdir(tmp_path / "empty", [], []), THRESHOLDS)
    with pytest.raises(GroundsetError, match="run `groundset evaluate` first"):
        from groundset.workdir import Workdir
        ReviewSession(Workdir(tmp_path / "none"), THRESHOLDS)
    with pytest.raises(GroundsetError, match="no evaluated sample of task textbook: the workdir has conversation, qa"):
        ReviewSession(evaluated_workdir(tmp_path / "w"), THRESHOLDS, tasks=["textbook"])


def test_page_and_api_over_http(http):
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" in page.text and page.headers["cache-control"] == "no-store"
    st = http.get("/api/state").json()
    first = st["queue"][0]["id"]
    assert http.get("/api/sample", params={"id": first}).json()["id"] == first
    assert http.get("/api/sample", params={"id": "nope"}).status_code == 404
    assert http.get("/nope").status_code == 404


def test_verdicts_are_journalled_before_the_answer(http, wd):
    r = post(http, {"sample_id": "qa-0", "decision": "accepted", "expect_revision": 0, "tab": "t1"})
    assert r.status_code == 200 and r.json()["revision"] == 1
    line = json.loads(verdicts_path(wd).read_text().splitlines()[-1])
    assert (line["sample_id"], line["decision"], line["tab"], line["gate_kept"], line["adherence"]) == (
        "qa-0", "accepted", "t1", True, 0.6)
    r = post(http, {"sample_id": "qa-0", "decision": "rejected", "reason": "not_useful", "expect_revision": 1})
    assert r.status_code == 200 and r.json()["revision"] == 2
    sample = http.get("/api/sample", params={"id": "qa-0"}).json()
    assert sample["verdict"]["decision"] == "rejected" and sample["revision"] == 2
    r = post(http, {"sample_id": "conv-0", "decision": "edited", "edits": {"turns.1": "It is 100 kilometres long."},
                    "expect_revision": 0})
    assert r.status_code == 200 and r.json()["edits"] == {"turns.1": "It is 100 kilometres long."}
    queue = {q["id"]: q for q in http.get("/api/state").json()["queue"]}
    assert queue["conv-0"]["verdict"] == "edited"


def test_two_tabs_on_the_same_sample_the_second_is_told_to_reload(http, wd):
    body = {"sample_id": "qa-1", "decision": "accepted", "expect_revision": 0}
    assert post(http, {**body, "tab": "a"}).status_code == 200
    r = post(http, {**body, "decision": "rejected", "reason": "unsupported", "tab": "b"})
    assert r.status_code == 409 and r.json()["revision"] == 1 and "reload" in r.json()["error"]
    assert len(verdicts_path(wd).read_text().splitlines()) == 1


@pytest.mark.parametrize("body,status,message", [
    ({"sample_id": "qa-1", "decision": "rejected", "expect_revision": 0}, 400, "needs a reason"),
    ({"sample_id": "qa-1", "decision": "rejected", "reason": "other", "expect_revision": 0}, 400, "needs a note"),
    ({"sample_id": "qa-1", "decision": "accepted"}, 400, "expect_revision"),
    ({"sample_id": "qa-1", "decision": "edited", "edits": {"passage": "x"}, "expect_revision": 0}, 400, "editable are"),
    ({"sample_id": "qa-1", "decision": "edited", "edits": {"answer": "The river is 101 km long. It was discovered "
                                                                     "in 1850."}, "expect_revision": 0}, 400, "edited text"),
    ({"sample_id": "zzz", "decision": "accepted", "expect_revision": 0}, 404, "no evaluated sample"),
    (["not", "an", "object"], 400, "JSON object"),
])
def test_malformed_verdicts_are_refused_with_the_reason(http, wd, body, status, message):
    r = post(http, body)
    assert r.status_code == status and message in r.json()["error"]
    assert verdicts_path(wd).read_text() == ""


def test_requests_from_elsewhere_are_refused(http):
    body = {"sample_id": "qa-1", "decision": "accepted", "expect_revision": 0}
    form = http.post("/api/verdict", content=json.dumps(body), headers={"Content-Type": "text/plain"})
    assert form.status_code == 415  # what a cross-site form can send without a preflight
    assert post(http, body, Origin="http://evil.example").status_code == 403
    assert post(http, body, Host="evil.example:8765").status_code == 403  # DNS rebinding
    assert http.get("/api/state", headers={"Host": "evil.example"}).status_code == 403
    assert http.post("/api/verdict", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert post(http, body, Origin=str(http.base_url).rstrip("/")).status_code == 200


def test_the_keyboard_covers_the_whole_workflow_and_the_page_handles_every_action():
    """The page reads KEYS from /api/state: every action of the workflow has a key, and page.html handles it."""
    page = resources.files("groundset.review").joinpath("page.html").read_text()
    needed = {"accept", "reject", "edit", "next", "previous", "next_todo", "filters", "help", "cancel", "save_edit",
              "submit_reason"}
    assert set(KEYS.values()) == needed
    for action in needed:
        assert re.search(rf"\b{action}\b", page), action
    assert "S.st.keys[key]" in page  # the handler looks keys up in the served map, not in its own copy
    assert len(REJECT_REASONS) <= 9  # reasons are picked with one digit each


def test_keyboard_sequence_at_the_http_level(http, wd):
    """What the page sends for a, r 1, r 6 + text, e + Ctrl+Enter on the first four queued samples."""
    queue = [q["id"] for q in http.get("/api/state").json()["queue"]]
    reasons = list(REJECT_REASONS)
    script = [("a", {}), ("r", {"reason": reasons[0]}), ("r", {"reason": reasons[5], "note": "wrong river"}),
              ("e", {})]
    for sid, (key, extra) in zip(queue, script):
        decision = {"accept": "accepted", "reject": "rejected", "edit": "edited"}[KEYS[key]]
        body = {"sample_id": sid, "decision": decision, "expect_revision": 0, **extra}
        if decision == "edited":
            editable = http.get("/api/sample", params={"id": sid}).json()["editable"]
            field = next(k for k in editable if k != "question")
            body["edits"] = {field: editable[field] + " (checked)"}
        assert post(http, body).status_code == 200, sid
    done = http.get("/api/state").json()["progress"]
    assert done["done"] == 4 and done["todo"] == done["total"] - 4
    assert [json.loads(x)["decision"] for x in verdicts_path(wd).read_text().splitlines()] == [
        "accepted", "rejected", "rejected", "edited"]


def test_cli_review_explains_what_is_missing_and_a_busy_port(tmp_path):
    r = CliRunner().invoke(cli, ["--workdir", str(tmp_path / "none"), "review"])
    assert r.exit_code == 1 and "groundset evaluate" in r.output
    evaluated_workdir(tmp_path / "w")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(cli, ["--workdir", str(tmp_path / "w"), "review", "--port", str(port)])
    assert r.exit_code == 1 and "--port" in r.output


def test_a_journal_that_cannot_be_written_answers_500_and_says_nothing_was_saved(http, wd, monkeypatch):
    import groundset.review.journal as journal

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal, "_append_line", full)
    r = post(http, {"sample_id": "qa-1", "decision": "accepted", "expect_revision": 0})
    assert r.status_code == 500 and "NOT saved" in r.json()["error"] and "No space" in r.json()["error"]
    monkeypatch.undo()
    assert post(http, {"sample_id": "qa-1", "decision": "accepted", "expect_revision": 0}).status_code == 200


def test_status_counts_the_verdicts(tmp_path):
    from groundset.review.journal import Verdict, VerdictJournal

    wd = evaluated_workdir(tmp_path / "w")
    j = VerdictJournal(verdicts_path(wd))
    j.append(Verdict(sample_id="qa-0", decision="accepted", task="qa", gate_kept=True))
    j.append(Verdict(sample_id="qa-1", decision="rejected", reason="unsupported", task="qa", gate_kept=True))
    j.append(Verdict(sample_id="qa-1", decision="accepted", task="qa", gate_kept=True))  # supersedes
    r = CliRunner().invoke(cli, ["--workdir", str(wd.root), "status", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["reviewed"] == {"accepted": 2}
    r = CliRunner().invoke(cli, ["--workdir", str(wd.root), "status"])
    assert "2 accepted (groundset review)" in r.output


def test_cli_task_choices_come_from_the_registry(tmp_path):
    evaluated_workdir(tmp_path / "w")
    r = CliRunner().invoke(cli, ["--workdir", str(tmp_path / "w"), "review", "--task", "nonsense"])
    assert r.exit_code == 2 and "nonsense" in r.output


def test_bodies_that_are_empty_or_too_large_are_refused(http):
    empty = http.post("/api/verdict", content=b"", headers={"Content-Type": "application/json"})
    assert empty.status_code == 400 and "JSON body of 1 to" in empty.json()["error"]
    huge = http.post("/api/verdict", content=b"{" + b" " * (1 << 20) + b"}", headers={"Content-Type": "application/json"})
    assert huge.status_code == 400
    assert http.get("/api/state").status_code == 200  # the server (and a new connection) carries on
