"""The SQLite response cache across processes, the usage file, and the package's public surface."""

from __future__ import annotations

import doctest
import subprocess
import sys

import groundset.llm as llm_pkg
from groundset.llm import ChatRequest
from groundset.llm.cache import ResponseCache, request_key
from groundset.llm.usage import Usage, load_usage, record_usage

WRITER = """
import sys
from groundset.llm.cache import ResponseCache
cache = ResponseCache(sys.argv[1])
for i in range(40):
    cache.put_many([(f"{sys.argv[2]}-{i}", "m", {"text": str(i)})])
    cache.get_many([f"{sys.argv[2]}-{i}"])
"""


def test_two_processes_write_the_same_cache(tmp_path):
    path = tmp_path / "llm-cache.sqlite"
    ResponseCache(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag]) for tag in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    cache = ResponseCache(path)
    assert len(cache) == 80 and cache.get_many(["a-39"])["a-39"] == {"text": "39"}
    assert cache._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_request_key_ignores_group_only():
    base = ChatRequest(messages=[{"role": "user", "content": "x"}], seed=1)
    same = ChatRequest(messages=[{"role": "user", "content": "x"}], seed=1, group="chunk-7")
    assert request_key("m", base) == request_key("m", same)
    assert request_key("m", base) != request_key("other-model", base)
    assert request_key("m", base) != request_key("m", base, occurrence=1)
    schema = ChatRequest(messages=[{"role": "user", "content": "x"}], seed=1, json_schema={"type": "object"})
    assert request_key("m", base) != request_key("m", schema)


def test_record_usage_merges_and_keeps_unknown_keys(tmp_path):
    path = tmp_path / "usage.json"
    path.write_text('{"ingest": {"seconds": 3}, "generate": {"calls": 2, "note": "kept"}}')
    delta = Usage(model="m", calls=3, failures={"timeout": 1}, wall_s=1.5)
    record_usage(path, "generate", delta)
    data = record_usage(path, "generate", Usage(model="m", calls=1, failures={"timeout": 2, "http_429": 1}))
    assert data["ingest"] == {"seconds": 3}
    assert data["generate"]["calls"] == 6 and data["generate"]["note"] == "kept"
    assert data["generate"]["failures"] == {"timeout": 3, "http_429": 1}
    assert load_usage(path)["generate"].wall_s == 1.5
    assert load_usage(tmp_path / "missing.json") == {}


def test_public_names_and_doctests():
    for name in ["load_llm", "FakeLLM", "ChatRequest", "ChatResult", "LLM", "wrap", "estimate_tokens", "Usage"]:
        assert name in llm_pkg.__all__ and hasattr(llm_pkg, name)
    import groundset.llm.cache
    import groundset.llm.engines
    import groundset.llm.fake
    import groundset.llm.fake_replies
    import groundset.llm.managed
    import groundset.llm.openai_body
    import groundset.llm.structured
    import groundset.llm.usage

    for mod in (llm_pkg, groundset.llm.cache, groundset.llm.fake, groundset.llm.managed, groundset.llm.structured,
                groundset.llm.usage, groundset.llm.engines, groundset.llm.fake_replies, groundset.llm.openai_body):
        result = doctest.testmod(mod)
        assert result.failed == 0 and result.attempted > 0, mod.__name__
