"""Chunking: sizes in the model's own tokens, never over the limit, structure carried, drops counted."""

from __future__ import annotations

import pytest

from groundset.ingest.chunk import Chunker, split_sentences
from groundset.ingest.config import IngestConfig
from groundset.records import Block, Chunk, Document

LIMIT = 254  # all-MiniLM-L6-v2: 256 incl. [CLS] and [SEP]


@pytest.fixture(scope="module")
def count_tokens():
    """The bundled MiniLM's own tokenizer (tokenizer only: no model load)."""
    from tokenizers import Tokenizer

    from groundset.embed import default_model_path

    tk = Tokenizer.from_file(f"{default_model_path()}/tokenizer.json")
    tk.no_truncation()
    tk.no_padding()
    return lambda text: len(tk.encode(text, add_special_tokens=False).ids)


@pytest.fixture
def chunker(count_tokens):
    return Chunker(count_tokens, chunk_tokens=120, overlap=20, min_tokens=8, limit=LIMIT)


PROSE = ("The quick brown fox jumps over the lazy dog near the river bank. " * 3).strip()


def test_sentences_concatenate_back_exactly():
    text = "Mr. Smith went e.g. home. Then he slept!  Did he?\nYes. J. R. R. Tolkien wrote it."
    parts = split_sentences(text)
    assert "".join(parts) == text
    assert parts[0] == "Mr. Smith went e.g. home. "
    assert len(parts) == 5


def test_no_chunk_over_the_limit_even_for_pathological_text(count_tokens):
    chunker = Chunker(count_tokens, chunk_tokens=400, overlap=32, min_tokens=4, limit=LIMIT)
    assert chunker.clamped and chunker.size == LIMIT
    blocks = [
        Block(text=" ".join(f"word{i}" for i in range(900))),  # no sentence ends at all
        Block(text="x" * 6000),  # one "word" far longer than the limit
        Block(text="Σημαντικό κείμενο με ελληνικά γράμματα. " * 80),  # many word pieces per word
        Block(text="def f(x):\n    return {k: v for k, v in x.items() if v}\n" * 40),
    ]
    chunks, _ = chunker.chunk(Document.make("p.txt", "P", blocks))
    assert len(chunks) > 10
    for c in chunks:
        assert c.n_tokens == count_tokens(c.text)
        assert c.n_tokens <= LIMIT


def test_chunks_are_sized_with_overlap(chunker, count_tokens):
    text = " ".join(f"Sentence number {i} talks about topic {i % 7} in some detail." for i in range(80))
    chunks, dropped = chunker.chunk(Document.make("a.txt", "A", [Block(text=text, section=["A"])]))
    assert len(chunks) >= 5
    assert all(c.n_tokens <= 120 for c in chunks)
    assert all(c.n_tokens >= 60 for c in chunks[:-1])  # full chunks, not slivers
    # consecutive chunks share text (overlap)
    first_words = chunks[1].text.split()[:3]
    assert " ".join(first_words) in chunks[0].text
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert not dropped


def test_sections_pages_titles_and_ids_are_carried(chunker):
    blocks = [
        Block(text="Guide", section=["Guide"], page=1, kind="title"),
        Block(text=PROSE, section=["Guide"], page=1),
        Block(text="Install", section=["Guide", "Install"], page=2, kind="title"),
        Block(text="Run pip install to get the package onto your machine today. " * 2, section=["Guide", "Install"],
              page=2),
        Block(text="Usage notes continue here on the third page with more words. " * 2, section=["Guide", "Install"],
              page=3),
    ]
    doc = Document.make("guide.pdf", "The Guide", blocks)
    chunks, _ = chunker.chunk(doc)
    assert [c.section for c in chunks] == [["Guide"], ["Guide", "Install"]]
    assert chunks[0].page == 1 and chunks[1].page == 2
    assert chunks[1].text.startswith("Install")
    for c in chunks:
        assert c.title == "The Guide" and c.document_id == doc.id and c.source == "guide.pdf"
        assert c.id == Chunk.make_id("guide.pdf", c.text)


def test_page_is_where_the_chunk_starts(count_tokens):
    chunker = Chunker(count_tokens, chunk_tokens=40, overlap=5, min_tokens=4, limit=LIMIT)
    blocks = [Block(text=f"Page {p} says something specific about item {p}. " * 4, section=["S"], page=p)
              for p in range(1, 6)]
    chunks, _ = chunker.chunk(Document.make("b.pdf", "B", blocks))
    assert len(chunks) >= 5
    for c in chunks:
        first = int(c.text.split("Page ", 1)[1].split()[0]) if c.text.startswith("Page ") else None
        if first is not None:
            assert c.page == first
    assert chunks[0].page == 1 and chunks[-1].page == 5


def test_tiny_sections_merge_forward_and_tiny_leftovers_are_counted(chunker):
    blocks = [
        Block(text="Intro", section=["Intro"]),  # tiny: merged into the next section, not lost
        Block(text=PROSE, section=["Body"]),
        Block(text="The end.", section=["Outro"]),  # tiny and last: dropped, counted
    ]
    chunks, dropped = chunker.chunk(Document.make("c.md", "C", blocks))
    assert len(chunks) == 1
    assert chunks[0].text.startswith("Intro\n\nThe quick brown fox")
    assert chunks[0].section == ["Body"]
    assert dropped == {"tiny": 1}


def test_duplicates_within_a_document_and_boilerplate_are_dropped_and_counted(chunker):
    nav = "Previous topic\n4. More Control Flow Tools\nNext topic\n6. Modules\nThis Page\nReport a Bug\nShow Source"
    blocks = [
        Block(text=PROSE, section=["One"]),
        Block(text=nav + "\n" + nav, section=["Nav"]),
        Block(text=PROSE, section=["Two"]),  # same text again
    ]
    chunks, dropped = chunker.chunk(Document.make("d.html", "D", blocks))
    assert len(chunks) == 1
    assert dropped == {"boilerplate": 1, "duplicate": 1}


def test_real_corpus_html_has_no_chunk_over_the_limit(corpus, count_tokens):
    from groundset.ingest.readers import read_path

    chunker = Chunker(count_tokens, chunk_tokens=IngestConfig().chunk_tokens, overlap=32, min_tokens=16, limit=LIMIT)
    total = 0
    for path in sorted((corpus / "html").glob("*.html"))[:6]:
        for doc in read_path(path, IngestConfig()):
            chunks, _ = chunker.chunk(doc)
            total += len(chunks)
            assert all(count_tokens(c.text) <= LIMIT for c in chunks)
            assert all(c.section for c in chunks)
    assert total > 50
