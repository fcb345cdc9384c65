"""Offline text helpers of the gate: sentence splitting into claims, word tokens, stems, normalisation.

>>> [s.text for s in split_claims("Dr. Smith paid $3.5 million, e.g. for the U.S. office. It opened in 1999.")]
['Dr. Smith paid $3.5 million, e.g. for the U.S. office.', 'It opened in 1999.']
>>> [s.kind for s in split_claims("Steps:\\n- Install it.\\n- Run it.\\n```\\nx = 1\\n```")]
['sentence', 'sentence', 'sentence', 'code']

No model, no download: regular expressions plus an abbreviation list. Markdown headings become ``heading``
segments, fenced code blocks ``code`` segments, list items their own sentences.

Matching sees presentation forms as what they stand for, as ingest does (``fold``: the ligature of "speciﬁed", the
full-width "１２" are "specified", "12"; superscripts, fractions and ASCII untouched, so ``x²`` is not ``x2``):
``words``, ``content_words``, ``question_stems`` and ``normalise`` fold, and so do the fact checks (facts.py).
``split_claims`` and ``split_sentences`` keep the text as written (trimming finds the sentences in the answer).

>>> content_words("The ﬁle is speciﬁed.") == content_words("The file is specified.")
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from groundset.ingest.text import normalize_compat

__all__ = ["Segment", "split_claims", "split_sentences", "words", "content_words", "stem", "normalise", "fold",
           "STOPWORDS", "META_WORDS", "question_stems"]

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being below
    between both but by can cannot could did do does doing down during each either else etc ever every few for from
    further had has have having he her here hers herself him himself his how however i if in into is it its itself
    just let may me might more most must my myself neither no nor not now of off on once only or other ought our ours
    ourselves out over own per rather same shall she should so some such than that the their theirs them themselves
    then there these they this those through thus to too under until up upon us very via was we were what when where
    whether which while who whom whose why will with within without would yet you your yours yourself yourselves
    according called known one ones also s t d ll m re ve""".split()
)
# words about the source rather than about the world ("According to the passage, ..."): not content
META_WORDS = frozenset(
    "passage text context document article excerpt source sources explain explains explained describe described "
    "describes mention mentions mentioned state states stated say says said note notes noted".split()
)

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs v e.g i.e cf fig figs no nos vol vols approx ca c inc ltd co corp dept est al
    jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n a.m p.m ph.d b.c a.d gen gov sen rep rev op pp ed eds
    ch sec art min max avg p""".split()
)

_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•+]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]?[A-Z0-9À-Ý`*_])")
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Segment:
    """A piece of generated text: a ``sentence`` (a claim to check), a ``heading`` or a ``code`` block."""

    text: str
    kind: str = "sentence"


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph of prose into sentences; abbreviations, initials and decimals do not end a sentence."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end(2)
        before = text[start : m.start(1)]
        last = before.rsplit(None, 1)[-1] if before.strip() else ""
        last_clean = last.lstrip("(\"'“‘[").lower()
        if m.group(1) == "." and (
            last_clean in ABBREVIATIONS
            or (len(last_clean) == 1 and last_clean.isalpha())  # an initial: "J. K. Rowling"
            or re.fullmatch(r"(?:[a-z]\.)+[a-z]", last_clean)  # "U.S", "e.g"
        ):
            continue
        out.append(text[start:end].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def split_claims(text: str) -> list[Segment]:
    """Split generated text (markdown-ish) into segments: sentences, list items, headings and code blocks."""
    segments: list[Segment] = []
    paragraph: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if paragraph:
            segments.extend(Segment(s) for s in split_sentences(" ".join(paragraph)))
            paragraph.clear()

    for line in (text or "").splitlines():
        if code is not None:
            if _FENCE.match(line):
                segments.append(Segment("\n".join(code), "code"))
                code = None
            else:
                code.append(line)
            continue
        if _FENCE.match(line):
            flush()
            code = []
        elif not line.strip():
            flush()
        elif _HEADING.match(line):
            flush()
            segments.append(Segment(_HEADING.sub("", line).strip(), "heading"))
        elif _LIST_ITEM.match(line):
            flush()
            paragraph.append(_LIST_ITEM.sub("", line, count=1))
        else:
            paragraph.append(line.strip())
    if code is not None:  # an unclosed fence: still code
        segments.append(Segment("\n".join(code), "code"))
    flush()
    return segments


def fold(text: str) -> str:
    """Presentation forms (ligatures, full-width and other compatibility forms) as what they stand for: the same
    normalisation ingest applies before chunking (``groundset.ingest.text.normalize_compat``), so that a claim, a
    question and a context compare alike whichever of them kept the ligature.

    >>> fold("speciﬁed ﬂow １２ ｆｕｌｌ x² ½ `a_b`")
    'specified flow 12 full x² ½ `a_b`'
    """
    return text if text.isascii() else normalize_compat(text)


def normalise(text: str) -> str:
    """Casefolded, accents and punctuation removed, whitespace collapsed: for hashing and substring checks.

    Presentation forms are folded (``fold``); other compatibility characters keep their identity: "x²" is not "x2".
    """
    text = text or ""
    if not text.isascii():
        text = unicodedata.normalize("NFD", fold(text))
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[’‘`]", "'", text.casefold())
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^\w\s]+", " ", text)
    return " ".join(text.replace("_", " ").split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens (keeps '3.5', "don't", 'e-mail' together), presentation forms folded ('ﬁle' → 'file')."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(fold(text or ""))]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Porter stem of a lower-cased word: 'constructed' → 'construct', 'Normans' → 'norman', 'used' → 'use'."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or not w.isalpha():
        return w
    return _porter().stem(w)


@lru_cache(maxsize=1)
def _porter():
    """NLTK's Porter stemmer (pure Python, needs no NLTK data download), imported on first use: nltk takes seconds
    to import, and reading the judge registry (config validation, CLI choices) must not pay for it."""
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


def content_words(text: str) -> list[str]:
    """Stems of the words that carry content (stopwords removed), in order."""
    return [
        stem(w) for w in words(text) if w not in STOPWORDS and w not in META_WORDS and not (len(w) == 1 and w.isalpha())
    ]


# words of a question that ask rather than say what it is about
_QUESTION_WORDS = """what which who whom whose when where why how many much kind type example difference differ between
mean meaning purpose describe explain list name give tell way ways do does did can could should would role happen
happened use used main""".split()


@lru_cache(maxsize=1)
def _question_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in _QUESTION_WORDS)  # on first use: stemming imports nltk


def question_stems(question: str | None) -> set[str]:
    """Content stems of a question that say what it is about: 'How many ships had Rollo?' → {'ship', 'rollo'}."""
    return {w for w in content_words(question or "") if w not in _question_stems()}
