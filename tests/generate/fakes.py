"""Test doubles for the generate stage: tiny corpora, a bag-of-words embedder, an in-memory store, echo replies.

The echo responder answers every generator request from the documents in its prompt (first sentences, cited
labels), so runs are deterministic and grounded without a model; ``slow`` makes it sleep (for SIGKILL tests).
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Sequence

import numpy as np

from groundset.generate.echo import documents_of, echo_reply  # noqa: F401 - re-exported for the tests
from groundset.llm.base import ChatRequest
from groundset.llm.fake import FakeLLM
from groundset.records import Chunk

DIM = 64

DOCS = {
    "Lists": [
        (["More on Lists"], "Python lists are mutable sequences. The append method adds an item to the end of a "
         "list, and the pop method removes and returns the last item, so a list can work as a stack."),
        (["More on Lists"], "The sort method orders the items of a list in place. The sorted function returns a "
         "new sorted list and leaves the original list unchanged, which matters when other code keeps references."),
        (["Comprehensions"], "List comprehensions build a list from an iterable in one expression. A comprehension "
         "with a condition keeps only the matching items, which is shorter than an explicit loop with append."),
    ],
    "Dictionaries": [
        (["Mappings"], "A dictionary maps unique keys to values. Looking up a key that is missing raises a KeyError "
         "exception, while the get method returns a default value instead of failing."),
        (["Looping"], "When looping over a dictionary, the items method returns key and value pairs together. "
         "Dictionaries keep insertion order, so iteration follows the order in which keys were added."),
    ],
    "Errors": [
        (["Exceptions"], "Exceptions are raised when an error occurs at run time. A try statement with an except "
         "clause handles the exception, and a finally clause runs cleanup code whether or not an error happened."),
        (["Raising"], "The raise statement forces a chosen exception to occur. Custom exceptions are classes derived "
         "from the Exception class, usually with a name that ends in Error."),
        (["Footer"], "Copyright 2001 Python Software Foundation. All rights reserved. Previous topic. Next topic."),
    ],
    "Modules": [
        (["Importing"], "A module is a file containing Python definitions. The import statement loads a module once "
         "per interpreter session, and the dir function lists the names a module defines."),
        (["Packages"], "Packages structure modules with dotted names. A directory with an __init__ file is a regular "
         "package, and relative imports use leading dots to name sibling modules inside the same package."),
    ],
}


def make_chunks(docs: dict = DOCS) -> list[Chunk]:
    chunks = []
    for title, parts in docs.items():
        source = f"docs/{title.lower()}.html"
        doc_id = hashlib.sha256(source.encode()).hexdigest()
        for i, (section, text) in enumerate(parts):
            chunks.append(Chunk(id=Chunk.make_id(source, text), document_id=doc_id, source=source, title=title,
                                text=text, section=section, index=i, n_tokens=len(text.split()) + 5))
    return chunks


def bow_embed(texts: Sequence[str], dim: int = DIM) -> np.ndarray:
    """Hashed bag of words, L2-normalised: similar wording → similar vectors."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"[a-z]{3,}", t.lower()):
            out[i, int(hashlib.md5(w.encode()).hexdigest()[:6], 16) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


class MemoryStore:
    """The Store methods the generators use, over a list of chunks (brute-force cosine)."""

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray | None = None):
        self.chunks = list(chunks)
        self.vecs = bow_embed([c.text for c in chunks]) if vectors is None else vectors
        self.index = {c.id: i for i, c in enumerate(self.chunks)}
        self.dim = self.vecs.shape[1]

    def count(self) -> int:
        return len(self.chunks)

    def iter_chunks(self, batch: int = 256):
        yield from sorted(self.chunks, key=lambda c: c.id)

    def get(self, ids):
        return [self.chunks[self.index[i]] for i in ids if i in self.index]

    def vectors(self, ids) -> np.ndarray:
        return np.vstack([self.vecs[self.index[i]] for i in ids]) if ids else np.zeros((0, self.dim), np.float32)

    def search(self, vector, limit=10, *, exclude_ids=(), exclude_document_ids=(), document_id=None):
        scores = self.vecs @ np.asarray(vector, dtype=np.float32)
        ex, exd = set(exclude_ids), set(exclude_document_ids)
        hits = [(self.chunks[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")]
        hits = [(c, s) for c, s in hits if c.id not in ex and c.document_id not in exd
                and (document_id is None or c.document_id == document_id)]
        return hits[:limit]


def echo_llm(name: str = "fake", sleep: float = 0.0) -> FakeLLM:
    def reply(request: ChatRequest) -> str:
        if sleep:
            time.sleep(sleep)
        return echo_reply(request)

    return FakeLLM(name=name, default=reply)


class BowEmbedder:
    """Stands in for groundset.embed's embedder in tests whose store holds bag-of-words vectors."""

    name = "bow"
    dim = DIM
    max_tokens = 512

    def encode(self, texts, batch_size=None):
        return bow_embed(list(texts))

    def count_tokens(self, text):
        return len(text.split())


def fill_store(config, workdir, chunks=None):
    """Upsert the fake corpus (bag-of-words vectors) into the workdir's embedded Qdrant."""
    from groundset.store import open_store

    chunks = make_chunks() if chunks is None else chunks
    with open_store(config.store, workdir, dim=DIM) as store:
        store.upsert(chunks, bow_embed([c.text for c in chunks]))
    return chunks
