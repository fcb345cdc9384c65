"""The multihop task: a question that needs the seed chunk AND partner chunks from another section or document.

>>> partners = find_partners(seed, corpus, cfg)       # doctest: +SKIP
>>> parse([result], attempt, [seed, *partner_chunks], cfg)   # doctest: +SKIP

``find_partners`` gives ``[(Chunk, cosine), …]`` inside the band.

Partners are Qdrant nearest neighbours of the seed chunk with cosine in ``[min_similarity, max_similarity)`` —
related, not near-duplicates — from another section (or another document, ``other = "document"``); a seed without
such a partner is a ``no_partner`` reject, costing no LLM call. The model lists the labels it used in ``cited`` and
marks facts with ``[C1]``; an output citing fewer than two distinct chunks, or where a cited chunk contributes no
content word of its own to the question/answer (a fake hop), is rejected as ``single_hop``.

``mode`` (``[generate.multihop]``): ``write`` is the above; ``bridge`` (``multihop_bridge.py``) takes a verbatim
passage of the seed and of a partner as the answer and asks the LLM only for the question that needs both — what the
bundled 135M CPU model can do in seconds; ``auto`` (default) is ``bridge`` for the ``local`` backend and ``write``
for any other (``resolve``, which also caps write mode on ``local``: 160 tokens, an answer of at most 400
characters cut back to its last full sentence, unless set).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Literal

from pydantic import Field

from groundset.generate.base import Attempt, Job, chat, new_sample, quote_chunks, request
from groundset.generate.checks import (
    Reject,
    clean_field,
    content_words,
    normalise_label,
    problem_with_question,
    problem_with_text,
    read_object,
)
from groundset.generate.config import MultihopConfig
from groundset.generate import multihop_bridge as bridge
from groundset.generate.corpus import Corpus
from groundset.generate.multihop_bridge import Pair
from groundset.llm.spec import split_spec
from groundset.generate.prompts import MULTIHOP_DEMO, dumps, is_demo_copy, multihop_schema, quote, render
from groundset.llm.base import ChatRequest, ChatResult
from groundset.generate.task import Task
from groundset.records import Attributes, Chunk, Sample
from groundset.registry import TASKS

__all__ = ["MultihopAttributes", "find_partners", "find_pair", "pair_for", "build_requests", "parse", "job", "resolve"]


class MultihopAttributes(Attributes):
    """multihop: the chunks that each contribute to the answer, the answer with its [C1] marks, partner scores;
    bridge mode adds the question kind, the two subjects, each passage's span in its chunk (``contexts[i].text[
    start:end]``), the candidates written, the one chosen and its chunks' ranks when its question was searched."""

    cited_chunk_ids: list[str]
    hops: int
    answer_with_citations: str
    partner_scores: list[float] = []
    mode: Literal["write", "bridge"] = "write"
    kind: str | None = None
    subjects: list[str] = []
    passage_spans: list[list[int]] = []
    candidates: int = 1
    chosen: int = 0
    candidate_ranks: list[int | None] | None = None
    repaired: str | None = Field(None, description="bridge: the question as written, when its verb was made plural "
                                 "(\"How does X and Y differ?\" → \"How do …\")")

    def question_kind(self) -> str | None:
        return self.kind

    def reference_chunk_ids(self) -> list[str] | None:
        return list(self.cited_chunk_ids)

_MARK = re.compile(r"\[\s*(C\d+)\s*\]", re.I)


