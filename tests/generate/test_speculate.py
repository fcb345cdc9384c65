"""[generate] speculate: more attempts per batch, the same records as a run without it, in fewer rounds."""

from __future__ import annotations

import json

import pytest

from groundset.config import load_config
from groundset.generate.runner import generate
from groundset.llm.fake import FakeLLM
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, echo_reply, fill_store


@pytest.fixture(autouse=True)
def _bow_embedder(monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())


class CountingLLM(FakeLLM):
    """Echo replies, except invalid JSON for every other distinct prompt (a fixed half of the seeds fail)."""

    def __init__(self):
        super().__init__(default=self.reply)
        self.batches = 0

    def chat(self, requests):
        self.batches += 1
        return super().chat(requests)

    @staticmethod
    def reply(request):
        text = request.messages[-1]["content"]
        return "not json" if sum(map(ord, text)) % 2 else echo_reply(request)


def run(tmp_path, name, speculate):
    workdir = Workdir(tmp_path / name).ensure()
    config = load_config(None, {"generate.tasks": {"qa": 3}, "generate.speculate": speculate,
                                "generate.batch_size": 8, "generate.reuse_chunks": True})
    fill_store(config, workdir)
    llm = CountingLLM()
    result = generate(config, workdir, llm, progress=False)
    files = [[json.dumps(r, sort_keys=True) for r in read_jsonl(p)]
             for p in (workdir.samples("qa"), workdir.rejects("qa"))]
    return result.tasks["qa"], files, llm


def test_speculation_keeps_the_records_of_a_plain_run_in_fewer_rounds(tmp_path):
    plain, plain_files, plain_llm = run(tmp_path, "plain", False)
    spec, spec_files, spec_llm = run(tmp_path, "spec", True)
    assert plain.accepted == spec.accepted == 3 and plain.rejected == spec.rejected and plain.rejected
    assert [[json.loads(r)["id"] for r in f] for f in spec_files] == [[json.loads(r)["id"] for r in f]
                                                                        for f in plain_files]
    assert spec.attempts == plain.attempts and spec.llm_calls == plain.llm_calls
    assert spec_llm.batches < plain_llm.batches
    assert spec.unused_calls == len(spec_llm.history) - len(plain_llm.history) >= 0


def test_a_speculative_run_resumes_like_a_plain_one(tmp_path):
    spec, files, _ = run(tmp_path, "spec", True)
    workdir = Workdir(tmp_path / "spec")
    config = load_config(None, {"generate.tasks": {"qa": 3}, "generate.speculate": True,
                                "generate.batch_size": 8, "generate.reuse_chunks": True})
    again = generate(config, workdir, CountingLLM(), progress=False).tasks["qa"]
    assert again.resumed == spec.attempts and again.llm_calls == 0
