"""Text-level helpers of ingest: decoding bytes, Project Gutenberg boilerplate, whitespace and hyphenation.

Pure functions over ``bytes`` / ``str``; no unstructured here.

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

from groundset.errors import InputError

__all__ = [
    "decode_bytes",
    "decode_html_bytes",
    "looks_binary",
    "normalize_newlines",
    "clean_text",
    "dehyphenate",
    "strip_gutenberg",
    "strip_underscore_italics",
    "gutenberg_markers",
    "GUTENBERG_START",
    "GUTENBERG_END",
]

_BOMS = [  # (mark, codec that consumes it, name reported)
    (b"\xef\xbb\xbf", "utf-8-sig", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32", "utf-32-be"),
    (b"\xff\xfe", "utf-16", "utf-16-le"),
    (b"\xfe\xff", "utf-16", "utf-16-be"),
]
# When charset-normalizer scores several single-byte code pages the same (it cannot tell cp1250 from cp1252 on
# English text: only the letters both share occur), prefer the one most text in the wild is written in.
_PREFERRED = ["utf_8", "cp1252", "iso8859_15", "latin_1", "cp1250", "iso8859_2", "cp1251", "koi8_r", "shift_jis",
              "euc_jp", "gb18030", "big5", "euc_kr"]
_CHAOS_TIE = 0.05  # charset-normalizer's scores are noisy on short or repetitive text
_COHERENCE_TIE = 0.1
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13, 27}


def looks_binary(raw: bytes) -> bool:
    """True when the first 8 KiB hold NUL bytes or more than 5 % control characters (images, archives, executables)."""
    head = raw[:8192]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b in _CONTROL)
    return controls / len(head) > 0.05


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is NUL, as in ASCII-heavy UTF-16 text without a BOM."""
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_bytes(raw: bytes, source: str = "<bytes>") -> tuple[str, str]:
    """Bytes of a text file -> (text with '\\n' newlines, encoding name).

    Order: byte-order mark, strict UTF-8, UTF-16 without BOM, then charset-normalizer with ties broken towards
    common encodings (so a Windows-1252 English book is not read as Windows-1250: "dæmon", not "dćmon").
    Raises InputError ``empty_file``, ``binary_junk`` or ``unreadable_encoding``.
    """
    if not raw.strip():
        raise InputError(source, "empty_file", "the file has no text; remove it or add content")
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                return normalize_newlines(raw.decode(codec)), name
            except UnicodeDecodeError:
                break
    try:
        return normalize_newlines(raw.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(raw[:4096])
    if utf16:
        try:
            return normalize_newlines(raw.decode(utf16)), utf16
        except UnicodeDecodeError:
            pass
    if looks_binary(raw):
        raise InputError(source, "binary_junk", "the file holds binary data, not text; check its type or remove it")
    enc = _detect(raw)
    if enc is None:
        raise InputError(
            source, "unreadable_encoding", "no text encoding decodes it cleanly; convert it to UTF-8 (e.g. with iconv)"
        )
    return normalize_newlines(raw.decode(enc, errors="replace")), enc


_EXCLUDED = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "utf_7",
             # EBCDIC code pages decode any byte soup "cleanly"; nobody hands us EBCDIC text
             "cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140"]


def _detect(raw: bytes) -> str | None:
    """Best single encoding for non-UTF-8 bytes, or None when nothing reads as language."""
    import charset_normalizer

    matches = list(charset_normalizer.from_bytes(raw, cp_exclusion=_EXCLUDED))
    if not matches:
        return None
    best_chaos = min(m.chaos for m in matches)
    best_coherence = max(m.coherence for m in matches if m.chaos <= best_chaos + _CHAOS_TIE)
    high = sum(b >= 0x80 for b in raw[:65536]) / min(len(raw), 65536)
    if best_coherence == 0 and high >= 0.3 and len(raw) >= 64:
        return None  # mostly non-ASCII bytes that decode to no recognisable language: byte soup
    tied = [m for m in matches if m.chaos <= best_chaos + _CHAOS_TIE and m.coherence >= best_coherence - _COHERENCE_TIE]
    names = {enc for m in tied for enc in [m.encoding, *m.could_be_from_charset]}
    for enc in _PREFERRED:
        if enc in names:
            return enc
    return tied[0].encoding


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)


def decode_html_bytes(raw: bytes, source: str = "<bytes>") -> tuple[str, str]:
    """HTML bytes -> (text, encoding): BOM, then the ``<meta charset>`` declaration, then :func:`decode_bytes`."""
    if not raw.strip():
        raise InputError(source, "empty_file", "the file has no content; remove it or add content")
    if not any(raw.startswith(bom) for bom, _, _ in _BOMS):
        declared = _META_CHARSET.search(raw[:4096])
        if declared:
            name = declared.group(1).decode("ascii", "ignore").lower()
            if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
                name = "cp1252"  # what browsers do (WHATWG encoding standard)
            try:
                return normalize_newlines(raw.decode(name)), name
            except (LookupError, UnicodeDecodeError):
                pass
    return decode_bytes(raw, source)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CTRL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def clean_text(text: str, keep_newlines: bool = False) -> str:
    """Unicode NFC, soft hyphens / zero-width characters / control characters removed, runs of spaces collapsed.

    ``keep_newlines`` keeps the layout (code, tables): lines and their indentation stay, trailing spaces go.
    """
    text = unicodedata.normalize("NFC", text)
    text = _CTRL.sub("", _INVISIBLE.sub("", text)).replace("\f", "\n")
    if keep_newlines:
        lines = [line.replace("\u00a0", " ").expandtabs(4).rstrip() for line in text.split("\n")]
        return "\n".join(lines).strip("\n")
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


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
