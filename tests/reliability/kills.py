"""``kill -9`` a stage at seeded random moments, resume it each time, and compare with an uninterrupted run.

>>> report = kill_and_resume(prepare(tmp), "generate", kills=20, seed=0)       # doctest: +SKIP
>>> report.kills, report.lost, report.duplicated, report.torn, report.equal
(20, 0, 0, 0, True)

Per stage: a workdir holding the stage's inputs (ingest: nothing; generate: an ingested corpus; evaluate: its
samples) is copied. ``reference`` runs the stage uninterrupted in this process; ``timing`` runs it again in a
forked child (it must give the same result; ``T`` is how long it took). ``killed`` runs it in forked children,
each SIGKILLed (its whole process group) at a moment drawn from U(0, 1.05 T) and resumed by the next, until a run
ends by itself before its moment: that completes a *chain*, whose result is compared with the reference, and the
next chain starts again from the inputs. This goes on until ``kills`` SIGKILLs have hit a live run; one last
uninterrupted run completes the last chain. Every kill lands in a run that still has work to do, at a moment as
likely in start-up as in the middle of the work or in the final writes.

After every kill: each JSON file of the workdir parses, each JSONL line parses (a half line at the very end of a
file is counted in ``torn_after_kill``: the next run cuts it off and redoes that record), ``evaluated/`` holds
one evaluation (kept and rejected as many lines as its summary says), and, for ingest, the embedded Qdrant opens. At the end the killed workdir must hold what the reference does: the same ids and records
(Qdrant points and their payloads; samples and rejects; kept and rejected), their per-file outcomes, and a
state.json entry that says the stage is done and current, and no file the reference does not have (``litter``:
temporaries a kill left). Summed over the chains: ``lost``, reference ids missing; ``duplicated``, ids (in Qdrant:
chunk texts of a source) held more than once; ``torn``, lines that do not parse. ``trail``: how far the stage had
got at each kill (points stored, records written, replies cached); ``mid_work``: kills after which it had got
further than before but not to the end.

The stages run through the real CLI (``groundset --workdir W --config C STAGE``) with a bag-of-words embedder, the
shipped ``fake`` LLM (both slowed, ``harness.DELAYS``, so that kills land among the texts and replies) and a tiny
corpus. The
children are forked from a process that has already run each stage once, so a cycle costs the stage's work, not
its imports (seconds of llama-index and qdrant-client).
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability.harness import STAGES, Harness, set_stage

__all__ = ["KillReport", "kill_and_resume", "prepare", "check_after_kill", "progress", "STAGES"]

@dataclass
class KillReport:
    """What one stage's kill series found (see the module doc for the meaning of each count)."""

    stage: str
    kills: int = 0
    cycles: int = 0
    records: int = 0
    lost: int = 0
    duplicated: int = 0
    torn: int = 0
    torn_after_kill: int = 0
    broken_after_kill: list[str] = field(default_factory=list)
    chains: int = 0
    mid_work: int = 0  # killed runs that had stored something new and were not finished
    trail: list[int] = field(default_factory=list)
    litter: list[str] = field(default_factory=list)
    equal: bool = False
    differences: list[str] = field(default_factory=list)
    run_s: float = 0.0
    seconds: float = 0.0

    def row(self) -> dict[str, Any]:
        return asdict(self)


# --- what a workdir holds ------------------------------------------------------------------------------------------
def _jsonl(path: Path) -> tuple[list[dict], int, int]:
    """(records, torn lines ending in a newline, a half last line without one: 0 or 1)."""
    records, torn, tail = [], 0, 0
    data = path.read_bytes()
    lines = data.split(b"\n")
    last = lines.pop()  # b"" when the file ends with a newline
    for raw in lines:
        try:
            records.append(json.loads(raw))
        except ValueError:
            torn += 1
    if last:
        tail = 1
    return records, torn, tail


def progress(workdir: Path, stage: str) -> int:
    """How far the stage got: points stored (ingest), records written (generate), replies cached (evaluate)."""
    if stage == "ingest":
        return len(_points(workdir)) if (workdir / "qdrant").exists() else 0
    if stage == "generate":
        return sum(len(_jsonl(p)[0]) for p in workdir.glob("samples/*.jsonl"))
    from groundset.llm.cache import ResponseCache

    cache = ResponseCache(workdir / "llm-cache.sqlite")
    try:
        return len(cache)
    finally:
        cache.close()


