"""Bytes -> text: which encoding a file is in, decoded whole (small files) or streamed piece by piece (large ones).

Order: byte-order mark, UTF-8, UTF-16 without BOM, then a single-byte or CJK code page. Two rules keep the guess
honest, and whatever was not certain is said in ``notes`` (the ingest report shows them per file):

- **Mostly UTF-8 with a few bad bytes** (a stray Windows-1252 "é" pasted into a UTF-8 file) stays UTF-8; each
  invalid byte is read as Windows-1252 and counted: ``"utf-8 with 3 invalid bytes read as cp1252"``.
- **Latin-script text** (accented letters here and there, as in French, German or Spanish) is read in the Western
  code page unless another Latin code page makes more of its bytes into letters inside words: charset-normalizer
  alone calls Latin-1 French Windows-1257 ("déją vu, garēon, naļve"); Polish Windows-1250 still comes out Polish.

>>> decode_text("déjà vu, garçon, naïve. ".encode("latin-1") * 4)[:2]
('déjà vu, garçon, naïve. déjà vu, garçon, naïve. déjà vu, garçon, naïve. déjà vu, garçon, naïve. ', 'cp1252')
>>> decode_text("naïve café and one stray byte: ".encode() + b"caf\\xe9")[1:]
('utf-8', ['not all of it is valid UTF-8: 1 invalid byte read as cp1252'])
"""

from __future__ import annotations

import codecs
import re
import threading
from pathlib import Path
from typing import Iterator

from groundset.errors import InputError

__all__ = ["decode_text", "decode_bytes", "decode_html_bytes", "looks_binary", "iter_decoded", "normalize_newlines"]

_BOMS = [  # (mark, codec that consumes it, name reported)
    (b"\xef\xbb\xbf", "utf-8-sig", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32", "utf-32-be"),
    (b"\xff\xfe", "utf-16", "utf-16-le"),
    (b"\xfe\xff", "utf-16", "utf-16-be"),
]
# When charset-normalizer scores several code pages the same, prefer the one most text in the wild is written in.
_PREFERRED = ["utf_8", "cp1252", "iso8859_15", "latin_1", "cp1250", "iso8859_2", "cp1251", "koi8_r", "shift_jis",
              "euc_jp", "gb18030", "big5", "euc_kr"]
_LATIN = ["cp1252", "cp1250", "cp1257", "iso8859_15", "iso8859_2", "iso8859_13"]  # Latin-script single-byte pages
_CHAOS_TIE = 0.05  # charset-normalizer's scores are noisy on short or repetitive text
_COHERENCE_TIE = 0.1
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13, 27}
_SAMPLE = 1 << 20  # bytes a large file's code page is guessed from
_EXCLUDED = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "utf_7",
             # EBCDIC code pages decode any byte soup "cleanly"; nobody hands us EBCDIC text
             "cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140"]


def looks_binary(raw: bytes) -> bool:
    """True when the first 8 KiB hold NUL bytes or more than 5 % control characters (images, archives, executables)."""
    head = raw[:8192]
    if not head:
        return False
    return b"\x00" in head or _controls(head) > 0.05


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------------- UTF-8
_FALLBACK = "groundset-utf8-cp1252"
_counts = threading.local()


def _read_as_cp1252(err: UnicodeDecodeError):
    """codecs error handler: an invalid UTF-8 byte is read as Windows-1252 (and counted in this thread)."""
    bad = err.object[err.start : err.end]
    _counts.invalid = getattr(_counts, "invalid", 0) + len(bad)
    return bad.decode("cp1252", errors="replace"), err.end


codecs.register_error(_FALLBACK, _read_as_cp1252)


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _utf8_share(raw: bytes) -> tuple[int, int]:
    """(valid multi-byte UTF-8 characters, invalid bytes) in ``raw``."""
    _counts.invalid = 0
    text = raw.decode("utf-8", errors=_FALLBACK)
    invalid = _counts.invalid
    return max(0, _non_ascii(text) - invalid), invalid


def _mostly_utf8(valid: int, invalid: int) -> bool:
    """A third or more of the non-ASCII characters are valid multi-byte UTF-8: a UTF-8 file with stray bytes (text in
    a single-byte code page almost never forms valid UTF-8 sequences)."""
    return valid >= 2 and 2 * valid >= invalid


def _utf8_note(invalid: int) -> list[str]:
    if not invalid:
        return []
    return [f"not all of it is valid UTF-8: {invalid} invalid byte{'s' * (invalid != 1)} read as cp1252"]


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


# ---------------------------------------------------------------------------------------------------- code pages
def _in_word_letters(text: str) -> float:
    """Share of the non-ASCII characters that are letters inside a word with plausible case (what the right code page
    gives: "déjà", not "déją" or "żDónde")."""
    hits = total = 0
    n = len(text)
    for i, c in enumerate(text):
        if ord(c) < 128:
            continue
        total += 1
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < n else " "
        if not c.isalpha() or not (before.isalpha() or after.isalpha()):
            continue
        if (c.islower() and after.isupper()) or (c.isupper() and before.islower()):
            continue
        hits += 1
    return hits / total if total else 1.0


def _latin_choice(raw: bytes) -> str | None:
    """For Latin-script text (few high bytes among the letters): the Latin code page that makes the most of its
    high bytes into letters inside words, ties going to the commoner page; None for other scripts."""
    sample = raw[:65536]
    letters = sum(1 for b in sample if 65 <= (b | 32) <= 122)
    high = sum(1 for b in sample if b >= 0x80)
    if not high or high > 0.3 * (letters + high):
        return None
    best, best_score = None, -1.0
    for enc in _LATIN:
        try:
            score = _in_word_letters(sample.decode(enc))
        except UnicodeDecodeError:
            continue
        if score > best_score + 0.02:
            best, best_score = enc, score
    return best if best_score >= 0.5 else None


