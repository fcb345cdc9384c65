"""A real HTTP server on 127.0.0.1 speaking /v1/chat/completions, with faults chosen by the request's last message.

The last user message starts with a tag; the server looks up that tag's script (a list of actions, the last one
repeating) and acts by how many times it has seen the tag:

- ``ok`` → 200 with a JSON reply; ``slow`` → the same after 50 ms;
- ``429`` → 429 with ``Retry-After: 0``; ``500`` → 500; ``404`` → 404; ``bad400`` → 400;
- ``hang`` → no answer until the server stops (past any client timeout);
- ``badbody`` → 200 with a body that is not JSON; ``drop`` → the connection is closed without a response;
- ``no_json_schema`` → 400 naming response_format unless it is json_object (or absent), else like ``ok``;
- ``auth`` → 401 echoing the Authorization header (like servers that quote the key they refused);
- ``tgi`` → text-generation-inference's answers: a ``response_format`` without a ``value`` (OpenAI's ``json_schema``
  and ``json_object`` forms) gets TGI's real 422 deserialisation error; ``{"type": "json", "value": schema}`` is
  served; ``tgi_too_long`` → TGI's real 422 input validation error (nothing to do with the format);
- ``reasoning`` → OpenAI's real 400 bodies for o-series / gpt-5 models: ``max_tokens`` is refused ("Use
  'max_completion_tokens' instead"), then a temperature other than 1; served once neither is sent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCRIPTS: dict[str, list[str]] = {
    "ok": ["ok"],
    "429-then-ok": ["429", "ok"],
    "500-always": ["500"],
    "500-then-ok": ["500", "ok"],
    "hang": ["hang"],
    "badbody-then-ok": ["badbody", "ok"],
    "badbody-always": ["badbody"],
    "drop-then-ok": ["drop", "ok"],
    "drop-always": ["drop"],
    "no-json-schema": ["no_json_schema"],
    "auth": ["auth"],
    "bad400": ["bad400"],
    "slow": ["slow"],
    "model-404": ["404"],
    "tgi": ["tgi"],
    "tgi-too-long": ["tgi_too_long"],
    "reasoning": ["reasoning"],
}

# the bodies real servers send (TGI's axum JSON rejection is plain text)
TGI_422_FORMAT = (b"Failed to deserialize the JSON body into the target type: response_format: missing field `value` "
                  b"at line 1 column 168")
TGI_422_TOO_LONG = json.dumps({
    "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3900 `inputs` "
             "tokens and 512 `max_new_tokens`",
    "error_type": "validation",
}).encode()
OPENAI_400_MAX_TOKENS = json.dumps({"error": {
    "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
               "instead.",
    "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter",
}}).encode()
OPENAI_400_TEMPERATURE = json.dumps({"error": {
    "message": "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is "
               "supported.",
    "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value",
}}).encode()


class FaultServer:
    """``with FaultServer() as srv: srv.base_url`` — records every request body in ``srv.bodies``."""

    def __init__(self, reply=None, logprobs=None):
        self.seen: Counter[str] = Counter()
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.served = 0  # 200 replies written to the socket
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.reply = reply or (lambda body: json.dumps({"question": "Q?", "answer": "A."}))
        # logprobs(body, content) -> OpenAI's choices[0].logprobs.content list, for requests asking for logprobs
        # (None: the default three entries made from the content's words)
        self.logprobs = logprobs
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                with server.lock:
                    server.bodies.append(body)
                    server.headers.append(dict(self.headers))
                    tag = body["messages"][-1]["content"].split()[0]
                    n = server.seen[tag]
                    server.seen[tag] += 1
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                script = SCRIPTS.get(tag, ["ok"])
                action = script[min(n, len(script) - 1)]
                try:
                    server._act(self, action, body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _act(self, h: BaseHTTPRequestHandler, action: str, body: dict) -> None:
        if action == "hang":
            self.stop.wait(30)
            return
        if action == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if action == "slow":
            time.sleep(0.05)
            action = "ok"
        if action == "429":
            return _send(h, 429, b'{"error": "rate limited"}', {"Retry-After": "0"})
        if action == "500":
            return _send(h, 500, b'{"error": "boom"}')
        if action == "404":
            return _send(h, 404, b'{"error": "model not found"}')
        if action == "bad400":
            return _send(h, 400, b'{"error": "context length exceeded"}')
        if action == "auth":
            return _send(h, 401, json.dumps({"error": f"Incorrect API key: {h.headers.get('Authorization')}"}).encode())
        if action == "badbody":
            return _send(h, 200, b"<html>upstream proxy error")
        if action == "tgi":
            fmt = body.get("response_format")
            if fmt is not None and "value" not in fmt:
                return _send(h, 422, TGI_422_FORMAT, content_type="text/plain; charset=utf-8")
        if action == "tgi_too_long":
            return _send(h, 422, TGI_422_TOO_LONG)
        if action == "reasoning":
            if "max_tokens" in body:
                return _send(h, 400, OPENAI_400_MAX_TOKENS)
            if body.get("temperature", 1) != 1:
                return _send(h, 400, OPENAI_400_TEMPERATURE)
        if action == "no_json_schema" and (body.get("response_format") or {}).get("type") in ("json_schema", "json"):
            return _send(h, 400, b'{"error": "response_format must be text or json_object"}')
        content = self.reply(body)
        data = {
            "id": "x", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }
        if body.get("logprobs") and self.logprobs is not None:
            data["choices"][0]["logprobs"] = {"content": self.logprobs(body, content)}
        elif body.get("logprobs"):  # OpenAI / vLLM shape: one entry per output token
            k = int(body.get("top_logprobs") or 0)
            data["choices"][0]["logprobs"] = {"content": [
                {"token": tok, "logprob": -0.25 * (i + 1), "bytes": list(tok.encode()),
                 "top_logprobs": [{"token": f"{tok}{j}", "logprob": -0.5 * (j + 1)} for j in range(k)]}
                for i, tok in enumerate(content.split()[:3])
            ]}
        _send(h, 200, json.dumps(data).encode())
        with self.lock:
            self.served += 1

    def __enter__(self) -> "FaultServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _send(h: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict | None = None,
          content_type: str = "application/json") -> None:
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(payload)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(payload)
