"""Hard checks: the numbers, dates, names, quoted strings and code identifiers of a claim must occur in the sources.

On human-labelled hallucination data this was the one simple signal that held up (see ENVIRONMENT notes); small
models invent percentages and names while the rest of the sentence stays close to the source.

>>> evidence = Evidence("In 2019 the Normans had 3,500 ships, about 12 percent more than Rollo's fleet.")
>>> missing_facts("The Normans had 3500 ships in 2019.", evidence)
[]
>>> missing_facts("About 45% of the ships belonged to King Harold.", evidence)
['45%', 'King Harold']
>>> missing_facts("They had 12% more ships.", evidence)
[]

Claims and sources are compared with presentation forms folded (``text.fold``, the normalisation ingest applies):
a ligature or a full-width digit on one side only does not make a fact missing, while ``x²`` is still not ``x2``.

>>> missing_facts("The Conﬁg Manager shipped １２ ships.", Evidence("The Config Manager shipped 12 ships."))
[]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from groundset.evaluate.text import STOPWORDS, fold, normalise, stem

__all__ = ["Fact", "Evidence", "extract_facts", "missing_facts", "check_facts"]

_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
}
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
           "trillion": 1e12}
_NUM = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)*)"
    r"(?P<suffix>st|nd|rd|th|s|%)?"
    r"(?:\s*(?P<unit>percent|per cent|thousand|million|billion|trillion|bn|mn|k|m|b)\b)?",
    re.IGNORECASE,
)
_NUMWORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_HEDGE = re.compile(r"\b(about|around|approximately|approx|roughly|nearly|almost|over|more than|less than|some|~)\s*$",
                    re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"“”]{2,120})[\"”]")
_BACKTICK = re.compile(r"`([^`\n]{1,80})`")
_CODE_ID = re.compile(
    r"(?<![\w.])(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?|[A-Za-z]\w*_\w+|[a-z]+[A-Z]\w*|[A-Za-z_]\w*\(\))"
)
_CAP_TOKEN = re.compile(r"[A-ZÀ-Ý][\w'’\-]*|[A-Z]{2,}")
_CONNECTORS = {"of", "the", "de", "da", "del", "der", "van", "von", "la", "le", "and", "for", "&", "du", "di", "y"}
# capitalised only because they start a sentence (or are generic): not names
_STARTERS = STOPWORDS | set(
    """additionally afterwards although another as because both certainly consequently each finally first firstly
    following furthermore here hence however importantly indeed initially instead later likewise many meanwhile
    moreover most nevertheless next notably note now overall second secondly several similarly since so specifically
    still sure then there therefore third though thus today together unlike while yes no yet great absolutely ok okay
    well in on at by for from to with after before during when if once unless until this these those it its they
    their he she his her we our you your i my an a the what which who why how where let example examples step
    answer question summary conclusion context source sources passage text according based use using consider
    remember imagine think try make take keep see look call run create define write read add remove check set get
    find give put open start stop avoid ensure note recall suppose say""".split()
)


@dataclass(frozen=True)
class Fact:
    """One checkable item of a claim: ``kind`` is number | quote | code | entity; ``text`` as written."""

    kind: str
    text: str
    values: tuple[float, ...] = ()  # numbers: the values it may stand for (3.5 million → 3.5 and 3500000)
    hedged: bool = False  # "about 3,500": a 2% tolerance applies


def _number_values(num: str, suffix: str | None, unit: str | None) -> tuple[float, ...] | None:
    if num.count(".") > 1:
        return None  # a version string: checked as text
    try:
        v = float(num.replace(",", ""))
    except ValueError:
        return None
    values = {v}
    unit = (unit or "").lower()
    if unit in _SCALES:
        values.add(v * _SCALES[unit])
    return tuple(sorted(values))


def extract_facts(claim: str) -> list[Fact]:
    """The numbers (in digits), quoted strings, code identifiers and capitalised names of ``claim``.

    Number words ("two", "dozen") count as evidence in the sources but are not checked in claims: generic counts
    ("the first two destinations") are often right without being written in the source. Presentation forms are
    folded first (``fold``): the facts of "Ｋｉｎｇ Ｈａｒｏｌｄ had １２ ships" are those of "King Harold had 12 ships".
    """
    claim = fold(claim)
    facts: list[Fact] = []
    for m in _NUM.finditer(claim):
        values = _number_values(m.group("num"), m.group("suffix"), m.group("unit"))
        hedged = bool(_HEDGE.search(claim[: m.start()]))
        if values is None:
            facts.append(Fact("code", m.group("num")))
        else:
            facts.append(Fact("number", m.group(0).strip(), values, hedged))
    for m in _QUOTED.finditer(claim):
        if len(normalise(m.group(1))) >= 2:
            facts.append(Fact("quote", m.group(1).strip()))
    for m in _BACKTICK.finditer(claim):
        inner = m.group(1).strip()
        if inner and " " not in inner:
            facts.append(Fact("code", inner))
    without_code = _BACKTICK.sub(" ", claim)
    for m in _CODE_ID.finditer(without_code):
        ident = m.group(0)
        if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]?", ident) or ident.lower() in {"e.g", "i.e"}:
            continue  # "U.S", "e.g": abbreviations, not identifiers
        facts.append(Fact("code", ident))
    facts.extend(_entities(without_code))
    return facts


def _entities(claim: str) -> list[Fact]:
    """Runs of capitalised words ("King Charles III of West Francia").

    A run of one word at the start of a sentence is skipped: it is capitalised by position ("Revenue was…",
    "Using it…"), and a name there that the sources lack still lowers the lexical support.
    """
    tokens = re.findall(r"[\w'’\-&]+|[.!?:;,\"“”()\[\]]", claim)
    out: list[Fact] = []
    run: list[str] = []
    run_at_start = False
    sentence_start = True

    def close() -> None:
        while run and run[-1].lower() in _CONNECTORS:
            run.pop()
        if run and not (run_at_start and len(run) == 1) and len(run[0]) > 1:
            out.append(Fact("entity", " ".join(run)))
        run.clear()

    for tok in tokens:
        if not (tok[0].isalnum() or tok[0] == "_"):
            close()
            sentence_start = tok in ".!?:" or (sentence_start and tok in "\"“(")
            continue
        is_cap = bool(_CAP_TOKEN.fullmatch(tok)) and not tok.isdigit()
        if is_cap and sentence_start and tok.lower().strip("'’") in _STARTERS:
            is_cap = False
        if is_cap:
            if not run:
                run_at_start = sentence_start
            run.append(tok)
        elif run and tok.lower() in _CONNECTORS:
            run.append(tok)
        else:
            close()
        sentence_start = False
    close()
    return out


def _initials(name: str) -> str:
    """'Western Australia' → 'wa' (connectors skipped; '' for a one-word name)."""
    words = [w for w in re.findall(r"[\w'’\-]+", name) if w.lower() not in _CONNECTORS]
    return "".join(w[0] for w in words).casefold() if len(words) >= 2 else ""


@dataclass
class Evidence:
    """What a claim's facts are looked up in: the sample's source chunks (and their titles / sections), read with
    presentation forms folded (``fold``); ``text`` stays as given."""

    text: str
    norm: str = field(init=False)
    tokens: set[str] = field(init=False)
    stems: set[str] = field(init=False)
    numbers: set[float] = field(init=False)

    def __post_init__(self) -> None:
        text = fold(self.text)
        self.norm = " " + normalise(text) + " "
        self.tokens = set(self.norm.split())
        self.stems = {stem(t) for t in self.tokens}
        self.numbers = set()
        for m in _NUM.finditer(text):
            values = _number_values(m.group("num"), m.group("suffix"), m.group("unit"))
            if values:
                self.numbers.update(values)
        for m in _NUMWORD.finditer(text):
            self.numbers.add(float(_NUMBER_WORDS[m.group(1).lower()]))
        self._lower = text.casefold()
        # initials of the names in the evidence ("Western Australia" → "wa"), and its all-capital tokens ("WA")
        self.acronyms = {_initials(f.text) for f in _entities(text)} - {""}
        self.capitals = {t.casefold() for t in re.findall(r"\b[A-Z]{2,6}\b", text)}

    def has_number(self, fact: Fact) -> bool:
        if any(v in self.numbers for v in fact.values):
            return True
        if fact.hedged:
            return any(abs(n - v) <= 0.02 * abs(v) for v in fact.values for n in self.numbers if v)
        return False

    def has_text(self, text: str) -> bool:
        n = normalise(text)
        return bool(n) and f" {n} " in self.norm

    def has_entity(self, name: str) -> bool:
        """The name as written, all its words, or the same name as an acronym on the other side ("WA" for
        "Western Australia", "Western Australia" for "WA")."""
        if self.has_text(name):
            return True
        parts = [p for p in normalise(name).split() if p not in _CONNECTORS]
        if parts and all(p in self.tokens or stem(p) in self.stems for p in parts):
            return True
        compact = name.replace(".", "").strip()
        if re.fullmatch(r"[A-Z]{2,6}", compact) and compact.casefold() in self.acronyms:
            return True
        initials = _initials(name)
        return len(initials) >= 2 and initials in self.capitals

    def has(self, fact: Fact) -> bool:
        if fact.kind == "number":
            return self.has_number(fact)
        if fact.kind == "code":
            return fold(fact.text).casefold() in self._lower or self.has_text(fact.text)
        if fact.kind == "entity":
            return self.has_entity(fact.text)
        return self.has_text(fact.text)


def check_facts(claim: str, evidence: Evidence) -> tuple[int, list[tuple[str, str]]]:
    """How many facts ``claim`` has, and (kind, text) of those ``evidence`` lacks (deduplicated, in order).

    >>> check_facts("In 1066 King Harold had 45 ships.", Evidence("In 1066 the Normans came."))
    (3, [('number', '45'), ('entity', 'King Harold')])
    """
    facts = extract_facts(claim)
    missing: list[tuple[str, str]] = []
    for fact in facts:
        if not evidence.has(fact) and fact.text not in [t for _, t in missing]:
            missing.append((fact.kind, fact.text))
    return len(facts), missing


def missing_facts(claim: str, evidence: Evidence) -> list[str]:
    """The facts of ``claim`` that ``evidence`` does not contain, as written in the claim (deduplicated)."""
    return [text for _, text in check_facts(claim, evidence)[1]]