def _detect(raw: bytes) -> str | None:
    """Best single encoding for non-UTF-8 bytes, or None when nothing reads as language."""
    import charset_normalizer

    latin = _latin_choice(raw)
    if latin:
        return latin
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


# ---------------------------------------------------------------------------------------------------- whole files
def _choose(head: bytes, utf8: tuple[int, int], source: str) -> tuple[str, str, list[str]]:
    """(Python codec, name reported, notes) for a file that starts with ``head``; ``utf8`` is (valid, invalid)."""
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, name, []
    valid, invalid = utf8
    if not invalid:
        return "utf-8", "utf-8", []
    utf16 = _utf16_without_bom(head[:4096])
    if utf16:
        return utf16, utf16, []
    if looks_binary(head):
        raise InputError(source, "binary_junk", "the file holds binary data, not text; check its type or remove it")
    if _mostly_utf8(valid, invalid):
        return "utf-8", "utf-8", _utf8_note(invalid)
    enc = _detect(head)
    if enc is None:
        raise InputError(
            source, "unreadable_encoding", "no text encoding decodes it cleanly; convert it to UTF-8 (e.g. with iconv)"
        )
    return enc, enc, [f"not UTF-8: decoded as {enc} (guessed from its bytes; convert it to UTF-8 to be sure)"]


def decode_text(raw: bytes, source: str = "<bytes>") -> tuple[str, str, list[str]]:
    """Bytes of a text file -> (text with '\\n' newlines, encoding name, notes on what was not certain).

    Raises InputError ``empty_file``, ``binary_junk`` or ``unreadable_encoding``.
    """
    if not raw.strip():
        raise InputError(source, "empty_file", "the file has no text; remove it or add content")
    if not any(raw.startswith(bom) for bom, _, _ in _BOMS):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            utf16 = _utf16_without_bom(raw[:4096])  # ASCII in UTF-16 is valid UTF-8 too: every other byte NUL
            if utf16:
                return _nonempty(normalize_newlines(raw.decode(utf16, errors="replace")), source), utf16, []
            if _controls(raw) > 0.05:  # valid UTF-8, but control bytes: not text (a stray NUL is fine)
                raise InputError(source, "binary_junk", "the file holds control bytes, not text; check its type")
            return _nonempty(normalize_newlines(text), source), "utf-8", []
    codec, name, notes = _choose(raw[:_SAMPLE], _utf8_share(raw), source)
    if codec == "utf-8":
        return _nonempty(normalize_newlines(raw.decode("utf-8", errors=_FALLBACK)), source), name, notes
    try:
        return _nonempty(normalize_newlines(raw.decode(codec)), source), name, notes
    except UnicodeDecodeError:
        text = _nonempty(normalize_newlines(raw.decode(codec, errors="replace")), source)
        return text, name, [*notes, f"some bytes are not valid {name}: replaced by U+FFFD"]


def _controls(raw: bytes) -> float:
    head = raw[:8192]
    return sum(1 for b in head if b in _CONTROL) / max(len(head), 1)


def _nonempty(text: str, source: str) -> str:
    if not text.strip("\ufeff \t\n\x0b\x0c"):
        raise InputError(source, "empty_file", "the file has no text (a byte-order mark at most); remove it or add "
                         "content")
    return text


def decode_bytes(raw: bytes, source: str = "<bytes>") -> tuple[str, str]:
    """:func:`decode_text` without the notes.

    >>> decode_bytes("It was a dæmon — “Frankenstein”.\\r\\n".encode("cp1252"))
    ('It was a dæmon — “Frankenstein”.\\n', 'cp1252')
    """
    text, name, _ = decode_text(raw, source)
    return text, name


def iter_decoded(path: Path, piece_bytes: int = 1 << 20) -> tuple[str, list[str], Iterator[str]]:
    """A large text file -> (encoding name, notes, iterator of text pieces), in constant memory.

    The UTF-8 question is answered over the whole file (one fast pass); another code page is guessed from the first
    MiB. Each piece ends at a line end where there is one, with '\\n' newlines.
    """
    source = str(path)
    with path.open("rb") as f:
        head = f.read(_SAMPLE)
    if not head.strip():
        raise InputError(source, "empty_file", "the file has no text; remove it or add content")
    non_ascii = 0
    _counts.invalid = 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors=_FALLBACK)
    with path.open("rb") as f:
        while block := f.read(4 << 20):
            non_ascii += _non_ascii(decoder.decode(block))
    non_ascii += _non_ascii(decoder.decode(b"", final=True))
    invalid = _counts.invalid
    valid = max(0, non_ascii - invalid)
    codec, name, notes = _choose(head, (valid, invalid), source)

    def pieces() -> Iterator[str]:
        errors = _FALLBACK if codec == "utf-8" else "replace"
        dec = codecs.getincrementaldecoder(codec)(errors=errors)
        carry = ""
        with path.open("rb") as f:
            while block := f.read(piece_bytes):
                text = carry + dec.decode(block)
                cut = text.rfind("\n")
                if cut < 0 or len(text) - cut > piece_bytes:
                    cut = len(text) - 1
                if text[cut] == "\r":  # never split a CRLF pair
                    cut -= 1
                carry = text[cut + 1 :]
                yield normalize_newlines(text[: cut + 1])
        rest = carry + dec.decode(b"", final=True)
        if rest:
            yield normalize_newlines(rest)

    return name, notes, pieces()


# ---------------------------------------------------------------------------------------------------- HTML
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
