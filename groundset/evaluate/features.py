"""Per-sentence evidence features of the default judge, and their length-neutral aggregation per sample.

```
claim "The film was a moderate financial success."   sources ["Poseidon grossed $181,674,817 on a $160 million budget."]
   │ claim_features(): lexical recall (best window, whole context), novel content words, content bigrams, MiniLM
   │ cosine to the best window, missing numbers / names / quotes, negation and antonym flips, source-talk,
   │ overlap with the question, evaluative words the source lacks
   ▼
{"recall_window": 0.25, "novel": 0.75, "evaluative": 1.0, ...}  ──model.py──▶ sentence support 0.21
   │ sample_features(): min / mean / share below 0.5 of the sentence supports, novel share of the whole text
   ▼
{"min_support": 0.21, "mean_support": 0.21, ...}                ──model.py──▶ adherence
```
Every value is a float in [0, 1] (0 = absent), so weights are comparable. ``FEATURES`` and ``SAMPLE_FEATURES`` fix
the order of the vectors the shipped weights (``gate_weights.json``) were fitted on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from groundset.evaluate.text import STOPWORDS, content_words, split_claims, stem, words

__all__ = ["Source", "source", "Lexical", "lexical", "claim_features", "sample_features", "contradiction",
           "negated_stems", "antonyms", "weight", "FEATURES", "SAMPLE_FEATURES", "DESCRIBE",
           "COSINE_NOT_COMPUTED"]

FEATURES = (
    "recall_window", "recall_all", "novel", "bigram", "cosine", "missing_number", "missing_name", "missing_other",
    "facts_found", "negation", "antonym", "length", "source_talk", "question_overlap", "evaluative",
)
SAMPLE_FEATURES = ("min_support", "mean_support", "low_share", "novel_share", "any_missing", "mean_recall")
# what a feature means when it pulls a sentence's support down (the explanation in the kept / rejected record)
DESCRIBE = {
    "recall_window": "few of its content words stand in one place of the sources",
    "recall_all": "few of its content words occur in the sources",
    "novel": "content words absent from the sources",
    "bigram": "its word pairs are not in the sources",
    "cosine": "no source sentence means the same (MiniLM)",
    "missing_number": "a number the sources lack",
    "missing_name": "a name the sources lack",
    "missing_other": "a quote or identifier the sources lack",
    "facts_found": "no number or name of it found in the sources",
    "negation": "negation flipped against the source",
    "antonym": "an antonym of the source's word",
    "length": "length",
    "source_talk": "talks about the source",
    "question_overlap": "restates the question",
    "evaluative": "an evaluative word the sources do not use",
    "min_support": "its weakest sentence",
    "mean_support": "its sentences on average",
    "low_share": "the share of unsupported sentences",
    "novel_share": "content words absent from the sources",
    "any_missing": "a fact the sources lack",
    "mean_recall": "low lexical recall overall",
}
COSINE_NOT_COMPUTED = 0.9  # lexically sure claims are not embedded (speed); the fit sees the same value

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


@lru_cache(maxsize=1)
def antonyms() -> dict[str, set[str]]:
    """Stem -> stems of its antonyms (built on first use: stemming imports nltk, which reading the registry must not)."""
    out: dict[str, set[str]] = {}
    for a, b in _ANTONYM_PAIRS:
        out.setdefault(stem(a), set()).add(stem(b))
        out.setdefault(stem(b), set()).add(stem(a))
    return out


# common verbs and adjectives that carry little of a claim's content; paraphrases swap them freely
_LIGHT_WORDS = """come came go went make made take took get got give gave have has had use used
become became include includes included show shown know see say find found put keep let seem call called mean
like many much more most main major several various important different new old large small big good great
part kind type way thing example number lot well also first""".split()
# judgement words that LLM summaries add ("a moderate success", "highlights the importance")
_EVALUATIVE_WORDS = """significant significantly notable notably successful success popular
renowned famous crucial vital essential importance important remarkable impressive widely highly moderate
controversial likely possibly suggest suggests indicate indicates emphasize emphasizes highlight highlights
demonstrate demonstrates showcase reflects underscore underscores overall key major substantial considerable
tremendous unique innovative prominent influential beloved acclaimed praised critical successfully impact""".split()
_SOURCE_TALK = frozenset("passage text article document excerpt source summary context author".split())


@lru_cache(maxsize=1)
def _stemmed(which: str) -> frozenset[str]:
    return frozenset(stem(w) for w in (_LIGHT_WORDS if which == "light" else _EVALUATIVE_WORDS))


def weight(s: str) -> float:
    """Weight of a content stem in the lexical recall: light words count half."""
    return 0.5 if s in _stemmed("light") else 1.0


def negated_stems(text: str) -> set[str]:
    """Stems of the content word after each negation cue: 'was not given by X' → {'given'} (no cue: empty)."""
    ws = words(text)
    out: set[str] = set()
    for i, w in enumerate(ws):
        if w in _NEGATIONS or w.endswith("n't"):
            following = [stem(n) for n in ws[i + 1 : i + 6] if n not in STOPWORDS][:1]
            out.update(following or ["<neg>"])
    return out


def _bigrams(stems: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(stems, stems[1:]))


@dataclass
class Source:
    """A source chunk split into sentences, with each sentence's stems, negations and content bigrams."""

    sentences: list[str]
    stems: list[set[str]]
    all_stems: list[set[str]]  # with stopwords, for the antonym check ("more", "after" are stopwords)
    negated: list[set[str]]
    vocabulary: set[str]
    bigrams: set[tuple[str, str]]


