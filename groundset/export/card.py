"""The dataset card (README.md with YAML metadata), written from what the run actually did.

Everything in it comes from the config and the workdir: corpus and licences as the user gave them
(``[export] corpus_name`` / ``corpus_license``), generator and judge with its thresholds, counts per stage and per
reject reason, acceptance rate, tokens and cost from ``usage.json``, text histograms of the scores, the splits.

>>> card = render_card(CardInputs(config=Config(), stats=RunStats(), schema="qa", fmt="parquet"))  # doctest: +SKIP
>>> card.startswith("---\\n")                                                                  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import yaml

from groundset.config import Config
from groundset.export.stats import RunStats, text_histogram, usage_totals
from groundset.registry import SCHEMAS

__all__ = ["CardInputs", "render_card", "card_metadata"]

@dataclass
class CardInputs:
    """What the card is written from. ``split_rows``/``split_documents``: per split; ``skipped``: schema misfits."""

    config: Config
    stats: RunStats
    schema: str
    fmt: str
    split_rows: dict[str, int] = field(default_factory=dict)
    split_documents: dict[str, int] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    columns: dict[str, str] = field(default_factory=dict)
    configs_yaml: list[dict[str, Any]] | None = None
    dataset_info: dict[str, Any] | None = None
    extra_sections: list[str] = field(default_factory=list)  # markdown sections of other stages (human review)


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def card_metadata(c: CardInputs) -> dict[str, Any]:
    """The YAML header: licence, language, tags, task categories, size, data files and features."""
    ex = c.config.export
    meta: dict[str, Any] = {
        "license": ex.license,
        "language": list(ex.language),
        "pretty_name": ex.pretty_name or _title(c),
        "tags": list(dict.fromkeys([*ex.tags, f"groundset-{c.schema}"])),
        "task_categories": list(SCHEMAS.get(c.schema).task_categories),
        "size_categories": [_size_category(sum(c.split_rows.values()))],
    }
    if c.configs_yaml:
        meta["configs"] = c.configs_yaml
    if c.dataset_info:
        meta["dataset_info"] = c.dataset_info
    return meta


def _title(c: CardInputs) -> str:
    corpus = c.config.export.corpus_name or "a document corpus"
    return f"Grounded synthetic {c.schema} data from {corpus}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt_num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


def _usage_section(c: CardInputs) -> str:
    totals = usage_totals(c.stats.usage)
    llm = c.config.llm
    if not totals:
        return "No LLM usage was recorded (`usage.json` is missing)."
    cols = [k for k in ("requests", "calls", "cache_hits", "prompt_tokens", "completion_tokens", "wall_s")
            if k in totals["total"]]
    rows = [[stage, *(_fmt_num(info.get(k, 0)) for k in cols)] for stage, info in totals.items()]
    models = {s: u.get("model") for s, u in c.stats.usage.items() if isinstance(u, dict) and u.get("model")}
    text = _table(["stage", *[k.replace("wall_s", "seconds") for k in cols]], rows)
    if models:
        text += "\n\nModels: " + ", ".join(f"{s}: `{m}`" for s, m in models.items()) + "."
    t = totals["total"]
    if llm.price_prompt_per_m or llm.price_completion_per_m:
        cost = t.get("cost") or (
            t.get("prompt_tokens", 0) * llm.price_prompt_per_m + t.get("completion_tokens", 0) * llm.price_completion_per_m
        ) / 1e6
        text += f"\n\nEstimated cost: {cost:,.4f} (prices per million tokens from `[llm] price_prompt_per_m` / " \
                "`price_completion_per_m`)."
    else:
        text += "\n\nNo prices were configured (`[llm] price_prompt_per_m`), so no cost is shown; a local model costs compute only."
    return text


def _counts_section(c: CardInputs) -> str:
    st, ing = c.stats, c.stats.ingest.get("counts", {})
    rows: list[list[Any]] = []
    if ing:
        rows.append(["ingest", "files", f"{ing.get('files_ok', '?')} ok, {ing.get('files_failed', 0)} failed"
                                        + (f", {ing['files_skipped']} skipped" if ing.get("files_skipped") else "")])
        rows.append(["ingest", "documents / chunks", f"{ing.get('documents', '?')} / {ing.get('chunks', '?')}"])
        dropped = c.stats.ingest.get("dropped") or {}
        if dropped:
            rows.append(["ingest", "chunks dropped", ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))])
    for task, n in sorted(st.generated.items()):
        fails = st.generation_failures.get(task) or {}
        detail = f"; failed attempts: {', '.join(f'{k} {v}' for k, v in fails.most_common())}" if fails else ""
        rows.append(["generate", task, f"{n} samples{detail}"])
    rows.append(["evaluate", "kept / rejected", f"{st.kept} / {st.rejected} (acceptance {_pct(st.acceptance_rate)})"])
    for reason, n in st.reject_reasons.most_common():
        rows.append(["evaluate", f"rejected: {reason}", n])
    for split, n in c.split_rows.items():
        rows.append(["export", f"{split} rows", f"{n} ({c.split_documents.get(split, 0)} documents)"])
    for reason, n in c.skipped.most_common():
        rows.append(["export", f"not exported: {reason}", n])
    return _table(["stage", "what", "count"], rows)


def _scores_section(c: CardInputs) -> str:
    parts = []
    for name in sorted(c.stats.scores, key=lambda n: (n != "adherence", n)):
        vals = c.stats.scores[name]
        hi = 1.0 if all(0 <= v <= 1 for v in vals["kept"] + vals["rejected"]) else max(vals["kept"] + vals["rejected"])
        for side in ("kept", "rejected"):
            if vals[side]:
                parts.append(f"`{name}`, {side} ({len(vals[side])}):\n```\n{text_histogram(vals[side], hi=hi)}\n```")
    return "\n\n".join(parts) or "No scores were recorded."


def _judge_section(c: CardInputs) -> str:
    cfg = c.config
    summary = c.stats.evaluate_summary
    models = ", ".join(f"`{m}` ({n} kept samples)" for m, n in c.stats.models.most_common()) or f"`{cfg.llm.spec}`"
    lines = [
        f"- Generator: {models} (backend spec `{cfg.llm.spec}`).",
        f"- Embeddings / retrieval: `{cfg.embed.model}`, chunks of ~{cfg.ingest.chunk_tokens} tokens "
        f"(overlap {cfg.ingest.chunk_overlap}).",
        f"- Tasks requested: {', '.join(f'{k} × {v}' for k, v in cfg.generate.tasks.items())}.",
        _gate_line(cfg),
        "- All `[evaluate]` settings of the run (filters and their thresholds):",
        "```toml\n" + "\n".join(f"{k} = {_toml_value(v)}" for k, v in cfg.evaluate.model_dump(mode="json").items()) + "\n```",
    ]
    judge = summary.get("judge")
    if isinstance(judge, dict):
        shown = ", ".join(f"{k} {v}" for k, v in judge.items() if isinstance(v, (str, int, float)) and v is not None)
        lines.append(f"- Judge as recorded by the evaluate stage: {shown}.")
    elif judge:
        lines.append(f"- Judge as recorded by the evaluate stage: `{judge}`.")
    return "\n".join(lines)


def _gate_line(cfg: Config) -> str:
    ev = cfg.evaluate
    judge = getattr(ev, "judge", "?")
    threshold = (getattr(ev, "thresholds", None) or {}).get(judge)
    aggregate = getattr(ev, "aggregate", None)
    rule = f"adherence ≥ {threshold:g}" if threshold is not None else "the judge's threshold"
    agg = f", sentence scores aggregated by {aggregate}" if aggregate else ""
    return f"- Grounding gate: judge `{judge}`; a sample is kept when {rule}{agg}."


def _toml_value(v: Any) -> str:
    import json

    return json.dumps(v, ensure_ascii=False)


def _splits_section(c: CardInputs) -> str:
    ex = c.config.export
    shares = ", ".join(f"{k} {v:g}" for k, v in ex.splits.items())
    text = (
        f"Split by source document (target shares {shares}, seed {ex.seed}): a document — and every document linked to "
        "it by a multi-document sample — feeds exactly one split, so the test split holds documents the train split "
        "never saw."
    )
    empty = [s for s in ex.splits if not c.split_rows.get(s)]
    if empty:
        text += f" Empty split(s): {', '.join(empty)} (too few documents for the shares asked)."
    return text


def render_card(c: CardInputs) -> str:
    """README.md text: YAML header then the sections described in the module docstring."""
    ex = c.config.export
    st = c.stats
    cov = st.coverage
    header = yaml.safe_dump(card_metadata(c), sort_keys=False, allow_unicode=True, width=1000)
    corpus = ex.corpus_name or "(not described: set `[export] corpus_name`)"
    licence = ex.corpus_license or "(not given: set `[export] corpus_license`; check the corpus' terms before sharing)"
    columns = "\n".join(f"- `{name}`: {spec}" for name, spec in c.columns.items())
    return f"""---
{header}---

