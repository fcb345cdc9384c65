"""The topic tree of the corpus, for the textbook task: document titles → section headings → subtopics.

>>> topics = build_topics(chunks, chunks_per_topic=3)     # doctest: +SKIP
>>> topics[0].label                                         # doctest: +SKIP
'Data Structures › More on Lists (focus: append, stack, queue)'

Each leaf is one section of one document (its heading path under the document title). A section with more than
``chunks_per_topic`` chunks is refined into subtopics of consecutive chunks, each named by the heading plus the
words frequent in those chunks and rare in the rest of the document; leading section numbers are dropped — no model call, so the tree is deterministic and
free. Topics are ordered round-robin over documents (seeded), like seed chunks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

import re

from groundset.generate.checks import _STOP, _WORD
from groundset.generate.seeds import _rng, by_document
from groundset.records import Chunk, content_hash

__all__ = ["Topic", "build_topics", "topic_order"]

_NUMBER = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+")


@dataclass(frozen=True)
class Topic:
    """One leaf of the topic tree: a label, its path, and the chunk ids it covers (in document order)."""

    id: str
    label: str
    path: tuple[str, ...]  # document title, section headings…, subtopic keywords
    document_id: str
    chunk_ids: tuple[str, ...]


def _words(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if len(w) >= 4 and w not in _STOP]


def _keywords(group: list[Chunk], doc_counts: Counter, exclude: set[str], n: int = 3) -> list[str]:
    """Words frequent in ``group`` and concentrated there rather than spread over the document."""
    counts = Counter(w for c in group for w in _words(c.text) if w not in exclude)
    scored = sorted((w for w in counts if counts[w] >= 2), key=lambda w: (-(counts[w] ** 2) / doc_counts[w], w))
    return scored[:n]


def _heading(text: str) -> str:
    return _NUMBER.sub("", text).strip() or text


def build_topics(chunks: Sequence[Chunk], chunks_per_topic: int = 3) -> list[Topic]:
    """Leaves of the topic tree built from titles and headings of ``chunks`` (document order within a leaf)."""
    per_doc: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        per_doc[c.document_id].append(c)
    topics: list[Topic] = []
    for doc_id in sorted(per_doc):
        doc_chunks = sorted(per_doc[doc_id], key=lambda c: (c.index, c.id))
        title = doc_chunks[0].title or doc_chunks[0].source
        doc_counts = Counter(w for c in doc_chunks for w in _words(c.text))
        sections: dict[tuple[str, ...], list[Chunk]] = {}
        for c in doc_chunks:
            sections.setdefault(tuple(s for s in c.section if s and s != title), []).append(c)
        for section, members in sections.items():
            path = (title, *section)
            groups = [members[i : i + chunks_per_topic] for i in range(0, len(members), chunks_per_topic)]
            if len(groups) > 1 and len(groups[-1]) < (chunks_per_topic + 1) // 2:
                groups[-2].extend(groups.pop())  # no tiny tail subtopic
            heading_words = set(_words(" ".join(path)))
            for group in groups:
                leaf = tuple(_heading(h) for h in path)
                label = " › ".join(leaf)
                if len(groups) > 1:
                    words = _keywords(group, doc_counts, heading_words)
                    if words:
                        leaf = (*leaf, ", ".join(words))
                        label += f" (focus: {', '.join(words)})"
                ids = tuple(c.id for c in group)
                topics.append(Topic(content_hash(*ids)[:16], label, leaf, doc_id, ids))
    return topics


def topic_order(topics: Sequence[Topic], seed: int) -> list[Topic]:
    """A seeded order that takes one topic per document in turn."""
    return by_document(topics, _rng(seed, "textbook", "topics"))
