"""How fast and how clean groundset's readers are on ../shared/corpus, next to bare unstructured on the same files.

    .venv/bin/python benchmarks/readers.py [--corpus ../shared/corpus] [--skip-baseline]

Prints, per file type: files, documents, wall and CPU seconds, documents/s, blocks, characters and what was
dropped (CPU seconds tell what a machine shared with other jobs would take alone); then
before/after figures of the cleaning (bare ``unstructured.partition.auto.partition`` on the same file vs ours):
navigation text left in the Sphinx pages, titles vs accepted headings and running heads in the PDF, wrong
characters in the Windows-1252 book. Timings include the first-call imports of each format (spaCy, pdfminer).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from groundset.ingest.config import IngestConfig  # noqa: E402
from groundset.ingest.readers import discover, read_path  # noqa: E402

NAV = ["¶", "Previous topic", "Next topic", "This Page", "Show Source", "Quick search", "Navigation", "modules |",
       "Created using", "Last updated on"]


def read_group(name: str, paths: list[Path]) -> list:
    files, errors = discover(paths)
    assert not errors, errors
    cfg = IngestConfig()
    t0, c0 = time.perf_counter(), time.process_time()
    docs = [doc for f in files for doc in read_path(f, cfg)]
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    dropped: Counter = Counter()
    for d in docs:
        dropped.update(d.metadata.get("dropped", {}))
    blocks = sum(len(d.blocks) for d in docs)
    chars = sum(len(d.text) for d in docs)
    top = ", ".join(f"{k} {v}" for k, v in dropped.most_common(4))
    print(f"{name:<10} {len(files):>5} {len(docs):>5} {secs:>8.1f} {cpu:>8.1f} {len(docs) / secs:>7.2f} {blocks:>7} "
          f"{chars:>10,}  {top}")
    return docs


def baseline(corpus: Path, ours: dict[str, list]) -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from groundset.ingest import partition  # installs the offline spaCy hook unstructured needs here

    partition.install_offline_nlp()
    from unstructured.partition.auto import partition as un_partition

    print("\nbefore (bare unstructured) -> after (groundset)")
    html_files = sorted((corpus / "html").glob("*.html"))
    t0 = time.perf_counter()
    raw = {f.name: "\n\n".join(e.text for e in un_partition(filename=str(f))) for f in html_files}
    secs = time.perf_counter() - t0
    ours_text = {Path(d.source).name: d.text for d in ours["html"]}
    raw_hits = sum(t.count(j) for t in raw.values() for j in NAV)
    our_hits = sum(t.count(j) for t in ours_text.values() for j in NAV)
    print(f"html: navigation strings in text {raw_hits} -> {our_hits}; characters "
          f"{sum(map(len, raw.values())):,} -> {sum(map(len, ours_text.values())):,} (bare: {secs:.1f} s)")
    example = raw["appetite.html"].split("\n\n")[:6]
    print("  bare appetite.html starts:", " | ".join(s[:40] for s in example))
    print("  ours appetite.html starts:", " | ".join(b.text[:40] for b in next(
        d for d in ours["html"] if d.source.endswith("appetite.html")).blocks[:3]))

    pdf = corpus / "pdf" / "reportlab-userguide.pdf"
    t0 = time.perf_counter()
    elements = un_partition(filename=str(pdf), strategy="fast")
    secs = time.perf_counter() - t0
    kinds = Counter(type(e).__name__ for e in elements)
    doc = ours["pdf"][0]
    heads = [b for b in doc.blocks if b.kind == "title"]
    running_re = re.compile(r"Page \d+|User Guide")
    running = sum(1 for e in elements if running_re.fullmatch(e.text.strip()))
    ours_running = sum(1 for b in doc.blocks if running_re.fullmatch(b.text))
    print(f"pdf: {len(elements)} elements, {kinds['Title']} titles -> {len(doc.blocks)} blocks, {len(heads)} headings, "
          f"{len({tuple(b.section) for b in doc.blocks})} distinct section paths; 'Page N'/'User Guide' lines "
          f"{running} -> {ours_running} (bare: {secs:.1f} s)")

    book = corpus / "books" / "pg84_frankenstein_cp1252_crlf.txt"
    truth = book.read_bytes().decode("cp1252")
    bare = "\n\n".join(e.text for e in un_partition(filename=str(book)))
    ours_book = next(d for d in ours["books"] if d.source.endswith(".txt")).text
    want = Counter(c for c in truth if ord(c) > 127)
    for name, text in (("bare", bare), ("ours", ours_book)):
        got = Counter(c for c in text if ord(c) > 127)
        wrong = sum((got - want).values())
        print(f"cp1252 book, {name}: {wrong} non-ASCII characters not in the cp1252 decoding "
              f"(e.g. {[c for c in (got - want)][:5]}), 'dæmon' x{text.count('dæmon')}, 'dćmon' x{text.count('dćmon')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--skip-baseline", action="store_true", help="only time groundset's readers")
    args = ap.parse_args()
    c = args.corpus
    print(f"{'type':<10} {'files':>5} {'docs':>5} {'wall s':>8} {'cpu s':>8} {'docs/s':>7} {'blocks':>7} {'chars':>10}"
          "  dropped (top)")
    ours = {
        "html": read_group("html", [c / "html"]),
        "pdf": read_group("pdf", [c / "pdf"]),
        "books": read_group("epub+txt", [c / "books"]),
        "wikipedia": read_group("wikipedia", [c / "wikipedia"]),
    }
    if not args.skip_baseline:
        baseline(c, ours)


if __name__ == "__main__":
    main()
