"""The nli judge against a tiny, randomly initialised BERT saved to tmp_path (no real NLI model exists offline here).

This exercises loading by path, label detection, batching, truncation and the max-over-chunks logic; it says nothing
about the quality of a real NLI model, whose scores only a user with one can measure (`groundset evaluate calibrate`).
"""

from __future__ import annotations

import pytest

from groundset.errors import BackendError
from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.nli import supported_index

WORDS = "[PAD] [UNK] [CLS] [SEP] [MASK] the normans rollo led were from norway denmark . , a in 1066 england".split()


def tiny_model(path, labels):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    id2label = dict(enumerate(labels))
    cfg = BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, num_labels=len(labels), id2label=id2label,
                     label2id={v: k for k, v in id2label.items()})
    BertForSequenceClassification(cfg).save_pretrained(path)
    return str(path)


@pytest.fixture
def nli_path(tmp_path):
    return tiny_model(tmp_path / "tiny-nli", ["entailment", "neutral", "contradiction"])


def test_supported_label_is_found_by_name_or_config():
    assert supported_index({0: "contradiction", 1: "neutral", 2: "entailment"}) == 2
    assert supported_index({"0": "hallucinated", "1": "consistent"}) == 1
    assert supported_index({0: "score"}) is None  # one logit: read as a sigmoid
    assert supported_index({0: "LABEL_0", 1: "LABEL_1"}, "label_1") == 1
    with pytest.raises(BackendError, match=r"\[evaluate.nli\] label"):
        supported_index({0: "LABEL_0", 1: "LABEL_1"})


def test_nli_judge_scores_every_claim_against_every_chunk(nli_path):
    from groundset.evaluate.judges.nli import NLIJudge

    judge = NLIJudge(EvaluateConfig(judge="nli", nli={"model": nli_path, "batch_size": 2, "max_length": 24}))
    seen = []
    real = judge._probabilities

    def spy(pairs):
        seen.extend(pairs)
        return real(pairs)

    judge._probabilities = spy
    items = [
        JudgeInput(texts=["Rollo led the Normans. They were from Norway."],
                   contexts=["the normans were from norway . rollo led the normans " * 5, "denmark"]),
        JudgeInput(texts=["In 1066 England fell."], contexts=["in 1066 the normans led england"]),
    ]
    verdicts = judge.score(items)
    assert len(seen) == 2 * 2 + 1  # claims × chunks
    assert [len(v.claims) for v in verdicts] == [2, 1]
    assert all(0.0 <= c.support <= 1.0 for v in verdicts for c in v.claims)
    assert verdicts[0].adherence == min(c.support for c in verdicts[0].claims)
    assert judge.describe()["label"] == "entailment"


def test_single_logit_model_reads_a_sigmoid(tmp_path):
    from groundset.evaluate.judges.nli import NLIJudge

    path = tiny_model(tmp_path / "tiny-hhem", ["consistency"])
    judge = NLIJudge(EvaluateConfig(judge="nli", nli={"model": path}, hard_checks=False))
    v = judge.score([JudgeInput(texts=["Rollo led the Normans."], contexts=["rollo led the normans"])])[0]
    assert judge.index is None and 0.0 < v.adherence < 1.0


def test_missing_model_says_what_to_set(tmp_path):
    from groundset.evaluate.judges.nli import NLIJudge

    with pytest.raises(BackendError, match=r"\[evaluate.nli\] model"):
        NLIJudge(EvaluateConfig(judge="nli"))
    with pytest.raises(BackendError, match="local path"):
        NLIJudge(EvaluateConfig(judge="nli", nli={"model": str(tmp_path / "nowhere")}))
