"""``engine = "ray"`` ingest gives the local engine's chunk ids, report and (within the embedder's check) vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from groundset.config import load_config
from groundset.ingest.pipeline import ingest
from groundset.store import open_store
from groundset.workdir import Workdir

pytestmark = pytest.mark.usefixtures("ray_cluster")

HEAD = '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/">\n  <siteinfo><sitename>W</sitename></siteinfo>\n'
TOPICS = ["rivers", "volcanoes", "glaciers", "deserts", "forests", "islands"]


def _page(i: int, topic: str) -> str:
    text = (f"'''{topic.title()}''' are studied by geographers. The study of {topic} began in {1800 + i}. "
            f"Scientists measured {i * 7} sites of {topic} across three continents. == History == "
            f"Early surveys of {topic} used simple instruments and long expeditions.")
    return (f"  <page>\n    <title>{topic.title()}</title>\n    <ns>0</ns>\n    <id>{i}</id>\n"
            f"    <revision><text>{text}</text></revision>\n  </page>\n")


def _corpus(root):
    docs = root / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Guide\n\nPython lists keep items in order. Lists can grow and shrink.\n\n"
                                   "## Tuples\n\nTuples cannot change after they are made. They are hashable.\n")
    (docs / "notes.txt").write_text("The committee met on 4 May 2021 in Lyon. It approved a budget of 3 million "
                                    "euros for the new library, which opens in 2024.\n")
    (docs / "dump.xml").write_text(HEAD + "".join(_page(i, t) for i, t in enumerate(TOPICS, 1)) + "</mediawiki>\n")
    (docs / "empty.md").write_text("")  # a failure: reported the same way by both engines
    return docs


def _config(engine: str):
    return load_config(None, {"run.engine": engine, "run.ray_dump_part_mb": 0.0005, "ingest.chunk_tokens": 48,
                              "ingest.chunk_overlap": 8, "ingest.min_chunk_tokens": 4})


def _stored(config, workdir):
    with open_store(config.store, workdir) as store:
        chunks = sorted(store.iter_chunks(), key=lambda c: c.id)
        return chunks, store.vectors([c.id for c in chunks])


def _report(workdir):
    """Counts, files and documents (language guessed by the reading tasks on Ray, by the driver locally)."""
    data = json.loads(workdir.ingest_report.read_text())
    docs = sorted((d["id"], d["source"], d["chunks"], d["language"]) for d in data["documents"])
    return data["counts"], sorted((f["path"], f["status"]) for f in data["files"]), docs, data["quality"]["languages"]


def test_ray_ingest_equals_local_and_resumes(tmp_path):
    docs = _corpus(tmp_path)
    local_wd, ray_wd = Workdir(tmp_path / "local"), Workdir(tmp_path / "ray")
    local = ingest([docs], _config("local"), local_wd, progress=False)
    remote = ingest([docs], _config("ray"), ray_wd, progress=False)

    assert (remote.documents, remote.chunks_new, remote.exit_code) == (local.documents, local.chunks_new, 3)
    assert local.documents == 2 + len(TOPICS)
    assert [f[:2] for f in remote.failed] == [f[:2] for f in local.failed] == [(str(docs / "empty.md"), "empty_file")]
    assert _report(ray_wd) == _report(local_wd)

    local_chunks, local_vecs = _stored(_config("local"), local_wd)
    ray_chunks, ray_vecs = _stored(_config("ray"), ray_wd)
    assert [c.model_dump() for c in ray_chunks] == [c.model_dump() for c in local_chunks]  # ids, texts, payloads
    cosine = (local_vecs * ray_vecs).sum(axis=1) / (
        np.linalg.norm(local_vecs, axis=1) * np.linalg.norm(ray_vecs, axis=1))
    assert cosine.min() >= 0.999

    again = ingest([docs], _config("ray"), ray_wd, progress=False)  # unchanged corpus: nothing embedded again
    assert (again.chunks_new, again.chunks_unchanged, again.chunks_deleted) == (0, local.chunks_new, 0)

    (docs / "notes.txt").write_text("The committee met again in June 2022 and approved a smaller budget.\n")
    changed = ingest([docs], _config("ray"), ray_wd, progress=False)  # a changed file: new chunks, stale ones gone
    relocal = ingest([docs], _config("local"), local_wd, progress=False)
    assert (changed.chunks_new, changed.chunks_deleted) == (relocal.chunks_new, relocal.chunks_deleted) != (0, 0)
    assert [c.id for c in _stored(_config("ray"), ray_wd)[0]] == [c.id for c in _stored(_config("local"), local_wd)[0]]
