"""Cheap checks of chunk text: boilerplate, duplicates, language. Pure functions over strings.

>>> looks_boilerplate("Previous topic\\n4. More Control Flow Tools\\nNext topic\\n6. Modules\\nThis Page\\nReport a Bug")
'navigation'
>>> looks_boilerplate("The for statement iterates over the items of any sequence, in the order they appear.")
''
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["looks_boilerplate", "BOILERPLATE_LINE", "text_key", "guess_language"]

# lines that are navigation, licence or page furniture rather than content
BOILERPLATE_LINE = re.compile(
    r"^\s*(?:"
    r"previous topic|next topic|previous|next|up|home|index|modules|search|this page|show source|report a bug"
    r"|table of contents|contents|navigation|quick search|go|skip to (?:main )?content|back to top|top of page"
    r"|print(?:able)? version|edit(?: this page)?|log ?in|sign ?in|sign ?up|subscribe|share|menu"
    r"|copyright\b.*|©.*|\(c\) ?\d{4}.*|all rights reserved\.?|privacy policy|terms of (?:use|service)|cookies?.*"
    r"|last updated on.*|created using sphinx.*|found a bug\?|page \d+(?: of \d+)?|[»«|·•>¶#\-–—=_*.]+"
    r")\s*$",
    re.IGNORECASE,
)
_LICENCE = re.compile(
    r"project gutenberg(?:-tm)? (?:license|licence|electronic works?|ebook)|all rights reserved|"
    r"licensed under the|permission is hereby granted|this (?:e-?book|file) is for the use of anyone",
    re.IGNORECASE,
)


def looks_boilerplate(text: str, code: bool = False) -> str:
    """A reason ('navigation', 'licence', 'symbols') when ``text`` is page furniture rather than content, else ''.

    Conservative on purpose: code (symbol-rich but letter-bearing) and prose pass. ``code``: the text comes from a
    code block or a table, where few letters are normal (``(1, 2, 3) < (1, 2, 4)``, a row of figures): never
    'symbols'.

    >>> rows = "(1, 2, 3) < (1, 2, 4)\\n(1, 2) < (1, 2, -1)"
    >>> looks_boilerplate(rows, code=True), looks_boilerplate(rows)
    ('', 'symbols')
    """
    stripped = text.strip()
    if not stripped:
        return "symbols"
    lines = [ln for ln in stripped.splitlines() if ln.strip()]
    nav = sum(1 for ln in lines if BOILERPLATE_LINE.match(ln))
    if nav and nav >= 0.6 * len(lines):
        return "navigation"
    if len(_LICENCE.findall(stripped)) >= 2 or (_LICENCE.search(stripped) and len(stripped) < 400):
        return "licence"
    visible = re.sub(r"\s+", "", stripped)
    letters = sum(ch.isalpha() for ch in visible)
    if not code and len(visible) >= 20 and letters < 0.25 * len(visible):
        return "symbols"
    return ""


def text_key(text: str) -> str:
    """A short hash of text with case and whitespace folded: equal keys mean duplicate chunks."""
    folded = " ".join(text.lower().split())
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=12).hexdigest()


_LANG_READY = False


def guess_language(text: str) -> str:
    """ISO 639-1 code guessed from up to 3,000 characters of ``text`` (langdetect, deterministic), or 'unknown'."""
    global _LANG_READY
    sample = " ".join(text[:3000].split())
    if len(sample) < 20:
        return "unknown"
    try:
        from langdetect import DetectorFactory, detect
    except ImportError:  # pragma: no cover - langdetect comes with unstructured
        return "unknown"
    if not _LANG_READY:
        DetectorFactory.seed = 0
        _LANG_READY = True
    try:
        return detect(sample)
    except Exception:  # noqa: BLE001 - LangDetectException on text without features
        return "unknown"
