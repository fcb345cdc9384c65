"""The sections of the dataset card, each a pure function of ``CardInputs`` (see ``groundset.export.card``).

Everything about how the data was made comes from what the stages recorded (``RunRecord``, ``Funnel``,
``usage.json``); every figure about the data (scores, coverage) is of the exported rows only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from groundset.export.record import backend_of
from groundset.export.stats import text_histogram, usage_totals

if TYPE_CHECKING:
    from groundset.export.card import CardInputs

__all__ = ["made_section", "funnel_section", "usage_section", "scores_section", "splits_section", "coverage_line",
           "loading_section", "licence_warning", "table", "pct"]

NOT_RECORDED = "not recorded"


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


def _reasons(c) -> str:
    return ", ".join(f"{k} {v}" for k, v in c.most_common()) or "–"


def licence_warning(c: CardInputs) -> str:
    if c.export.corpus_license:
        return ""
    return (
        "> [!WARNING]\n> **The licence of the source corpus was not given.** Every row quotes passages of the corpus, "
        "so its terms apply to this dataset. Check them before sharing or training on it, and record them with "
        "`[export] corpus_license` (and `corpus_name`).\n\n"
    )


def loading_section(c: CardInputs) -> str:
    local = str(c.out or ".")
    if c.repo_id:
        code = (f'from datasets import load_dataset\n\nds = load_dataset("{c.repo_id}")'
                + (f'  # or, from the export folder: load_dataset("{local}")' if c.fmt == "parquet" else ""))
    elif c.fmt == "hf":
        code = f'from datasets import load_from_disk\n\nds = load_from_disk("{local}")'
    else:
        code = f'from datasets import load_dataset\n\nds = load_dataset("{local}")'
    first = next(iter(c.split_rows), "train")
    return f"```python\n{code}\nprint(ds)\nprint(ds[\"{first}\"][0])\n```"


def coverage_line(c: CardInputs) -> str:
    cov = c.figures.coverage
    return (
        f"- Documents behind the exported rows: {cov['documents_used']} of {cov['documents_total'] or '?'} "
        f"({pct(cov['documents_share'])}); chunks: {cov['chunks_used']} of {cov['chunks_total'] or '?'} "
        f"({pct(cov['chunks_share'])})."
    )


def _value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v


def made_section(c: CardInputs) -> str:
    r = c.record
    exported = c.figures.models  # generator model -> exported rows
    models = ", ".join(f"`{m}` ({n} row{'s' * (n != 1)})" for m, n in exported.most_common())
    backends = ", ".join(f"`{b}`" for b in sorted({backend_of(m) for m in exported}))
    others = [m for m in r.generator_models if m not in exported]
    requested = ", ".join(f"{t} × {n}" for t, n in r.tasks_requested.items()) or NOT_RECORDED
    lines = [
        f"- Embeddings / retrieval: `{r.embed_model or NOT_RECORDED}`"
        + (f", chunks of ≤ {r.chunk_tokens} tokens (overlap {r.chunk_overlap})" if r.chunk_tokens else "")
        + (f", collection `{r.collection}`" if r.collection else "") + " (from `ingest/report.json`).",
        f"- Generator of the exported rows: {models or NOT_RECORDED}; backend {backends or NOT_RECORDED} (from the "
        "samples' own records)" + (f"; other samples of the run: {', '.join(f'`{m}`' for m in others)}." if others
                                   else "."),
        f"- Tasks requested by the last generate run: {requested}; tasks in this export: "
        f"{', '.join(f'{t} ({n} row{chr(115) * (n != 1)})' for t, n in c.exported_by_task.most_common()) or 'none'}.",
    ]
    for task, params in sorted(r.sampling.items()):
        if task in c.exported_by_task:
            lines.append(f"- Sampling of `{task}`: " + ", ".join(f"{k} {_value(v)}" for k, v in params.items()) + ".")
    lines.append(_gate_line(c))
    if r.filters:
        shown = ", ".join(f"{k} = {_value(v)}" for k, v in r.filters.items() if v not in (None, [], ""))
        lines.append(f"- Filters of the evaluate run: {shown}.")
    else:
        lines.append(f"- Filters of the evaluate run: {NOT_RECORDED} (no `evaluated/summary.json`).")
    return "\n".join(lines)


def _gate_line(c: CardInputs) -> str:
    j = c.record.judge
    if not j:
        return f"- Grounding gate: {NOT_RECORDED} (no `evaluated/summary.json`)."
    t = c.record.threshold
    rule = f"kept when adherence ≥ {t:g}" if t is not None else "kept by the judge's own threshold"
    extra = ", ".join(f"{k} {_value(v)}" for k, v in j.items() if k not in ("name", "threshold") and v is not None)
    return f"- Grounding gate (as the evaluate stage recorded it): judge `{j.get('name', '?')}`, {rule}" + (
        f"; {extra}." if extra else ".")


def funnel_section(c: CardInputs) -> str:
    f = c.funnel
    ing = c.figures.ingest.get("counts", {})
    head = ""
    if ing:
        dropped = c.figures.ingest.get("dropped") or {}
        head = (f"Ingest: {ing.get('files_ok', '?')} files read, {ing.get('files_failed', 0)} failed"
                + (f", {ing['files_skipped']} skipped" if ing.get("files_skipped") else "")
                + f" → {ing.get('documents', '?')} documents → {ing.get('chunks', '?')} chunks"
                + (f" (dropped: {', '.join(f'{k} {v}' for k, v in sorted(dropped.items()))})" if dropped else "")
                + ".\n\n")
    rows = []
    for t in f.tasks.values():
        tok = f.tokens_per_kept(t.task)
        cost = f.cost_per_kept(t.task)
        gate = _reasons(t.gate_reasons) + (f", not evaluated {t.not_evaluated}" if t.not_evaluated else "")
        rows.append([f"`{t.task}`", t.attempts, t.parsed, t.kept, t.exported, _reasons(t.generate_reasons), gate,
                     _reasons(t.export_reasons), "–" if tok is None else _num(round(tok)),
                     "–" if cost is None else f"{cost:.6f}"])
    text = head + table(
        ["task", "attempts", "parsed", "kept by the gate", "exported", "generate rejects", "gate rejects",
         "not exported", "generate tokens / kept row", "cost / kept row"], rows)
    tok_all = f.tokens_per_kept()
    if tok_all is not None:
        text += f"\n\nAll stages together: {_num(f.total_tokens)} tokens for {f.kept} kept samples, " \
                f"{_num(round(tok_all))} tokens per kept row"
        cost_all = f.cost_per_kept()
        text += f", cost {f.total_cost:.4f} ({cost_all:.6f} per kept row)." if cost_all is not None else \
            "; no prices were recorded (`[llm] price_prompt_per_m` / `price_completion_per_m` when the stages ran)."
    return text


def usage_section(c: CardInputs) -> str:
    totals = usage_totals(c.usage)
    if not totals:
        return "No LLM usage was recorded (`usage.json` is missing)."
    cols = [k for k in ("requests", "calls", "cache_hits", "retries", "prompt_tokens", "completion_tokens", "wall_s",
                        "cost") if k in totals["total"]]
    rows = [[stage, *(_num(info.get(k, 0)) for k in cols)] for stage, info in totals.items()]
    text = table(["stage", *[k.replace("wall_s", "seconds") for k in cols]], rows)
    models = {s: u.get("model") for s, u in c.usage.items() if isinstance(u, dict) and u.get("model")}
    if models:
        text += "\n\nModels: " + ", ".join(f"{s}: `{m}`" for s, m in models.items()) + "."
    failures = {s: u.get("failures") for s, u in c.usage.items() if isinstance(u, dict) and u.get("failures")}
    if failures:
        text += "\n\nFailed requests: " + "; ".join(
            f"{s}: " + ", ".join(f"{k} {v}" for k, v in sorted(fl.items())) for s, fl in failures.items()) + "."
    return text


def scores_section(c: CardInputs) -> str:
    parts = []
    st = c.figures
    for name in sorted(st.scores, key=lambda n: (n != "adherence", n)):
        vals = st.scores[name]
        both = vals["kept"] + vals["rejected"]
        hi = 1.0 if all(0 <= v <= 1 for v in both) else max(both)
        labels = {"kept": "exported rows", "rejected": "gate-rejected samples of the same tasks"}
        for side in ("kept", "rejected"):
            if vals[side]:
                parts.append(f"`{name}`, {labels[side]} ({len(vals[side])}):\n```\n"
                             f"{text_histogram(vals[side], hi=hi)}\n```")
    return "\n\n".join(parts) or "No scores were recorded."


def splits_section(c: CardInputs) -> str:
    ex = c.export
    shares = ", ".join(f"{k} {v:g}" for k, v in ex.splits.items())
    rows = [[s, n, c.split_documents.get(s, 0)] for s, n in c.split_rows.items()]
    text = (
        f"Split by the documents the rows are grounded in (target shares {shares}, seed {ex.seed}): a document — and "
        "every document a multi-document answer ties to it — feeds exactly one split, so the test split holds "
        "documents the train split never grounded an answer in. Distractors and retrieved-but-uncited chunks do not "
        "tie documents together (they may appear on both sides).\n\n"
        + table(["split", "rows", "grounding documents"], rows)
    )
    empty = [s for s in ex.splits if not c.split_rows.get(s)]
    if empty:
        text += f"\n\nEmpty split(s): {', '.join(empty)} (too few documents for the shares asked)."
    return text
