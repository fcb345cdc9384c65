"""The default judge: offline, no LLM. Token overlap with the best context span, MiniLM similarity when the
overlap alone is not convincing, and rule checks for negation and antonyms (hard fact checks are in the base).

Per claim:

1. lexical support = share of the claim's content-word stems (light verbs and adjectives such as 'came',
   'made', 'many' weigh half) found in the best window of two adjacent source sentences (or in the union of the best windows of two sources, for multi-hop claims);
2. if that is below ``[evaluate] lexical_sure`` (and no fact is missing), the claim is embedded with the
   ``semantic_candidates`` source sentences it overlaps most, and the best cosine is mapped linearly from
   [``semantic_low``, ``semantic_high``] to [0, 1]; support = max(lexical, semantic);
3. a claim whose negation differs from its best source sentence ("was not" vs "was"), or that uses the antonym of
   a word there ("first" vs "last"), is capped at ``NEGATION_CAP``.

Embeddings of source sentences are cached by text, so samples sharing a chunk pay for it once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.judges.base import Judge, Prepared
from groundset.evaluate.judges.spec import JudgeSpec
from groundset.evaluate.text import STOPWORDS, content_words, split_claims, stem, words
from groundset.registry import JUDGES

__all__ = ["DefaultJudge", "NEGATION_CAP"]

NEGATION_CAP = 0.3
MAX_WORDS = 60  # words of a sentence that are embedded
_NEGATIONS = frozenset("not no never none neither nor cannot without nobody nothing nowhere".split())
_ANTONYM_PAIRS = [
    ("first", "last"), ("before", "after"), ("increase", "decrease"), ("more", "less"), ("larger", "smaller"),
    ("largest", "smallest"), ("higher", "lower"), ("highest", "lowest"), ("north", "south"), ("east", "west"),
    ("earlier", "later"), ("earliest", "latest"), ("early", "late"), ("older", "younger"), ("oldest", "youngest"),
    ("win", "lose"), ("won", "lost"), ("above", "below"), ("maximum", "minimum"), ("positive", "negative"),
    ("major", "minor"), ("majority", "minority"), ("inside", "outside"), ("private", "public"), ("true", "false"),
    ("ancient", "modern"), ("same", "different"), ("many", "few"), ("long", "short"), ("strong", "weak"),
    ("rise", "fall"), ("high", "low"), ("best", "worst"), ("success", "failure"), ("allow", "forbid"),
    ("open", "closed"), ("include", "exclude"), ("accept", "reject"), ("import", "export"), ("input", "output"),
    ("mutable", "immutable"), ("synchronous", "asynchronous"), ("always", "never"), ("all", "none"),
]
# common verbs and adjectives that carry little of a claim's content; paraphrases swap them freely
_LIGHT_WORDS = """come came go went make made take took get got give gave have has had use used
become became include includes included show shown know see say find found put keep let seem call called mean
like many much more most main major several various important different new old large small big good great
part kind type way thing example number lot well also first""".split()


@lru_cache(maxsize=1)
def _antonyms() -> dict[str, set[str]]:
    """Stem -> stems of its antonyms (built on first use: stemming imports nltk, which the registry must not)."""
    out: dict[str, set[str]] = {}
    for a, b in _ANTONYM_PAIRS:
        out.setdefault(stem(a), set()).add(stem(b))
        out.setdefault(stem(b), set()).add(stem(a))
    return out


@lru_cache(maxsize=1)
def _light() -> frozenset[str]:
    return frozenset(stem(w) for w in _LIGHT_WORDS)


def _weight(s: str) -> float:
    """Weight of a content stem in the lexical recall: light words count half."""
    return 0.5 if s in _light() else 1.0


def _negated_stems(text: str) -> set[str]:
    """Stems of the content word after each negation cue: 'was not given by X' → {'given'}.

    An empty set means no negation; a cue with nothing after it is recorded as '<neg>'.
    """
    ws = words(text)
    out: set[str] = set()
    for i, w in enumerate(ws):
        if w in _NEGATIONS or w.endswith("n't"):
            following = [stem(n) for n in ws[i + 1 : i + 6] if n not in STOPWORDS][:1]
            out.update(following or ["<neg>"])
    return out


@dataclass
class _Source:
    """A source chunk split into sentences, with each sentence's content stems and whether it is negated."""

    sentences: list[str]
    stems: list[set[str]]
    all_stems: list[set[str]]  # with stopwords, for the antonym check ("more", "after" are stopwords)
    negated: list[set[str]]  # see _negated_stems


