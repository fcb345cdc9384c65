"""Output checks shared by the generators: read a model's JSON object, clean its fields, catch bad questions.

Every failed check becomes a ``Reject(reason, raw, detail)``; the runner writes it to the task's rejects file and
counts it by reason. Reasons are short tags:

``invalid_json``, ``truncated``, ``schema_mismatch``, ``llm_error``, ``preamble``, ``not_standalone``,
``not_a_question``, ``unanswered``, ``copied_demo``, ``off_topic``, ``too_short``, ``single_hop``, ``uncited``, ``no_partner``, ``no_distractors``.

>>> clean_field("Question: What is a list?")
'What is a list?'
>>> problem_with_question("According to the passage, what is a list?")
'not_standalone'
>>> problem_with_question("Sure, here are some questions: What is a list?")
'preamble'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from groundset.llm.base import ChatResult

__all__ = [
    "Reject",
    "read_object",
    "clean_field",
    "problem_with_question",
    "problem_with_text",
    "content_words",
    "extract_json",
    "normalise_label",
    "off_topic",
    "none_passed",
]


@dataclass(frozen=True)
class Reject:
    """Why an attempt produced no sample, with the raw model output it was judged on."""

    reason: str
    raw: str = ""
    detail: str = ""


def none_passed(outs: list[Reject]) -> Reject:
    """The Reject of an attempt whose candidates all failed: the most frequent reason (ties: the earliest
    candidate's), every candidate's reason in the detail."""
    reasons = [o.reason for o in outs]
    best = max(reasons, key=lambda r: (reasons.count(r), -reasons.index(r)))
    first = outs[reasons.index(best)]
    detail = first.detail if len(outs) == 1 else f"{first.detail}; candidates: {', '.join(reasons)}"
    return Reject(best, first.raw, detail)


_LABEL = re.compile(r"^\s*(?:\*\*)?(?:question|answer|q|a|passage|title|response|output)\s*(?:\*\*)?\s*[:\-–]\s*", re.I)
_PREAMBLE = re.compile(
    r"^\s*(?:sure|certainly|of course|okay|ok|absolutely|great question|here(?:'s| is| are)|below (?:is|are)|"
    r"as an ai|i(?:'d| would) (?:be (?:happy|glad)|love) to|i can help|the following|```|json\b)",
    re.I,
)
_SOFT_PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok|absolutely)\b[^?\n]*\b(?:here|below)\b|here(?:'s| is| are) "
    r"(?:the|a|an|my|some|your)\b|below (?:is|are)|as an ai|```)",
    re.I,
)
_META = re.compile(
    r"\b(?:here (?:is|are) (?:the|a|an|some|your) (?:json|question|questions|answer|answers|output|passage)|"
    r"ignore (?:all |the )?previous instructions|as an ai language model)\b",
    re.I,
)
_NOT_STANDALONE = re.compile(
    r"\b(?:according to (?:the |this )?(?:passage|text|document|chunk|context|article|excerpt|author|source|"
    r"given|above|provided)|"
    r"(?:in|from|of|by) (?:the|this|that|above|given|provided) (?:passage|text|document|chunk|context|excerpt|"
    r"article|snippet|paragraph|source)|"
    r"(?:the|this) (?:passage|excerpt|chunk|snippet)\b|"
    r"(?:mentioned|described|discussed|stated|shown) (?:above|here|in the text))",
    re.I,
)
_UNANSWERED = re.compile(
    r"\b(?:(?:does|do|did) not (?:say|mention|specify|state|provide|contain)|not (?:mentioned|stated|specified|"
    r"provided|given) in|no information|cannot (?:be )?(?:answer|determine)|i don't know|unknown from)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
_STOP = frozenset(
    """about above after again against all also although among another any are aren because been before being
    below between both but can cannot could did does doing down during each either else etc even ever every few
    for from further had has have having her here hers him his how however into its itself just least less like
    made make many may might more most much must neither never nor not now off once one only other our ours out
    over own per rather said same shall she should since some such than that the their theirs them then there
    these they this those though through thus too under until upon use used uses using very was were what when
    where whether which while who whom whose why will with within without would yet you your yours also into
    onto what's it's that's there's example examples""".split()
)


def extract_json(text: str) -> Any:
    """The first JSON object found in ``text`` (ignoring text or code fences around it), or None."""
    start = text.find("{")
    while start != -1:
        depth, in_str, esc = 0, False, False
        for i in range(start, len(text)):
            ch = text[i]
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
                continue
            if ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    try:
                        return json.loads(text[start : i + 1])
                    except json.JSONDecodeError:
                        break
        start = text.find("{", start + 1)
    return None


def _failure_reason(result: ChatResult) -> str:
    if result.finish_reason == "length":
        return "truncated"
    err = (result.error or "").split(":", 1)[0].strip()
    if err in ("invalid_json", "schema_mismatch", "truncated"):
        return err
    return "llm_error" if result.error else "invalid_json"


def read_object(result: ChatResult, fields: dict[str, type], max_sentences: int | None = 0) -> dict[str, Any] | Reject:
    """The JSON object of ``result`` with the required ``fields`` (name -> str | list), or a Reject.

    Uses ``result.parsed`` when the backend validated it, else looks for an object in the raw text (a backend
    without schema support may wrap it in prose or code fences). With ``max_sentences`` (None: no limit; 0: off),
    an output cut off by ``max_tokens`` inside its last string field keeps its complete sentences (see
    ``salvage.py``); the object then has ``"_salvaged": True``.
    """
    out = _read_fields(result, fields)
    if isinstance(out, Reject) and out.reason == "truncated" and max_sentences != 0:
        if all(k is str for k in fields.values()):
            from groundset.generate.salvage import salvage_truncated

            for text in (result.text, result.meta.get("first_text") or ""):
                kept = salvage_truncated(text, list(fields), max_sentences or 10**6)
                if kept and all(v.strip() for v in kept.values()):
                    return {**kept, "_salvaged": True}
    return out


def _read_fields(result: ChatResult, fields: dict[str, type]) -> dict[str, Any] | Reject:
    obj = result.parsed if isinstance(result.parsed, dict) else None
    if obj is None and result.text:
        found = extract_json(result.text)
        obj = found if isinstance(found, dict) else None
    if obj is None:
        return Reject(_failure_reason(result), result.text, result.error or "")
    out: dict[str, Any] = {}
    mismatch = "truncated" if result.finish_reason == "length" else "schema_mismatch"
    for name, kind in fields.items():
        value = obj.get(name)
        if kind is str:
            if not isinstance(value, str) or not value.strip():
                return Reject(mismatch, result.text, f"field {name!r} must be a non-empty string")
            out[name] = value
        elif kind is list:
            if isinstance(value, str):
                value = [v for v in re.split(r"[,\s]+", value) if v]
            if not isinstance(value, list):
                return Reject(mismatch, result.text, f"field {name!r} must be a list")
            out[name] = [str(v) for v in value]
    return out


def clean_field(text: str, speakers: tuple[str, ...] = ()) -> str:
    """Strip whitespace, wrapping quotes, and leading labels such as ``Question:`` or ``Student:``."""
    text = text.strip()
    for _ in range(3):
        before = text
        text = _LABEL.sub("", text).strip()
        for sp in speakers:
            if sp and text.lower().startswith(sp.lower() + ":"):
                text = text[len(sp) + 1 :].strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
            text = text[1:-1].strip()
        if text == before:
            break
    return text


def problem_with_text(text: str, min_words: int = 1) -> str | None:
    """Reason a generated text (answer, passage, turn) is unusable, or None."""
    if len(text.split()) < min_words:
        return "too_short"
    if _UNANSWERED.search(text):
        return "unanswered"
    if _META.search(text) or re.match(r"^\s*(?:sure|certainly|of course)\b[^.!?\n]*\b(?:here|below)\b", text, re.I):
        return "preamble"
    return None


def problem_with_question(text: str, require_mark: bool = True, strict: bool = True) -> str | None:
    """Reason a question cannot be used (preamble, refers to a passage, not a question), or None.

    ``strict`` (qa, multihop, rag) rejects any assistant-like opening ("Okay", "Sure"…); conversation messages use
    the soft check, so a user may say "Okay, but why…?" — a "Sure, here is…" preamble is rejected either way.
    """
    if not text or len(text.split()) < 3:
        return "too_short"
    if (_PREAMBLE if strict else _SOFT_PREAMBLE).match(text) or _META.search(text) or "\n" in text.strip():
        return "preamble"
    if _NOT_STANDALONE.search(text):
        return "not_standalone"
    if require_mark and not text.rstrip().endswith("?"):
        return "not_a_question"
    return None


def off_topic(texts: list[str], source: str, min_shared: int) -> bool:
    """True when ``texts`` share fewer than ``min_shared`` content words with ``source`` (a cheap floor that catches
    a small model writing about something else entirely; the evaluate stage judges real grounding)."""
    return len(content_words(" ".join(texts)) & content_words(source)) < min_shared


def normalise_label(raw: object) -> str:
    """A cited document label as the prompts write it: ``"[c2]"``, ``"C2"``, ``"2"`` → ``"C2"``."""
    label = str(raw).strip().strip("[]()").strip().upper()
    return f"C{label}" if label.isdigit() else label


def content_words(text: str) -> set[str]:
    """Lower-cased words of 4+ characters that are not stop words (for cheap overlap checks)."""
    return {w for w in (m.lower() for m in _WORD.findall(text)) if len(w) >= 4 and w not in _STOP}
