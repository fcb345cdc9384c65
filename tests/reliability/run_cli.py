"""The ``groundset`` CLI with a test embedder in place of MiniLM (the bookkeeping, not the model).

    python -m tests.reliability.run_cli --workdir W ingest DOCS -q
    python -m tests.reliability.run_cli --workdir W generate --llm fake -q

Used by the reliability tests and benchmarks/faults.py, in a process of its own so that its memory can be measured
and so that it can be killed. ``GROUNDSET_TEST_EMBEDDER``: ``hash`` (default; tests/ingest/fakes.py) or ``bow``
(bag of words, tests/generate/fakes.py: similar wording, similar vectors, so generate finds partners) or ``real``
(the configured model).
With ``GROUNDSET_PEAK_DIR=DIR`` (``peaks.ENV``) this process and each reader process write their own peak RSS
(``VmHWM``, see peaks.py) there: ``cli-<pid>.json`` at exit, ``reader-<pid>.json`` after every file and at exit.
"""

from __future__ import annotations

import atexit
import os
import sys

from groundset.ingest import reading
from tests.reliability.peaks import ENV, write_peak

_read_file = reading.read_file
_limit_memory = reading.limit_process_memory


def reader_read_file(path, cfg):
    """``reading.read_file`` in a reader process, then this process's peak so far."""
    try:
        return _read_file(path, cfg)
    finally:
        if os.environ.get(ENV):
            write_peak("reader", os.environ[ENV])


def reader_init(megabytes):
    """The reader processes' initializer, which also writes the reader's peak when it exits."""
    if os.environ.get(ENV):
        atexit.register(write_peak, "reader", os.environ[ENV])
    _limit_memory(megabytes)


def test_embedder(kind: str = "hash"):
    """``hash`` (tests/ingest/fakes.py) or ``bow`` (tests/generate/fakes.py, with the ``text_limit`` ingest needs)."""
    if kind == "bow":
        from tests.generate.fakes import BowEmbedder

        embedder = BowEmbedder()
        embedder.text_limit = embedder.max_tokens
        return embedder
    from tests.ingest.fakes import HashEmbedder

    return HashEmbedder()


def main() -> None:
    if os.environ.get(ENV):
        atexit.register(write_peak, "cli", os.environ[ENV])
    import groundset.embed as embed_mod
    from groundset.cli import main as cli_main

    kind = os.environ.get("GROUNDSET_TEST_EMBEDDER", "hash")
    if kind != "real":  # real: the configured model, as `groundset` loads it
        embedder = test_embedder(kind)
        embed_mod.load_embedder = lambda cfg: embedder
    reading.read_file, reading.limit_process_memory = reader_read_file, reader_init  # pickled by reference
    sys.argv[0] = "groundset"
    cli_main()


if __name__ == "__main__":
    main()
