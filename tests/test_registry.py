"""The registries: names, "did you mean", discovery without heavy imports, and a throwaway task that flows through
the CLI choices, config validation, the plan, generation and export without any other file knowing its name."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from pydantic import Field

from groundset.cli import cli
from groundset.config import load_config
from groundset.errors import ConfigError, GroundsetError
from groundset.export.schemas import build_rows
from groundset.generate.base import Attempt, chat, new_sample, quote_chunks, request
from groundset.generate.checks import Reject, read_object
from groundset.generate.config import TaskParams
from groundset.generate.task import Task
from groundset.llm.fake import FakeLLM
from groundset.records import Evaluation
from groundset.registry import BACKENDS, JUDGES, SCHEMAS, TASKS, Registry, UnknownNameError
from groundset.run_plan import plan
from groundset.workdir import Workdir, read_jsonl
from tests.generate.fakes import BowEmbedder, fill_store


def test_register_get_names_in_order_and_did_you_mean():
    reg: Registry[int] = Registry("colour")
    reg.register("blue", 2, order=20)
    reg.register("red", 1, order=10)
    reg.register("green", 3)
    assert reg.names() == ["red", "blue", "green"]
    assert reg.get("blue") == 2 and "red" in reg and "pink" not in reg
    with pytest.raises(UnknownNameError, match=r"unknown colour 'bleu' \(did you mean 'blue'\?\); one of: red, blue"):
        reg.get("bleu")
    reg.unregister("blue")
    assert reg.names() == ["red", "green"]
    with pytest.raises(ValueError, match="non-empty name"):
        reg.register("", 4)


def test_builtins_are_discovered_in_their_documented_order():
    # built-ins in their documented order; helpers may register more after them
    assert TASKS.names()[:5] == ["qa", "multihop", "conversation", "textbook", "rag"]
    assert {"auto", "default", "verifier", "nli", "llm", "ragas", "combine"} <= set(JUDGES.names())
    assert SCHEMAS.names()[:6] == ["qa", "sft", "dpo", "ragas", "conversation", "textbook"]
    assert BACKENDS.names()[:4] == ["local", "openai", "vllm", "fake"]


def test_reading_every_registry_imports_no_heavy_library():
    """Config validation and CLI choices read the registries on every command: they must stay cheap."""
    code = (
        "import sys, json\n"
        "from groundset.registry import TASKS, JUDGES, SCHEMAS, BACKENDS\n"
        "from groundset.config import load_config\n"
        "[r.names() for r in (TASKS, JUDGES, SCHEMAS, BACKENDS)]; load_config(None)\n"
        "print(json.dumps([m for m in ('torch', 'transformers', 'nltk', 'datasets', 'qdrant_client', 'vllm',"
        " 'ragas', 'sentence_transformers', 'onnxruntime') if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# --- a throwaway task, registered by the test alone ----------------------------------------------------------------


class EchoTaskConfig(TaskParams):
    """The throwaway task's sub-table."""

    words: int = Field(4, gt=0, description="words of the answer")


def _build(attempt: Attempt) -> list:
    documents, _ = quote_chunks(attempt.seeds[:1])
    schema = {"type": "object", "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
              "required": ["question", "answer"]}
    return [request(attempt, chat(f"Ask about this.\n{documents}"), schema)]


def _job(attempt: Attempt, corpus, cfg: EchoTaskConfig, usable=None):
    results = yield _build(attempt)
    obj = read_object(results[0], {"question": str, "answer": str})
    if isinstance(obj, Reject):
        return obj
    answer = " ".join(attempt.seeds[0].text.split()[: cfg.words])
    return new_sample(attempt, list(attempt.seeds[:1]), question=obj["question"], answer=answer)


def echo_spec() -> Task:
    return Task(config=EchoTaskConfig, job=_job, estimate=lambda a, c, cfg, u: _build(a), calls_per_attempt=lambda cfg: 2)


