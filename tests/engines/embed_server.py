"""A local OpenAI-compatible ``/v1/embeddings`` endpoint for the Ray tests: ``[embed] model = "openai:hash-16"``.

Each text gets a vector drawn from a generator seeded by its SHA-256, so every engine, process and batch order
gives exactly the same vectors, without loading a model in each Ray worker. ``on_batch(texts, peer_port)``, when
set, runs in the request's thread before it is answered: a test uses it to kill the process that sent the request
while that process waits for the reply (``qdrant_stub.pid_of_peer`` tells which process it is).
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Callable

import numpy as np

from tests.engines.qdrant_stub import QuietServer

DIM = 16
PROBE = "dimension probe"  # what OpenAIEmbedder sends once at load


def vector(text: str) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32).tolist()


class EmbedServer:
    """``with EmbedServer() as e: config {"embed.model": "openai:hash-16", "embed.base_url": e.url}``."""

    def __init__(self, on_batch: Callable[[list[str], int], None] | None = None):
        self.on_batch = on_batch
        self.texts: list[str] = []
        self.lock = threading.Lock()

    def __enter__(self) -> "EmbedServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                texts = list(body["input"])
                if owner.on_batch is not None and texts != [PROBE]:
                    owner.on_batch(texts, self.client_address[1])
                with owner.lock:
                    owner.texts.extend(texts)
                data = json.dumps({"data": [{"index": i, "embedding": vector(t)} for i, t in enumerate(texts)],
                                   "model": body.get("model")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def config(self) -> dict[str, str]:
        """The ``[embed]`` overrides that point groundset at this endpoint."""
        return {"embed.model": "openai:hash-16", "embed.base_url": self.url}
