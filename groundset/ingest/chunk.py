"""Document → Chunks, structure-aware and sized in the embedding model's own tokens. The only llama-index module.

>>> chunker = Chunker(count_tokens=lambda s: len(s.split()), chunk_tokens=50, overlap=8, min_tokens=3, limit=60)
>>> doc = Document.make("a.md", "A", [Block(text="Intro words here and more.", section=["A"], page=1)])
>>> chunks, dropped = chunker.chunk(doc)
>>> [(c.section, c.page, c.index) for c in chunks], dict(dropped)
([(['A'], 1, 0)], {})

How it works: consecutive blocks with the same section path form one section; a section shorter than
``min_tokens`` is merged into the next one (so short intros are not lost). Each section is split by llama-index's
``SentenceSplitter`` (paragraphs, then sentences, then words) with ``chunk_tokens`` and ``overlap`` counted by the
model's tokenizer; a chunk still over ``limit`` (the model's max sequence length minus special tokens) is halved
until it fits, so no chunk is ever truncated by the model. Boundaries fall between sentences, clauses (a
punctuation mark followed by whitespace: never inside ``c.rect(0.2*inch`` or ``myfile.xml``) or words; code blocks
and tables (one row per line) are cut at line ends only, and pieces that fit together are merged again. A chunk's page is the page where it starts. Then chunks
are dropped, with a counted reason: ``tiny`` (< ``min_tokens``), ``boilerplate`` (navigation, licence, symbol
soup; a piece of a code block or table is never symbol soup) and ``duplicate`` (the same text earlier in the same
document).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from typing import Callable, Iterator

from groundset.ingest.quality import looks_boilerplate, text_key
from groundset.ingest.text import split_long
from groundset.records import Block, Chunk, Document

__all__ = ["Chunker", "split_sentences"]

LINE_KINDS = ("code", "table")  # blocks split at line ends only: a code line, a table row stays whole
WINDOW_CHARS = 32_000  # a section is split in runs of blocks of at most this many characters (bounded memory)
_ABBREV = {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "fig", "no", "vol", "cf", "al", "approx", "ch", "sec"}
# a clause ends at , . ; (or full-width ones) followed by whitespace: never inside "c.rect(0.2*inch" or "a.xml"
CLAUSE = r"(?:[^,.;。？！]|[,.;](?!\s))+(?:[,.;。？！]+\s*|$)|[,.;。？！]+\s*"
_SENT_END = re.compile(r"[.!?…][\"'”’)\]]*\s+")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences that concatenate back to it exactly (whitespace stays with the sentence before).

    A regex, not nltk's punkt: no nltk import (seconds of start-up), no data files. Common abbreviations and
    single initials do not end a sentence.

    >>> split_sentences("Dr. Who is here. E.g. this one! Yes.")
    ['Dr. Who is here. ', 'E.g. this one! ', 'Yes.']
    """
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        word = re.search(r"(\S+)$", text[start : m.start() + 1])
        token = word.group(1).rstrip(".!?…").lower() if word else ""
        if token.lstrip("(\"'“‘") in _ABBREV or (len(token) == 1 and token.isalpha()):
            continue
        out.append(text[start : m.end()])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