def litter(workdir: Path, reference: Path) -> list[str]:
    """Files of ``workdir`` that the uninterrupted run does not leave (temporaries a kill left behind)."""
    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                and not p.name.startswith(("usage.json", "llm-cache.sqlite"))}  # SQLite's -wal/-shm come and go
    return sorted(files(workdir) - files(reference))


def check_after_kill(workdir: Path, stage: str) -> tuple[int, int, list[str]]:
    """(torn lines, half last lines, files or stores that are broken) of a workdir a kill just left."""
    torn = tails = 0
    broken = []
    for p in sorted(workdir.rglob("*.jsonl")):
        _, t, tail = _jsonl(p)
        torn, tails = torn + t, tails + tail
        if t:
            broken.append(f"{p.relative_to(workdir)}: {t} torn line(s)")
    for p in sorted(workdir.rglob("*.json")):
        if "qdrant" in p.parts:
            continue
        try:
            json.loads(p.read_text(encoding="utf-8"))
        except ValueError as e:
            broken.append(f"{p.relative_to(workdir)}: {e}")
    if stage == "ingest" and (workdir / "qdrant").exists():
        try:
            _points(workdir)
        except Exception as e:  # noqa: BLE001 - whatever it is, the store does not open
            broken.append(f"qdrant: {type(e).__name__}: {e}")
    evaluated = workdir / "evaluated"
    if (evaluated / "summary.json").exists():  # the three outputs of one evaluation, never a mix of two
        counts = json.loads((evaluated / "summary.json").read_text())
        lines = [sum(1 for _ in _jsonl(evaluated / n)[0]) if (evaluated / n).exists() else None
                 for n in ("kept.jsonl", "rejected.jsonl")]
        if lines != [counts.get("kept"), counts.get("rejected")]:
            broken.append(f"evaluated/: kept, rejected = {lines}, summary says {counts.get('kept')}, "
                          f"{counts.get('rejected')}")
    return torn, tails, broken


def _config():
    from groundset.config import load_config

    return load_config(None, {})


def _points(workdir: Path) -> dict[str, dict]:
    from groundset.store import open_store
    from groundset.workdir import Workdir

    with open_store(_config().store, Workdir(workdir)) as store:
        chunks = list(store.iter_chunks())
        vectors = store.vectors([c.id for c in chunks]) if chunks else []
    return {c.id: {**c.model_dump(mode="json"), "vector": [round(float(x), 5) for x in v]}
            for c, v in zip(chunks, vectors)}


def _state(workdir: Path, stage: str, config_path: Path) -> dict:
    """The stage's state.json entry without ``inputs`` (it hashes this workdir's paths), plus whether it is current."""
    from groundset.config import load_config
    from groundset.stages import is_current
    from groundset.workdir import Workdir

    entry = dict(json.loads((workdir / "state.json").read_text()).get(stage) or {})
    config = load_config(config_path, {"ingest.paths": [str(config_path.parent / "docs")]})
    entry["current"] = is_current(stage, config, Workdir(workdir))
    entry.pop("inputs", None)
    return entry


def snapshot(workdir: Path, stage: str, config_path: Path) -> tuple[dict[str, Any], list[str], int]:
    """(what must equal the reference, the record keys (for lost / duplicated), torn lines)."""
    torn = 0
    keys: list[str] = []
    snap: dict[str, Any] = {"state": _state(workdir, stage, config_path)}
    if stage == "ingest":
        points = _points(workdir)
        snap["points"] = points
        keys = [f"{p['source']}\0{p['text']}" for p in points.values()]
        report = json.loads((workdir / "ingest" / "report.json").read_text())
        snap["files"] = sorted((f["path"], f["status"], f.get("reason"), f.get("chunks")) for f in report["files"])
        snap["documents"] = sorted(json.dumps(d, sort_keys=True) for d in report["documents"])
        return snap, keys, 0
    names = ("samples/*.jsonl",) if stage == "generate" else ("evaluated/kept.jsonl", "evaluated/rejected.jsonl")
    for pattern in names:
        for p in sorted(workdir.glob(pattern)):
            records, t, tail = _jsonl(p)
            torn += t + tail
            snap[p.name] = sorted(json.dumps(r, sort_keys=True) for r in records)
            keys += [r["id"] for r in records]
    if stage == "evaluate":
        summary = (workdir / "evaluated" / "summary.json").read_text().replace(str(workdir), "WORKDIR")
        snap["summary"] = _without_times(json.loads(summary))
    return snap, keys, torn


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items()
                if not (k in ("seconds", "timings", "wall_s") or k.endswith("_seconds") or k.endswith("_s"))}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _differences(want: dict, got: dict) -> list[str]:
    out = []
    for key in sorted(set(want) | set(got)):
        a, b = want.get(key), got.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            missing, extra = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
            out.append(f"{key}: {len(missing)} missing, {len(extra)} extra, {len(changed)} changed "
                       f"(e.g. {(missing + extra + changed)[:1]})")
        elif isinstance(a, list) and isinstance(b, list):
            ca, cb = Counter(map(str, a)), Counter(map(str, b))
            out.append(f"{key}: {sum((ca - cb).values())} missing, {sum((cb - ca).values())} extra "
                       f"(e.g. {list((ca - cb) or (cb - ca))[:1]!s:.300})")
        else:
            out.append(f"{key}: {a!s:.200} != {b!s:.200}")
    return out


