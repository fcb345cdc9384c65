"""Text-level helpers of ingest: Project Gutenberg boilerplate, whitespace, Unicode forms and hyphenation.

Pure functions over ``str``; no unstructured here. Decoding bytes lives in ``encoding.py`` (re-exported here).

>>> decode_bytes("It was a dæmon — “Frankenstein”.\\r\\n".encode("cp1252"))
('It was a dæmon — “Frankenstein”.\\n', 'cp1252')
>>> clean_text("  exam\\u00adple   text\\u200b ")
'example text'
>>> dehyphenate("an exam- ple of non- text", lambda w: w == "example")
'an example of non-text'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from groundset.ingest.encoding import decode_bytes, decode_html_bytes, decode_text, looks_binary, normalize_newlines

__all__ = [
    "decode_bytes",
    "decode_text",
    "decode_html_bytes",
    "looks_binary",
    "normalize_newlines",
    "clean_text",
    "normalize_compat",
    "cap_paragraphs",
    "split_long",
    "dehyphenate",
    "strip_gutenberg",
    "strip_underscore_italics",
    "gutenberg_markers",
    "GUTENBERG_START",
    "GUTENBERG_END",
]

# Compatibility characters that only change the look, never the meaning: ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ), Hebrew and
# Arabic presentation forms, vertical / small / full- and half-width forms. NFKC maps them to what they stand for.
# Not touched: superscripts and subscripts (x², H₂O), fractions (½), ™, circled numbers, ellipses, and every
# character of ASCII: code and formulas keep their meaning (NFKC would make "x²" into "x2").
_COMPAT = re.compile("[\ufb00-\ufdff\ufe10-\ufe19\ufe30-\ufe6f\ufe70-\ufefe\uff01-\uffee]+")


def normalize_compat(text: str) -> str:
    """NFKC for presentation forms only (see ``_COMPAT``).

    >>> normalize_compat("speciﬁed ﬂow ｆｕｌｌ x² ½")
    'specified flow full x² ½'
    """
    return _COMPAT.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CTRL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def clean_text(text: str, keep_newlines: bool = False) -> str:
    """Unicode NFC, presentation forms (ligatures) NFKC, soft hyphens / zero-width characters / control characters removed, runs of spaces collapsed.

    ``keep_newlines`` keeps the layout (code, tables): lines and their indentation stay, trailing spaces go.
    """
    text = normalize_compat(unicodedata.normalize("NFC", text))
    text = _CTRL.sub("", _INVISIBLE.sub("", text)).replace("\f", "\n")
    if keep_newlines:
        lines = [line.replace("\u00a0", " ").expandtabs(4).rstrip() for line in text.split("\n")]
        return "\n".join(lines).strip("\n")
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


_BREAK_AT = [re.compile(r"[.!?…][\"'”’)\]]*\s+"), re.compile(r"[;:,]\s+"), re.compile(r"\s+")]


def split_long(text: str, max_chars: int) -> list[str]:
    """``text`` cut into pieces of at most ``max_chars``: at the last sentence end of each window, else a clause
    end, else whitespace, else hard. The pieces concatenate back to ``text``.

    >>> split_long("One two. Three four five. Six.", 20)
    ['One two. ', 'Three four five. ', 'Six.']
    """
    out: list[str] = []
    start = 0
    while len(text) - start > max_chars:
        window = text[start : start + max_chars]
        cut = 0
        for pattern in _BREAK_AT:
            ends = [m.end() for m in pattern.finditer(window, max_chars // 4)]
            if ends:
                cut = ends[-1]
                break
        cut = cut or max_chars
        out.append(text[start : start + cut])
        start += cut
    out.append(text[start:])
    return out


_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def cap_paragraphs(text: str, max_chars: int) -> str:
    """``text`` with a paragraph break inserted into every paragraph longer than ``max_chars`` (a single-line
    50 MB file would otherwise be one paragraph, and unstructured needs about 100x its size in memory for it)."""
    if len(text) <= max_chars:
        return text
    out: list[str] = []
    pos = 0
    for m in [*_PARAGRAPH.finditer(text), None]:
        end = m.start() if m else len(text)
        para = text[pos:end]
        out.append("\n\n".join(p.strip() for p in split_long(para, max_chars)) if len(para) > max_chars else para)
        if m:
            out.append(m.group())
            pos = m.end()
    return "".join(out)


_HYPHEN_BREAK = re.compile(r"\b([A-Za-z]{2,})-(?:[ \t]*\n[ \t]*|[ \t]+)([a-z]{2,})\b")
_KEEP_SPACE_AFTER_HYPHEN = {"and", "or", "to", "nor", "as", "than"}


def dehyphenate(text: str, is_word: Callable[[str], bool]) -> str:
    """Join words broken at a line end: "exam- ple" -> "example" when that is a word, else "non- text" -> "non-text".

    "pre- and post-processing" keeps its space. ``is_word`` answers for a lower-case word.
    """

    def join(m: re.Match) -> str:
        left, right = m.group(1), m.group(2)
        if right in _KEEP_SPACE_AFTER_HYPHEN:
            return m.group(0)
        if is_word((left + right).lower()):
            return left + right
        return f"{left}-{right}"

    return _HYPHEN_BREAK.sub(join, text)


# ---------------------------------------------------------------------------------------------------- Gutenberg
GUTENBERG_START = re.compile(
    r"^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT)[^\n]*$", re.I | re.M
)
GUTENBERG_END = re.compile(
    r"^[ \t]*(?:\*{3}[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT)[^\n]*"
    r"|End of (?:the )?Project Gutenberg'?s? E-?(?:book|text)[^\n]*)$",
    re.I | re.M,
)
_GUTENBERG_FIELD = re.compile(r"^(Title|Author|Language|Release [Dd]ate):[ \t]*(.+(?:\n[ \t]+\S.*)*)", re.M)


_UNDERSCORE_ITALICS = re.compile(r"(?<![\w_])_([^_\n]+(?:\n[^_\n]+)?)_(?![\w_])")


def strip_underscore_italics(text: str) -> str:
    """Gutenberg plain texts mark italics as ``_word_``; keep the word.

    >>> strip_underscore_italics("_To Mrs. Saville, England._ and snake_case")
    'To Mrs. Saville, England. and snake_case'
    """
    return _UNDERSCORE_ITALICS.sub(r"\1", text)


def gutenberg_markers(text: str) -> tuple[int, int] | None:
    """(start, end) character offsets of the book body between the START and END markers, or None if not Gutenberg."""
    start = GUTENBERG_START.search(text)
    if start is None:
        return None
    end = GUTENBERG_END.search(text, start.end())
    return start.end(), (end.start() if end else len(text))


def strip_gutenberg(text: str) -> tuple[str, dict[str, str]]:
    """Gutenberg text -> (body between the START and END markers, header fields such as title / author).

    ``_italic_`` markers of the body are removed.
    Text without the markers comes back unchanged with no fields.
    """
    span = gutenberg_markers(text)
    if span is None:
        return text, {}
    header = text[: span[0]]
    fields = {m.group(1).lower().replace(" ", "_"): " ".join(m.group(2).split()) for m in _GUTENBERG_FIELD.finditer(header)}
    return strip_underscore_italics(text[span[0] : span[1]].strip("\n")) + "\n", fields
