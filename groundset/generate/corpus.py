"""What the generators draw from: the stored chunks, their vectors, and retrieval by vector or by text.

>>> corpus = Corpus(store, encode=embedder.encode)          # doctest: +SKIP
>>> corpus.search_text("How do I sort a list?", limit=3)     # doctest: +SKIP
[(Chunk(...), 0.71), ...]

A thin layer over ``groundset.store.Store`` (anything with its ``iter_chunks / vectors / search`` methods works, which
is how tests use an in-memory fake). Chunks are listed in a fixed order (source, index, id) so that seed selection
is the same on every run over the same store content; vectors are fetched once and cached.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

from groundset.records import Chunk

__all__ = ["Corpus"]

Encode = Callable[[Sequence[str]], np.ndarray]
_PAGE = 1024


class Corpus:
    """Chunks + vectors of one store, with the embedder (loaded lazily by the caller's ``encode``) for text queries."""

    def __init__(self, store: Any, encode: Encode | None = None):
        self.store = store
        self._encode = encode
        self._chunks: list[Chunk] | None = None
        self._by_id: dict[str, Chunk] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def chunks(self) -> list[Chunk]:
        """Every stored chunk, ordered by (source, index, id)."""
        if self._chunks is None:
            chunks = sorted(self.store.iter_chunks(batch=_PAGE), key=lambda c: (c.source, c.index, c.id))
            self._chunks = chunks
            self._by_id = {c.id: c for c in chunks}
        return self._chunks

    def get(self, chunk_id: str) -> Chunk:
        self.chunks()
        return self._by_id[chunk_id]

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Stored vectors of ``ids`` (rows in order), fetched in pages and cached."""
        missing = [i for i in dict.fromkeys(ids) if i not in self._vectors]
        for start in range(0, len(missing), _PAGE):
            part = missing[start : start + _PAGE]
            for i, v in zip(part, self.store.vectors(part)):
                self._vectors[i] = np.asarray(v, dtype=np.float32)
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([self._vectors[i] for i in ids])

    def similar(
        self,
        vector: np.ndarray,
        limit: int,
        exclude_ids: Iterable[str] = (),
        exclude_document_ids: Iterable[str] = (),
    ) -> list[tuple[Chunk, float]]:
        """The ``limit`` chunks nearest to ``vector`` (cosine, best first)."""
        return self.store.search(
            vector, limit=limit, exclude_ids=list(exclude_ids), exclude_document_ids=list(exclude_document_ids)
        )

    @property
    def can_encode(self) -> bool:
        """True when texts can be embedded (``search_text`` works)."""
        return self._encode is not None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._encode is None:
            raise RuntimeError("this Corpus has no embedder: pass encode= to search by text")
        return np.asarray(self._encode(list(texts)), dtype=np.float32)

    def search_text(self, text: str, limit: int, exclude_ids: Iterable[str] = ()) -> list[tuple[Chunk, float]]:
        """Retrieve the chunks nearest to ``text`` (embedded with the corpus's embedding model)."""
        return self.similar(self.encode([text])[0], limit, exclude_ids)