# {ex.pretty_name or _title(c)}

Synthetic `{c.schema}` data generated with groundset from a document corpus: every row was
generated from retrieved chunks of the corpus and passed a context-adherence gate that rejects answers the chunks do
not support. Each row names the documents and chunks (Qdrant point ids) it came from.

## Source corpus

- Corpus: {corpus}
- Licence(s) of the corpus, as given: {licence}
- Documents used: {cov['documents_used']} of {cov['documents_total'] or '?'} ({_pct(cov['documents_share'])}); \
chunks used: {cov['chunks_used']} of {cov['chunks_total'] or '?'} ({_pct(cov['chunks_share'])}) by kept samples.

## How it was made

{_judge_section(c)}

## Counts per stage

{_counts_section(c)}

## Tokens and cost

{_usage_section(c)}

## Scores

{_scores_section(c)}

## Splits

{_splits_section(c)}

## Columns

{columns}
{"".join(chr(10) + section + chr(10) for section in c.extra_sections)}
## Intended use

Fine-tuning or evaluating models and retrieval-augmented systems on the content of this corpus: grounded question
answering, chat fine-tuning (`sft`), preference tuning towards grounded answers (`dpo`), RAG evaluation (`ragas`).

## Limitations

- Synthetic: questions and answers were written by `{', '.join(st.models) or c.config.llm.spec}`, not by people. The
  adherence gate checks that answers are supported by the cited chunks; it does not check that the corpus itself is
  correct, and automatic judges miss some unsupported claims and reject some supported ones.
- Coverage follows the corpus: topics absent from it are absent here; chunks were sampled, not exhausted.
- Small or local generator models write simpler, sometimes awkward questions; inspect samples before training.
- Licences: the rows quote the corpus; sharing them is subject to the corpus' licence above.
"""
