"""Ingest with the local engine vs the Ray engine on this machine: the overhead ratio, Ray with 1 vs 2 CPUs, and
what one parallel writer can send to a Qdrant server.

    .venv/bin/python benchmarks/scale.py [--corpus groundset/demo/python-tutorial] [--wiki-pages 0] [--rounds 1]
                                         [--engines local,ray1,ray2]
    .venv/bin/python benchmarks/scale.py --writers 2 [--points 20000] [--dim 384]    # the writer part only

Each round ingests the same files into a fresh workdir three times, in this order: ``engine = "local"``, then
``engine = "ray"`` on a local Ray started with ``num_cpus`` = 1 and = 2 (each Ray is started before its timing and
shut down after it; the start is reported apart). ``--wiki-pages N`` adds a synthetic Wikipedia XML dump of N pages
(split into parts on Ray). Printed: chunks, wall seconds, chunks/s and the ratio to the local run of the same round,
the CPU seconds of this process (the driver), and the CPU seconds of every process of the run (the driver, its
reader process, the Ray workers, raylet and GCS: sampled from /proc every 0.2 s, so workers that exit count too),
with chunks per CPU-second: the per-worker rate a cluster plan can start from, less sensitive to other jobs than
wall time (not immune: ONNX Runtime's threads spin while they wait, and spin longer on a contended machine).

``--writers K`` (1..K processes) measures the client side of parallel writers: each process opens its own
``open_writer`` and sends ``--points`` random ``--dim`` vectors with chunk payloads in ``wait=False`` batches to
``tests/engines/qdrant_stub.py`` in acknowledge-only mode (bodies read, not parsed or stored), and reports points/s
and points per CPU-second of the writer processes. That is what one Python writer costs (building the JSON of 256
points × 384 floats), not what a Qdrant server absorbs: no server runs here. A 2-core machine cannot show Ray's
scaling: what this measures is Ray's overhead on one machine (task and actor start-up, model loads per worker,
serialisation), not the throughput of a cluster. On a machine shared with other jobs, read the ratios.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from groundset.config import load_config  # noqa: E402
from groundset.ingest.pipeline import ingest  # noqa: E402
from groundset.workdir import Workdir  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _wiki(path: Path, pages: int) -> Path:
    body = []
    for i in range(pages):
        text = " ".join(f"Sentence {k} of article {i} describes a river, a town and a year such as {1800 + k}."
                        for k in range(40))
        body.append(f"  <page>\n    <title>Article {i}</title>\n    <ns>0</ns>\n    <id>{i}</id>\n"
                    f"    <revision><text>{text}</text></revision>\n  </page>\n")
    path.write_text("<mediawiki>\n" + "".join(body) + "</mediawiki>\n")
    return path


class _TreeCPU:
    """CPU seconds of this process and its descendants (Ray's raylet, GCS and workers; a reader process) over a run.

    A sampler thread reads every live descendant's CPU times each 0.2 s and keeps the last value seen per pid, so a
    worker that exits during the run (an actor killed when its Dataset ends) still counts up to its last sample."""

    def __init__(self):
        import threading

        self.start = self._sample()
        self.last = dict(self.start)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _sample() -> dict[int, float]:
        import psutil

        me = psutil.Process()
        out = {}
        for p in [me, *me.children(recursive=True)]:
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except psutil.Error:
                continue
        return out

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            self.last.update(self._sample())

    def seconds(self) -> float:
        self.stop.set()
        self.thread.join()
        self.last.update(self._sample())
        return sum(v - self.start.get(pid, 0.0) for pid, v in self.last.items())


def _one(paths: list[Path], engine: str, tmp: Path, num_cpus: int | None) -> dict:
    import ray

    start = 0.0
    if engine == "ray":
        t = time.perf_counter()
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
        start = time.perf_counter() - t
    config = load_config(None, {"run.engine": engine, "run.ray_dump_part_mb": 0.5})
    cpu, tree, t = _cpu(), _TreeCPU(), time.perf_counter()
    result = ingest(paths, config, Workdir(tmp / f"{engine}-{num_cpus}"), progress=False)
    wall = time.perf_counter() - t
    tree = tree.seconds()
    if engine == "ray":
        ray.shutdown()
    return {"engine": engine if engine == "local" else f"ray num_cpus={num_cpus}", "chunks": result.chunks_new,
            "wall": wall, "cpu": _cpu() - cpu, "tree": tree, "start": start}


def _writer(url: str, points: int, dim: int, out) -> None:
    """One writer process: its own client, ``points`` chunks in wait=False batches; reports (seconds, CPU s)."""
    import numpy as np

    from groundset.ingest.config import StoreConfig
    from groundset.records import Chunk
    from groundset.store import open_writer

    rng = np.random.default_rng(os.getpid())
    text = "A chunk of about sixty words of English text, as a Wikipedia paragraph gives them. " * 6
    chunks = [Chunk(id=Chunk.make_id(f"w{os.getpid()}", f"{i}"), document_id="d", source="dump#T", title="T",
                    text=text, index=i, n_tokens=60) for i in range(points)]
    vectors = rng.random((points, dim), dtype=np.float32)
    writer = open_writer(StoreConfig(url=url, collection="bench"))
    cpu, t = _cpu(), time.perf_counter()
    for i in range(0, points, 2048):  # as an embedding actor sends them: a batch of chunks at a time
        writer.upsert(chunks[i : i + 2048], vectors[i : i + 2048], wait=False)
    out.put((time.perf_counter() - t, _cpu() - cpu))
    writer.close()


def writers(max_writers: int, points: int, dim: int) -> None:
    """Client-side upsert rate of 1..max_writers parallel writer processes (see the module docstring)."""
    import multiprocessing as mp

    from groundset.ingest.config import StoreConfig
    from groundset.store import open_store
    from tests.engines.qdrant_stub import QdrantStub

    ctx = mp.get_context("spawn")
    with QdrantStub(ack_only=True) as stub, tempfile.TemporaryDirectory() as d:
        open_store(StoreConfig(url=stub.url, collection="bench"), Workdir(Path(d)), dim=dim).close()
        for k in range(1, max_writers + 1):
            out = ctx.Queue()
            procs = [ctx.Process(target=_writer, args=(stub.url, points, dim, out)) for _ in range(k)]
            t = time.perf_counter()
            for p in procs:
                p.start()
            got = [out.get() for _ in procs]
            wall = time.perf_counter() - t  # includes the processes' start and data preparation
            for p in procs:
                p.join()
            send = max(s for s, _ in got)
            cpu = sum(c for _, c in got)
            print(f"  {k} writer(s) x {points} points of {dim} dims: {k * points / send:8.0f} points/s while "
                  f"sending ({send:5.1f} s), {k * points / cpu:8.0f} points per writer CPU-second, "
                  f"{wall:5.1f} s wall with start-up", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "groundset" / "demo" / "python-tutorial")
    ap.add_argument("--wiki-pages", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--engines", default="local,ray1,ray2", help="which runs, of local, ray1, ray2 (comma-separated)")
    ap.add_argument("--writers", type=int, default=0, help="only the parallel-writer part, with 1..N writers")
    ap.add_argument("--points", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=384)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other jobs share it)")
    if args.writers:
        writers(args.writers, args.points, args.dim)
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        paths = [args.corpus] + ([_wiki(tmp / "dump.xml", args.wiki_pages)] if args.wiki_pages else [])
        from groundset.embed import load_embedder

        load_embedder(load_config(None).embed)  # the ONNX export (cached on disk) is paid before any timing
        for r in range(args.rounds):
            print(f"round {r + 1}:", flush=True)
            base = None
            runs = {"local": ("local", None), "ray1": ("ray", 1), "ray2": ("ray", 2)}
            for engine, cpus in (runs[name] for name in args.engines.split(",")):
                row = _one(paths, engine, tmp / f"r{r}", cpus)
                rate = row["chunks"] / row["wall"]
                base = base or rate
                print(f"  {row['engine']:<16} {row['chunks']:>6} chunks  {row['wall']:7.1f} s wall  {rate:7.1f} "
                      f"chunks/s  ratio to the first run {rate / base:5.2f}  driver CPU {row['cpu']:6.1f} s  "
                      f"all processes {row['tree']:6.1f} CPU s "
                      f"({row['chunks'] / max(row['tree'], 1e-9):5.1f} chunks/CPU-s)"
                      + (f"  (Ray start {row['start']:.1f} s, not in the wall time)" if row["start"] else ""),
                      flush=True)


if __name__ == "__main__":
    main()