@pytest.fixture
def echo_task():
    TASKS.register("echo_task", echo_spec())
    yield "echo_task"
    TASKS.unregister("echo_task")


def _reply(request) -> str:
    return json.dumps({"question": "What does the text say about this?", "answer": "ignored"})


def test_a_registered_task_is_a_cli_choice(echo_task):
    r = CliRunner().invoke(cli, ["generate", "--help"])
    assert "echo_task" in r.output
    r = CliRunner().invoke(cli, ["generate", "--task", "echo_tsk", "--dry-run"])
    assert r.exit_code == 2 and "echo_task" in r.output


def test_a_registered_task_is_validated_with_its_own_sub_table(echo_task):
    config = load_config(None, {"generate.tasks": {"echo_task": 2}, "generate.echo_task.words": "6"})
    assert config.generate.task("echo_task").words == 6
    assert "echo_task" in config.generate.model_dump()
    with pytest.raises(ConfigError, match=r"\[generate\] echo_task.words: Input should be greater than 0"):
        load_config(None, {"generate.echo_task.words": "0"})
    TASKS.unregister("echo_task")
    with pytest.raises(ConfigError, match="unknown task 'echo_task'"):
        load_config(None, {"generate.tasks": {"echo_task": 2}})
    with pytest.raises(ConfigError, match=r"\[generate\] echo_task: unknown key"):
        load_config(None, {"generate.echo_task.words": "6"})


def test_a_registered_task_is_planned_generated_and_exported(echo_task, tmp_path, monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    config = load_config(None, {"generate.tasks": {"echo_task": 2}, "llm.spec": "fake", "evaluate.judge": "default"})
    workdir = Workdir(tmp_path / "work").ensure()

    rough = {r.stage: r for r in plan(config, workdir)}["generate"]  # nothing stored: from the config alone
    assert rough.llm_calls.startswith("≈4 ")  # 2 samples × 2 calls per attempt (its calls_per_attempt)

    from groundset.generate.runner import generate

    fill_store(config, workdir)
    result = generate(config, workdir, FakeLLM(default=_reply), progress=False)
    assert result.tasks["echo_task"].accepted == 2
    samples = [s for s in read_jsonl(workdir.samples("echo_task"))]
    assert len(samples) == 2 and all(len(s["answer"].split()) == 4 for s in samples)

    from groundset.records import Sample

    kept = [Sample.model_validate(s).model_copy(update={"evaluation": Evaluation(kept=True)}) for s in samples]
    rows = build_rows("qa", kept)  # the task's shape ("qa") makes it fit the qa schema
    assert [r["task"] for r in rows.rows] == ["echo_task", "echo_task"] and not rows.skipped
    assert "echo_task" in SCHEMAS.get("ragas").takes()


def test_a_plugin_module_is_imported_on_discovery_and_a_broken_one_is_named(tmp_path, monkeypatch):
    import groundset.registry as registry

    (tmp_path / "gs_plugin_ok.py").write_text(
        "from groundset.registry import TASKS\nfrom tests.test_registry import echo_spec\n"
        "TASKS.register('plugin_task', echo_spec())\n")
    (tmp_path / "gs_plugin_broken.py").write_text("raise RuntimeError('missing dependency xyz')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[object] = Registry("task", "TASKS", ("groundset.generate",))
    monkeypatch.setattr(registry, "TASKS", reg)
    monkeypatch.setattr(registry, "_entry_point_modules", lambda: ["gs_plugin_ok"])
    try:
        assert "plugin_task" in reg.names()
    finally:
        sys.modules.pop("gs_plugin_ok", None)
    broken: Registry[object] = Registry("judge", "JUDGES", ("groundset.evaluate.judges",))
    monkeypatch.setattr(registry, "_entry_point_modules", lambda: ["gs_plugin_broken"])
    with pytest.raises(GroundsetError, match="plugin 'gs_plugin_broken'.*missing dependency xyz.*uninstall"):
        broken.names()