def find_partners(seed: Chunk, corpus: Corpus, cfg: MultihopConfig, usable: set[str] | None = None,
                  accept: Callable[[Chunk], bool] | None = None) -> list[tuple[Chunk, float]]:
    """Up to ``cfg.partners`` neighbours of ``seed`` in the similarity band, from another section/document (and,
    with ``accept``, only chunks it accepts: bridge mode's partners must hold a passage)."""
    vector = corpus.vectors([seed.id])[0]
    exclude_docs = [seed.document_id] if cfg.other == "document" else []
    hits = corpus.similar(vector, cfg.candidates, exclude_ids=[seed.id], exclude_document_ids=exclude_docs)
    chosen: list[tuple[Chunk, float]] = []
    for chunk, score in hits:
        if not (cfg.min_similarity <= score < cfg.max_similarity):
            continue
        if usable is not None and chunk.id not in usable:
            continue
        if accept is not None and not accept(chunk):
            continue
        if chunk.document_id == seed.document_id and (cfg.other == "document" or chunk.section == seed.section):
            continue
        if chosen:
            sims = corpus.vectors([c.id for c, _ in chosen]) @ corpus.vectors([chunk.id])[0]
            if float(sims.max()) >= cfg.max_similarity:
                continue
        chosen.append((chunk, score))
        if len(chosen) == cfg.partners:
            break
    return chosen


def build_requests(attempt: Attempt, chunks: list[Chunk], cfg: MultihopConfig | None = None) -> list[ChatRequest]:
    """One request: the two-document demonstration, then seed + partners as quoted documents C1, C2… (the answer
    at most ``cfg.max_answer_chars`` long when set)."""
    demo_docs = "\n\n".join(quote(f"C{i + 1}", t) for i, t in enumerate(MULTIHOP_DEMO["documents"]))
    demo_user = render("multihop", documents=demo_docs, labels="C1, C2")
    documents, labels = quote_chunks(chunks)
    user = render("multihop", documents=documents, labels=", ".join(labels))
    messages = chat(user, [(demo_user, dumps(MULTIHOP_DEMO["output"]))])
    return [request(attempt, messages, multihop_schema(labels, cfg.max_answer_chars if cfg is not None else None))]


def parse(results: list[ChatResult], attempt: Attempt, chunks: list[Chunk], cfg: MultihopConfig) -> Sample | Reject:
    """A multihop Sample when the answer cites ≥ 2 distinct chunks that each contribute; else a Reject."""
    result = results[0]
    obj = read_object(result, {"question": str, "answer": str, "cited": list})
    if isinstance(obj, Reject):
        return obj
    question, answer = clean_field(obj["question"]), clean_field(obj["answer"])
    if cfg.max_answer_chars and len(answer) >= cfg.max_answer_chars - 5:
        answer = _last_sentence_end(answer)  # closed by the length limit mid-sentence: keep the complete ones
    reason = problem_with_question(question) or problem_with_text(answer, min_words=3)
    if reason:
        return Reject(reason, result.text, f"question={question!r}")
    if is_demo_copy([question, answer], " ".join(c.text for c in chunks)):
        return Reject("copied_demo", result.text)
    by_label = {f"C{i + 1}": c for i, c in enumerate(chunks)}
    cited = [lab for lab in dict.fromkeys(normalise_label(x) for x in [*obj["cited"], *_MARK.findall(answer)]) if lab in by_label]
    if len({by_label[lab].id for lab in cited}) < 2:
        return Reject("single_hop", result.text, f"cites {cited or 'nothing'}; needs two distinct documents")
    qa_words = content_words(f"{question} {answer}")
    words = {lab: content_words(by_label[lab].text) for lab in cited}
    contributing = []
    for lab in cited:
        others = set().union(*(w for other, w in words.items() if other != lab))
        if len((words[lab] - others) & qa_words) >= cfg.min_overlap_words:
            contributing.append(lab)
    if len(contributing) < 2:
        return Reject("single_hop", result.text, f"cited {cited} but only {contributing} contribute to the answer")
    clean_answer = re.sub(r"\s+([.,;:!?])", r"\1", _MARK.sub("", answer)).strip()
    clean_answer = re.sub(r"\s{2,}", " ", clean_answer)
    return new_sample(
        attempt,
        chunks,
        question=question,
        answer=clean_answer,
        attributes={
            "cited_chunk_ids": [by_label[lab].id for lab in contributing],
            "hops": len(contributing),
            "answer_with_citations": answer,
        },
    )


