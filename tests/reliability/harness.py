"""Running ``groundset`` commands for the kill series: the corpus, the config, this process or forked children.

>>> h = Harness(tmp); h.setup()                                     # doctest: +SKIP
>>> h.run_here(tmp / "w", "ingest")                                 # doctest: +SKIP   (exit status)
0
>>> h.run_forked(tmp / "w", "generate", tmp / "log", kill_at=0.5)   # doctest: +SKIP   (None: it was killed)
(None, 0.51)

A child is forked (so it starts with everything this process imported), puts itself in a process group of its
own (SIGKILL reaches reader processes too), sends its output to a log file and leaves with ``os._exit`` (no
cleanup of this process runs in it, as with a real kill -9).
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
import traceback
from pathlib import Path

__all__ = ["Harness", "make_corpus", "set_stage", "CONFIG", "STAGES", "DELAYS"]

STAGES = ("ingest", "generate", "evaluate")
CONFIG = """
[ingest]
chunk_tokens = 60
[generate]
tasks = { qa = 8, multihop = 3, conversation = 2, textbook = 2, rag = 3 }
batch_size = 4
reuse_chunks = true
[generate.conversation]
turns = 2
[llm]
spec = "fake"
[evaluate]
judge = "llm"
batch_size = 4
"""
TOPICS = ["lists", "dictionaries", "errors", "modules", "files", "classes", "strings", "numbers", "loops", "sets"]


def make_corpus(folder: Path, files: int = 10, seed: int = 0) -> Path:
    """``files`` Markdown files of three sections, sentences drawn from the generate tests' documents (real prose,
    so the quality filters keep it; every section different, so no chunk is a duplicate)."""
    from tests.generate.fakes import DOCS

    sentences = [s.strip() + "." for parts in DOCS.values() for _, text in parts for s in text.split(". ")
                 if len(s.split()) > 6 and "Copyright" not in s]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        topic = TOPICS[i % len(TOPICS)]
        body = [f"# Notes on {topic} ({i})\n"]
        for j in range(3):
            picked = rng.sample(sentences, 4)
            body.append(f"## Part {j + 1} of {topic}\n\n" + " ".join(picked) + f" This is note {i}.{j} on {topic}.\n")
        (folder / f"{i:02d}-{topic}.md").write_text("\n".join(body), encoding="utf-8")
    return folder


# --- running the CLI -----------------------------------------------------------------------------------------------
class Harness:
    """Runs ``groundset`` commands in this process or in forked children, with the test embedder and a slow fake."""

    def __init__(self, root: Path, scale: float = 1.0):
        self.root, self.scale = root, scale
        self.config = root / "groundset.toml"
        self.docs = root / "docs"

    def setup(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.config.write_text(CONFIG, encoding="utf-8")
        make_corpus(self.docs)
        _patch(self.scale)

    def argv(self, workdir: Path, stage: str) -> list[str]:
        extra = [str(self.docs), "-q"] if stage == "ingest" else ["--no-progress"]
        return ["--workdir", str(workdir), "--config", str(self.config), stage, *extra]

    def run_here(self, workdir: Path, stage: str) -> int:
        """The command in this process (imports what the stage needs, for the forked children); its output goes to
        ``root/here.log``."""
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        fd = os.open(self.root / "here.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            return _cli(self.argv(workdir, stage))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for f in (fd, *saved):
                os.close(f)

    def start(self, workdir: Path, stage: str, log: Path) -> int:
        """The command in a forked child of its own process group; returns its pid."""
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs this process's cleanup
            code = 70
            try:
                os.setpgid(0, 0)
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                code = _cli(self.argv(workdir, stage))
            except BaseException:  # noqa: BLE001 - report, then leave without cleanup
                traceback.print_exc()
            finally:
                os._exit(code)
        try:
            os.setpgid(pid, pid)  # also here: whichever runs first, the group exists before any kill
        except (PermissionError, ProcessLookupError):
            pass
        return pid

    def run_forked(self, workdir: Path, stage: str, log: Path, kill_at: float | None = None
                   ) -> tuple[int | None, float]:
        """(exit status, or None when killed; seconds). ``kill_at``: SIGKILL the process group after that long."""
        t0 = time.perf_counter()
        pid = self.start(workdir, stage, log)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), time.perf_counter() - t0
            if kill_at is not None and time.perf_counter() - t0 >= kill_at:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                _reap_group(pid)
                return None, time.perf_counter() - t0
            time.sleep(0.002)


def _reap_group(pgid: int) -> None:
    """Wait until no process of the killed group is left (reader processes die with it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def _cli(argv: list[str]) -> int:
    from groundset.cli import cli

    try:
        cli.main(args=argv, prog_name="groundset", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


DELAYS = {"ingest": 0.02, "generate": 0.02, "evaluate": 0.1}  # seconds per text embedded / per LLM reply
_DELAY = {"now": 0.02}  # read at each call: the fake engine is built once per process and shared


def set_stage(stage: str, scale: float = 1.0) -> None:
    """Slow the embedder and the fake LLM as ``stage``'s kill series wants (evaluate: its judge's replies are most of
    its run, not a sliver of it)."""
    _DELAY["now"] = DELAYS[stage] * scale


_ORIGINAL: dict = {}  # what _patch replaced, for restore()


def restore() -> None:
    """Undo ``_patch`` (the tests' autouse fixture calls it: a later test in this process must get the real
    ``load_embedder`` and ``grounded_reply``, not the kill series' slowed stand-ins)."""
    import groundset.embed
    import groundset.llm.fake_replies as replies

    if "load_embedder" in _ORIGINAL:
        groundset.embed.load_embedder = _ORIGINAL.pop("load_embedder")
    if "grounded_reply" in _ORIGINAL:
        replies.grounded_reply = _ORIGINAL.pop("grounded_reply")


def _patch(scale: float) -> None:
    """The bag-of-words embedder and the shipped fake LLM for every stage, each slowed by the current delay (per text
    embedded, per reply); ``restore()`` undoes it."""
    import groundset.embed
    import groundset.llm.fake_replies as replies
    from tests.reliability.run_cli import test_embedder

    _ORIGINAL.setdefault("load_embedder", groundset.embed.load_embedder)
    _ORIGINAL.setdefault("grounded_reply", replies.grounded_reply)

    set_stage("ingest", scale)
    embedder = test_embedder("bow")
    encode = embedder.encode

    def slow_encode(texts, batch_size=None):
        time.sleep(_DELAY["now"] * len(texts))
        return encode(texts, batch_size)

    embedder.encode = slow_encode
    groundset.embed.load_embedder = lambda cfg: embedder
    grounded = getattr(replies.grounded_reply, "__wrapped__", replies.grounded_reply)

    def slow(request):
        time.sleep(_DELAY["now"])
        return grounded(request)

    slow.__wrapped__ = grounded
    replies.grounded_reply = slow