def source(text: str) -> Source:
    """``text`` (already read as facts when structured) split and indexed for matching."""
    sentences = [s.text for s in split_claims(text) if s.kind != "code" and s.text.strip()] or [text]
    ordered = [content_words(s) for s in sentences]
    stems = [set(o) for o in ordered]
    return Source(sentences, stems, [{stem(w) for w in words(s)} for s in sentences],
                  [negated_stems(s) for s in sentences], set().union(*stems),
                  set().union(*(_bigrams(o) for o in ordered)))


@dataclass
class Lexical:
    """Where a claim's words are in the sources: best window recall, whole-context recall, the best sentence."""

    claim: str
    stems: list[str]
    recall_window: float
    recall_all: float
    novel: list[str]
    at: tuple[int, int] | None  # (source, sentence) with the largest overlap
    candidates: list[tuple[int, int]]  # source sentences worth an embedding comparison


def lexical(claim: str, sources: list[Source], n_candidates: int, given: set[str] | frozenset[str] = frozenset()
            ) -> Lexical:
    """Best two-sentence window recall of the claim's stems (or two sources' best windows joined, for multi-hop).

    ``given``: stems the claim may take from the question ("Who led the army?" → "Rollo led the army"); they are
    neither evidence nor invention, so the recall is over the claim's other stems (all of them if none is left).
    """
    ordered = content_words(claim)
    cstems = (set(ordered) - given) or set(ordered)
    total = sum(weight(w) for w in cstems)
    best = 0.0
    overlaps: list[tuple[int, int, int]] = []
    per_source: list[set[str]] = []
    for si, src in enumerate(sources):
        own = [cstems & st for st in src.stems]
        top: set[str] = set()
        top_w = 0.0
        for k, o in enumerate(own):
            overlaps.append((len(o), si, k))
            window = o | own[k + 1] if k + 1 < len(own) else o
            w = sum(weight(x) for x in window)
            if w > top_w:
                top, top_w = window, w
        per_source.append(top)
        if total:
            best = max(best, top_w / total)
    if len(per_source) > 1 and total:
        a, b = sorted(per_source, key=lambda t: sum(weight(x) for x in t))[-2:]
        best = max(best, sum(weight(x) for x in a | b) / total)
    vocabulary = set().union(*(s.vocabulary for s in sources)) if sources else set()
    novel = [w for w in dict.fromkeys(ordered) if w not in vocabulary and w not in given]
    recall_all = (sum(weight(w) for w in cstems if w in vocabulary) / total) if total else 1.0
    overlaps.sort(key=lambda o: -o[0])  # stable: ties keep source order
    at = (overlaps[0][1], overlaps[0][2]) if overlaps else None
    candidates = [(si, k) for _, si, k in overlaps[:n_candidates]]
    return Lexical(claim, ordered, best if total else 1.0, recall_all, novel, at, candidates)