def _source(text: str) -> _Source:
    sentences = [s.text for s in split_claims(text) if s.kind != "code" and s.text.strip()] or [text]
    return _Source(
        sentences,
        [set(content_words(s)) for s in sentences],
        [{stem(w) for w in words(s)} for s in sentences],
        [_negated_stems(s) for s in sentences],
    )


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
    """Offline judge on the bundled MiniLM embeddings plus lexical evidence (see module docstring)."""

    name = "default"

    def __init__(self, cfg: EvaluateConfig, embedder: Any = None, embed_cfg: Any = None):
        super().__init__(cfg)
        self._embedder = embedder
        self._embed_cfg = embed_cfg
        self._sources: _LRU = _LRU(4096)
        self._vectors: _LRU = _LRU(50_000)
        self.encoded = 0  # sentences embedded so far (for benchmarks)

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from groundset.embed import load_embedder
            from groundset.ingest.config import EmbedConfig

            self._embedder = load_embedder(self._embed_cfg or EmbedConfig())
        return self._embedder

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(
            embedding_model=getattr(self._embedder, "name", (self._embed_cfg.model if self._embed_cfg else "default")),
            lexical_sure=self.cfg.lexical_sure,
            semantic_low=self.cfg.semantic_low,
            semantic_high=self.cfg.semantic_high,
        )
        return d

    def _get_source(self, text: str) -> _Source:
        src = self._sources.get(text)
        if src is None:
            src = _source(text)
            self._sources.put(text, src)
        return src

    def _encode(self, texts: set[str]) -> None:
        todo = [t for t in texts if t not in self._vectors]
        if not todo:
            return
        # long sentences cost the most and rarely help: compare their first MAX_WORDS words
        vecs = self.embedder.encode([" ".join(t.split()[:MAX_WORDS]) for t in todo])
        self.encoded += len(todo)
        for t, v in zip(todo, vecs):
            self._vectors.put(t, v)

    def _supports(self, items: list[Prepared]) -> list[tuple[list[float], list[str]]]:
        plans: list[list[dict]] = []
        wanted: set[str] = set()
        for p in items:
            sources = [self._get_source(c) for c in p.contexts]
            plan = []
            for claim, miss in zip(p.claims, p.missing):
                plan.append(self._lexical(claim, sources, bool(miss)))
                if plan[-1]["candidates"]:
                    wanted.add(claim)
                    wanted.update(sources[si].sentences[k] for si, k in plan[-1]["candidates"])
            plans.append((sources, plan))
        self._encode(wanted)
        return [self._finish_plan(sources, plan) for sources, plan in plans]

    def _lexical(self, claim: str, sources: list[_Source], hard_failed: bool) -> dict:
        """Best two-sentence window recall of the claim's stems; the sentences to compare by embedding."""
        cstems = set(content_words(claim))
        total = sum(_weight(w) for w in cstems)
        best = 0.0
        overlaps: list[tuple[int, int, int]] = []
        per_source: list[set[str]] = []  # each source's best window overlap
        for si, src in enumerate(sources):
            own = [cstems & st for st in src.stems]
            top: set[str] = set()
            top_w = 0.0
            for k, o in enumerate(own):
                overlaps.append((len(o), si, k))
                window = o | own[k + 1] if k + 1 < len(own) else o
                w = sum(_weight(x) for x in window)
                if w > top_w:
                    top, top_w = window, w
            per_source.append(top)
            if total:
                best = max(best, top_w / total)
        if len(per_source) > 1 and total:  # a multi-hop claim joins facts of two sources
            a, b = sorted(per_source, key=lambda t: sum(_weight(x) for x in t))[-2:]
            best = max(best, sum(_weight(x) for x in a | b) / total)
        overlaps.sort(key=lambda o: -o[0])  # stable: ties keep source order
        candidates: list[tuple[int, int]] = []
        if not hard_failed and best < self.cfg.lexical_sure:
            candidates = [(si, k) for _, si, k in overlaps[: self.cfg.semantic_candidates]]
        at = (overlaps[0][1], overlaps[0][2]) if overlaps else None
        return {"claim": claim, "lexical": best, "candidates": candidates, "at": at}

    def _finish_plan(self, sources: list[_Source], plan: list[dict]) -> tuple[list[float], list[str]]:
        supports, notes = [], []
        lo, hi = self.cfg.semantic_low, self.cfg.semantic_high
        for c in plan:
            support, note, at = c["lexical"], "lexical", c["at"]
            if c["candidates"]:
                v = self._vectors[c["claim"]]
                sims = [float(np.dot(v, self._vectors[sources[si].sentences[k]])) for si, k in c["candidates"]]
                j = int(np.argmax(sims))
                semantic = min(1.0, max(0.0, (sims[j] - lo) / max(hi - lo, 1e-6)))
                if semantic > support:
                    support, note, at = semantic, f"semantic (cosine {sims[j]:.2f})", c["candidates"][j]
            if at is not None:
                why = self._contradiction(c["claim"], sources[at[0]], at[1])
                if why:
                    support, note = min(support, NEGATION_CAP), why
            supports.append(support)
            notes.append(note)
        return supports, notes

    @staticmethod
    def _contradiction(claim: str, src: _Source, at: int) -> str:
        """Why the claim contradicts its best source window by rule (negation, antonym), or ''.

        Negation: the claim negates and the source window does not, or the best source sentence negates a word
        ('were not given') that the claim, with no negation at all, states. Antonym: the claim has 'first' where its best source
        sentence has 'last' (and not 'first').
        """
        nxt = at + 1 if at + 1 < len(src.sentences) else at
        claim_neg = _negated_stems(claim)
        if claim_neg and not src.negated[at]:
            return "negation: the claim negates what the source states"
        dropped = src.negated[at] & set(content_words(claim)) if not claim_neg else set()
        if dropped:
            return f"negation: the source negates '{sorted(dropped)[0]}', the claim does not"
        claim_all = {stem(w) for w in words(claim)}
        sentence = src.all_stems[at]
        for w in sorted(claim_all - sentence):
            opposite = _antonyms().get(w, set()) & sentence
            if opposite:
                return f"antonym: '{w}' where the source says '{sorted(opposite)[0]}'"
        return ""


def _load(cfg: EvaluateConfig, *, embedder: Any = None, embed_cfg: Any = None, **_: Any) -> DefaultJudge:
    return DefaultJudge(cfg, embedder=embedder, embed_cfg=embed_cfg)


JUDGES.register("default", JudgeSpec(load=_load, threshold=0.6,
                                     description="offline: MiniLM similarity + lexical support + fact checks"), order=10)
