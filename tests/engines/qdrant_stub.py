"""A stand-in Qdrant server for the tests (no Qdrant binary installs here): the subset of Qdrant's REST API that
groundset's store uses, over HTTP on 127.0.0.1, answered by qdrant-client's local mode, every request recorded.

Endpoints: ``GET /``, ``GET /collections``, ``GET|PUT|PATCH /collections/{c}``, ``GET /collections/{c}/exists``,
``PUT /collections/{c}/index``, ``PUT /collections/{c}/points`` (upsert), ``POST /collections/{c}/points``
(retrieve), ``POST /collections/{c}/points/{count,scroll,delete}``. Bodies are parsed with qdrant-client's own
REST models and answered with the local mode's results, so the real ``QdrantClient(url=...)`` talks to it.

What it emulates of a server beyond local mode:
- ``wait=false`` writes are acknowledged at once and applied later, in order, by one applier thread (as Qdrant's
  update queue does); ``wait=true`` writes return once applied. The collection is ``yellow`` while writes are
  queued, ``green`` otherwise.
- The HNSW ``m`` of each collection (local mode ignores it) is kept from create / PATCH and reported back.
- Each request is recorded with the pid of the process that sent it (from the TCP peer port, via psutil).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import psutil
from qdrant_client import QdrantClient, models


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that says nothing when a client goes away (the tests kill clients on purpose)."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def pid_of_peer(port: int) -> int | None:
    """The pid of the local process whose TCP socket has local port ``port`` (None when it cannot be told)."""
    try:
        for c in psutil.net_connections(kind="tcp"):
            if c.laddr and c.laddr.port == port and c.pid:
                return c.pid
    except (psutil.AccessDenied, OSError):
        return None
    return None


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    pid: int | None
    start: float
    end: float = 0.0
    points: int = 0  # points in an upsert


@dataclass
class QdrantStub:
    """``with QdrantStub() as q: ... q.url ...``; ``q.calls`` lists every request, ``q.m`` each collection's m.

    ``apply_delay_s``: how long each queued (wait=false) write waits before it is applied. ``fail_upserts``: answer
    upserts with HTTP 500. ``drop_writes``: acknowledge wait=false upserts and never apply them (lost writes).
    ``ack_only``: acknowledge upserts unread (benchmarks/scale.py --writers: the client's cost alone).
    ``hold_first_upsert_s``: the first upsert is answered once a second process has sent one (or after this long):
    two writers are then in flight at once whenever two processes write at all.
    """

    apply_delay_s: float = 0.02
    fail_upserts: bool = False
    drop_writes: bool = False
    hold_first_upsert_s: float = 0.0
    ack_only: bool = False  # benchmarks: upserts are read and acknowledged, not parsed, recorded or stored
    calls: list[Call] = field(default_factory=list)
    m: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self):
        self.inner = QdrantClient(":memory:")
        self.lock = threading.Lock()
        self.queue: queue.Queue = queue.Queue()
        self.pending = 0
        self.second_writer = threading.Event()
        self.writers: set[int | None] = set()

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self) -> "QdrantStub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size) if size else b""
                if stub.ack_only and self.command == "PUT" and self.path.split("?")[0].endswith("/points"):
                    data = b'{"result": {"operation_id": 0, "status": "acknowledged"}, "status": "ok", "time": 0}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                body = json.loads(raw) if raw else None
                status, result = stub.handle(self.command, self.path, body, self.client_address[1])
                if urlparse(self.path).path == "/":  # the version probe: Qdrant answers it unwrapped
                    data = json.dumps(result).encode()
                else:
                    data = json.dumps({"result": result, "time": 0.0,
                                       "status": "ok" if status == 200 else {"error": str(result)}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self._applier, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.queue.put(None)
        self.inner.close()

    def _applier(self):
        while (item := self.queue.get()) is not None:
            op, done = item
            time.sleep(self.apply_delay_s)
            op()
            with self.lock:
                self.pending -= 1
            done.set()

    def _write(self, op, wait: bool) -> dict:
        done = threading.Event()
        with self.lock:
            self.pending += 1
        self.queue.put((op, done))
        if wait:
            done.wait()
        return {"operation_id": 0, "status": "completed" if wait else "acknowledged"}

    # --- the API -----------------------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, body: Any, port: int) -> tuple[int, Any]:
        url = urlparse(raw_path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        upsert = method == "PUT" and parts[-1:] == ["points"]
        call = Call(method, url.path, query, body, pid_of_peer(port) if upsert else None, time.monotonic())
        with self.lock:
            self.calls.append(call)
        try:
            if upsert:
                return self._upsert(parts[1], body, query.get("wait") == "true", call)
            return 200, self._route(method, parts, body, query.get("wait") == "true", call)
        except KeyError as e:
            return 404, f"not found: {e}"
        finally:
            call.end = time.monotonic()

    def _upsert(self, name: str, body: dict, wait: bool, call: Call) -> tuple[int, Any]:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            first = not self.writers
            self.writers.add(call.pid)
            if len(self.writers) > 1:
                self.second_writer.set()
        try:
            if first and self.hold_first_upsert_s:
                self.second_writer.wait(self.hold_first_upsert_s)
            if self.fail_upserts:
                return 500, "Service internal error: the stub fails upserts"
            if "batch" in body:
                b = models.PointsBatch.model_validate(body).batch
                points: Any = models.Batch(ids=b.ids, vectors=b.vectors, payloads=b.payloads)
                call.points = len(b.ids)
            else:
                points = models.PointsList.model_validate(body).points
                call.points = len(points)
            if self.drop_writes and not wait:
                return 200, {"operation_id": 0, "status": "acknowledged"}
            return 200, self._write(lambda: self.inner.upsert(name, points=points), wait)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _route(self, method: str, parts: list[str], body: Any, wait: bool, call: Call) -> Any:
        inner = self.inner
        if not parts:
            return None if method != "GET" else {"title": "qdrant - vector search engine", "version": "1.20.0"}
        if parts == ["collections"]:
            return {"collections": [{"name": c.name} for c in inner.get_collections().collections]}
        name, rest = parts[1], parts[2:]
        if rest == ["exists"]:
            return {"exists": inner.collection_exists(name)}
        if not rest and method == "PUT":
            req = models.CreateCollection.model_validate(body)
            self.m[name] = req.hnsw_config.m if req.hnsw_config and req.hnsw_config.m is not None else 16
            return inner.create_collection(name, vectors_config=req.vectors, metadata=req.metadata)
        if not rest and method == "PATCH":
            req = models.UpdateCollection.model_validate(body)
            if req.hnsw_config is not None and req.hnsw_config.m is not None:
                self.m[name] = req.hnsw_config.m
            call.points = inner.count(name).count  # what was applied when the graph was asked for
            return True
        if not rest and method == "GET":
            if not inner.collection_exists(name):
                raise KeyError(name)
            info = inner.get_collection(name)
            info.config.hnsw_config.m = self.m.get(name, 16)
            info.status = models.CollectionStatus.YELLOW if self.pending else models.CollectionStatus.GREEN
            return info.model_dump(mode="json")
        if rest == ["index"]:
            return {"operation_id": 0, "status": "completed"}
        if rest == ["points"]:  # retrieve
            req = models.PointRequest.model_validate(body)
            got = inner.retrieve(name, req.ids, with_payload=req.with_payload, with_vectors=req.with_vector)
            return [p.model_dump(mode="json") for p in got]
        if rest == ["points", "count"]:
            req = models.CountRequest.model_validate(body)
            return inner.count(name, count_filter=req.filter, exact=bool(req.exact)).model_dump(mode="json")
        if rest == ["points", "scroll"]:
            req = models.ScrollRequest.model_validate(body)
            points, offset = inner.scroll(name, scroll_filter=req.filter, limit=req.limit or 10, offset=req.offset,
                                          with_payload=req.with_payload, with_vectors=req.with_vector or False)
            return {"points": [p.model_dump(mode="json") for p in points], "next_page_offset": offset}
        if rest == ["points", "delete"]:
            ids = models.PointIdsList.model_validate(body).points
            return self._write(lambda: inner.delete(name, points_selector=models.PointIdsList(points=ids)), wait)
        raise KeyError("/".join(parts))

    # --- what the tests read ----------------------------------------------------------------------------------
    def named(self, method: str, suffix: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.endswith(suffix)]

    def upserts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT" and c.path.endswith("/points")]
