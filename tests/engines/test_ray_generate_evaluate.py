"""``engine = "ray"`` generate and evaluate: the local engine's sample ids, records and kept set; resume after a
kill."""

from __future__ import annotations

import shutil

import pytest

from groundset.config import load_config
from groundset.engines import ray_generate
from groundset.engines.ray_generate import load_ray_llm
from groundset.generate.echo import echo_reply
from groundset.llm.fake import FakeLLM
from groundset.llm.managed import wrap
from groundset.errors import BackendError
from groundset.evaluate.runner import evaluate
from groundset.generate.runner import generate
from groundset.workdir import Workdir
from tests.generate.fakes import fill_store

pytestmark = pytest.mark.usefixtures("ray_cluster")

OVERRIDES = {"generate.tasks": {"qa": 5, "multihop": 2, "textbook": 2}, "generate.batch_size": "2",
             "llm.spec": "fake", "evaluate.judge": "default", "generate.reuse_chunks": "true",
             "evaluate.roundtrip_k": "0"}  # the fake store holds bag-of-words vectors: no retrieval round trip


def _config(engine: str, **extra):
    return load_config(None, {**OVERRIDES, "run.engine": engine, **extra})


def _llm(engine: str, workdir: Workdir):
    """Grounded scripted replies (most samples are accepted), run in this process or shipped to the Ray workers."""
    backend = FakeLLM(default=echo_reply, name="echo")
    if engine == "ray":
        return load_ray_llm(_config("ray"), workdir, "generate", backend=backend)
    return wrap(backend, _config("local").llm, workdir=workdir)


def _files(workdir: Workdir, glob: str = "samples/*.jsonl") -> dict[str, list[str]]:
    return {p.name: p.read_text().splitlines() for p in sorted(workdir.root.glob(glob))}


@pytest.fixture
def two_workdirs(tmp_path):
    local = Workdir(tmp_path / "local").ensure()
    fill_store(_config("local"), local)
    ray_wd = tmp_path / "ray"
    shutil.copytree(local.root, ray_wd)
    return local, Workdir(ray_wd)


def test_generate_and_evaluate_on_ray_equal_local(two_workdirs):
    local, remote = two_workdirs
    a = generate(_config("local"), local, _llm("local", local), progress=False)
    b = generate(_config("ray"), remote, _llm("ray", remote), progress=False)
    assert b.model == a.model == "echo"
    assert {t: r.accepted for t, r in b.tasks.items()} == {t: r.accepted for t, r in a.tasks.items()}
    assert sum(r.accepted for r in a.tasks.values()) > 0
    assert _files(remote) == _files(local)  # same ids, same records, same order in the journal

    ea = evaluate(_config("local"), local, progress=False)
    eb = evaluate(_config("ray"), remote, progress=False)
    assert (eb.kept, eb.rejected, eb.reasons) == (ea.kept, ea.rejected, ea.reasons)
    assert _files(remote, "evaluated/*.jsonl") == _files(local, "evaluated/*.jsonl")  # the same kept set


def test_a_ray_run_killed_mid_generate_resumes_to_the_uninterrupted_records(two_workdirs, monkeypatch):
    local, remote = two_workdirs
    generate(_config("local"), local, _llm("local", local), progress=False)
    real = ray_generate.RayBackend.chat
    calls = {"n": 0}

    def dies_on_second_round(self, requests):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ray_generate.RayEngineError("the driver lost the cluster")
        return real(self, requests)

    monkeypatch.setattr(ray_generate.RayBackend, "chat", dies_on_second_round)
    with pytest.raises(BackendError):
        generate(_config("ray"), remote, _llm("ray", remote), progress=False)
    partial = sum(len(v) for v in _files(remote).values())
    assert 0 < partial < sum(len(v) for v in _files(local).values())
    monkeypatch.setattr(ray_generate.RayBackend, "chat", real)
    resumed = generate(_config("ray"), remote, _llm("ray", remote), progress=False)
    assert sum(r.resumed for r in resumed.tasks.values()) == partial
    assert _files(remote) == _files(local)


def test_results_stream_to_the_driver_as_rows_arrive(tmp_path):
    from groundset.engines.ray_generate import RayBackend
    from groundset.llm.base import ChatRequest

    backend = RayBackend(_config("ray").llm, _config("ray", **{"run.ray_llm_actors": 2}).run,
                         FakeLLM(default=echo_reply, name="echo"))
    requests = [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(5)]
    seen = []
    results = backend.chat(requests, on_result=lambda i, r: seen.append((i, r.text)))
    assert seen == [(i, r.text) for i, r in enumerate(results)] and all(r.ok for r in results)
    llm = wrap(backend, _config("ray").llm, workdir=Workdir(tmp_path / "w").ensure())
    journal = []
    llm.chat(requests, on_result=lambda i, r: journal.append(i))
    assert sorted(journal) == list(range(5))  # the managed LLM passes each on as it arrives
