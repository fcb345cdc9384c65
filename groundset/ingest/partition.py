"""The one module that touches ``unstructured``: files and strings in, our own ``Part`` records out.

Everything unstructured returns is converted to :class:`Part` here; its element objects never leave this module.
Importing this module makes unstructured fully offline:

- telemetry off (``DO_NOT_TRACK`` / ``SCARF_NO_ANALYTICS``),
- its sentence splitter (the private ``unstructured.nlp.tokenize`` module, which downloads the spaCy model
  ``en_core_web_sm`` on first use) is pointed at a blank spaCy English pipeline with a rule-based ``sentencizer``.
  unstructured is pinned in pyproject.toml for this reason; ``tests/ingest/test_readers.py`` fails loudly if the
  hook stops working.

>>> parts = partition_html("<h1>Intro</h1><p>Python is a programming language.</p>")
>>> [(p.kind, p.text, p.depth) for p in parts]
[('title', 'Intro', 0), ('text', 'Python is a programming language.', None)]
"""

from __future__ import annotations

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")

import logging  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from groundset.ingest.text import normalize_compat  # noqa: E402

__all__ = [
    "Part",
    "PartitionError",
    "install_offline_nlp",
    "partition_html",
    "partition_markdown",
    "partition_text",
    "partition_docx",
    "partition_pdf",
    "english_words",
]

_LANGS = ["eng"]  # skip unstructured's per-document language detection (slow, and we only need English heuristics)

# unstructured element class name -> our Part.kind
_KINDS = {
    "Title": "title",
    "NarrativeText": "text",
    "Text": "text",
    "UncategorizedText": "text",
    "Address": "text",
    "EmailAddress": "text",
    "Formula": "text",
    "ListItem": "list",
    "Table": "table",
    "CodeSnippet": "code",
    "FigureCaption": "caption",
    "Header": "header",
    "Footer": "footer",
    "PageNumber": "page_number",
    "Image": "image",
    "Picture": "image",
    "PageBreak": "page_break",
}


@dataclass(frozen=True, slots=True)
class Part:
    """One element of a partitioned file, in reading order.

    kind: title | text | list | table | code | caption | header | footer | page_number | image | page_break
    depth: heading depth from markup (HTML h1 -> 0, h2 -> 1; DOCX "Heading 1" -> 0), None when unstructured guessed
    page: 1-based page number (PDF), else None
    top / bottom / left / right: the element's bounding box as fractions of the page height / width (PDF only)
    """

    kind: str
    text: str
    page: int | None = None
    depth: int | None = None
    top: float | None = None
    left: float | None = None
    right: float | None = None
    bottom: float | None = None

    @property
    def height(self) -> float | None:
        """Box height as a share of the page height: for a one-line element, its font size."""
        return None if self.top is None or self.bottom is None else self.bottom - self.top


class PartitionError(Exception):
    """unstructured raised while partitioning; ``detail`` is its message."""


