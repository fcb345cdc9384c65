"""Text-level helpers: decoding, Gutenberg boilerplate, whitespace, hyphenation."""

from __future__ import annotations

import random

import pytest

from groundset.errors import InputError
from groundset.ingest.text import (
    clean_text,
    decode_bytes,
    decode_html_bytes,
    dehyphenate,
    looks_binary,
    strip_gutenberg,
    strip_underscore_italics,
)

ENGLISH_CP1252 = (
    "The “dæmon” spoke — ‘Farewell!’ — and fled to the Alps™.\r\n"
    "It was a château of crêpe and façades; naïve Ægir went too.\r\n"
) * 20


def test_utf8_and_crlf():
    text, enc = decode_bytes("naïve café\r\nnext\rline".encode("utf-8"))
    assert (text, enc) == ("naïve café\nnext\nline", "utf-8")


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_marks(codec):
    text, _ = decode_bytes("héllo wörld\r\n".encode(codec))
    assert text == "héllo wörld\n"


def test_utf16_without_bom():
    text, enc = decode_bytes("plain ASCII heavy text, with one é\n".encode("utf-16-le") * 4)
    assert enc == "utf-16-le" and text.startswith("plain ASCII heavy text, with one é")


def test_cp1252_english_is_not_read_as_cp1250():
    """charset-normalizer ties cp1250 and cp1252 on English; the tie goes to cp1252 ("dæmon", not "dćmon")."""
    raw = ENGLISH_CP1252.encode("cp1252")
    text, enc = decode_bytes(raw)
    assert enc == "cp1252"
    assert text == raw.decode("cp1252").replace("\r\n", "\n")
    assert "dæmon" in text and "dćmon" not in text


def test_latin1_meta_charset_in_html_means_cp1252():
    raw = '<html><head><meta charset="iso-8859-1"></head><body>“quoted” café</body></html>'.encode("cp1252")
    text, enc = decode_html_bytes(raw)
    assert enc == "cp1252" and "“quoted” café" in text


def test_empty_and_whitespace_only():
    for raw in (b"", b"  \r\n\t \n"):
        with pytest.raises(InputError) as e:
            decode_bytes(raw, "a.txt")
        assert e.value.reason == "empty_file" and e.value.source == "a.txt"


def test_binary_junk():
    raw = random.Random(0).randbytes(4096)
    assert looks_binary(raw)
    with pytest.raises(InputError) as e:
        decode_bytes(raw, "junk.txt")
    assert e.value.reason == "binary_junk"


def test_unreadable_encoding():
    """High bytes in no pattern any code page explains: not binary (no NUL / control bytes) but not text either."""
    raw = bytes(random.Random(1).randrange(0x80, 0x100) for _ in range(3000))
    assert not looks_binary(raw)
    with pytest.raises(InputError) as e:
        decode_bytes(raw, "mojibake.txt")
    assert e.value.reason == "unreadable_encoding"
    assert "UTF-8" in e.value.detail  # says what to do


def test_clean_text():
    assert clean_text("  soft\u00adhyphen\u200b  and\u00a0nbsp \n next line\x07 ") == "softhyphen and nbsp next line"
    assert clean_text("def f():\n    return 1   \n\tpass", keep_newlines=True) == "def f():\n    return 1\n    pass"
    assert clean_text("e\u0301") == "é"  # NFC


def test_dehyphenate():
    words = {"example", "paragraph"}.__contains__
    assert dehyphenate("an exam-\nple and a para- graph", words) == "an example and a paragraph"
    assert dehyphenate("non- text", words) == "non-text"  # not a word when joined: keep the hyphen
    assert dehyphenate("pre- and post-processing", words) == "pre- and post-processing"
    assert dehyphenate("well-known", words) == "well-known"  # no line break: untouched


GUTENBERG = """The Project Gutenberg eBook of A Tiny Tale\r
\r
This ebook is for the use of anyone anywhere in the United States.\r
\r
Title: A Tiny Tale\r
\r
Author: Jane Doe\r
\r
Language: English\r
\r
*** START OF THE PROJECT GUTENBERG EBOOK A TINY TALE ***\r
\r
Chapter 1\r
\r
It was a _dark_ night.\r
\r
*** END OF THE PROJECT GUTENBERG EBOOK A TINY TALE ***\r
\r
Updated editions will replace the previous one. START: FULL LICENSE\r
"""


def test_strip_gutenberg():
    text, _ = decode_bytes(GUTENBERG.encode("cp1252"))
    body, fields = strip_gutenberg(text)
    assert fields["title"] == "A Tiny Tale" and fields["author"] == "Jane Doe"
    assert body == "Chapter 1\n\nIt was a dark night.\n"
    assert "LICENSE" not in body and "Project Gutenberg" not in body


def test_strip_gutenberg_leaves_other_text_alone():
    assert strip_gutenberg("Just a text about _snake_case_ names.") == ("Just a text about _snake_case_ names.", {})


def test_underscore_italics():
    assert strip_underscore_italics("_To Mrs. Saville, England._ a_b and _x_") == "To Mrs. Saville, England. a_b and x"
