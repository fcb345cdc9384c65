"""A tiny local stand-in for the Hugging Face Hub API that records every request huggingface_hub makes.

It answers the calls of a dataset push the way the Hub documents them: ``POST /api/repos/create``, the repo tree
listing, ``POST /api/validate-yaml``, ``POST .../preupload/main`` (answering "regular" for every file, so file bytes
travel inline in the commit instead of through LFS / Xet storage) and ``POST .../commit/main`` (NDJSON). Repositories have a visibility, as on the Hub: ``POST /api/repos/create`` of an
existing repo answers 409 and leaves its visibility as it was (``private`` "is ignored if the repo already exists");
``GET /api/datasets/{id}`` reports ``private``; ``PUT /api/datasets/{id}/settings`` changes it (unless
``settings_status`` says otherwise, e.g. 403 for a token that may not change settings).
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse


def visibility_asked(body: dict) -> bool | None:
    """True / False when a create or settings request asks for private / public, None when it asks nothing:
    huggingface_hub ≥ 1.x sends ``"visibility": "private"``, older versions ``"private": true``."""
    if body.get("visibility") in ("private", "public"):
        return body["visibility"] == "private"
    return body.get("private") if isinstance(body.get("private"), bool) else None


class FakeHub:
    def __init__(self, existing_files: list[str] = (), status: int = 200, repos: dict[str, bool] | None = None,
                 settings_status: int = 200, org_private_default: bool = False):
        self.requests: list[dict] = []
        self.existing = list(existing_files)
        self.status = status
        self.repos: dict[str, bool] = dict(repos or {})  # repo id -> private
        self.settings_status = settings_status
        self.org_private_default = org_private_default
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, code: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urlparse(self.path).path
                hub.requests.append({"method": self.command, "path": path, "headers": dict(self.headers), "body": raw})
                if hub.status != 200:
                    return self._reply(hub.status, {"error": "refused"})
                base = f"http://127.0.0.1:{hub.port}"
                if path == "/api/repos/create":
                    p = json.loads(raw)
                    repo = f"{p['organization']}/{p['name']}"
                    url = f"{base}/datasets/{repo}"
                    if repo in hub.repos:
                        return self._reply(409, {"error": "You already created this dataset repo", "url": url})
                    asked = visibility_asked(p)
                    hub.repos[repo] = hub.org_private_default if asked is None else asked
                    return self._reply(200, {"url": url})
                if path.startswith("/api/datasets/") and path.endswith("/settings") and self.command == "PUT":
                    repo = path.removeprefix("/api/datasets/").removesuffix("/settings")
                    if hub.settings_status != 200:
                        return self._reply(hub.settings_status, {"error": "not allowed"})
                    asked = visibility_asked(json.loads(raw))
                    if asked is not None:
                        hub.repos[repo] = asked
                    return self._reply(200, {})
                if path.startswith("/api/datasets/") and path.count("/") == 4 and self.command == "GET":
                    repo = path.removeprefix("/api/datasets/")
                    if repo not in hub.repos:
                        return self._reply(404, {"error": "Repository not found"})
                    return self._reply(200, {"id": repo, "private": hub.repos[repo], "sha": "a" * 40})
                if path == "/api/validate-yaml":
                    return self._reply(200, {"errors": [], "warnings": []})
                if "/tree/" in path:
                    return self._reply(200, [{"type": "file", "path": f, "oid": "0" * 40, "size": 1} for f in hub.existing])
                if path.endswith("/preupload/main"):
                    files = json.loads(raw)["files"]
                    return self._reply(200, {"files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None} for f in files]})
                if path.endswith("/commit/main"):
                    repo = path.split("/api/datasets/")[1].split("/commit/")[0]
                    # huggingface_hub < 1.0 parses this URL against the endpoint it read at import (the public Hub)
                    url = f"https://huggingface.co/datasets/{repo}/commit/{'a' * 40}"
                    return self._reply(200, {"commitUrl": url, "commitOid": "a" * 40})
                return self._reply(404, {"error": f"fake hub does not know {self.command} {path}"})

            do_GET = do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def commit_ops(self) -> list[dict]:
        """The NDJSON lines of the commit request, with inline file contents decoded."""
        commit = next(r for r in self.requests if r["path"].endswith("/commit/main"))
        ops = [json.loads(line) for line in commit["body"].splitlines() if line.strip()]
        for op in ops:
            v = op.get("value", {})
            if op.get("key") == "file" and v.get("encoding") == "base64":
                v["bytes"] = base64.b64decode(v["content"])
        return ops
