"""The run report as one self-contained HTML file: inline CSS, plots as base64 PNGs, no script, no external URL.

Every piece of text that comes from documents, samples or the config goes through ``html.escape`` (documents may
contain HTML); unsupported sentences are highlighted by wrapping their escaped text in ``<mark>``.

>>> highlight("A <b>. B.", ["B."])
'A &lt;b&gt;. <mark class="unsupported">B.</mark>'
"""

from __future__ import annotations

import datetime as _dt
from html import escape
from typing import Any

from groundset.config import Config
from groundset.export.record import RunRecord
from groundset.export.stats import RunStats, usage_totals
from groundset.records import Sample
from groundset.report import plots

__all__ = ["render_report", "highlight"]

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;
color:#212529;line-height:1.45}
h1{margin-bottom:.1em}h2{border-bottom:1px solid #dee2e6;padding-bottom:.2em;margin-top:1.6em}
.muted{color:#6c757d}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:1em}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{border:1px solid #dee2e6;border-radius:8px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.5em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #dee2e6;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f1f3f5}
img{max-width:100%;border:1px solid #f1f3f5}.sample{border:1px solid #dee2e6;border-radius:8px;padding:.8em 1em;
margin:.8em 0}.sample.kept{border-left:6px solid #2b8a3e}.sample.rejected{border-left:6px solid #c92a2a}
mark.unsupported{background:#ffc9c9;text-decoration:underline wavy #c92a2a}.chunk{background:#f8f9fa;
border-radius:6px;padding:.5em .8em;margin:.4em 0;white-space:pre-wrap;font-size:.92em}
.tag{display:inline-block;background:#e7f5ff;border-radius:4px;padding:0 .4em;margin-right:.3em;font-size:.85em}
.tag.bad{background:#ffe3e3}.role{font-weight:600}
"""


def highlight(text: str, unsupported: list[str]) -> str:
    """Escaped ``text`` with every unsupported sentence that occurs in it wrapped in ``<mark class="unsupported">``."""
    out = escape(text)
    for sentence in sorted(set(unsupported), key=len, reverse=True):
        esc = escape(sentence.strip())
        if esc and esc in out:
            out = out.replace(esc, f'<mark class="unsupported">{esc}</mark>')
    return out


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{b64}">'


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _sample_html(s: Sample) -> str:
    ev = s.evaluation
    side = "kept" if ev.kept else "rejected"
    tags = [f'<span class="tag">{escape(s.task)}</span>', f'<span class="tag">{side}</span>']
    tags += [f'<span class="tag bad">{escape(r)}</span>' for r in ev.reasons]
    tags += [f'<span class="tag">{escape(k)} {v:.2f}</span>' for k, v in sorted(ev.scores.items())]
    parts = [f'<div class="sample {side}"><div>{"".join(tags)}</div>']
    if s.turns is not None:
        for t in s.turns:
            body = highlight(t.content, ev.unsupported) if t.role == "assistant" else escape(t.content)
            parts.append(f'<p><span class="role">{escape(t.role)}:</span> {body}</p>')
    else:
        if s.question:
            label = "Topic" if s.passage is not None else "Q"
            parts.append(f'<p><span class="role">{label}:</span> {escape(s.question)}</p>')
        text = s.passage if s.passage is not None else s.answer or ""
        parts.append(f'<p><span class="role">{"Passage" if s.passage is not None else "A"}:</span> '
                     f"{highlight(text, ev.unsupported)}</p>")
    if ev.unsupported:
        missing = [u for u in ev.unsupported if escape(u.strip()) not in highlight(" ".join(s.claims_text()), [])]
        if missing:
            parts.append("<p>Unsupported: " + " ".join(f'<mark class="unsupported">{escape(u)}</mark>' for u in missing) + "</p>")
    for i, c in enumerate(s.contexts, 1):
        where = " › ".join([c.title, *c.section]) or c.source
        parts.append(f"<details open><summary>cited chunk [{i}] {escape(where)} <span class='muted'>"
                     f"({escape(c.source)}, {escape(c.chunk_id)})</span></summary>"
                     f'<div class="chunk">{escape(c.text)}</div></details>')
    parts.append("</div>")
    return "".join(parts)


def _threshold(config: Config) -> float | None:
    ev = config.evaluate
    return (getattr(ev, "thresholds", None) or {}).get(getattr(ev, "judge", None))


def render_report(config: Config, stats: RunStats, *, dataset: str | None = None, record: RunRecord | None = None) -> str:
    """The whole report page for ``stats`` of a run made with ``config``; ``dataset``: where the export went.

    ``record``: what the stages recorded (``groundset.export.record``); its judge, threshold and embedder are shown
    instead of ``config``'s, which may differ from the run's (the report command's config is not the run's)."""
    st = stats
    judge = (record.judge.get("name") if record and record.judge else None) or getattr(config.evaluate, "judge", "?")
    embed_model = (record.embed_model if record else None) or config.embed.model
    threshold = record.threshold if record and record.judge else _threshold(config)
    cov = st.coverage
    ing = st.ingest.get("counts", {})
    rate = "n/a" if st.acceptance_rate is None else f"{st.acceptance_rate:.0%}"
    totals = usage_totals(st.usage)
    tokens = totals.get("total", {})
    cards = [
        ("documents", ing.get("documents", "?")),
        ("chunks", ing.get("chunks", "?")),
        ("generated", sum(st.generated.values())),
        ("kept", st.kept),
        ("rejected", st.rejected),
        ("acceptance", rate),
        ("LLM tokens", f"{int(tokens.get('prompt_tokens', 0) + tokens.get('completion_tokens', 0)):,}"),
    ]
    reasons = [(f"evaluate: {r}", n) for r, n in st.reject_reasons.most_common()]
    for task, fails in sorted(st.generation_failures.items()):
        reasons += [(f"generate/{task}: {r}", n) for r, n in fails.most_common()]
    tasks = sorted(set(st.kept_by_task) | set(st.rejected_by_task))
    figures = []
    if "adherence" in st.scores or not st.scores:
        figures.append(_img(plots.adherence_plot(st.scores.get("adherence", {}), threshold), "adherence"))
    for name in sorted(n for n in st.scores if n != "adherence"):
        figures.append(_img(plots.adherence_plot(st.scores[name], None, name=name), name))
    figures.append(_img(plots.bar_plot(reasons, "reject reasons", "samples / attempts", color=plots.REJECTED), "reasons"))
    figures.append(_img(plots.bar_plot(
        [(t, 0) for t in tasks], "samples by task", "samples",
        stacked={"kept": [st.kept_by_task[t] for t in tasks], "rejected": [st.rejected_by_task[t] for t in tasks]},
    ), "tasks"))
    figures.append(_img(plots.lengths_plot(st.lengths), "lengths"))
    figures.append(_img(plots.coverage_plot(cov), "coverage"))

    usage_rows = [[stage, *(f"{info.get(k, 0):,.0f}" for k in ("calls", "prompt_tokens", "completion_tokens", "cache_hits")),
                   f"{info.get('wall_s', info.get('seconds', 0)):,.1f}"] for stage, info in totals.items()]
    examples = st.examples_kept + st.examples_rejected
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    where = f"<p>Dataset: <code>{escape(dataset)}</code></p>" if dataset else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>groundset report</title><style>{CSS}</style></head><body>
<h1>groundset report</h1>
<p class="muted">{escape(now)} · generator <code>{escape(", ".join(st.models) or _usage_models(st) or config.llm.spec)}</code> ·
judge <code>{escape(str(judge))}</code> · embeddings <code>{escape(str(embed_model))}</code></p>
{where}
<div class="cards">{"".join(f'<div class="card"><b>{escape(str(v))}</b>{escape(k)}</div>' for k, v in cards)}</div>
<h2>Scores, rejects, tasks, lengths, coverage</h2>
<div class="grid">{"".join(f"<div>{f}</div>" for f in figures)}</div>
<h2>Counts</h2>
{_table(["stage", "what", "count"], _count_rows(st))}
<h2>LLM usage</h2>
{_table(["stage", "calls", "prompt tokens", "completion tokens", "cache hits", "seconds"], usage_rows)
 if usage_rows else "<p class='muted'>No usage recorded.</p>"}
<h2>Examples</h2>
<p class="muted">A few kept samples (one per task) and rejected ones with the sentences the gate found unsupported
<mark class="unsupported">highlighted</mark>. Open a cited chunk to compare.</p>
{"".join(_sample_html(s) for s in examples) or "<p class='muted'>No evaluated samples yet.</p>"}
</body></html>
"""


def _usage_models(st: RunStats) -> str:
    """Models named in usage.json (when no kept sample carries one)."""
    return ", ".join(dict.fromkeys(u["model"] for u in st.usage.values() if isinstance(u, dict) and u.get("model")))


def _count_rows(st: RunStats) -> list[list[Any]]:
    ing = st.ingest.get("counts", {})
    rows: list[list[Any]] = []
    if ing:
        rows.append(["ingest", "files ok / failed / skipped",
                     f"{ing.get('files_ok', '?')} / {ing.get('files_failed', 0)} / {ing.get('files_skipped', 0)}"])
        rows.append(["ingest", "documents / chunks", f"{ing.get('documents', '?')} / {ing.get('chunks', '?')}"])
    for reason, n in sorted((st.ingest.get("dropped") or {}).items()):
        rows.append(["ingest", f"chunks dropped: {reason}", n])
    for task, n in sorted(st.generated.items()):
        rows.append(["generate", task, n])
    for task, fails in sorted(st.generation_failures.items()):
        for reason, n in fails.most_common():
            rows.append(["generate", f"{task} failed: {reason}", n])
    rows.append(["evaluate", "kept / rejected", f"{st.kept} / {st.rejected}"])
    for reason, n in st.reject_reasons.most_common():
        rows.append(["evaluate", f"rejected: {reason}", n])
    cov = st.coverage
    if cov["documents_share"] is not None:
        rows.append(["coverage", "documents cited", f"{cov['documents_used']} of {cov['documents_total']}"])
    if cov["chunks_share"] is not None:
        rows.append(["coverage", "chunks cited", f"{cov['chunks_used']} of {cov['chunks_total']}"])
    return rows
