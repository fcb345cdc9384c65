"""End-to-end ingest throughput on ../shared/corpus: ours vs bare encode, and ours vs LlamaIndex's IngestionPipeline.

    .venv/bin/python benchmarks/ingest.py [--corpus ../shared/corpus] [--wikipedia] [--rounds 2] [--no-peer]
                                         [--backend auto|onnx|sentence-transformers] [--batch-size 32]

Prints, per round (ours and the peer alternate, same files, same process):
- ours: documents/s, chunks/s and tokens/s of ``groundset.ingest.pipeline.ingest`` into a fresh embedded Qdrant
  (read + clean + chunk + embed + upsert, progress bars off), then the bare ``encode`` of the very same chunk texts
  with the same embedder object, and the ratio end-to-end / bare (target >= 0.8);
- peer: LlamaIndex ``IngestionPipeline`` (SentenceSplitter 256 tokens, overlap 32, ``HuggingFaceEmbedding`` of the
  bundled all-MiniLM-L6-v2 by local path, default batch 10, local ``QdrantVectorStore``) fed by
  ``SimpleDirectoryReader`` (html / txt as text; pdf page by page with pypdf and epub chapter by chapter, as
  llama-index-readers-file does, which is not installed here because it would downgrade pandas);
- the ratio ours / peer chunks/s (target >= 1.5), and the lowest cosine between our stored vectors and fp32
  sentence-transformers vectors of the same chunks (target >= 0.99 for every chunk).
Embedding models are loaded (and the ONNX export cached) before timing, on both sides. On a machine shared with
other jobs, compare the per-round ratios rather than absolute figures; CPU seconds are printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import numpy as np  # noqa: E402

from groundset.config import load_config  # noqa: E402
from groundset.embed import AMX_ENV, cpu_has_bf16_matrix_units, default_model_path, load_embedder  # noqa: E402
from groundset.workdir import Workdir  # noqa: E402


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (ingest's reader process)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def run_ours(paths: list[Path], overrides: dict) -> dict:
    from groundset.ingest.pipeline import ingest
    from groundset.store import open_store

    cfg = load_config(None, overrides)
    embedder = load_embedder(cfg.embed)
    with tempfile.TemporaryDirectory(prefix="gs-bench-") as tmp:
        wd = Workdir(tmp)
        c0 = _cpu()
        result = ingest(paths, cfg, wd, progress=False)
        cpu = _cpu() - c0
        with open_store(cfg.store, wd) as store:
            chunks = list(store.iter_chunks())
            stored = store.vectors([c.id for c in chunks])
    texts = [c.text for c in chunks]
    t0 = time.perf_counter()
    embedder.encode(texts, batch_size=cfg.embed.batch_size)
    bare = time.perf_counter() - t0
    n, secs = len(chunks), result.seconds
    return {
        "documents": result.documents, "chunks": n, "seconds": secs, "cpu": cpu, "failed": len(result.failed),
        "docs_s": result.documents / secs, "chunks_s": n / secs, "tokens_s": sum(c.n_tokens for c in chunks) / secs,
        "bare_chunks_s": n / bare, "ratio_bare": (n / secs) / (n / bare), "timings": result.timings,
        "texts": texts, "stored": stored,
    }


def _peer_docs(paths: list[Path]):
    """Documents the way SimpleDirectoryReader + llama-index-readers-file would read them."""
    from bs4 import BeautifulSoup
    from llama_index.core import Document, SimpleDirectoryReader
    from llama_index.core.readers.base import BaseReader
    from pypdf import PdfReader

    class PageReader(BaseReader):  # = llama-index-readers-file PDFReader: one Document per page
        def load_data(self, file, extra_info=None, fs=None):
            pdf = PdfReader(str(file))
            return [Document(text=p.extract_text() or "", metadata={"file_name": Path(file).name, "page_label": i + 1})
                    for i, p in enumerate(pdf.pages)]

    class EpubReader(BaseReader):  # = llama-index-readers-file EpubReader: chapter html -> text, joined
        def load_data(self, file, extra_info=None, fs=None):
            with zipfile.ZipFile(file) as z:
                parts = [BeautifulSoup(z.read(n), "html.parser").get_text("\n") for n in sorted(z.namelist())
                         if n.endswith((".html", ".xhtml", ".htm"))]
            return [Document(text="\n".join(parts), metadata={"file_name": Path(file).name})]

    files = [str(p) for path in paths for p in sorted(path.rglob("*") if path.is_dir() else [path]) if p.is_file()]
    reader = SimpleDirectoryReader(input_files=files, file_extractor={".pdf": PageReader(), ".epub": EpubReader()},
                                   errors="replace")
    return reader.load_data()


def peer_setup():
    from llama_index.core import Settings
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    Settings.llm = None
    return HuggingFaceEmbedding(model_name=default_model_path(), device="cpu")


def run_peer(paths: list[Path], embed_model) -> dict:
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.qdrant import QdrantVectorStore
    from qdrant_client import QdrantClient

    with tempfile.TemporaryDirectory(prefix="li-bench-") as tmp:
        client = QdrantClient(path=tmp)
        try:
            store = QdrantVectorStore(client=client, collection_name="peer")
            pipeline = IngestionPipeline(
                transformations=[SentenceSplitter(chunk_size=256, chunk_overlap=32), embed_model], vector_store=store)
            t0, c0 = time.perf_counter(), _cpu()
            docs = _peer_docs(paths)
            nodes = pipeline.run(documents=docs)
            secs, cpu = time.perf_counter() - t0, _cpu() - c0
        finally:
            client.close()
    return {"documents": len(docs), "chunks": len(nodes), "seconds": secs, "cpu": cpu, "chunks_s": len(nodes) / secs,
            "texts": [n.get_content() for n in nodes]}


def cosine_to_fp32(texts: list[str], vectors: np.ndarray) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(default_model_path(), device="cpu")
    ref = st.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    return (ref * vectors).sum(axis=1)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (figures are only true for the CPU they were measured on)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--wikipedia", action="store_true", help="also ingest the Wikipedia dump slice")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true", help="skip LlamaIndex (ours vs bare encode only)")
    ap.add_argument("--backend", default="auto", choices=["auto", "onnx", "sentence-transformers"])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--workers", type=int, default=None, help="[ingest] workers (default: the config default)")
    args = ap.parse_args()
    paths = [args.corpus / d for d in ("html", "pdf", "books")] + ([args.corpus / "wikipedia"] if args.wikipedia else [])
    overrides = {"embed.backend": args.backend, "embed.batch_size": str(args.batch_size)}
    if args.workers is not None:
        overrides["ingest.workers"] = str(args.workers)
    embedder = load_embedder(load_config(None, overrides).embed)
    print(f"cpu: {cpu_model()}; AMX bf16 {'yes' if cpu_has_bf16_matrix_units() else 'no'}"
          f" (force a branch with {AMX_ENV}=1 or 0)")
    print(f"corpus {args.corpus} ({', '.join(p.name for p in paths)}); ours: {type(embedder).__name__}"
          f"{' int8' if getattr(embedder, 'quantized', False) else ''}{' ' + embedder.precision if hasattr(embedder, 'precision') else ''}, batch {args.batch_size}; cores {os.cpu_count()}")
    peer_model = None if args.no_peer else peer_setup()
    ours_runs, peer_runs = [], []
    for r in range(args.rounds):
        if peer_model is not None:
            p = run_peer(paths, peer_model)
            peer_runs.append(p)
            print(f"round {r} peer: {p['documents']} docs, {p['chunks']} chunks in {p['seconds']:.1f} s "
                  f"(cpu {p['cpu']:.1f}) = {p['chunks_s']:.1f} chunks/s", flush=True)
        o = run_ours(paths, overrides)
        ours_runs.append(o)
        t = ", ".join(f"{k} {v:.1f}" for k, v in o["timings"].items())
        print(f"round {r} ours: {o['documents']} docs, {o['chunks']} chunks in {o['seconds']:.1f} s (cpu {o['cpu']:.1f};"
              f" {t}) = {o['docs_s']:.2f} docs/s, {o['chunks_s']:.1f} chunks/s, {o['tokens_s']:.0f} tokens/s; bare "
              f"encode {o['bare_chunks_s']:.1f} chunks/s; end-to-end / bare = {o['ratio_bare']:.2f}"
              + (f"; ours / peer = {o['chunks_s'] / peer_runs[-1]['chunks_s']:.2f}" if peer_runs else ""), flush=True)
    med = lambda xs: statistics.median(xs)  # noqa: E731
    print(f"\nours (median of {len(ours_runs)}): {med([o['docs_s'] for o in ours_runs]):.2f} documents/s, "
          f"{med([o['chunks_s'] for o in ours_runs]):.1f} chunks/s; end-to-end / bare encode = "
          f"{med([o['ratio_bare'] for o in ours_runs]):.2f} (target >= 0.8)")
    if peer_runs:
        ratios = [o["chunks_s"] / p["chunks_s"] for o, p in zip(ours_runs, peer_runs)]
        per_cpu = [(o["chunks"] / o["cpu"]) / (p["chunks"] / p["cpu"]) for o, p in zip(ours_runs, peer_runs)]
        print(f"peer (median): {med([p['chunks_s'] for p in peer_runs]):.1f} chunks/s; ours / peer per round: "
              f"{', '.join(f'{x:.2f}' for x in ratios)} -> median {med(ratios):.2f} (target >= 1.5); "
              f"per CPU second: {', '.join(f'{x:.2f}' for x in per_cpu)}")
        toks = [embedder.count_tokens(t) for t in peer_runs[-1]["texts"]]
        print(f"peer chunks in MiniLM tokens: median {med(toks):.0f}, {sum(t > 254 for t in toks)} of {len(toks)} "
              f"over 254 (silently truncated by the model); ours: median "
              f"{med([embedder.count_tokens(t) for t in ours_runs[-1]['texts']]):.0f}, max limit 254")
    cos = cosine_to_fp32(ours_runs[-1]["texts"], ours_runs[-1]["stored"])
    print(f"stored vectors vs fp32 sentence-transformers: min cosine {cos.min():.4f}, mean {cos.mean():.4f}, "
          f"{int((cos < 0.99).sum())} of {len(cos)} chunks below 0.99")


if __name__ == "__main__":
    main()