# ---------------------------------------------------------------------------------------------------- offline hook
@lru_cache(maxsize=1)
def _blank_english():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _refuse_download(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError(
        "unstructured tried to download the spaCy model en_core_web_sm; groundset's offline hook "
        "(groundset/ingest/partition.py: install_offline_nlp) did not take effect. Check the pinned unstructured version."
    )


_HOOKED = False


def install_offline_nlp() -> None:
    """Point unstructured's private sentence tokenizer at a blank spaCy English pipeline (no model download).

    Raises RuntimeError when unstructured's private module no longer has the functions this relies on, so an
    unstructured upgrade cannot silently bring the download back.
    """
    global _HOOKED
    if _HOOKED:
        return
    import unstructured.nlp.tokenize as tok

    needed = ("_get_nlp", "_load_spacy_model", "_install_spacy_model", "_process_cached", "_tokenize_for_cache",
              "word_tokenize", "pos_tag")
    missing = [name for name in needed if not hasattr(tok, name)]
    if missing:
        raise RuntimeError(
            f"unstructured.nlp.tokenize no longer has {missing}: the offline spaCy hook in groundset/ingest/partition.py "
            "must be updated for this unstructured version (pyproject.toml pins the one it was written for)."
        )
    tok._load_spacy_model = _blank_english
    tok._get_nlp = _blank_english
    tok._install_spacy_model = _refuse_download
    for cached in ("_process_cached", "_tokenize_for_cache", "word_tokenize", "pos_tag"):
        getattr(tok, cached).cache_clear()
    _HOOKED = True


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """unstructured's English word list (lower case), used to decide how to join hyphenated line breaks."""
    from unstructured.nlp.english_words import ENGLISH_WORDS

    return frozenset(ENGLISH_WORDS)


# ---------------------------------------------------------------------------------------------------- conversion
def _to_parts(elements: list[Any]) -> list[Part]:
    parts: list[Part] = []
    for el in elements:
        kind = _KINDS.get(type(el).__name__, "text")
        text = normalize_compat(el.text or "")  # "transmogri- ﬁcation" must read as "fication" to be joined
        if kind not in ("page_break", "image") and not text.strip():
            continue
        md = el.metadata
        top = bottom = left = right = None
        coords = getattr(md, "coordinates", None)
        if coords is not None and coords.points and coords.system is not None:
            width, height = coords.system.width, coords.system.height
            xs = [p[0] for p in coords.points]
            ys = [p[1] for p in coords.points]
            if width and height:
                top, bottom = min(ys) / height, max(ys) / height
                left, right = min(xs) / width, max(xs) / width
        depth = md.category_depth if kind == "title" else None
        if kind == "table" and getattr(md, "text_as_html", None):
            text = _table_rows(md.text_as_html) or text
        parts.append(
            Part(kind, text, page=md.page_number, depth=depth, top=top, left=left, right=right, bottom=bottom)
        )
    return parts


def _table_rows(html: str) -> str:
    """``<table>`` HTML -> one line per row, cells joined by " | " (what an LLM reads best)."""
    import lxml.html

    try:
        table = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:  # noqa: BLE001 - fall back to unstructured's flat text
        return ""
    rows = []
    for tr in table.iter("tr"):
        cells = [" ".join("".join(td.itertext()).split()) for td in tr if td.tag in ("td", "th")]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _run(fn: Any, **kwargs: Any) -> list[Part]:
    install_offline_nlp()
    try:
        elements = fn(languages=_LANGS, **kwargs)
    except MemoryError:
        raise  # the caller reports out_of_memory, not a broken file
    except Exception as exc:  # unstructured raises anything from ValueError to pdfminer's own errors
        raise PartitionError(f"{type(exc).__name__}: {exc}") from exc
    return _to_parts(elements)


# ---------------------------------------------------------------------------------------------------- partitioners
def partition_html(html: str) -> list[Part]:
    """HTML text (already decoded and cleaned) -> Parts. Headings carry ``depth`` (h1 -> 0)."""
    if not html.strip():
        return []
    from unstructured.partition.html import partition_html as _partition_html

    return _run(_partition_html, text=html)


def partition_markdown(text: str) -> list[Part]:
    """Markdown text -> Parts (tables and fenced code understood)."""
    if not text.strip():
        return []
    from unstructured.partition.md import partition_md

    return _run(partition_md, text=text)


def partition_text(text: str) -> list[Part]:
    """Plain text (decoded by us, newlines normalised) -> Parts, one per paragraph; titles are unstructured's guesses."""
    if not text.strip():
        return []
    from unstructured.partition.text import partition_text as _partition_text

    return _run(_partition_text, text=text)


def partition_docx(path: Path) -> list[Part]:
    """A .docx file -> Parts. Heading styles give titles with ``depth``; tables come as one Part each."""
    from unstructured.partition.docx import partition_docx as _partition_docx

    return _run(_partition_docx, filename=str(path), include_page_breaks=False)


def partition_pdf(path: Path, strategy: str = "fast") -> list[Part]:
    """A PDF file -> Parts with page numbers and positions. ``strategy``: fast (text layer, offline) | hi_res | ocr_only."""
    from unstructured.partition.pdf import partition_pdf as _partition_pdf

    logging.getLogger("unstructured").setLevel(logging.ERROR)  # "No languages specified" and per-page chatter
    return _run(_partition_pdf, filename=str(path), strategy=strategy, infer_table_structure=False)
