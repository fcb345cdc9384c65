"""The verifier judge: a fact-checking model scores every sentence against windows of the sample's cited chunks.

```
claims ["Rollo led them.", "They had 900 ships."]      cited chunks, joined ──▶ windows of ≤ budget tokens
   │  (window, claim) pairs, deduplicated, sorted by length, batched              (overlap, sentence-aligned)
   ▼
model: P(supported | window, claim)  ──▶ a claim takes its best window ──▶ the sample: [evaluate] aggregate
```
``budget`` = the model's maximum length − its template − the sample's longest claim, so no input is truncated.
A token classifier (LettuceDetect) reads (passages, answer) instead: a sentence's support in a window is 1 − the
highest 'hallucinated' probability of its tokens, it takes its best window too, and the unsupported spans of that
window are kept in the claim's note as evidence. Models, kinds and loading: ``verifier_models``; ONNX int8 on a CPU:
``verifier_onnx``. Configured by ``[evaluate.verifier]``.
"""

from __future__ import annotations

from typing import Any

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import Judge, Prepared
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.evaluate.judges.windows import Window, join_contexts, windows
from groundset.registry import JUDGES

__all__ = ["VerifierJudge"]

SPAN_CUT = 0.5  # a token whose 'hallucinated' probability is at least this belongs to an unsupported span


class VerifierJudge(Judge):
    """See the module docstring. ``scorer``: a loaded ``verifier_models.Scorer`` (default: from the config)."""

    name = "verifier"

    def __init__(self, cfg: EvaluateConfig, scorer: Any = None):
        super().__init__(cfg)
        if scorer is None:
            from groundset.evaluate.judges.verifier_models import load_scorer
            from groundset.evaluate.judges.verifier_onnx import maybe_onnx

            scorer = maybe_onnx(load_scorer(cfg.verifier), cfg.verifier)
        self.scorer = scorer
        self.stats = {"pairs": 0, "windows": 0, "batches": 0}

    def describe(self) -> dict[str, Any]:
        s, v = self.scorer, self.cfg.verifier
        d = super().describe()
        d.update(model=s.name, kind=s.kind, device=s.device, backend=s.backend, max_length=s.max_length,
                 window_overlap=v.window_overlap, **self.stats)
        id2label = getattr(getattr(getattr(s, "model", None), "config", None), "id2label", None) or {}
        if getattr(s, "index", None) is not None and s.index in id2label:
            d["label"] = id2label[s.index]  # the output read as 'supported' (token kind: 'unsupported')
        return d

    # --- windows ---------------------------------------------------------------------------------------------------
    def windows_of(self, contexts: list[str], budget: int) -> list[Window]:
        text = join_contexts(contexts)
        return windows(text, self.scorer.spans(text), budget, self.cfg.verifier.window_overlap) or [Window("", 0, 0, 0)]

    def _budget(self, reserved: int) -> int:
        return max(16, self.scorer.max_length - reserved)

    # --- scoring ---------------------------------------------------------------------------------------------------
    def _supports(self, items: list[Prepared]) -> list[tuple[list[float], list[str]]]:
        if self.scorer.kind == "token":
            return self._token_supports(items)
        s = self.scorer
        index: dict[tuple[str, str], int] = {}
        features: list[dict] = []
        plan: list[list[list[int]]] = []  # item → claim → pair indices
        for p in items:
            longest = max(s.count(c) for c in p.claims)
            wins = self.windows_of(p.contexts, self._budget(s.overhead + min(longest, s.max_length // 2)))
            self.stats["windows"] += len(wins)
            rows = []
            for claim in p.claims:
                ids = []
                for w in wins:
                    key = (w.text, claim)
                    if key not in index:
                        index[key] = len(features)
                        features.append(s.encode(w.text, claim))
                    ids.append(index[key])
                rows.append(ids)
            plan.append(rows)
        probs = self._run(features)
        out = []
        for p, rows in zip(items, plan):
            supports, notes = [], []
            for ids in rows:
                best = max(range(len(ids)), key=lambda k: probs[ids[k]])
                supports.append(float(probs[ids[best]]))
                notes.append(f"verifier: best of {len(ids)} window(s): #{best + 1}" if len(ids) > 1 else "verifier")
            out.append((supports, notes))
        return out

    def _run(self, features: list[dict]) -> list[float]:
        from groundset.evaluate.judges.verifier_models import pairs_in_batches

        probs = [0.0] * len(features)
        self.stats["pairs"] += len(features)
        for idx in pairs_in_batches(features, self.cfg.verifier.batch_size):
            self.stats["batches"] += 1
            for i, v in zip(idx, self.scorer.run([features[i] for i in idx])):
                probs[i] = float(v)
        return probs

    def _token_supports(self, items: list[Prepared]) -> list[tuple[list[float], list[str]]]:
        """LettuceDetect-style: answer tokens labelled against each window; a claim takes its best window."""
        from groundset.evaluate.judges.verifier_models import pairs_in_batches

        s = self.scorer
        features, owners = [], []  # owners: (item, window) of each feature
        answers = []
        for n, p in enumerate(items):
            answer, starts = _joined(p.claims)
            answers.append((answer, starts))
            wins = self.windows_of(p.contexts, self._budget(s.overhead(p.question) + s.count(answer)))
            self.stats["windows"] += len(wins)
            for w in wins:
                features.append(s.encode(w.text, p.question, answer))
                owners.append(n)
        token_probs: list[Any] = [None] * len(features)
        self.stats["pairs"] += len(features)
        for idx in pairs_in_batches(features, self.cfg.verifier.batch_size):
            self.stats["batches"] += 1
            batch = s.run([features[i] for i in idx])
            for row, i in zip(batch, idx):
                token_probs[i] = row
        out = []
        for n, p in enumerate(items):
            answer, starts = answers[n]
            per_window = [(features[i]["answer_offsets"], token_probs[i]) for i, o in enumerate(owners) if o == n]
            supports, notes = [], []
            for claim, start in zip(p.claims, starts):
                end = start + len(claim)
                best, best_spans = -1.0, []
                for offsets, probs in per_window:
                    hits = [(o, float(probs[t])) for t, o in enumerate(offsets) if o is not None and o[1] > start
                            and o[0] < end and o[1] > o[0]]
                    support = 1.0 - max((q for _, q in hits), default=0.0)
                    if support > best:
                        best, best_spans = support, _spans(answer, [o for o, q in hits if q >= SPAN_CUT])
                supports.append(max(0.0, best))
                notes.append("verifier: unsupported span(s): " + " | ".join(repr(t) for t in best_spans)
                             if best_spans else "verifier")
            out.append((supports, notes))
        return out


def _joined(claims: list[str]) -> tuple[str, list[int]]:
    """The claims as one answer text and the character offset of each."""
    starts, pos = [], 0
    for c in claims:
        starts.append(pos)
        pos += len(c) + 1
    return " ".join(claims), starts


def _spans(text: str, offsets: list[tuple[int, int]]) -> list[str]:
    """Merge token offsets that touch (or are one space apart) into text spans."""
    merged: list[list[int]] = []
    for a, b in sorted(offsets):
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [text[a:b].strip() for a, b in merged if text[a:b].strip()]


def _load(cfg: EvaluateConfig, **_: Any) -> VerifierJudge:
    return VerifierJudge(cfg)


JUDGES.register("verifier", JudgeSpec(load=_load, threshold=0.5,
                                      description="a fact-checking model ([evaluate.verifier] model: HHEM, MiniCheck, "
                                      "an MNLI cross-encoder, LettuceDetect) over windows of the cited chunks"),
                order=15)
