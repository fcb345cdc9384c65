"""`--llm fake` exercises the whole pipeline: its replies pass generate's checks and the llm judge keeps them."""

from __future__ import annotations

import json

from groundset.config import load_config
from groundset.evaluate.runner import evaluate
from groundset.generate.runner import generate
from groundset.llm import ChatRequest, load_llm
from groundset.llm.config import LLMConfig
from groundset.llm.fake_replies import grounded_reply
from groundset.workdir import Workdir
from tests.generate.fakes import BowEmbedder, fill_store

TASKS = {"qa": 3, "multihop": 2, "conversation": 2, "textbook": 2, "rag": 2}


def test_generate_and_evaluate_with_the_shipped_fake(tmp_path, monkeypatch):
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    config = load_config(None, {"generate.tasks": TASKS, "llm.spec": "fake", "generate.reuse_chunks": "true",
                                "evaluate.judge": "llm", "evaluate.rating": "true"})
    wd = Workdir(tmp_path / "w").ensure()
    fill_store(config, wd)
    result = generate(config, wd, progress=False)  # loads [llm] spec = "fake"
    assert result.complete, {t: (r.accepted, dict(r.rejected)) for t, r in result.tasks.items()}
    assert result.model == "fake"
    assert all(r.accepted == TASKS[t] for t, r in result.tasks.items())
    assert not any("too_short" in r.rejected for r in result.tasks.values())

    ev = evaluate(config, wd, progress=False)
    assert ev.total == sum(TASKS.values()) and ev.judge_errors == 0
    assert ev.kept > 0, ev.reasons
    rated = [json.loads(line)["evaluation"]["scores"].get("rating") for line in wd.kept.read_text().splitlines()]
    assert set(rated) == {4}


def test_the_fake_judge_rejects_a_statement_the_sources_do_not_hold():
    from groundset.evaluate.judges.llm_verdict import CLAIM_SCHEMA, claim_messages

    sources = ["Rollo led the Norse settlers, who came from Norway, into Normandy."]
    verdicts = [json.loads(grounded_reply(ChatRequest(messages=claim_messages(claim, sources),
                                                      json_schema=CLAIM_SCHEMA)))["verdict"]
                for claim in ("Rollo led the Norse from Norway.", "Rollo was crowned in Tokyo by samurai.")]
    assert verdicts == ["supported", "unsupported"]


def test_unknown_schemas_still_get_a_valid_instance():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    res = load_llm(LLMConfig(spec="fake")).chat([ChatRequest(messages=[{"role": "user", "content": "x"}],
                                                             json_schema=schema)])[0]
    assert res.parsed == {"n": 0}


def test_generate_and_evaluate_share_one_engine_closed_at_the_end(tmp_path, monkeypatch):
    import groundset.llm as llm_pkg
    from groundset.llm.engines import close_engines
    from groundset.llm.fake import FakeLLM

    built = []

    class Engine(FakeLLM):
        closed = False

        def close(self):
            self.closed = True

    def make_backend(cfg):
        built.append(Engine(default=grounded_reply, name="fake"))
        return built[-1]

    monkeypatch.setattr(llm_pkg, "make_backend", make_backend)
    monkeypatch.setattr("groundset.embed.load_embedder", lambda cfg: BowEmbedder())
    config = load_config(None, {"generate.tasks": {"qa": 2}, "llm.spec": "fake", "evaluate.judge": "llm",
                                "evaluate.rating": "true"})
    wd = Workdir(tmp_path / "w").ensure()
    fill_store(config, wd)
    assert generate(config, wd, progress=False).complete
    assert evaluate(config, wd, progress=False).total == 2
    assert len(built) == 1 and len(built[0].history) >= 2 + 2 + 2  # generate, judge and rating on one engine
    assert not built[0].closed  # the stages close only their own caches
    close_engines()
    assert built[0].closed
