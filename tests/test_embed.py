"""Embedders: the bundled MiniLM (token limits) and an OpenAI-compatible endpoint served on 127.0.0.1 by the test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from groundset.embed import load_embedder
from groundset.embed.openai import OpenAIEmbedder
from groundset.errors import BackendError
from groundset.embed.config import EmbedConfig


@pytest.fixture
def server():
    """A tiny /v1/embeddings endpoint: vector = [len(text), 1, 2] (unnormalised), answers in reverse order."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            if body["model"] == "broken":
                self.send_response(500)
                self.end_headers()
                return
            data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 2.0]}
                    for i, t in enumerate(body["input"])]
            payload = json.dumps({"object": "list", "data": data[::-1], "model": body["model"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()
    httpd.server_close()


def test_openai_endpoint_batches_orders_and_normalises(server, monkeypatch):
    url, seen = server
    monkeypatch.setenv("TEST_EMBED_KEY", "sk-test")
    emb = load_embedder(EmbedConfig(model="openai:tiny-embed", base_url=url, api_key_env="TEST_EMBED_KEY",
                                    batch_size=2))
    assert emb.dim == 3 and emb.name == "tiny-embed"
    texts = ["a", "bbb", "cc", "dddd", "e"]
    v = emb.encode(texts)
    assert v.shape == (5, 3) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    expected = np.array([[len(t), 1, 2] for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(v, expected)  # the server answered in reverse order: index decides
    calls = [s for s in seen if s["body"]["input"] != ["dimension probe"]]
    assert [len(s["body"]["input"]) for s in calls] == [2, 2, 1]
    assert all(s["path"] == "/v1/embeddings" and s["auth"] == "Bearer sk-test" for s in seen)
    assert emb.encode([]).shape == (0, 3)
    assert 0 < emb.text_limit < emb.max_tokens


def test_openai_endpoint_errors_are_backend_errors(server):
    url, _ = server
    with pytest.raises(BackendError, match="failed"):
        OpenAIEmbedder("broken", url, "NO_SUCH_KEY_ENV")
    with pytest.raises(BackendError, match="base_url"):
        OpenAIEmbedder("x", None, "NO_SUCH_KEY_ENV")


def test_bundled_minilm_limits_and_token_counts():
    emb = load_embedder(EmbedConfig(backend="sentence-transformers"))
    assert emb.dim == 384 and emb.max_tokens == 256 and emb.text_limit == 254
    assert emb.count_tokens("hello world") == 2
    v = emb.encode(["Python is a programming language.", "Snakes are reptiles."])
    assert v.shape == (2, 384) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    """One export of the bundled model for this module (GROUNDSET_CACHE beats the per-test XDG_CACHE_HOME)."""
    cache = tmp_path_factory.mktemp("gs-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GROUNDSET_CACHE", str(cache))
        from groundset.embed import DEFAULT_NAME, default_model_path
        from groundset.embed.onnx import OnnxEmbedder

        emb = OnnxEmbedder(default_model_path(), DEFAULT_NAME)
        yield cache, emb


def test_onnx_int8_matches_fp32_sentence_transformers(onnx_cache):
    _, emb = onnx_cache
    assert emb.quantized and emb.model_file.name == "model.int8.onnx"
    assert emb.dim == 384 and emb.text_limit == 254
    texts = ["Short one.", "The for statement in Python iterates over the items of any sequence. " * 3,
             "x = [i * i for i in range(10)]\nprint(sum(x))", "Frankenstein; or, The Modern Prometheus " * 30]
    ref = load_embedder(EmbedConfig(backend="sentence-transformers")).encode(texts)  # fp32 PyTorch
    v = emb.encode(texts, batch_size=2)
    assert v.dtype == np.float32 and v.shape == (4, 384)
    assert (v * ref).sum(axis=1).min() >= 0.99
    assert np.allclose(emb.encode(texts[1:2]), emb.encode(texts[1:2]))


def test_onnx_export_is_cached_and_a_failed_int8_check_falls_back_to_fp32(onnx_cache, monkeypatch):
    import shutil

    import groundset.embed.onnx as eo
    from groundset.embed import DEFAULT_NAME, default_model_path

    cache, _ = onnx_cache
    copy = cache.parent / "gs-cache-copy"
    shutil.copytree(cache, copy)
    monkeypatch.setenv("GROUNDSET_CACHE", str(copy))
    monkeypatch.setattr(eo, "export_onnx", lambda *a: pytest.fail("the cached export must be reused"))
    folder = next((copy / "onnx").iterdir())
    (folder / "int8-check.json").unlink()
    monkeypatch.setattr(eo, "MIN_COSINE", 1.01)  # no int8 model can pass this
    emb = eo.OnnxEmbedder(default_model_path(), DEFAULT_NAME)
    assert not emb.quantized and emb.model_file.name == "model.onnx"
    assert json.loads((folder / "int8-check.json").read_text())["ok"] is False
    assert emb.encode(["hello world"]).shape == (1, 384)


def test_backend_resolution(monkeypatch):
    import groundset.embed.config as em
    from groundset.embed import resolve_backend, resolve_precision

    monkeypatch.setattr(em, "cpu_has_bf16_matrix_units", lambda: False)
    assert resolve_backend(EmbedConfig()) == "onnx" and resolve_precision(EmbedConfig()) == "fp32"
    monkeypatch.setattr(em, "cpu_has_bf16_matrix_units", lambda: True)  # an AMX CPU: PyTorch bf16 is faster there
    assert resolve_backend(EmbedConfig()) == "sentence-transformers" and resolve_precision(EmbedConfig()) == "bf16"
    assert resolve_backend(EmbedConfig(precision="fp32")) == "onnx"
    assert resolve_precision(EmbedConfig(device="cuda")) == "fp32"
    assert resolve_backend(EmbedConfig(backend="onnx")) == "onnx"
    assert resolve_backend(EmbedConfig(model="sentence-transformers/all-mpnet-base-v2")) == "sentence-transformers"
    assert resolve_backend(EmbedConfig(backend="sentence-transformers")) == "sentence-transformers"
    assert resolve_backend(EmbedConfig(model="openai:x")) == "openai"
    assert resolve_backend(EmbedConfig(device="cuda")) == "sentence-transformers"


def test_bf16_matches_fp32_and_a_failed_check_stays_fp32(monkeypatch):
    import groundset.embed.st as em

    texts = ["Qdrant stores vectors with a payload.", "It was on a dreary night of November. " * 20]
    fp32 = em.SentenceTransformerEmbedder("default", precision="fp32")
    bf16 = em.SentenceTransformerEmbedder("default", precision="bf16")
    assert fp32.precision == "fp32" and bf16.precision == "bf16" and bf16.bf16_min_cosine >= em.MIN_COSINE
    ref, low = fp32.encode(texts), bf16.encode(texts)
    assert low.dtype == np.float32 and np.allclose(np.linalg.norm(low, axis=1), 1.0, atol=1e-5)
    assert (ref * low).sum(axis=1).min() >= em.MIN_COSINE

    monkeypatch.setattr(em, "MIN_COSINE", 1.01)  # no bf16 model can pass this
    fallback = em.SentenceTransformerEmbedder("default", precision="bf16")
    assert fallback.precision == "fp32" and fallback.bf16_min_cosine < 1.01
    assert np.allclose(fallback.encode(texts), ref, atol=1e-6)


def test_amx_override_forces_each_branch_whatever_the_cpu(monkeypatch):
    """GROUNDSET_CPU_AMX decides the 'auto' branch on any machine: 1 → PyTorch bf16, 0 → ONNX int8."""
    import groundset.embed.config as em
    from groundset.embed.onnx import OnnxEmbedder
    from groundset.embed.st import SentenceTransformerEmbedder

    monkeypatch.setattr(em, "_detected_amx", lambda: pytest.fail("a forced choice must not read the CPU"))
    monkeypatch.setenv(em.AMX_ENV, "1")
    amx = load_embedder(EmbedConfig())
    assert isinstance(amx, SentenceTransformerEmbedder) and amx.precision == "bf16"
    monkeypatch.setenv(em.AMX_ENV, "0")
    plain = load_embedder(EmbedConfig())
    assert isinstance(plain, OnnxEmbedder) and plain.quantized
    texts = ["The with statement closes files promptly.", "Qdrant stores vectors with a payload."]
    assert (amx.encode(texts) * plain.encode(texts)).sum(axis=1).min() >= 0.98


def test_amx_detection_reads_the_cpu_when_not_forced(monkeypatch):
    import groundset.embed.config as em

    monkeypatch.delenv(em.AMX_ENV, raising=False)
    monkeypatch.setattr(em, "_detected_amx", lambda: True)
    assert em.cpu_has_bf16_matrix_units() is True
    monkeypatch.setenv(em.AMX_ENV, "not-a-flag")  # anything but 0/1 means "detect"
    monkeypatch.setattr(em, "_detected_amx", lambda: False)
    assert em.cpu_has_bf16_matrix_units() is False


def test_onnx_export_goes_to_the_cache_dir_in_use(tmp_path, monkeypatch):
    """Two cache dirs in one process each get their own export (no process-wide memo points elsewhere)."""
    from groundset.embed import DEFAULT_NAME, default_model_path
    from groundset.embed.onnx import OnnxEmbedder

    for name in ("first", "second"):
        monkeypatch.setenv("GROUNDSET_CACHE", str(tmp_path / name))
        emb = OnnxEmbedder(default_model_path(), DEFAULT_NAME, quantize=False)
        assert emb.model_file.is_relative_to(tmp_path / name) and emb.model_file.exists()


@pytest.mark.parametrize("module", ["base", "config", "st", "onnx", "openai"])
def test_each_embed_module_imports_on_its_own_without_heavy_libraries(module):
    """groundset.embed is a package without import cycles; no backend library is imported before it is used."""
    import subprocess
    import sys

    code = (f"import sys, groundset.embed.{module}\n"
            "print([m for m in ('torch', 'sentence_transformers', 'onnxruntime', 'httpx', 'groundset.ingest')"
            " if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
