"""A sentence-transformers model (mean pooling, BERT-like) run by ONNX Runtime, int8-quantized: the fast CPU path.

>>> emb = OnnxEmbedder(default_model_path(), "sentence-transformers/all-MiniLM-L6-v2")   # doctest: +SKIP
>>> emb.encode(["a sentence"]).shape                                                      # doctest: +SKIP
(1, 384)

At first use the model is exported with ``torch.onnx.export`` (mean pooling and L2 normalisation inside the graph)
and quantized with ONNX Runtime's dynamic int8 quantization, then cached (see :func:`cache_dir`); later runs load
the cached file without importing torch. Offline throughout. The int8 model keeps the FFN down-projections and the
attention value projections in fp32 (see :func:`_quantize`) and is checked against the fp32 export on built-in probe
sentences: if any cosine falls below ``MIN_COSINE`` the fp32 ONNX model is used instead. Texts shorter than
``FP32_BELOW`` tokens always run in fp32 (mean pooling over few tokens averages out less quantization noise; on the
real corpus the int8 model's only chunk below 0.99 cosine had 17 tokens). Dynamic quantization
scales activations per batch, so a chunk's vector varies slightly (far below the 0.99 bound) with its batch mates. Texts are encoded in
batches sorted by length, so little time goes into padding.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from groundset.embed.base import MIN_COSINE, PROBES as _PROBES, _normalise, special_token_count
from groundset.errors import BackendError, MissingExtraError

__all__ = ["OnnxEmbedder", "cache_dir", "export_onnx", "MIN_COSINE", "FP32_BELOW", "EXPORT_VERSION"]

EXPORT_VERSION = 2  # bump when the export or quantization recipe changes (invalidates caches)
FP32_BELOW = 48  # texts shorter than this many tokens (incl. special ones) skip the int8 model


def cache_dir() -> Path:
    """Where exported models are kept: ``$GROUNDSET_CACHE``, else ``$XDG_CACHE_HOME/groundset``, else
    ``~/.cache/groundset``."""
    if os.environ.get("GROUNDSET_CACHE"):
        return Path(os.environ["GROUNDSET_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "groundset"


def _model_key(model_dir: Path) -> str:
    h = hashlib.sha256(f"v{EXPORT_VERSION}".encode())
    for name in ("config.json", "tokenizer.json", "model.safetensors", "pytorch_model.bin"):
        f = model_dir / name
        if f.exists():
            h.update(name.encode())
            h.update(str(f.stat().st_size).encode())
            if f.stat().st_size < 5_000_000:
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def export_onnx(model_dir: Path, out: Path, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Export the transformer of ``model_dir`` with mean pooling + L2 normalisation to ``out`` (fp32 ONNX).

    Returns PyTorch's vectors for the padded batch ``ids`` / ``mask``, for checking the exported graph.
    """
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as e:  # pragma: no cover - torch and transformers are core dependencies
        raise MissingExtraError(e.name or "torch", purpose="exporting the embedding model to ONNX") from None

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    pooled = Pooled(model).eval()
    dyn = {k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids")}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches (checked by the probes)
        t_ids, t_mask = torch.from_numpy(ids[:2, :8]), torch.from_numpy(mask[:2, :8])
        torch.onnx.export(
            pooled, (t_ids, t_mask, torch.zeros_like(t_ids)), str(out), input_names=list(dyn),
            output_names=["embedding"], dynamic_axes={**dyn, "embedding": {0: "batch"}}, opset_version=17,
            dynamo=False,
        )
        t_ids, t_mask = torch.from_numpy(ids), torch.from_numpy(mask)
        return pooled(t_ids, t_mask, torch.zeros_like(t_ids)).numpy()


def _quantize(src: Path, dst: Path) -> None:
    """Dynamic int8 (per-channel weights) for the weight MatMuls, except the FFN down-projections and the attention
    value projections, which stay fp32: on real chunks, quantizing them cost up to 0.013 cosine; without them the
    lowest cosine to fp32 was 0.994 and the speed-up over fp32 1.4-1.7x on 2 cores."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # the quantizer writes intermediate files (model-inferred.onnx) beside its input: quantize a private copy, so
    # that two processes preparing the same cache folder (Ray workers, parallel runs) never meet
    import shutil

    local = dst.parent / "source.onnx"
    shutil.copyfile(src, local)
    src = local
    graph = onnx.load(str(src), load_external_data=False).graph
    keep_fp32 = [n.name for n in graph.node if n.op_type == "MatMul"
                 and (("/output/dense/" in n.name and "attention" not in n.name) or "/self/value/" in n.name)]
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing" advice
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=keep_fp32,
                         extra_options={"MatMulConstBOnly": True})
    finally:
        logging.getLogger().setLevel(level)


class OnnxEmbedder:
    """Mean-pooling sentence-transformers model under ONNX Runtime (int8 by default). Same interface as Embedder."""

    def __init__(self, model_dir: str | Path, name: str, *, quantize: bool = True, batch_size: int = 32,
                 max_tokens: int | None = None, threads: int | None = None):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError:
            raise MissingExtraError("onnxruntime", purpose="the ONNX embedding backend") from None
        self.model_dir = Path(model_dir)
        self.name = name
        self.batch_size = batch_size
        self._check_pooling()
        st_cfg = self._json("sentence_bert_config.json")
        self.max_tokens = int(max_tokens or st_cfg.get("max_seq_length") or 512)
        self._tk = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tk.no_truncation()
        self._tk.no_padding()
        self._enc = Tokenizer.from_str(self._tk.to_str())
        self._enc.enable_truncation(self.max_tokens)
        self._enc.no_padding()
        self._pad_id = self._enc.token_to_id("[PAD]") or 0
        self.text_limit = self.max_tokens - special_token_count(self._tk)
        self.model_file, self.quantized = self._prepare(quantize)
        self._sessions: dict[int, tuple] = {}  # threads -> (session, short-text fp32 session or None)
        self.threads = threads or min(os.cpu_count() or 1, 8)
        self._session, self._short_session = self._sessions_for(self.threads)
        self.dim = int(self._run(["dimension probe"]).shape[1])

    def _sessions_for(self, threads: int) -> tuple:
        """The int8 (or fp32) session and the fp32 one for short texts, running on ``threads`` CPU threads."""
        import onnxruntime as ort

        if threads not in self._sessions:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # don't burn a shared core
            main = ort.InferenceSession(str(self.model_file), opts, providers=["CPUExecutionProvider"])
            # short texts average fewer tokens, so quantization noise shows more: they run in fp32 (cheap anyway)
            short = (ort.InferenceSession(str(self.model_file.with_name("model.onnx")), opts,
                                          providers=["CPUExecutionProvider"]) if self.quantized else None)
            self._sessions[threads] = (main, short)
        return self._sessions[threads]

    def set_threads(self, n: int) -> None:
        """Run on ``n`` CPU threads from now on (a session per thread count, made on first use: ONNX Runtime fixes
        a session's threads when it is created). Ingest lowers it while reader processes share the cores."""
        self.threads = max(1, n)
        self._session, self._short_session = self._sessions_for(self.threads)

    def _json(self, name: str) -> dict:
        f = self.model_dir / name
        return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}

    def _check_pooling(self) -> None:
        pooling = self._json("1_Pooling/config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens"):
            raise BackendError(f"{self.name}: the ONNX backend supports mean pooling only; set [embed] backend = "
                               "'sentence-transformers' for this model")
        if not (self.model_dir / "tokenizer.json").exists():
            raise BackendError(f"{self.name}: no tokenizer.json in {self.model_dir}; set [embed] backend = "
                               "'sentence-transformers'")

    def _prepare(self, quantize: bool) -> tuple[Path, bool]:
        """The cached ONNX file to run (exported / quantized now if missing) and whether it is int8."""
        name = f"{self.model_dir.name}-{_model_key(self.model_dir)}"
        folder = cache_dir() / "onnx" / name
        fp32, int8, verdict = folder / "model.onnx", folder / "model.int8.onnx", folder / "int8-check.json"
        if not fp32.exists():
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=folder) as tmp:
                ids, mask = self._pad([e.ids for e in self._enc.encode_batch(_PROBES)])
                reference = export_onnx(self.model_dir, Path(tmp) / "model.onnx", ids, mask)
                worst = self._agreement(Path(tmp) / "model.onnx", reference)
                if worst < 0.9999:
                    raise BackendError(f"the ONNX export of {self.name} does not match PyTorch (cosine {worst:.4f}); "
                                       "set [embed] backend = 'sentence-transformers'")
                os.replace(Path(tmp) / "model.onnx", fp32)
        if not quantize:
            return fp32, False
        if not verdict.exists():
            with tempfile.TemporaryDirectory(dir=folder) as tmp:
                _quantize(fp32, Path(tmp) / "model.int8.onnx")
                os.replace(Path(tmp) / "model.int8.onnx", int8)
            worst = self._agreement(int8, self._vectors(_PROBES, fp32))
            fd, part = tempfile.mkstemp(dir=folder, suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"min_cosine": worst, "ok": worst >= MIN_COSINE}, f)
            os.replace(part, verdict)  # atomic: another process may read it at once
        ok = json.loads(verdict.read_text(encoding="utf-8")).get("ok", False)
        return (int8, True) if ok and int8.exists() else (fp32, False)

    def _vectors(self, texts: list[str], model: Path) -> np.ndarray:
        """The probe batch through the ONNX file ``model`` (a throwaway session)."""
        import onnxruntime as ort

        session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        return self._run(texts, session)

    def _agreement(self, model: Path, reference: np.ndarray) -> float:
        """Lowest cosine between ``model``'s vectors of the probe sentences and ``reference``."""
        return float((self._vectors(_PROBES, model) * reference).sum(axis=1).min())

    def _run(self, texts: list[str], session=None) -> np.ndarray:
        """Vectors of ``texts`` in one batch (padded to the longest)."""
        return self._batch([e.ids for e in self._enc.encode_batch(texts)], session)

    def _pad(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        return ids, mask

    def _batch(self, rows: list[list[int]], session=None) -> np.ndarray:
        ids, mask = self._pad(rows)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return (session or self._session).run(None, feed)[0]

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's own tokenizer, without special tokens."""
        return len(self._tk.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, in the given order (batched by length internally)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs = batch_size or self.batch_size
        rows = [e.ids for e in self._enc.encode_batch(list(texts))]
        order = np.argsort([len(r) for r in rows], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        short = sum(1 for r in rows if len(r) < FP32_BELOW) if self._short_session is not None else 0
        for lo, hi, session in ((0, short, self._short_session), (short, len(texts), self._session)):
            for start in range(lo, hi, bs):
                idx = order[start : min(start + bs, hi)]
                out[idx] = self._batch([rows[i] for i in idx], session)
        return _normalise(out)
