"""Structured contexts (JSON records, tables) read as ``key: value`` facts before any matching.

A judge compares sentences with sentences; a JSON record has none, so data-to-text answers found nothing to match
and were all rejected. ``as_facts`` rewrites such a context as prose-like facts: the short fields of one record
become one sentence (so a claim combining several fields of the record finds them in one window), a long text
field becomes its own sentence. Keys are split into words (``price_range`` / ``priceRange`` → "price range"),
nested keys are joined ("address city: Paris"), lists are joined with commas, booleans read as yes / no (and a false
one also as "no <word>" for each word of its key, so that "offers outdoor seating" against ``"OutdoorSeating": "False"``
is a negation flip), strings that hold a boolean or a Python literal (``"False"``, ``"{'garage': False}"``, as Yelp
records store them) are read as that value, and opening hours ``"11:0-22:0"`` also as "11 am to 10 pm".

>>> as_facts('{"name": "Aromi", "eatType": "coffee shop", "address": {"city": "Cambridge"}, "open": true}')
'name: Aromi; eat type: coffee shop; address city: Cambridge; open: yes.'
>>> as_facts('{"name": "Aromi", "hours": {"Monday": "11:0-22:0"}, "attributes": {"OutdoorSeating": "False"}}')
'name: Aromi; hours monday: 11:00-22:00 (11 am to 10 pm); attributes outdoor seating: no (no outdoor, no seating).'
>>> as_facts("| city | population |\\n|---|---|\\n| Paris | 2,100,000 |")
'city: Paris; population: 2,100,000.'
>>> as_facts("Plain prose stays as it is.")
'Plain prose stays as it is.'

Prose before or after a JSON value (``"Business record: {...}"``) is kept around the facts.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

__all__ = ["as_facts", "is_structured", "key_words"]

LONG_FIELD_WORDS = 12  # a string field longer than this is a sentence of its own
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_DECODER = json.JSONDecoder()


def key_words(key: str) -> str:
    """'priceRange' / 'price_range' / 'price-range' → 'price range'."""
    return " ".join(_CAMEL.sub(" ", str(key)).replace("_", " ").replace("-", " ").split()).lower()


_BOOL_STRINGS = {"true": True, "false": False, "yes": True, "no": False}
_LITERAL = re.compile(r"^\s*(?:[{\[]|u?'[^']*'\s*$)")  # "{'garage': False}", "u'free'": Python literals in strings
_HOURS = re.compile(r"^(\d{1,2}):(\d{1,2})\s*-\s*(\d{1,2}):(\d{1,2})$")  # "11:0-22:0"


def _literal(v: Any) -> Any:
    """A string holding a boolean or a Python literal ("False", "{'garage': False}", "u'free'") as that value."""
    if not isinstance(v, str):
        return v
    if v.strip().lower() in _BOOL_STRINGS:
        return _BOOL_STRINGS[v.strip().lower()]
    if _LITERAL.match(v):
        try:
            return ast.literal_eval(v.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return v
    return v


def _clock(h: int, m: int) -> str:
    """22, 0 → '10 pm'; 11, 30 → '11:30 am'; 0, 0 → '12 am'."""
    h12 = h % 12 or 12
    return f"{h12}{f':{m:02d}' if m else ''} {'am' if h % 24 < 12 else 'pm'}"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if v is None:
        return "none"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = " ".join(str(v).split())
    hours = _HOURS.match(text)
    if hours:  # opening hours as records store them, and as a description says them
        h1, m1, h2, m2 = map(int, hours.groups())
        text = f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d} ({_clock(h1, m1)} to {_clock(h2, m2)})"
    return text


def _fact(key: str, v: Any, leaf: str) -> str:
    """``key: value``; a false flag also says so in words, so that a claim of the opposite reads as a negation flip:
    "outdoor seating: no (no outdoor, no seating)"."""
    if v is False:
        words = [w for w in leaf.split() if w not in _GENERIC_KEY_WORDS] or leaf.split()
        return f"{key}: no ({', '.join(f'no {w}' for w in words)})"
    return f"{key}: {_value(v)}"


# words of record keys that name the record, not the feature ("attributes restaurants take out")
_GENERIC_KEY_WORDS = frozenset("attributes attribute business restaurants restaurant has is good for".split())


def _record(obj: Any, prefix: str, short: list[str], long: list[str], sentences: list[str]) -> None:
    """Collect the facts of ``obj``: short ones into ``short`` (this record's sentence), long ones apart."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = f"{prefix} {key_words(k)}".strip()
            v = _literal(v)
            if isinstance(v, dict):
                _record(v, key, short, long, sentences)
            elif isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v):
                for item in v:
                    _emit(item, key, sentences)
            elif isinstance(v, list):
                short.append(f"{key}: {', '.join(_value(x) for x in v)}")
            else:
                text = _value(v)
                (long if len(text.split()) > LONG_FIELD_WORDS else short).append(_fact(key, v, key_words(k)))
    elif isinstance(obj, list):
        for item in obj:
            _emit(item, prefix, sentences)
    else:
        short.append(_fact(prefix, obj, prefix.split(" ")[-1]) if prefix else _value(obj))


