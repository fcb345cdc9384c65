"""``groundset ingest`` through its CLI with a hash embedder in place of MiniLM (the bookkeeping, not the model).

    python -m tests.reliability.run_ingest --workdir W ingest DOCS -q

Used by the reliability tests and benchmarks/faults.py, in a process of its own so that its peak memory can be
measured: with ``GROUNDSET_RSS_OUT=FILE`` it writes ``{"self_mb": ..., "readers_mb": ...}`` there at exit (peak RSS
of this process, and of the largest reader process).
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import sys


def _write_rss(path: str) -> None:
    kb = lambda who: resource.getrusage(who).ru_maxrss  # noqa: E731 - kilobytes on Linux
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"self_mb": kb(resource.RUSAGE_SELF) / 1024, "readers_mb": kb(resource.RUSAGE_CHILDREN) / 1024}, f)


def main() -> None:
    if os.environ.get("GROUNDSET_RSS_OUT"):
        atexit.register(_write_rss, os.environ["GROUNDSET_RSS_OUT"])
    import groundset.embed as embed_mod
    from groundset.cli import main as cli_main
    from tests.ingest.fakes import HashEmbedder

    embedder = HashEmbedder()
    embed_mod.load_embedder = lambda cfg: embedder
    sys.argv[0] = "groundset"
    cli_main()


if __name__ == "__main__":
    main()
