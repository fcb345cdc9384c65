"""The verifier judge with tiny random stand-ins of HHEM, MiniCheck (RoBERTa, DeBERTa, Flan-T5), an MNLI cross-encoder
and LettuceDetect-style token classifiers (BERT, ModernBERT), loaded by Hub id from a Hugging Face cache in tmp_path
or by local path: the code path of a real model. Scores are compared with each model's published reading of its
outputs, recomputed here by hand; nothing about the quality of the real models can be measured with these.
"""

from __future__ import annotations

import pytest

from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.verifier import VerifierJudge
from groundset.evaluate.judges.verifier_models import detect_kind, pick_device
from tests.evaluate import tiny_verifiers as tv

PREMISE = "The Normans were from Norway. Rollo led them. In 1066 they conquered England."
ITEM = JudgeInput(texts=["Rollo led the Normans. They conquered England in 1066."], contexts=[PREMISE],
                  question="who led the normans?")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("verifiers")
    hub = root / "hub"
    tv.put_in_hub_cache(hub, "lytang/MiniCheck-RoBERTa-Large", tv.roberta(root / "roberta"))
    tv.put_in_hub_cache(hub, "google/flan-t5-base", tv.flan_t5_foundation(root / "flan"))
    tv.put_in_hub_cache(hub, "vectara/hallucination_evaluation_model", tv.hhem(root / "hhem"))
    tv.put_in_hub_cache(hub, "KRLabsOrg/lettucedect-base-modernbert-en-v1", tv.modernbert_tokens(root / "lettuce"))
    paths = {
        "hub": hub,
        "minicheck-t5": tv.minicheck_t5(root / "MiniCheck-Flan-T5-Large"),
        "mnli": tv.deberta(root / "tiny-mnli"),
        "unnamed": tv.deberta(root / "tiny-unnamed", labels=("LABEL_0", "LABEL_1")),
        "bert-tokens": tv.bert_tokens(root / "bert-tokens"),
    }
    return paths


@pytest.fixture
def hub(models, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(models["hub"]))
    return models["hub"]


def verifier(model, **kw):
    return VerifierJudge(EvaluateConfig(judge="verifier", hard_checks=False,
                                        verifier={"model": str(model), "backend": "torch", **kw}))


def softmax(logits):
    import torch

    return torch.softmax(logits.float(), dim=-1)


def test_minicheck_roberta_by_hub_id_reads_premise_eos_claim_as_one_sequence(hub):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    j = verifier("lytang/MiniCheck-RoBERTa-Large")
    s = j.scorer
    assert (s.kind, s.index, s.max_length) == ("minicheck", 1, 512)
    v = j.score([ITEM])[0]
    folder = hub / "models--lytang--MiniCheck-RoBERTa-Large" / "snapshots" / ("0" * 40)
    tok, model = AutoTokenizer.from_pretrained(folder), AutoModelForSequenceClassification.from_pretrained(folder)
    enc = tok(PREMISE + "</s>" + "Rollo led the Normans.", return_tensors="pt")
    assert enc["input_ids"][0].tolist().count(tok.eos_token_id) == 2  # <s> premise </s> claim </s>
    with torch.no_grad():
        want = softmax(model(**enc).logits)[0, 1].item()
    assert v.claims[0].support == pytest.approx(want, abs=1e-5)


def test_nli_entailment_index_comes_from_id2label(models):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    j = verifier(models["mnli"])
    assert j.scorer.kind == "nli" and j.scorer.index == 2  # contradiction, neutral, entailment
    assert j.describe()["label"] == "entailment"
    v = j.score([ITEM])[0]
    tok = AutoTokenizer.from_pretrained(models["mnli"])
    model = AutoModelForSequenceClassification.from_pretrained(models["mnli"])
    enc = tok(PREMISE, "They conquered England in 1066.", return_tensors="pt")
    assert 1 in enc["token_type_ids"][0].tolist()  # a real pair, token types and all
    with torch.no_grad():
        want = softmax(model(**enc).logits)[0, 2].item()
    assert v.claims[1].support == pytest.approx(want, abs=1e-5)


def test_labels_that_say_nothing_need_the_label_set(models):
    with pytest.raises(BackendError, match="nli_label|label"):
        verifier(models["unnamed"])
    assert verifier(models["unnamed"], label="LABEL_1").scorer.index == 1


def test_hhem_through_its_prompt_and_t5_token_head(hub):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoTokenizer, T5ForTokenClassification

    j = verifier("vectara/hallucination_evaluation_model")
    assert j.scorer.kind == "hhem" and j.scorer.max_length == 512
    v = j.score([ITEM])[0]
    # HHEM's own predict(): the prompt, T5ForTokenClassification of the foundation's config, softmax at token 0
    snap = "snapshots/" + "0" * 40
    flan, hhem = hub / f"models--google--flan-t5-base/{snap}", hub / f"models--vectara--hallucination_evaluation_model/{snap}"
    tok = AutoTokenizer.from_pretrained(flan)
    model = T5ForTokenClassification(AutoConfig.from_pretrained(flan))
    state = {k[3:]: t for k, t in load_file(str(hhem / "model.safetensors")).items()}
    model.load_state_dict(state, strict=False)
    model.eval()
    prompt = "<pad> Determine if the hypothesis is true given the premise?\n\nPremise: {text1}\n\nHypothesis: {text2}"
    enc = tok([prompt.format(text1=PREMISE, text2="Rollo led the Normans.")], return_tensors="pt")
    with torch.no_grad():
        want = softmax(model(**enc).logits[:, 0, :])[0, 1].item()
    assert v.claims[0].support == pytest.approx(want, abs=1e-5)