def find_pair(attempt: Attempt, corpus: Corpus, cfg: MultihopConfig, usable: set[str] | None = None) -> Pair | Reject:
    """Bridge mode's two hops for the attempt's seed (``pair_for``)."""
    return pair_for(attempt.seeds[0], corpus, cfg, usable)


def pair_for(seed: Chunk, corpus: Corpus, cfg: MultihopConfig, usable: set[str] | None = None) -> Pair | Reject:
    """The seed's passage and a partner in the band holding a passage about another subject — with ``kin``, one of
    the same kind (``bridge.kin``: the subjects share a word), else the nearest of the same kind or the nearest; a
    ``no_passage`` / ``no_partner`` Reject (no LLM call) when there is none. The partner's id sorts after the
    seed's, so the pair {A, B} is made once (from A), never again as (B, A): the same question twice."""
    mine = bridge.passage_for(seed, cfg)
    if mine is None:
        return Reject("no_passage", "", "the seed chunk has no prose passage opening with its subject")
    found: dict[str, Any] = {}
    topic = seed.source or ""

    def accept(chunk: Chunk) -> bool:
        if chunk.id < seed.id:  # a pair is made from its first chunk only: seeded from the other, a duplicate
            return False
        p = bridge.passage_for(chunk, cfg)
        if p is not None and bridge.distinct(mine, p) and (not cfg.kin or bridge.kin(mine, p, topic)):
            found[chunk.id] = p
            return True
        return False

    partners = find_partners(seed, corpus, cfg.model_copy(update={"partners": 1 if cfg.kin else cfg.candidates}),
                             usable, accept)
    if not partners:
        kind = " of the same kind (a shared word)" if cfg.kin else ""
        return Reject("no_partner", "", f"no neighbour of the seed in cosine [{cfg.min_similarity}, "
                      f"{cfg.max_similarity}) from another {cfg.other} holds a passage about another subject{kind}")
    chunk, score = next((p for p in partners if bridge.kin(mine, found[p[0].id], topic)), partners[0])
    return Pair(seed, mine, chunk, found[chunk.id], score)


def _seed_check(chunk: Chunk, corpus: Corpus, cfg: MultihopConfig, usable: set[str]) -> str | None:
    """Bridge mode seeds only from chunks that have a pair (write mode: from every chunk)."""
    if cfg.mode != "bridge":
        return None
    pair = pair_for(chunk, corpus, cfg, usable)
    return pair.reason if isinstance(pair, Reject) else None


def _bridge_job(attempt: Attempt, corpus: Corpus, cfg: MultihopConfig, usable: set[str] | None) -> Job:
    pair = find_pair(attempt, corpus, cfg, usable)
    if isinstance(pair, Reject):
        return pair
    results = yield bridge.build_requests(attempt, pair, cfg)
    return bridge.choose(results, attempt, pair, cfg, corpus)


def _last_sentence_end(text: str) -> str:
    """``text`` up to its last sentence end (a [C2] mark after it kept); itself when it has none.

    >>> _last_sentence_end("Lists are mutable [C1]. Tuples are immutable and usually con")
    'Lists are mutable [C1].'
    """
    ends = [m.end() for m in re.finditer(r"[.!?](?:\s*\[\s*C\d+\s*\])*(?=\s|$)", text)]
    return text[: ends[-1]].strip() if ends else text


def job(attempt: Attempt, corpus: Corpus, cfg: MultihopConfig, usable: set[str] | None = None) -> Job:
    cfg = resolve(cfg, attempt.params.get("llm", ""))
    if cfg.mode == "bridge":
        return (yield from _bridge_job(attempt, corpus, cfg, usable))
    seed = attempt.seeds[0]
    partners = find_partners(seed, corpus, cfg, usable)
    if not partners:
        return Reject("no_partner", "", f"no neighbour of the seed in cosine [{cfg.min_similarity}, {cfg.max_similarity}) "
                      f"from another {cfg.other}")
    chunks = [seed, *(c for c, _ in partners)]
    results = yield build_requests(attempt, chunks, cfg)
    sample = parse(results, attempt, chunks, cfg)
    if isinstance(sample, Sample):
        sample.attributes["partner_scores"] = [round(s, 4) for _, s in partners]
    return sample