class Chunker:
    """Turns one Document into Chunks. ``count_tokens`` is the embedding model's token counter (no special tokens)."""

    def __init__(self, count_tokens: Callable[[str], int], chunk_tokens: int, overlap: int, min_tokens: int,
                 limit: int):
        from llama_index.core.node_parser import SentenceSplitter

        self.count_tokens = count_tokens
        self.limit = limit
        self.size = min(chunk_tokens, limit)
        self.overlap = min(overlap, self.size // 2)
        self.min_tokens = min_tokens
        self.clamped = chunk_tokens > limit  # the caller reports this: chunk_tokens was above the model's limit
        self._splitter = SentenceSplitter(
            chunk_size=self.size,
            chunk_overlap=self.overlap,
            tokenizer=lambda text: range(count_tokens(text)),  # the splitter only needs len()
            chunking_tokenizer_fn=split_sentences,
            secondary_chunking_regex=CLAUSE,  # llama-index's default also cuts at the "." of "0.2" and "myfile.xml"
        )

    @classmethod
    def for_embedder(cls, embedder, chunk_tokens: int, overlap: int, min_tokens: int) -> "Chunker":
        """A chunker sized for ``embedder`` (anything with ``count_tokens`` and ``text_limit``)."""
        return cls(embedder.count_tokens, chunk_tokens, overlap, min_tokens, int(embedder.text_limit))

    # --- sections ----------------------------------------------------------------------------------------------
    def _sections(self, blocks: list[Block]) -> list[tuple[list[str], list[Block]]]:
        """Consecutive blocks with the same section path, short sections merged into the following one."""
        groups: list[tuple[list[str], list[Block]]] = []
        for b in blocks:
            if not b.text.strip():
                continue
            if groups and groups[-1][0] == b.section:
                groups[-1][1].append(b)
            else:
                groups.append((list(b.section), [b]))
        merged: list[tuple[list[str], list[Block]]] = []
        carry: list[Block] = []
        for i, (section, bl) in enumerate(groups):
            bl = carry + bl
            last = i == len(groups) - 1
            chars = sum(len(b.text) for b in bl)
            if not last and chars < 40 * self.min_tokens and self.count_tokens("\n\n".join(b.text for b in bl)) < self.min_tokens:
                carry = bl
                continue
            merged.append((section, bl))
            carry = []
        return merged

    @staticmethod
    def _windows(blocks: list[Block]) -> Iterator[list[Block]]:
        """A section's blocks in runs of at most ``WINDOW_CHARS`` characters (a longer block is cut first), so that
        splitting works on bounded text whatever the size of a section."""
        run: list[Block] = []
        size = 0
        for b in blocks:
            pieces = [b] if len(b.text) <= WINDOW_CHARS else [
                b.model_copy(update={"text": t.strip()}) for t in split_long(b.text, WINDOW_CHARS) if t.strip()]
            for piece in pieces:
                if run and size + len(piece.text) > WINDOW_CHARS:
                    yield run
                    run, size = [], 0
                run.append(piece)
                size += len(piece.text) + 2
        if run:
            yield run

    # --- splitting ---------------------------------------------------------------------------------------------
    def _fit(self, text: str) -> list[str]:
        """``text`` halved at whitespace (or characters) until every piece is within ``limit`` tokens."""
        if self.count_tokens(text) <= self.limit:
            return [text]
        mid = len(text) // 2
        cut = text.rfind(" ", 0, mid)
        if cut <= 0:
            cut = text.find(" ", mid)
        if cut <= 0:
            cut = mid
        return self._fit(text[:cut].strip()) + self._fit(text[cut:].strip())

    def _split_section(self, blocks: list[Block]) -> list[tuple[str, int | None, bool]]:
        """(chunk text, page where it starts, holds code or table lines) for one section: prose by the sentence
        splitter, code blocks at line ends (a chunk never starts inside a code line), then neighbours that fit
        together merged again."""
        text = "\n\n".join(b.text for b in blocks)
        if len(text) <= self.size * 12 and self.count_tokens(text) <= self.size:  # no tokenizer pass on long text
            return [(text.strip(), blocks[0].page, any(b.kind in LINE_KINDS for b in blocks))]
        out: list[tuple[str, int | None, bool]] = []
        for is_code, run in itertools.groupby(blocks, key=lambda b: b.kind in LINE_KINDS):
            run = list(run)
            if is_code:
                out.extend((piece, b.page, True) for b in run for piece in self._split_lines(b.text))
            else:
                out.extend((piece, page, False) for piece, page in self._split_prose(run))
        return self._merge(out)

    def _split_prose(self, blocks: list[Block]) -> list[tuple[str, int | None]]:
        starts, pages, parts, pos = [], [], [], 0
        for b in blocks:
            starts.append(pos)
            pages.append(b.page)
            parts.append(b.text)
            pos += len(b.text) + 2
        text = "\n\n".join(parts)
        fits = len(text) <= self.size * 12 and self.count_tokens(text) <= self.size
        pieces = [text.strip()] if fits else self._splitter.split_text(text)
        out: list[tuple[str, int | None]] = []
        cursor = 0
        for piece in pieces:
            at = text.find(piece[:200], cursor)
            if at < 0:
                at = cursor
            cursor = at + 1
            page = pages[max(0, bisect.bisect_right(starts, at) - 1)]
            out.extend((p, page) for p in self._fit(piece) if p)
        return out

    def _split_lines(self, code: str) -> list[str]:
        """A code block in pieces of whole lines within ``size`` tokens (a single longer line is cut by _fit)."""
        pieces: list[str] = []
        lines: list[str] = []
        n = 0
        for line in code.split("\n"):
            k = self.count_tokens(line) + 1
            if lines and n + k > self.size:
                pieces.append("\n".join(lines))
                lines, n = [], 0
            lines.append(line)
            n += k
        if lines:
            pieces.append("\n".join(lines))
        return [p for piece in pieces if piece.strip() for p in self._fit(piece.strip("\n")) if p]

    def _merge(self, pieces: list[tuple[str, int | None, bool]]) -> list[tuple[str, int | None, bool]]:
        """Join consecutive pieces while the result stays within ``size`` tokens (a short code snippet stays with
        the prose around it instead of becoming a chunk too small to keep)."""
        out: list[tuple[str, int | None, bool]] = []
        for text, page, code in pieces:
            if out:
                joined = f"{out[-1][0]}\n\n{text}"
                if len(joined) <= self.size * 12 and self.count_tokens(joined) <= self.size:
                    out[-1] = (joined, out[-1][1], out[-1][2] or code)
                    continue
            out.append((text, page, code))
        return out

    def chunk(self, doc: Document) -> tuple[list[Chunk], Counter[str]]:
        """The kept chunks of ``doc`` (index 0, 1, … in reading order) and the drop counts by reason."""
        dropped: Counter[str] = Counter()
        chunks: list[Chunk] = []
        seen: set[str] = set()
        for section, blocks in self._sections(doc.blocks):
            for text, page, code in (piece for run in self._windows(blocks) for piece in self._split_section(run)):
                n = self.count_tokens(text)
                if n < self.min_tokens:
                    dropped["tiny"] += 1
                    continue
                if looks_boilerplate(text, code=code):
                    dropped["boilerplate"] += 1
                    continue
                key = text_key(text)
                if key in seen:
                    dropped["duplicate"] += 1
                    continue
                seen.add(key)
                chunks.append(Chunk(
                    id=Chunk.make_id(doc.source, text), document_id=doc.id, source=doc.source, title=doc.title,
                    text=text, section=section, page=page, index=len(chunks), n_tokens=n,
                ))
        return chunks, dropped
