"""Ingest with the local engine vs the Ray engine on this machine: the overhead ratio, and Ray with 1 vs 2 CPUs.

    .venv/bin/python benchmarks/scale.py [--corpus groundset/demo/python-tutorial] [--wiki-pages 0] [--rounds 1]

Each round ingests the same files into a fresh workdir three times, in this order: ``engine = "local"``, then
``engine = "ray"`` on a local Ray started with ``num_cpus`` = 1 and = 2 (each Ray is started before its timing and
shut down after it; the start is reported apart). ``--wiki-pages N`` adds a synthetic Wikipedia XML dump of N pages
(split into parts on Ray). Printed: chunks, wall seconds, chunks/s and the ratio to the local run of the same round,
plus the CPU seconds of this process (the Ray workers' CPU is not in it). A 2-core machine cannot show Ray's
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


def _one(paths: list[Path], engine: str, tmp: Path, num_cpus: int | None) -> dict:
    import ray

    start = 0.0
    if engine == "ray":
        t = time.perf_counter()
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
        start = time.perf_counter() - t
    config = load_config(None, {"run.engine": engine, "run.ray_dump_part_mb": 0.5})
    cpu, t = _cpu(), time.perf_counter()
    result = ingest(paths, config, Workdir(tmp / f"{engine}-{num_cpus}"), progress=False)
    wall = time.perf_counter() - t
    if engine == "ray":
        ray.shutdown()
    return {"engine": engine if engine == "local" else f"ray num_cpus={num_cpus}", "chunks": result.chunks_new,
            "wall": wall, "cpu": _cpu() - cpu, "start": start}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "groundset" / "demo" / "python-tutorial")
    ap.add_argument("--wiki-pages", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other jobs share it)")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        paths = [args.corpus] + ([_wiki(tmp / "dump.xml", args.wiki_pages)] if args.wiki_pages else [])
        from groundset.embed import load_embedder

        load_embedder(load_config(None).embed)  # the ONNX export (cached on disk) is paid before any timing
        for r in range(args.rounds):
            print(f"round {r + 1}:", flush=True)
            base = None
            for engine, cpus in (("local", None), ("ray", 1), ("ray", 2)):
                row = _one(paths, engine, tmp / f"r{r}", cpus)
                rate = row["chunks"] / row["wall"]
                base = base or rate
                print(f"  {row['engine']:<16} {row['chunks']:>6} chunks  {row['wall']:7.1f} s wall  {rate:7.1f} "
                      f"chunks/s  ratio to local {rate / base:5.2f}  driver CPU {row['cpu']:6.1f} s"
                      + (f"  (Ray start {row['start']:.1f} s, not in the wall time)" if row["start"] else ""),
                      flush=True)


if __name__ == "__main__":
    main()
