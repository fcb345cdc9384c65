"""The local backend journals per reply: each decoding batch's replies reach the response cache and the sample log
while the next batch decodes, so a SIGKILL loses at most the batch in flight ([llm.local] batch_size requests).

The model is a stand-in (``SlowLocal``: ``LocalLLM`` with its tokenizer, template and ``_generate`` replaced by
echo replies, one sleep per batch, and a switch that hangs a chosen batch); the batching, ordering and reporting
around it are the real backend's. Before, the local backend returned the whole generate batch at its end: a kill
in its last decoding batch lost every reply of the batch (the cache held 0 rows)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from groundset.config import load_config
from groundset.llm.base import ChatRequest, ChatResult
from groundset.llm.cache import ResponseCache
from groundset.llm.config import LLMConfig
from groundset.llm.local import LocalLLM
from groundset.workdir import Workdir
from tests.generate.fakes import echo_reply, fill_store

REPO = Path(__file__).resolve().parents[2]
N, BATCH = 16, 4  # one generate batch of 16 requests, decoded 4 at a time
HANG = 3  # the third decoding batch never ends (until killed): 8 replies are done, 4 in flight, 4 not started


class _Tokenizer:
    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return list(text.encode("utf-8"))


class SlowLocal(LocalLLM):
    """``LocalLLM`` without a model. ``asked``: a file that gets one line per request decoded; ``hang``: the
    decoding batch (1-based) that never ends; ``limit``: the context length in bytes of prompt."""

    def __init__(self, cfg: LLMConfig, asked: Path | None = None, hang: int = 0, limit: int = 1 << 20,
                 sleep: float = 0.02):
        super().__init__(cfg)
        self.asked, self.hang, self.limit, self.sleep = asked, hang, limit, sleep
        self.batches = 0

    def _ensure(self) -> None:
        self._tok, self._lm = _Tokenizer(), object()

    def render(self, messages: list[dict[str, str]]) -> str:
        return "\n".join(f"{m['role']}: {m['content']}" for m in messages)

    def context_length(self) -> int:
        return self.limit

    def _generate(self, reqs: list[ChatRequest], prompts: list[list[int]], forced=None) -> list[ChatResult]:
        self.batches += 1
        if self.asked is not None:
            with self.asked.open("a", encoding="utf-8") as f:
                f.write("".join(f"{r.seed}\n" for r in reqs))
        if self.batches == self.hang:
            time.sleep(3600)
        time.sleep(self.sleep)
        return [ChatResult(text=echo_reply(r), finish_reason="stop", prompt_tokens=len(p), completion_tokens=9)
                for r, p in zip(reqs, prompts)]


def _cfg(**kw) -> LLMConfig:
    return LLMConfig(spec="local:slow-stand-in", local={"batch_size": BATCH}, **kw)


def _req(text: str, seed: int) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], seed=seed)


def test_each_decoding_batch_is_reported_as_it_ends_prompts_too_long_at_once():
    llm = SlowLocal(_cfg(), limit=200, sleep=0.0)
    reqs = [_req(f"short {i}", i) for i in range(6)] + [_req("x" * 400, 6)]
    seen: list[tuple[int, int, bool]] = []  # (request, decoding batches done when it was reported, ok)
    results = llm.chat(reqs, on_result=lambda i, r: seen.append((i, llm.batches, r.ok)))
    assert seen[0] == (6, 0, False)  # too long: reported before any decoding
    assert results[6].error.startswith("prompt_too_long")
    assert sorted(i for i, _, _ in seen) == list(range(7))  # each request exactly once
    assert [b for _, b, _ in seen[1:]] == [1, 1, 1, 1, 2, 2]  # a batch's replies as that batch ends
    assert [r.text for r in results[:6]] == [r.text for r in llm.chat(reqs[:6])]  # same results without on_result


def test_the_managed_llm_caches_each_batch_before_the_next_one_decodes(tmp_path):
    from groundset.llm.managed import ManagedLLM

    cfg = _cfg()
    wd = Workdir(tmp_path / "w").ensure()
    rows: list[int] = []

    class Watching(SlowLocal):
        def _generate(self, reqs, prompts, forced=None):
            cache = ResponseCache(wd.llm_cache)
            rows.append(len(cache))  # what another process would find if this one died now
            cache.close()
            return super()._generate(reqs, prompts)

    llm = ManagedLLM(Watching(cfg, sleep=0.0), cfg, workdir=wd)
    results = llm.chat([_req(f"question {i}", i) for i in range(10)])
    assert all(r.ok for r in results)
    assert rows == [0, 4, 8]  # batches of 4, 4, 2: each one's replies stored before the next starts
    llm.close()


CHILD = """
import json, sys
from pathlib import Path
import groundset.embed
from tests.generate.fakes import BowEmbedder
groundset.embed.load_embedder = lambda cfg: BowEmbedder()
from groundset.config import load_config
from groundset.generate.runner import generate
from groundset.llm.managed import ManagedLLM
from groundset.workdir import Workdir
from tests.llm.test_local_journal import SlowLocal
config, wd = load_config(None, json.loads(sys.argv[2])), Workdir(sys.argv[1])
llm = ManagedLLM(SlowLocal(config.llm, asked=Path(sys.argv[3]), hang=int(sys.argv[4])), config.llm, workdir=wd)
generate(config, wd, llm, progress=False)
"""
OVERRIDES = {"generate.tasks": {"qa": N}, "generate.batch_size": str(N), "generate.reuse_chunks": "true",
             "llm.spec": "local:slow-stand-in", "llm.local.batch_size": str(BATCH)}


def _rows(path: Path) -> int:
    if not path.exists():
        return 0
    cache = ResponseCache(path)
    try:
        return len(cache)
    finally:
        cache.close()


def _lines(*paths: Path) -> int:
    return sum(p.read_text().count("\n") for p in paths if p.exists())


def _run(wd: Workdir, asked: Path, hang: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(wd.root), json.dumps(OVERRIDES), str(asked), str(hang)],
                            env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def test_sigkill_in_a_decoding_batch_loses_only_that_batch(tmp_path):
    wd = Workdir(tmp_path / "w").ensure()
    fill_store(load_config(None, OVERRIDES), wd)
    asked = tmp_path / "asked.txt"
    proc = _run(wd, asked, HANG)
    deadline = time.monotonic() + 120
    while _lines(asked) < HANG * BATCH and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the hanging batch has started: the two before it are done
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, out.decode()[-2000:]
    done = (HANG - 1) * BATCH
    assert _rows(wd.llm_cache) == done  # every reply of a finished batch is in the cache
    assert _lines(wd.samples("qa"), wd.rejects("qa")) == done  # and its attempt in the sample log

    before = _lines(asked)
    proc = _run(wd, asked, 0)
    out, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, out.decode()[-3000:]
    assert _lines(wd.samples("qa")) == N
    assert _lines(asked) - before == N - done  # the resumed run decodes only what was in flight or not started
    assert _rows(wd.llm_cache) == N
    ids = [json.loads(x)["id"] for x in wd.samples("qa").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == N
