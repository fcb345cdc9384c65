"""The review page over HTTP (standard library ``http.server``), bound to 127.0.0.1 unless told otherwise.

```
GET  /                     the page (groundset/review/page.html: plain HTML + JS, no asset from the network)
GET  /api/state            queue with verdicts, progress, filter choices, reject reasons, keys
GET  /api/sample?id=ID     one sample: fields, cited chunks, sentence scores, gate verdict, current verdict
POST /api/verdict          {"sample_id", "decision", "reason", "note", "edits", "expect_revision", "tab"}
                             200 the verdict as journalled · 400 malformed · 404 unknown sample
                             409 reviewed in another tab since this one loaded it (the page reloads it)
```
A verdict is answered only once it is fsynced in the journal. Requests must come from the page itself: a POST
needs ``Content-Type: application/json`` (a cross-site form cannot send it without a CORS preflight, which this
server never grants) and a matching ``Origin`` when the browser sends one; on a loopback address the ``Host``
header must name the loopback too (no DNS rebinding).
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from groundset.review.journal import StaleVerdict
from groundset.review.session import BadVerdict, ReviewSession

__all__ = ["make_server", "serve_in_thread", "page_html"]

MAX_BODY = 1 << 20  # a verdict with edits is a few KB
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}


def page_html() -> bytes:
    return resources.files("groundset.review").joinpath("page.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the library is quiet; the CLI may pass a logger
        if self.server.log is not None:
            self.server.log(format % args)

    # --- helpers ---------------------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.close_connection:  # say so: a client that reuses the connection would find it gone mid-request
            self.send_header("Connection", "close")
        self.send_header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: int, message: str, **extra: Any) -> None:
        self._json(status, {"error": message, **extra})

    def _host_ok(self) -> bool:
        if not self.server.loopback:
            return True
        try:
            host = urlsplit("//" + (self.headers.get("Host") or "")).hostname
        except ValueError:
            return False
        return host in LOOPBACK_NAMES

    # --- routes ----------------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header: open the address groundset printed")
        url = urlsplit(self.path)
        session = self.server.session
        if url.path in ("/", "/index.html"):
            return self._send(HTTPStatus.OK, page_html(), "text/html; charset=utf-8")
        if url.path == "/api/state":
            return self._json(HTTPStatus.OK, session.state())
        if url.path == "/api/sample":
            sid = (parse_qs(url.query).get("id") or [""])[0]
            try:
                return self._json(HTTPStatus.OK, session.sample(sid))
            except KeyError:
                return self._error(HTTPStatus.NOT_FOUND, f"no evaluated sample {sid!r}")
        return self._error(HTTPStatus.NOT_FOUND, f"no page {url.path}")

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            if MAX_BODY < length <= 8 * MAX_BODY:  # read it away, so that the client gets to read the answer
                while length > 0:
                    chunk = self.rfile.read(min(65536, length))
                    if not chunk:
                        break
                    length -= len(chunk)
            self.close_connection = True
            return self._error(HTTPStatus.BAD_REQUEST, f"a verdict is a JSON body of 1 to {MAX_BODY} bytes")
        body = self.rfile.read(length)  # read before any answer, so that a kept-alive connection stays in step
        if not self._host_ok():
            return self._error(HTTPStatus.FORBIDDEN, "unexpected Host header: open the address groundset printed")
        origin = self.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != self.headers.get("Host"):
            return self._error(HTTPStatus.FORBIDDEN, "verdicts are accepted from the review page only")
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            return self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the verdict as application/json")
        if urlsplit(self.path).path != "/api/verdict":
            return self._error(HTTPStatus.NOT_FOUND, f"no endpoint {self.path}")
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(HTTPStatus.BAD_REQUEST, "the body is not JSON")
        try:
            verdict = self.server.session.give(payload)
        except KeyError as e:
            return self._error(HTTPStatus.NOT_FOUND, f"no evaluated sample {e.args[0]!r}")
        except BadVerdict as e:
            return self._error(HTTPStatus.BAD_REQUEST, str(e))
        except StaleVerdict as e:
            return self._error(HTTPStatus.CONFLICT, str(e), revision=e.actual)
        except OSError as e:
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"the verdict was NOT saved: cannot write the journal "
                               f"({e.strerror or e}); free disk space or fix the workdir's permissions, then retry")
        return self._json(HTTPStatus.OK, verdict.model_dump(mode="json"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], session: ReviewSession, log: Callable[[str], None] | None):
        super().__init__(address, _Handler)
        self.session = session
        self.log = log
        self.loopback = address[0] in LOOPBACK_NAMES or address[0].startswith("127.")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A broken connection or a bug in a handler: logged when asked, never printed by the library."""
        if self.log is not None:
            import traceback

            self.log(f"error serving {client_address}: {traceback.format_exc(limit=3)}")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


def make_server(session: ReviewSession, host: str = "127.0.0.1", port: int = 8765,
                log: Callable[[str], None] | None = None) -> _Server:
    """A bound server (``port=0``: any free port); call ``serve_forever()``, or use ``serve_in_thread``."""
    return _Server((host, port), session, log)


def serve_in_thread(session: ReviewSession, host: str = "127.0.0.1", port: int = 0) -> tuple[_Server, threading.Thread]:
    """Start a server in a daemon thread (tests, notebooks); stop it with ``server.shutdown(); server.server_close()``."""
    server = make_server(session, host, port)
    thread = threading.Thread(target=server.serve_forever, name="groundset-review", daemon=True)
    thread.start()
    return server, thread
