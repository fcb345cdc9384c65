"""The verifier's CPU path: the head exported to ONNX, int8-quantized, checked against PyTorch, cached.

Tiny random models (tests/evaluate/tiny_verifiers.py): they show that the export, the check and the cache work and
that ONNX Runtime gives PyTorch's probabilities; the int8 speed-up on a real model is measured by
benchmarks/judges.py, not here.
"""

from __future__ import annotations

import pytest

from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges import verifier_onnx
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.verifier import VerifierJudge
from tests.evaluate import tiny_verifiers as tv

ITEM = JudgeInput(texts=["Rollo led the Normans. They conquered England in 1066. They had 900 ships."],
                  contexts=["The Normans were from Norway. Rollo led them. In 1066 they conquered England."])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx-verifiers")
    return {"roberta": tv.roberta(root / "MiniCheck-RoBERTa-Large"), "tokens": tv.bert_tokens(root / "tokens")}


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDSET_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def judge(model, backend, device="auto"):
    return VerifierJudge(EvaluateConfig(judge="verifier", hard_checks=False,
                                        verifier={"model": str(model), "backend": backend, "device": device}))


@pytest.mark.parametrize("name", ["roberta", "tokens"])
def test_onnx_gives_pytorchs_scores_and_is_cached(models, own_cache, monkeypatch, name):
    torch_scores = [c.support for c in judge(models[name], "torch").score([ITEM])[0].claims]
    first = judge(models[name], "onnx")
    assert first.scorer.backend.startswith("onnx") and first.describe()["backend"] == first.scorer.backend
    check = first.scorer.onnx_check
    assert check["fp32_max_diff"] <= verifier_onnx.FP32_TOL
    onnx_scores = [c.support for c in first.score([ITEM])[0].claims]
    tol = verifier_onnx.INT8_TOL if first.scorer.backend == "onnx-int8" else verifier_onnx.FP32_TOL
    assert onnx_scores == pytest.approx(torch_scores, abs=tol)
    assert len(list(own_cache.glob("verifier-onnx/*/check.json"))) == 1

    def no_export(*a, **k):
        raise AssertionError("exported again although cached")

    monkeypatch.setattr(verifier_onnx, "export_head", no_export)
    again = judge(models[name], "onnx")
    assert again.scorer.backend == first.scorer.backend
    assert [c.support for c in again.score([ITEM])[0].claims] == pytest.approx(onnx_scores, abs=1e-6)


def test_auto_exports_on_a_cpu_and_says_so_when_it_cannot(models, own_cache, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(verifier_onnx, "export_head", broken)
    j = judge(models["roberta"], "auto", device="cpu")
    assert j.scorer.backend.startswith("torch (ONNX export failed: RuntimeError: unsupported operator")
    assert j.score([ITEM])[0].adherence is not None  # still judged, by PyTorch, and the summary says why
    with pytest.raises(BackendError, match="backend = 'onnx'.*unsupported operator"):
        judge(models["roberta"], "onnx")


def test_an_export_that_disagrees_with_pytorch_is_refused(models, own_cache, monkeypatch):
    monkeypatch.setattr(verifier_onnx, "FP32_TOL", -1.0)  # nothing can match
    with pytest.raises(BackendError, match="does not match PyTorch"):
        judge(models["roberta"], "onnx")


def test_an_int8_model_that_drifts_runs_in_fp32(models, own_cache, monkeypatch):
    monkeypatch.setattr(verifier_onnx, "INT8_TOL", -1.0)
    j = judge(models["roberta"], "onnx")
    assert j.scorer.backend.startswith("onnx-fp32 (int8 differed by")


def test_on_a_gpu_auto_stays_with_pytorch(models, own_cache):
    class GpuScorer:
        device, backend = "cuda", "torch"

    cfg = EvaluateConfig(verifier={"model": "x"}).verifier
    s = GpuScorer()
    assert verifier_onnx.maybe_onnx(s, cfg) is s and s.backend == "torch"
    assert not own_cache.exists()
