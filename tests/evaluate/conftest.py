"""Fixtures of the evaluate tests: the real default judge (MiniLM loaded once per session) and tiny samples."""

from __future__ import annotations

import pytest

from groundset.evaluate.config import EvaluateConfig
from groundset.records import Citation, Sample

NORMANS = (
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in "
    "France. They were descended from Norse raiders and pirates from Denmark, Iceland and Norway who, under their "
    "leader Rollo, agreed to swear fealty to King Charles III of West Francia. In 1066 the Normans conquered "
    "England; about 3,500 knights took part. The Norman dynasty did not rule Scotland."
)


@pytest.fixture(scope="session")
def embedder():
    from groundset.embed import load_embedder
    from groundset.embed.config import EmbedConfig

    return load_embedder(EmbedConfig())


@pytest.fixture
def default_judge(embedder):
    from groundset.evaluate.judges.default import DefaultJudge

    return DefaultJudge(EvaluateConfig(), embedder=embedder)


def citation(text: str = NORMANS, title: str = "Normans", cid: str = "c1") -> Citation:
    return Citation(chunk_id=cid, document_id="d1", source="normans.txt", title=title, text=text)


def qa(i: str, question: str, answer: str, context: str = NORMANS, task: str = "qa") -> Sample:
    return Sample(id=i, task=task, question=question, answer=answer, contexts=[citation(context)])