def estimate(attempt: Attempt, corpus: Corpus, cfg: MultihopConfig, usable: set[str] | None = None) -> list[ChatRequest]:
    """The dry run's requests: the real one when the seed has partners (none: a no_partner reject, no call)."""
    cfg = resolve(cfg, attempt.params.get("llm", ""))
    if cfg.mode == "bridge":
        pair = find_pair(attempt, corpus, cfg, usable)
        return [] if isinstance(pair, Reject) else bridge.build_requests(attempt, pair, cfg)
    partners = find_partners(attempt.seeds[0], corpus, cfg, usable)
    return build_requests(attempt, [attempt.seeds[0], *(c for c, _ in partners)], cfg) if partners else []


# the local backend's write-mode caps: a 135M model writes run-on text inside the JSON strings until max_tokens
LOCAL_WRITE_MAX_TOKENS = 160
LOCAL_WRITE_ANSWER_CHARS = 400
# bridge mode's neighbours examined for a partner: on the bundled tutorial, 24 gave 5 seeds with a pair, 100 gave 12
BRIDGE_CANDIDATES = 100


def resolve(cfg: MultihopConfig, llm_spec: str) -> MultihopConfig:
    """``cfg`` for the backend of ``llm_spec``: mode ``auto`` becomes ``bridge`` for ``local``, else ``write``;
    bridge mode's completions are ``question_tokens`` long and it examines ``BRIDGE_CANDIDATES`` neighbours unless
    ``candidates`` was set; write mode on ``local`` is capped at
    ``LOCAL_WRITE_MAX_TOKENS`` and its answer at ``LOCAL_WRITE_ANSWER_CHARS`` (cut back to its last full sentence)
    unless ``max_tokens`` / ``max_answer_chars`` were set.

    >>> resolve(MultihopConfig(), "local").mode, resolve(MultihopConfig(), "openai:gpt-4o-mini").mode
    ('bridge', 'write')
    """
    local = split_spec(llm_spec or "")[0] == "local"
    update: dict[str, Any] = {}
    mode = cfg.mode if cfg.mode != "auto" else "bridge" if local else "write"
    if mode != cfg.mode:
        update["mode"] = mode
    if mode == "bridge":
        if cfg.max_tokens != cfg.question_tokens:
            update["max_tokens"] = cfg.question_tokens
        if "candidates" not in cfg.model_fields_set:  # a partner of the same kind is rarely among the nearest 24
            update["candidates"] = max(cfg.candidates, BRIDGE_CANDIDATES)
    elif mode == "write" and local:
        if "max_tokens" not in cfg.model_fields_set:
            update["max_tokens"] = min(cfg.max_tokens, LOCAL_WRITE_MAX_TOKENS)
        if "max_answer_chars" not in cfg.model_fields_set:
            update["max_answer_chars"] = LOCAL_WRITE_ANSWER_CHARS
    return cfg.model_copy(update=update) if update else cfg


def _seed_filter(chunk: Chunk, cfg: MultihopConfig) -> str | None:
    """Bridge mode seeds only from chunks holding a passage (write mode: every chunk)."""
    return "no_passage" if cfg.mode == "bridge" and bridge.passage_for(chunk, cfg) is None else None


TASKS.register("multihop", Task(config=MultihopConfig, job=job, estimate=estimate, attributes=MultihopAttributes,
                                chunks_per_call=lambda cfg: 1 + cfg.partners,
                                calls_per_attempt=lambda cfg: cfg.questions if cfg.mode == "bridge" else 1,
                                seed_filter=_seed_filter, seed_check=_seed_check, resolve=resolve,
                                description="a question that needs the seed chunk and partners from elsewhere "
                                "(bridge mode: two verbatim passages, the LLM writes only the question)"),
               order=20)
