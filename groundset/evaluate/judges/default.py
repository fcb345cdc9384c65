"""The default judge: offline, no LLM, CPU. Evidence features per sentence, a learned decision per sentence and
per sample (weights shipped in ``groundset/evaluate/gate_weights.json``, rebuilt by ``benchmarks/fit_gate.py``).

Per claim (``features.claim_features``): lexical recall of its content words in the best window of two source
sentences and in the whole context, novel content words, content bigrams, MiniLM cosine to the best source
sentences (only when the recall is below ``[evaluate.default] lexical_sure``, and only when the fitted weights use it:
the shipped ones give it no weight, so nothing is embedded),
numbers / names / quotes / identifiers missing from the sources, negation and antonym flips, talk about "the
passage", overlap with the question and evaluative words the sources lack. The sentence model turns them into the
claim's support; the sample model turns min / mean / share-below-0.5 of the supports (length-neutral) into the
sample's adherence. Structured contexts (JSON, tables) are read as ``key: value`` facts first (base ``prepare``).

Every verdict says why: each claim's ``note`` names the feature that pulls its support down most (with the words
or facts concerned), and ``Verdict.decision`` names the deciding sentence and feature.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.features import DESCRIBE, Source, claim_features, lexical, sample_features, source
from groundset.evaluate.judges.base import ClaimScore, Judge, JudgeInput, Prepared, Verdict, prepare
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.evaluate.model import GateModel, load_model
from groundset.evaluate.text import question_stems
from groundset.registry import JUDGES

__all__ = ["DefaultJudge", "MAX_WORDS"]

MAX_WORDS = 60  # words of a sentence that are embedded
class _LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class DefaultJudge(Judge):
    """Offline judge on lexical, fact and MiniLM evidence with a learned decision (see module docstring)."""

    name = "default"

    def __init__(self, cfg: EvaluateConfig, embedder: Any = None, embed_cfg: Any = None,
                 model: GateModel | None = None, embed: bool | None = None):
        """``model``: weights other than the shipped ones; ``embed``: compute the cosine feature even when the
        weights give it no weight (True, as the fit script does) or never (False)."""
        super().__init__(cfg)
        self._embedder = embedder
        self._embed_cfg = embed_cfg
        self.model = model or load_model()
        # a feature the fit gave no weight is not computed: with a zero cosine weight nothing is embedded
        weights = dict(zip(self.model.sentence.features, self.model.sentence.coef))
        self.uses_embeddings = weights.get("cosine", 0.0) != 0.0 if embed is None else embed
        self._sources: _LRU = _LRU(4096)
        self._vectors: _LRU = _LRU(50_000)
        self.encoded = 0  # sentences embedded so far (for benchmarks)

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from groundset.embed import load_embedder
            from groundset.embed.config import EmbedConfig

            self._embedder = load_embedder(self._embed_cfg or EmbedConfig())
        return self._embedder

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(
            aggregate="learned (min, mean and share of unsupported sentences)",
            embedding_model=(getattr(self._embedder, "name", self._embed_cfg.model if self._embed_cfg else "default")
                             if self.uses_embeddings else "none (the fitted weights give the cosine no weight)"),
            lexical_sure=self.cfg.default.lexical_sure,
            weights=dict(self.model.info.get("fitted_on", {})),
            weights_threshold=self.model.threshold,
        )
        return d

    def _get_source(self, text: str) -> Source:
        src = self._sources.get(text)
        if src is None:
            src = source(text)
            self._sources.put(text, src)
        return src

    def _encode(self, texts: set[str]) -> None:
        todo = sorted(t for t in texts if t not in self._vectors)
        if not todo:
            return
        # long sentences cost the most and rarely help: compare their first MAX_WORDS words
        vecs = self.embedder.encode([" ".join(t.split()[:MAX_WORDS]) for t in todo])
        self.encoded += len(todo)
        for t, v in zip(todo, vecs):
            self._vectors.put(t, v)

    def _embeds(self, lex: Any) -> bool:
        """Whether the claim is compared by embedding: the weights use the cosine and the recall is not sure."""
        return self.uses_embeddings and bool(lex.candidates) and lex.recall_window < self.cfg.default.lexical_sure

    def featurise(self, items: Sequence[Prepared]) -> list[list[tuple[dict[str, float], str]]]:
        """Per item, per claim: the feature dict and a contradiction note ('' when none)."""
        plans = []
        wanted: set[str] = set()
        for p in items:
            sources = [self._get_source(c) for c in p.contexts]
            given = question_stems(p.question)
            lexes = [lexical(claim, sources, self.cfg.default.semantic_candidates, given)
                     for claim in (p.matched or p.claims)]
            for lex in lexes:
                if self._embeds(lex):
                    wanted.add(lex.claim)
                    wanted.update(sources[si].sentences[k] for si, k in lex.candidates)
            plans.append((p, sources, lexes))
        self._encode(wanted)
        out = []
        for p, sources, lexes in plans:
            qstems = question_stems(p.question)
            facts = p.facts or [(0, [])] * len(p.claims)
            rows = []
            for lex, (n_facts, miss) in zip(lexes, facts):
                cosine = None
                if self._embeds(lex):
                    v = self._vectors[lex.claim]
                    cosine = max(float(np.dot(v, self._vectors[sources[si].sentences[k]])) for si, k in lex.candidates)
                feats, note = claim_features(lex, sources, miss, n_facts, cosine, qstems)
                feats["_novel_words"] = lex.novel  # type: ignore[assignment]  # for the note only
                rows.append((feats, note))
            out.append(rows)
        return out

    def _note(self, f: dict[str, Any], contradiction: str, support: float, missing: list[str]) -> str:
        """Why a claim has its support: the feature pulling it down most, with the words or facts concerned."""
        weakest = self.model.sentence.weakest(f)
        if support >= self.threshold:
            return f"supported (recall {f['recall_window']:.2f}, cosine {f['cosine']:.2f})"
        why = f"{weakest}: {DESCRIBE.get(weakest, weakest)}"
        if weakest in ("negation", "antonym") and contradiction:
            why += f" ({contradiction})"
        elif weakest.startswith("missing") and missing:
            why += f" ({', '.join(missing[:3])})"
        elif weakest in ("novel", "recall_all", "recall_window", "bigram", "evaluative") and f["_novel_words"]:
            why += f" ({', '.join(f['_novel_words'][:4])})"
        elif weakest == "cosine":
            why += f" (best {f['cosine']:.2f})"
        return why

    def score(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        """Score a batch of samples: per-claim supports and notes, the learned adherence and its explanation."""
        prepared = [prepare(i, self.cfg.hard_checks) for i in inputs]
        todo = [p for p in prepared if p.claims]
        feats = iter(self.featurise(todo)) if todo else iter(())
        verdicts: list[Verdict] = []
        for p in prepared:
            if not p.claims:
                verdicts.append(Verdict(None, [], p.skipped))
                continue
            rows = next(feats)
            supports = [self.model.sentence.prob(f) for f, _ in rows]
            claims = [ClaimScore(text, s, miss, self._note(f, n, s, miss))
                      for text, s, miss, (f, n) in zip(p.claims, supports, p.missing, rows)]
            per_claim = [f for f, _ in rows]
            prefix = [self.model.sample.prob(sample_features(supports[:k], per_claim[:k]))
                      for k in range(1, len(supports) + 1)]
            adherence = prefix[-1]
            verdicts.append(Verdict(adherence, claims, p.skipped, prefix_adherence=prefix,
                                    decision=self._decision(adherence, claims, supports, per_claim)))
        return verdicts

    def _decision(self, adherence: float, claims: list[ClaimScore], supports: list[float],
                  per_claim: list[dict[str, float]]) -> dict[str, Any]:
        """The deciding sentence (the weakest) and feature of a verdict, for the kept / rejected record."""
        g = sample_features(supports, per_claim)
        weakest = min(range(len(claims)), key=lambda i: supports[i])
        sample_feature = self.model.sample.weakest(g)
        decision = "kept" if adherence >= self.threshold else "rejected"
        return {
            "decision": decision,
            "adherence": round(adherence, 4),
            "threshold": self.threshold,
            "sentence": claims[weakest].text,
            "sentence_support": round(supports[weakest], 4),
            "sentence_feature": self.model.sentence.weakest(per_claim[weakest]),
            "why": claims[weakest].note,
            "sample_feature": sample_feature,
            "sample_features": {k: round(v, 4) for k, v in g.items()},
        }


def _load(cfg: EvaluateConfig, *, embedder: Any = None, embed_cfg: Any = None, **_: Any) -> DefaultJudge:
    return DefaultJudge(cfg, embedder=embedder, embed_cfg=embed_cfg)


# the threshold is the one the shipped weights were fitted with (benchmarks/fit_gate.py)
JUDGES.register("default", JudgeSpec(load=_load, threshold=load_model().threshold,
                                     description="offline: lexical, fact and negation evidence per sentence, learned "
                                     "decision"), order=10)
