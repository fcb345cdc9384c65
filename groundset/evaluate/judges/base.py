"""What every grounding judge shares: claims in, a support score per claim, an adherence score per sample out.

```
JudgeInput(texts=["The Normans came from Norway. They had 900 ships."], contexts=["The Normans ... Norway ..."])
   │ prepare(): split into sentences (claims), drop ones with nothing to check, look up facts in the sources
   ▼
judge._supports(prepared) → [[0.92, 0.40]]        (one number in [0, 1] per claim, or an error string)
   │ hard checks cap claims whose numbers / names are not in the sources; aggregate (min or mean)
   ▼
Verdict(adherence=0.1, claims=[ClaimScore(..., missing=["900"])], unsupported=["They had 900 ships."])
```
A judge implements ``_supports``; the base class does the rest, so all judges split, check facts and aggregate the
same way and their scores are comparable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

from groundset.evaluate.config import EvaluateConfig
from groundset.evaluate.facts import Evidence, check_facts
from groundset.evaluate.meta import matched_text
from groundset.evaluate.structured import as_facts
from groundset.evaluate.text import content_words, split_claims

__all__ = ["JudgeInput", "ClaimScore", "Verdict", "Prepared", "Judge", "prepare", "FILLER"]

# words that make a sentence a pleasantry rather than a claim ("Sure!", "Great question.", "Yes.")
FILLER = frozenset(
    "yes ye sure okay ok thank thanks great question hello hi certainli absolut happi glad welcom help hope".split()
)


@dataclass
class JudgeInput:
    """What a judge looks at: the generated texts (answer / assistant turns / passage) and the source chunk texts.

    ``extra_evidence`` (titles, section names) counts for the hard fact checks only.
    """

    texts: list[str]
    contexts: list[str]
    question: str | None = None
    extra_evidence: list[str] = field(default_factory=list)


@dataclass
class ClaimScore:
    """One sentence of the generated text, its support in [0, 1], and the facts the sources lack."""

    text: str
    support: float
    missing: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "support": round(self.support, 4)}
        if self.missing:
            d["missing"] = self.missing
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class Verdict:
    """The judge's finding for one sample. ``adherence`` is None when there was nothing to check or on error."""

    adherence: float | None
    claims: list[ClaimScore] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # pleasantries, questions, headings, code blocks
    error: str | None = None
    # adherence of the first k claims alone (index k - 1), when the judge can tell: what trimming would leave
    prefix_adherence: list[float] | None = None
    decision: dict[str, Any] = field(default_factory=dict)  # why: the deciding sentence and feature

    def unsupported(self, threshold: float) -> list[str]:
        return [c.text for c in self.claims if c.support < threshold]


@dataclass
class Prepared:
    """A JudgeInput split into claims, with the facts each claim lacks already looked up.

    ``contexts`` are read as facts where structured (JSON, tables: see ``structured.as_facts``); ``facts`` holds
    per claim how many facts it has and (kind, text) of the missing ones.
    """

    claims: list[str]
    skipped: list[str]
    contexts: list[str]
    question: str | None
    missing: list[list[str]]
    facts: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)
    # per claim, the part matched against the sources: without talk about the source (``meta.matched_text``)
    matched: list[str] = field(default_factory=list)


@lru_cache(maxsize=2048)
def _evidence(text: str) -> Evidence:
    """Evidence of a sample's sources, cached: samples made from the same chunks share it."""
    return Evidence(text)


# "Here is a concise summary of the passage:" — a preamble about the answer, not a claim about the world
_PREAMBLE = re.compile(
    r"^\W*(?:here(?:'s| is| are)|below is|sure|certainly|of course)\b[^.!?]{0,120}"
    r"\b(?:summary|summari[sz]e|passage|article|text|overview|answer|points?|information)\b[^.!?]*[:.]?\s*$",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def _as_facts(text: str) -> str:
    return as_facts(text)


def _is_claim(sentence: str) -> bool:
    stripped = sentence.rstrip()
    if stripped.endswith("?") or _PREAMBLE.match(stripped) or (stripped.endswith(":") and len(stripped.split()) <= 15):
        return False
    return any(w not in FILLER for w in content_words(sentence))


def prepare(item: JudgeInput, hard_checks: bool = True) -> Prepared:
    """Split the texts into claims and find each claim's facts missing from the sources."""
    claims: list[str] = []
    skipped: list[str] = []
    for text in item.texts:
        for seg in split_claims(text):
            (claims if seg.kind == "sentence" and _is_claim(seg.text) else skipped).append(seg.text)
    contexts = [_as_facts(c) for c in item.contexts]
    matched = [matched_text(c) for c in claims]
    facts: list[tuple[int, list[tuple[str, str]]]] = [(0, []) for _ in claims]
    if hard_checks and claims:
        evidence = _evidence("\n".join([*contexts, *item.extra_evidence]))
        # facts are found in the sentence as written (a name keeps its position), and count only where they stand in
        # the part that is matched: "the passage" of a frame is not a claim
        facts = [(n, [(k, f) for k, f in miss if f in m]) for (n, miss), m in
                 zip((check_facts(c, evidence) for c in claims), matched)]
    missing = [[text for _, text in miss] for _, miss in facts]
    return Prepared(claims, skipped, contexts, item.question, missing, facts, matched)


class Judge:
    """Base class: subclasses set ``name`` and implement ``_supports``."""

    name = "base"

    def __init__(self, cfg: EvaluateConfig):
        self.cfg = cfg

    @property
    def threshold(self) -> float:
        return self.cfg.thresholds[self.name]

    def describe(self) -> dict[str, Any]:
        """What the summary records about this judge (name, threshold, model)."""
        return {"name": self.name, "threshold": self.threshold, "aggregate": self.cfg.aggregate,
                "hard_checks": self.cfg.hard_checks}

    def _supports(self, items: list[Prepared]) -> list[list[float] | tuple[list[float], list[str]] | str]:
        """Per item: one support in [0, 1] per claim (same order), optionally with a note per claim saying why,
        or an error message when the item could not be judged."""
        raise NotImplementedError

    def score(self, inputs: Sequence[JudgeInput]) -> list[Verdict]:
        """Score a batch of samples; never raises for one bad sample (its Verdict carries ``error``)."""
        prepared = [prepare(i, self.cfg.hard_checks) for i in inputs]
        todo = [p for p in prepared if p.claims]
        results = iter(self._supports(todo)) if todo else iter(())
        verdicts: list[Verdict] = []
        for p in prepared:
            if not p.claims:
                verdicts.append(Verdict(None, [], p.skipped))
                continue
            sup = next(results)
            if isinstance(sup, str):
                verdicts.append(Verdict(None, [], p.skipped, error=sup))
                continue
            sup, notes = sup if isinstance(sup, tuple) else (sup, [""] * len(p.claims))
            verdicts.append(self._finish(p, sup, notes))
        return verdicts

    def _finish(self, p: Prepared, supports: list[float], notes: list[str]) -> Verdict:
        claims: list[ClaimScore] = []
        hard_failed = False
        for text, s, miss, note in zip(p.claims, supports, p.missing, notes):
            s = min(1.0, max(0.0, float(s)))
            if miss:
                s = min(s, self.cfg.hard_fail_score)
                hard_failed = True
            claims.append(ClaimScore(text, s, miss, note))
        values = [c.support for c in claims]
        if self.cfg.aggregate == "min":
            adherence = min(values)
        else:
            adherence = sum(values) / len(values)
            if hard_failed:
                adherence = min(adherence, self.cfg.hard_fail_score)
        return Verdict(adherence, claims, p.skipped)
