"""Decontamination: drop samples that share text with evaluation benchmarks the user names, so that benchmarks do
not leak into training data.

A sample is contaminated when any of its texts (question, answer, turns, passage) shares a word ``n``-gram
(default 13, as in GPT-3's decontamination) with a benchmark string, or contains a whole benchmark string of at
least ``min_words`` words that is shorter than ``n`` (benchmark questions are often only 8–12 words long).
Texts are compared normalised (case, accents, punctuation removed).

Benchmarks: ``.jsonl`` / ``.json`` (every string value, nested too), ``.txt`` (one string per line), ``.csv``
(every cell), ``.parquet``, or a directory saved with ``datasets.save_to_disk`` (its ``.arrow`` files) or holding
such files. pyarrow reads parquet and arrow files.

>>> d = Decontaminator.from_strings({"bench.jsonl": ["Which planet is known as the red planet in our solar system?"]})
>>> d.check(["Which planet is known as the Red Planet in our solar system? Mars."])
('bench.jsonl', 'which planet is known as the red planet in our solar system')
>>> d.check(["Mars is red."]) is None
True
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterable, Iterator

from groundset.errors import InputError
from groundset.evaluate.text import normalise

__all__ = ["Decontaminator", "read_strings"]

_SUFFIXES = (".jsonl", ".json", ".txt", ".csv", ".parquet", ".arrow")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _arrow_rows(path: Path) -> Iterator[dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        yield from pq.read_table(path).to_pylist()
        return
    with pa.memory_map(str(path)) as source:
        try:
            table = pa.ipc.open_stream(source).read_all()
        except pa.ArrowInvalid:
            table = pa.ipc.open_file(source).read_all()
    yield from table.to_pylist()


def read_strings(path: str | Path) -> Iterator[str]:
    """Every string in a benchmark file or dataset directory (see module docstring)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.suffix in _SUFFIXES and f.name not in ("dataset_info.json", "state.json"))
        if not files:
            raise InputError(str(p), "no_benchmark_files", f"expected {', '.join(_SUFFIXES)} files inside")
        for f in files:
            yield from read_strings(f)
        return
    if not p.is_file():
        raise InputError(str(p), "not_found", "check the path in [evaluate] decontaminate")
    try:
        if p.suffix == ".jsonl":
            for line in p.open(encoding="utf-8"):
                if line.strip():
                    yield from _strings(json.loads(line))
        elif p.suffix == ".json":
            yield from _strings(json.loads(p.read_text(encoding="utf-8")))
        elif p.suffix == ".csv":
            with p.open(encoding="utf-8", newline="") as f:
                for row in csv.reader(f):
                    yield from row
        elif p.suffix in (".parquet", ".arrow"):
            for row in _arrow_rows(p):
                yield from _strings(row)
        else:
            yield from (line for line in p.open(encoding="utf-8") if line.strip())
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, ValueError) as e:
        raise InputError(str(p), "unreadable_benchmark", f"{type(e).__name__}: {e}") from None


class Decontaminator:
    """An n-gram index over benchmark strings; ``check(texts)`` names the first benchmark a text overlaps."""

    def __init__(self, n: int = 13, min_words: int = 6):
        self.n = n
        self.min_words = min_words
        self.ngrams: dict[int, str] = {}  # hash of an n-gram → benchmark it came from
        self.short: dict[int, dict[int, str]] = {}  # length → hash of a whole short string → benchmark
        self.count = 0

    @classmethod
    def from_paths(cls, paths: Iterable[str], n: int = 13, min_words: int = 6) -> "Decontaminator":
        d = cls(n, min_words)
        for path in paths:
            d.add(path, read_strings(path))
        return d

    @classmethod
    def from_strings(cls, named: dict[str, list[str]], n: int = 13, min_words: int = 6) -> "Decontaminator":
        d = cls(n, min_words)
        for name, strings in named.items():
            d.add(name, strings)
        return d

    def add(self, name: str, strings: Iterable[str]) -> None:
        for s in strings:
            w = normalise(s).split()
            if len(w) >= self.n:
                for i in range(len(w) - self.n + 1):
                    self.ngrams.setdefault(hash(" ".join(w[i : i + self.n])), name)
            elif len(w) >= self.min_words:
                self.short.setdefault(len(w), {}).setdefault(hash(" ".join(w)), name)
            else:
                continue
            self.count += 1

    def check(self, texts: Iterable[str]) -> tuple[str, str] | None:
        """(benchmark, overlapping text) for the first overlap found, or None."""
        for text in texts:
            w = normalise(text or "").split()
            for length, table in [(self.n, self.ngrams), *self.short.items()]:
                for i in range(len(w) - length + 1):
                    gram = " ".join(w[i : i + length])
                    hit = table.get(hash(gram))
                    if hit is not None:
                        return hit, gram
        return None