def test_hhem_without_its_foundation_names_both_models(models, tmp_path, monkeypatch):
    hub = tmp_path / "hub"
    tv.put_in_hub_cache(hub, "vectara/hallucination_evaluation_model",
                        models["hub"] / "models--vectara--hallucination_evaluation_model" / "snapshots" / ("0" * 40))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    with pytest.raises(BackendError, match=r"foundation model of vectara/hallucination_evaluation_model.*"
                                           r"hf download google/flan-t5-base"):
        verifier("vectara/hallucination_evaluation_model")


def test_minicheck_flan_t5_first_decoder_token(models):
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    j = verifier(models["minicheck-t5"])
    assert j.scorer.kind == "minicheck-t5" and j.scorer.max_length == 2048
    v = j.score([ITEM])[0]
    tok, model = AutoTokenizer.from_pretrained(models["minicheck-t5"]), AutoModelForSeq2SeqLM.from_pretrained(models["minicheck-t5"])
    enc = tok(["predict: " + PREMISE + "</s>" + "Rollo led the Normans."], return_tensors="pt")
    with torch.no_grad():
        logits = model(**enc, decoder_input_ids=torch.zeros((1, 1), dtype=torch.long)).logits[:, 0, [3, 209]]
    assert v.claims[0].support == pytest.approx(softmax(logits)[0, 1].item(), abs=1e-5)


@pytest.mark.parametrize("bias, support, spans", [([-8.0, 8.0], 0.0, True), ([8.0, -8.0], 1.0, False)])
def test_token_classifier_spans_map_onto_sentences(models, tmp_path, bias, support, spans):
    import shutil

    folder = tmp_path / "tokens"
    shutil.copytree(models["bert-tokens"], folder)
    tv.set_bias(folder, "classifier", bias)  # every token 'hallucinated' (or none): a known answer
    j = verifier(folder)
    assert j.scorer.kind == "token" and j.scorer.index == 1  # id2label: supported, hallucinated
    v = j.score([ITEM])[0]
    assert [round(c.support, 3) for c in v.claims] == [support, support]
    if spans:
        assert v.claims[0].note == "verifier: unsupported span(s): 'Rollo led the Normans.'"
        assert "'They conquered England in 1066.'" in v.claims[1].note
    else:
        assert v.claims[0].note == "verifier"


def test_lettucedetect_by_hub_id_reads_the_ragtruth_prompt(hub, tmp_path, monkeypatch):
    j = verifier("KRLabsOrg/lettucedect-base-modernbert-en-v1")
    s = j.scorer
    assert (s.kind, s.index, s.max_length) == ("token", 1, 4096)  # class 1 = hallucinated, per its authors
    enc = s.encode(PREMISE, ITEM.question, "Rollo led the Normans.")
    text = s.tokenizer.decode(enc["input_ids"])
    assert "briefly answer the following question" in text and "passage 1" in text
    assert [o for o in enc["answer_offsets"] if o is not None][0] == (0, 5)  # offsets into the answer
    v = j.score([ITEM])[0]
    assert len(v.claims) == 2 and all(0.0 <= c.support <= 1.0 for c in v.claims)


def test_a_model_missing_from_the_cache_fails_at_once_with_the_download_command(hub):
    with pytest.raises(BackendError, match=r"'lytang/MiniCheck-DeBERTa-v3-Large' is not in the Hugging Face cache.*"
                                           r"hf download lytang/MiniCheck-DeBERTa-v3-Large"):
        verifier("lytang/MiniCheck-DeBERTa-v3-Large")
    with pytest.raises(BackendError, match=r"\[evaluate.verifier\] model"):
        VerifierJudge(EvaluateConfig(judge="verifier"))
    with pytest.raises(BackendError, match="no such folder"):
        verifier("/nowhere/at/all")


def test_kind_detection_from_config_and_name():
    assert detect_kind("x", {"model_type": "HHEMv2"}) == "hhem"
    assert detect_kind("/m/MiniCheck-DeBERTa-v3-Large", {"architectures": ["DebertaV2ForSequenceClassification"]}) == "minicheck"
    assert detect_kind("me/minicheck-t5-small", {"architectures": ["T5ForConditionalGeneration"]}) == "minicheck-t5"
    assert detect_kind("x", {"architectures": ["ModernBertForTokenClassification"]}) == "token"
    assert detect_kind("x", {"architectures": ["RobertaForSequenceClassification"]}) == "nli"
    with pytest.raises(BackendError, match="kind"):
        detect_kind("x", {"architectures": ["T5ForConditionalGeneration"]})


def test_the_gpu_is_used_when_there_is_one(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto") == "cuda" and pick_device("cpu") == "cpu"


def test_a_folder_that_is_not_a_model_or_has_broken_weights_says_so(models, tmp_path):
    import shutil

    empty = tmp_path / "not-a-model"
    empty.mkdir()
    with pytest.raises(BackendError, match="no config.json"):
        verifier(empty)
    broken = tmp_path / "broken"
    shutil.copytree(models["mnli"], broken)
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(BackendError, match=r"cannot load verifier model .*broken.* as kind 'nli'"):
        verifier(broken)