def _emit(obj: Any, prefix: str, sentences: list[str]) -> None:
    """One record: its short facts as one sentence, then its long fields, then its nested records."""
    short: list[str] = []
    long: list[str] = []
    nested: list[str] = []
    _record(obj, prefix, short, long, nested)
    if short:
        sentences.append("; ".join(short) + ".")
    for fact in long:
        sentences.append(fact if fact.rstrip().endswith((".", "!", "?")) else fact + ".")
    sentences.extend(nested)


def _json_facts(text: str) -> str | None:
    """Facts of the first JSON object / array in ``text`` (with the prose around it), or None if there is none."""
    for m in re.finditer(r"[\[{]", text):
        try:
            obj, end = _DECODER.raw_decode(text, m.start())
        except ValueError:
            continue
        if not isinstance(obj, (dict, list)) or not obj or end - m.start() < 10:
            continue
        sentences: list[str] = []
        _emit(obj, "", sentences)
        before, after = text[: m.start()].strip(), text[end:].strip()
        rest = _json_facts(after) if after else None
        return "\n".join(p for p in (before, " ".join(sentences), rest if rest is not None else after) if p)
    return None


def _split_row(line: str, sep: str) -> list[str]:
    cells = line.strip()
    if sep == "|":
        cells = cells.strip("|")
    return [c.strip() for c in cells.split(sep)]


def _table_facts(text: str) -> str | None:
    """A markdown / pipe table or a TSV with a header row: one ``header: cell; ...`` sentence per row."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    for sep in ("|", "\t"):
        rows = [ln for ln in lines if not _TABLE_RULE.match(ln)]
        if not all(sep in ln for ln in rows) or len(rows) < 2:
            continue
        header = _split_row(rows[0], sep)
        width = len(header)
        body = [_split_row(r, sep) for r in rows[1:]]
        if width < 2 or any(len(r) != width for r in body):
            continue
        sentences = []
        for r in body:
            facts = [f"{key_words(h) or f'column {i + 1}'}: {c}" for i, (h, c) in enumerate(zip(header, r)) if c]
            if facts:
                sentences.append("; ".join(facts) + ".")
        return " ".join(sentences)
    return None


def is_structured(text: str) -> bool:
    """Whether ``text`` holds a JSON value or a table that :func:`as_facts` rewrites."""
    return as_facts(text) != text


def as_facts(text: str) -> str:
    """``text`` with its JSON value or table rewritten as ``key: value`` facts; other text unchanged."""
    stripped = (text or "").strip()
    if not stripped or ("{" not in stripped and "[" not in stripped and "|" not in stripped and "\t" not in stripped):
        return text
    if "{" in stripped or "[" in stripped:
        out = _json_facts(stripped)
        if out is not None:
            return out
    return _table_facts(stripped) or text
