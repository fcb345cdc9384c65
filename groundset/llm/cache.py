"""The persistent response cache: a re-run or a resumed run pays nothing for the answers it already has.

>>> cache = ResponseCache(":memory:")
>>> req = ChatRequest(messages=[{"role": "user", "content": "2+2?"}], seed=1)
>>> key = request_key("local:SmolLM2", req)
>>> cache.put_many([(key, "local:SmolLM2", {"text": "4", "finish_reason": "stop"})])
>>> cache.get_many([key])[key]["text"]
'4'

One SQLite file in the workdir (``Workdir.llm_cache``), in WAL mode so several processes can read and write it.
The key is a SHA-256 of the model name, the messages, every sampling parameter, the seed and the JSON schema
(``group`` is a scheduling hint and is left out). Only successful results are stored. When one batch holds the same
request several times, the n-th copy gets its own key (``occurrence``), so a re-run returns the same n answers.
Nothing secret goes into a key: the API key is never part of a request.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable

from groundset.llm.base import ChatRequest

__all__ = ["ResponseCache", "request_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def request_key(model: str, request: ChatRequest, occurrence: int = 0) -> str:
    """A stable hex digest of everything that determines the answer to ``request`` from ``model``."""
    payload = {
        "model": model,
        "messages": request.messages,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "seed": request.seed,
        "stop": request.stop,
        "json_schema": request.json_schema,
    }
    if request.logprobs is not None:  # only when asked: keys of earlier caches stay valid
        payload["logprobs"] = request.logprobs
    if request.prefix:  # likewise
        payload["prefix"] = request.prefix
    if occurrence:
        payload["occurrence"] = occurrence
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """``get_many`` / ``put_many`` over one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored values of those ``keys`` that are present."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                for key, value in self._conn.execute(f"SELECT key, value FROM responses WHERE key IN ({marks})", part):
                    found[key] = json.loads(value)
        return found

    def put_many(self, items: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Store ``(key, model, value)`` triples in one transaction (a later value for a key replaces it)."""
        rows = [(k, m, json.dumps(v, ensure_ascii=False), time.time()) for k, m, v in items]
        if not rows:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