def contradiction(claim: str, src: Source, at: int) -> tuple[str, str]:
    """(``negation`` | ``antonym`` | '', why) of the claim against its best source sentence."""
    claim_neg = negated_stems(claim)
    if claim_neg and not src.negated[at]:
        return "negation", "the claim negates what the source states"
    dropped = src.negated[at] & set(content_words(claim)) if not claim_neg else set()
    if dropped:
        return "negation", f"the source negates '{sorted(dropped)[0]}', the claim does not"
    claim_all = {stem(w) for w in words(claim)}
    sentence = src.all_stems[at]
    for w in sorted(claim_all - sentence):
        opposite = antonyms().get(w, set()) & sentence
        if opposite:
            return "antonym", f"'{w}' where the source says '{sorted(opposite)[0]}'"
    return "", ""


def claim_features(lex: Lexical, sources: list[Source], missing: list[tuple[str, str]], n_facts: int,
                   cosine: float | None, question_stems: set[str]) -> tuple[dict[str, float], str]:
    """The feature dict of one claim (see ``FEATURES``) and a note on its contradiction, if any.

    ``missing`` holds (kind, text) of the claim's facts the sources lack, ``n_facts`` how many facts it has.
    """
    n = len(set(lex.stems))
    vocabulary_bigrams = set().union(*(s.bigrams for s in sources)) if sources else set()
    grams = _bigrams(lex.stems)
    kinds = [k for k, _ in missing]
    flip, note = contradiction(lex.claim, sources[lex.at[0]], lex.at[1]) if lex.at else ("", "")
    vocabulary = set().union(*(s.vocabulary for s in sources)) if sources else set()
    evaluative = [w for w in set(lex.stems) if w in _stemmed("evaluative") and w not in vocabulary]
    f = {
        "recall_window": lex.recall_window,
        "recall_all": lex.recall_all,
        "novel": min(len(lex.novel), 4) / 4,
        "bigram": (len(grams & vocabulary_bigrams) / len(grams)) if grams else lex.recall_window,
        "cosine": COSINE_NOT_COMPUTED if cosine is None else max(0.0, min(1.0, cosine)),
        "missing_number": float("number" in kinds),
        "missing_name": min(kinds.count("entity"), 2) / 2,
        "missing_other": float(any(k in ("quote", "code") for k in kinds)),
        "facts_found": float(n_facts > 0 and not missing),
        "negation": float(flip == "negation"),
        "antonym": float(flip == "antonym"),
        "length": min(1.0, math.log1p(n) / math.log(31)),
        "source_talk": float(any(w in _SOURCE_TALK for w in words(lex.claim))),
        "question_overlap": (len(set(lex.stems) & question_stems) / n) if n and question_stems else 0.0,
        "evaluative": min(len(evaluative), 2) / 2,
    }
    return f, note


def sample_features(supports: Sequence[float], claim_feats: Sequence[dict[str, float]]) -> dict[str, float]:
    """Length-neutral summary of a sample's sentences (see ``SAMPLE_FEATURES``): min, mean, share below 0.5…"""
    n = len(supports)
    return {
        "min_support": min(supports),
        "mean_support": sum(supports) / n,
        "low_share": sum(1 for s in supports if s < 0.5) / n,
        "novel_share": sum(f["novel"] for f in claim_feats) / n,
        "any_missing": float(any(f["missing_number"] or f["missing_name"] or f["missing_other"] for f in claim_feats)),
        "mean_recall": sum(f["recall_all"] for f in claim_feats) / n,
    }
