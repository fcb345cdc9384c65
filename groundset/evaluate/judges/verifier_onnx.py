"""The verifier on a CPU: its head exported to ONNX, int8-quantized, checked against PyTorch, cached.

Same recipe as the embedder (``groundset.embed.onnx``): ``torch.onnx.export`` of the scorer's head (token ids in,
probabilities out, so the softmax and the label pick are inside the graph), ONNX Runtime's dynamic int8
quantization of the weight MatMuls, and a check on probe pairs: the fp32 export must give PyTorch's probabilities
(within ``FP32_TOL``) or it is not used; the int8 model is used only when it stays within ``INT8_TOL`` of PyTorch,
else the fp32 export runs. The files and the check's verdict are cached under ``cache_dir()/verifier-onnx/<key>``
(the key hashes the model's config, weights' sizes, kind and label), so later runs load without exporting.

``[evaluate.verifier] backend``: ``torch`` never exports; ``onnx`` exports or fails with the reason; ``auto`` exports
on a CPU and, if the export fails, runs PyTorch and says so in the judge's description (``backend``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from groundset.errors import BackendError

__all__ = ["maybe_onnx", "export_head", "EXPORT_VERSION", "FP32_TOL", "INT8_TOL"]

EXPORT_VERSION = 1
FP32_TOL = 1e-3  # max |p_onnx - p_torch| of the fp32 export on the probes
INT8_TOL = 0.05  # the same for the int8 model (a probability: 0.05 moves few samples across a 0.5 threshold)


def _key(scorer: Any) -> str:
    h = hashlib.sha256(f"v{EXPORT_VERSION}:{scorer.kind}:{getattr(scorer, 'index', None)}".encode())
    for f in sorted(scorer.folder.glob("*")):
        if f.is_file() and (f.suffix in (".json", ".safetensors", ".bin") or f.name.endswith(".model")):
            h.update(f.name.encode())
            h.update(str(f.stat().st_size).encode())
            if f.suffix == ".json" and f.stat().st_size < 5_000_000:
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _feed(scorer: Any, features: list[dict]) -> dict[str, Any]:
    batch = scorer.tokenizer.pad([{k: f[k] for k in scorer.input_names if k in f} for f in features],
                                 return_tensors="np")
    return {k: batch[k].astype("int64") for k in scorer.input_names if k in batch}


def export_head(scorer: Any, out: Path) -> None:
    """``torch.onnx.export`` of ``scorer.head()`` to ``out`` (fp32), batch and sequence axes dynamic."""
    import warnings

    import torch

    features = scorer.probe_features()[:2]
    feed = _feed(scorer, features)
    names = list(feed)
    args = tuple(torch.from_numpy(feed[n]) for n in names)
    dyn = {n: {0: "batch", 1: "seq"} for n in names}
    dyn["probs"] = {0: "batch", 1: "seq"} if scorer.kind == "token" else {0: "batch"}
    head = scorer.head().to("cpu").float()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches (the probes check them)
        torch.onnx.export(head, args, str(out), input_names=names, output_names=["probs"], dynamic_axes=dyn,
                          opset_version=17, dynamo=False)


def _quantize(src: Path, dst: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
    finally:
        logging.getLogger().setLevel(level)


class OnnxRunner:
    """Runs an exported head: ``runner(feed) -> probabilities``, feeding only the inputs the graph kept."""

    def __init__(self, path: Path, threads: int | None = None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, feed: dict[str, Any]):
        return self.session.run(None, {k: v.astype("int64") for k, v in feed.items() if k in self.inputs})[0]


def _worst(scorer: Any, runner: OnnxRunner, reference: list) -> float:
    import numpy as np

    worst = 0.0
    for f, ref in zip(scorer.probe_features(), reference):
        got = runner(_feed(scorer, [f]))[0]
        worst = max(worst, float(np.max(np.abs(np.asarray(got, dtype="float64") - np.asarray(ref, dtype="float64")))))
    return worst


def _torch_reference(scorer: Any) -> list:
    saved, scorer.runner = scorer.runner, None
    try:
        return [scorer.run([f])[0] for f in scorer.probe_features()]
    finally:
        scorer.runner = saved


def prepare(scorer: Any) -> tuple[Path, bool, dict[str, Any]]:
    """The cached ONNX file to run (exported, quantized and checked now if missing), whether it is int8, the check."""
    from groundset.embed.onnx import cache_dir

    folder = cache_dir() / "verifier-onnx" / f"{scorer.folder.name}-{_key(scorer)}"
    fp32, int8, verdict = folder / "model.onnx", folder / "model.int8.onnx", folder / "check.json"
    if not verdict.exists():
        folder.mkdir(parents=True, exist_ok=True)
        reference = _torch_reference(scorer)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            t32, t8 = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
            export_head(scorer, t32)
            fp32_err = _worst(scorer, OnnxRunner(t32, 1), reference)
            if fp32_err > FP32_TOL:
                raise BackendError(f"the ONNX export of {scorer.name} does not match PyTorch (max probability "
                                   f"difference {fp32_err:.4f}); set [evaluate.verifier] backend = 'torch'")
            _quantize(t32, t8)
            int8_err = _worst(scorer, OnnxRunner(t8, 1), reference)
            os.replace(t32, fp32)
            os.replace(t8, int8)
        check = {"fp32_max_diff": fp32_err, "int8_max_diff": int8_err, "int8_ok": int8_err <= INT8_TOL}
        verdict.write_text(json.dumps(check), encoding="utf-8")
    check = json.loads(verdict.read_text(encoding="utf-8"))
    use_int8 = bool(check.get("int8_ok")) and int8.exists()
    return (int8 if use_int8 else fp32), use_int8, check


def maybe_onnx(scorer: Any, cfg: Any) -> Any:
    """``scorer`` set to run its ONNX export where ``cfg.backend`` says so (see the module docstring)."""
    if cfg.backend == "torch" or (cfg.backend == "auto" and scorer.device != "cpu"):
        return scorer
    try:
        path, is_int8, check = prepare(scorer)
        scorer.runner = OnnxRunner(path)
    except Exception as e:  # noqa: BLE001 - export / quantization errors come in many types
        if cfg.backend == "onnx":
            raise BackendError(f"[evaluate.verifier] backend = 'onnx': cannot export {scorer.name}: "
                               f"{type(e).__name__}: {e}; set backend = 'torch'") from None
        scorer.backend = f"torch (ONNX export failed: {type(e).__name__}: {str(e)[:160]})"
        return scorer
    scorer.backend = "onnx-int8" if is_int8 else f"onnx-fp32 (int8 differed by {check['int8_max_diff']:.3f})"
    scorer.onnx_check = check
    return scorer
