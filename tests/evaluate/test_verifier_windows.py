"""Windows, best window, batching order and the aggregate of the verifier judge, with a scripted scorer.

The scorer here reads words, not a model: a claim is supported by a window holding every word of the claim. That
makes the windowing observable (which window saw what) without any weights; tests/evaluate/test_verifier_models.py
runs the same judge with tiny transformers models.
"""

from __future__ import annotations

import re

import pytest

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import JudgeInput
from groundset.evaluate.judges.verifier import VerifierJudge
from groundset.evaluate.judges.windows import join_contexts, sentence_starts, windows

WORD = re.compile(r"\S+")


def words(text):
    return {w.strip(".,;").lower() for w in text.split()}


class WordScorer:
    """Tokens = whitespace words; P(supported) = 0.95 when the window holds all the claim's words, else 0.05."""

    kind, name, device, backend = "nli", "word-scorer", "cpu", "test"

    def __init__(self, max_length=40, overhead=3):
        self.max_length, self.overhead = max_length, overhead
        self.batches: list[list[int]] = []
        self.seen: list[tuple[str, str]] = []

    def count(self, text):
        return len(WORD.findall(text))

    def spans(self, text):
        return [m.span() for m in WORD.finditer(text)]

    def encode(self, premise, claim):
        assert self.count(premise) + self.count(claim) + self.overhead <= self.max_length, "input would be truncated"
        self.seen.append((premise, claim))
        return {"input_ids": [0] * (self.count(premise) + self.count(claim) + self.overhead), "pair": (premise, claim)}

    def run(self, features):
        self.batches.append([len(f["input_ids"]) for f in features])
        return [0.95 if words(f["pair"][1]) <= words(f["pair"][0]) else 0.05 for f in features]


def judge(scorer, **kw):
    cfg = EvaluateConfig(judge="verifier", hard_checks=False, **kw)
    return VerifierJudge(cfg, scorer=scorer)


def filler(n, start=0):
    return " ".join(f"Sentence number w{i} is filler text here." for i in range(start, start + n))


def test_windows_respect_the_budget_start_at_sentences_and_overlap():
    text = filler(30)  # 30 sentences of 7 words
    spans = [m.span() for m in WORD.finditer(text)]
    ws = windows(text, spans, budget=50, overlap=10)
    assert len(ws) > 4 and all(w.tokens <= 50 for w in ws)
    starts = set(sentence_starts(text))
    assert all(w.start in starts for w in ws)  # every window starts at a sentence
    for a, b in zip(ws, ws[1:]):
        shared = len(WORD.findall(text[b.start : a.end]))
        assert a.start < b.start and shared >= 10  # progress, and at least the overlap in common
    assert ws[0].start == 0 and ws[-1].end == len(text)  # nothing left out
    sentences = re.findall(r"[^.]+\.", text)
    assert all(any(s.strip() in w.text for w in ws) for s in sentences)  # every sentence whole in some window


def test_a_short_context_is_one_window_and_a_huge_sentence_is_cut_by_tokens():
    text = "One short sentence."
    assert [w.text for w in windows(text, [m.span() for m in WORD.finditer(text)], 10, 2)] == [text]
    long = " ".join(f"w{i}" for i in range(100))  # no sentence end at all
    ws = windows(long, [m.span() for m in WORD.finditer(long)], 30, 5)
    assert all(w.tokens <= 30 for w in ws) and ws[-1].end == len(long) and len(ws) == 4


def test_support_at_a_window_seam_is_found_in_the_overlapping_window():
    # the claim needs two neighbouring sentences; without overlap they fall into different windows
    context = filler(3) + " Rollo led the Normans. The Normans took Rouen. " + filler(6, start=3)
    item = JudgeInput(texts=["Rollo led the Normans; the Normans took Rouen."], contexts=[context])
    to_seam = 3 * 7 + 4  # words up to the end of "Rollo led the Normans."
    max_length = to_seam + 3 + 8  # + the scorer's template + the claim: the first window ends at the seam
    seamless = judge(WordScorer(max_length=max_length), verifier={"window_overlap": 0})
    assert seamless.score([item])[0].adherence == pytest.approx(0.05)
    overlapping = judge(WordScorer(max_length=max_length), verifier={"window_overlap": 8})
    v = overlapping.score([item])[0]
    assert v.adherence == pytest.approx(0.95) and "best of" in v.claims[0].note


def test_each_sentence_takes_its_best_window_and_the_sample_the_aggregate():
    context = filler(8) + " Rollo led the Normans. " + filler(8, start=8) + " They conquered England in 1066."
    item = JudgeInput(texts=["Rollo led the Normans. They conquered England in 1066. They had 900 ships."],
                      contexts=[context])
    j = judge(WordScorer(max_length=40))
    v = j.score([item])[0]
    assert [c.support for c in v.claims] == [0.95, 0.95, 0.05]  # supports found in different windows
    assert v.adherence == 0.05 and v.unsupported(j.threshold) == ["They had 900 ships."]
    mean = judge(WordScorer(max_length=40), aggregate="mean").score([item])[0]
    assert mean.adherence == pytest.approx((0.95 + 0.95 + 0.05) / 3)
    assert j.describe()["windows"] > 2 and j.describe()["model"] == "word-scorer"


def test_no_input_is_truncated_and_long_claims_shrink_the_windows():
    context = filler(20)
    long_claim = "Sentence number w3 is filler text here and " + " ".join(["more"] * 12) + "."
    scorer = WordScorer(max_length=45)
    judge(scorer).score([JudgeInput(texts=[long_claim, "Sentence number w19 is filler text here."], contexts=[context])])
    assert scorer.seen  # WordScorer.encode asserts every input fits


def test_pairs_are_deduplicated_sorted_by_length_and_batched():
    ctx_a, ctx_b = filler(2), filler(12)
    items = [JudgeInput(texts=["Sentence number w1 is filler text here."], contexts=[ctx_a]),
             JudgeInput(texts=["Sentence number w1 is filler text here."], contexts=[ctx_a]),  # same pairs again
             JudgeInput(texts=["Sentence number w9 is filler text here."], contexts=[ctx_b])]
    scorer = WordScorer(max_length=60)
    j = judge(scorer, verifier={"batch_size": 2})
    verdicts = j.score(items)
    assert [v.adherence for v in verdicts] == [0.95, 0.95, 0.95]
    lengths = [n for b in scorer.batches for n in b]
    assert lengths == sorted(lengths) and all(len(b) <= 2 for b in scorer.batches)
    assert len(scorer.seen) == len(set(scorer.seen)) == j.stats["pairs"]  # the repeated sample cost nothing


def test_chunks_are_joined_so_a_claim_can_use_two_cited_chunks():
    item = JudgeInput(texts=["Rollo led the Normans from Norway."],
                      contexts=["Rollo led the Normans.", "The Normans came from Norway."])
    assert join_contexts(item.contexts) == "Rollo led the Normans.\n\nThe Normans came from Norway."
    assert judge(WordScorer(max_length=40)).score([item])[0].adherence == 0.95


def test_hard_checks_still_cap_a_claim_the_model_supports():
    item = JudgeInput(texts=["About 45% of Normans came from Norway."], contexts=["Normans came from Norway."])
    v = VerifierJudge(EvaluateConfig(judge="verifier"), scorer=WordScorer()).score([item])[0]
    assert v.claims[0].missing == ["45%"] and v.adherence <= 0.1