# --- the series ----------------------------------------------------------------------------------------------------
def prepare(root: Path, scale: float = 1.0, upto: str = STAGES[-1]) -> Harness:
    """The corpus, the config and ``root/base-<stage>``: each stage's inputs, made by running the stages before it
    in this process (which also imports what the forked children need); ``root/base`` has them all, up to ``upto``."""
    h = Harness(root, scale)
    h.setup()
    base = root / "base"
    for stage in STAGES[: STAGES.index(upto) + 1]:
        set_stage(stage, scale)
        shutil.copytree(base, root / f"base-{stage}") if base.exists() else (root / f"base-{stage}").mkdir()
        code = h.run_here(base, stage)
        if code not in (0, 3):
            raise RuntimeError(f"{stage} failed with exit status {code}")
    return h


def kill_and_resume(h: Harness, stage: str, kills: int, seed: int = 0) -> KillReport:
    """One stage's series (module doc); ``prepare`` made ``h``."""
    t0 = time.perf_counter()
    set_stage(stage, h.scale)
    rep = KillReport(stage)
    root = h.root / f"kill-{stage}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    for name in ("reference", "timing"):
        shutil.copytree(h.root / f"base-{stage}", root / name)
    log = root / "children.log"
    code = h.run_here(root / "reference", stage)
    want, want_keys, _ = snapshot(root / "reference", stage, h.config)
    rep.records = len(want_keys)
    full = progress(root / "reference", stage)
    timed, rep.run_s = h.run_forked(root / "timing", stage, log)
    if timed != code or snapshot(root / "timing", stage, h.config)[0] != want:
        rep.differences.append("two uninterrupted runs differ: the stage is not deterministic")
    rng = random.Random(f"{seed}-{stage}")
    killed = root / "killed"

    def finish_chain() -> None:  # the stage completed after its kills: it must hold what the reference holds
        got, got_keys, torn = snapshot(killed, stage, h.config)
        counts = Counter(got_keys)
        rep.chains += 1
        rep.torn += torn
        rep.lost += len(set(want_keys) - set(got_keys))
        rep.duplicated += sum(n - 1 for n in counts.values() if n > 1)
        rep.differences += [f"chain {rep.chains}: {d}" for d in _differences(want, got)]
        rep.litter += [f"chain {rep.chains}: {f}" for f in litter(killed, root / "reference")]

    shutil.copytree(h.root / f"base-{stage}", killed)
    before = progress(killed, stage)
    while rep.kills < kills and rep.cycles < 4 * kills:
        rep.cycles += 1
        status, _ = h.run_forked(killed, stage, log, kill_at=rng.uniform(0.0, 1.05 * rep.run_s))
        if status is not None:  # it finished before its moment came: compare, and start a new chain
            if status != code:
                rep.differences.append(f"a resumed run exited {status} (reference: {code}); see {log}")
            finish_chain()
            shutil.rmtree(killed)
            shutil.copytree(h.root / f"base-{stage}", killed)
            before = progress(killed, stage)
            continue
        rep.kills += 1
        torn, tails, broken = check_after_kill(killed, stage)
        rep.torn_after_kill += tails
        rep.broken_after_kill += [f"kill {rep.kills}: {b}" for b in broken]
        now = progress(killed, stage)
        rep.trail.append(now)
        rep.mid_work += before < now < full
        before = now
    final, _ = h.run_forked(killed, stage, log)
    if final != code:
        rep.differences.append(f"the last run exited {final} (reference: {code}); see {log}")
    finish_chain()
    rep.equal = not rep.differences and not rep.broken_after_kill and not rep.litter
    rep.seconds = time.perf_counter() - t0
    return rep
