"""The report's figures: matplotlib, drawn off-screen (no pyplot global state), returned as base64 PNG strings.

>>> png = adherence_plot({"kept": [0.9, 0.8], "rejected": [0.2]}, threshold=0.5)   # doctest: +SKIP
>>> png[:8]                                                                        # doctest: +SKIP
'iVBORw0K'
"""

from __future__ import annotations

import base64
import io
from typing import Iterable

__all__ = ["adherence_plot", "bar_plot", "lengths_plot", "coverage_plot", "to_base64"]

KEPT, REJECTED, NEUTRAL = "#2b8a3e", "#c92a2a", "#1c7ed6"


def _figure(width: float = 6.4, height: float = 3.2, left_chars: int = 0):
    """A figure with fixed margins (constrained layout costs seconds per figure); ``left_chars``: widest y label."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    left = min(0.5, max(0.1, (left_chars * 7.5 + 36) / (width * 100)))
    fig.subplots_adjust(left=left, right=0.96, top=1 - 0.32 / height, bottom=0.5 / height)
    return fig, fig.add_subplot()


def to_base64(fig) -> str:
    """PNG bytes of ``fig`` as base64 text, ready for ``<img src="data:image/png;base64,...">``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def adherence_plot(scores: dict[str, list[float]], threshold: float | None, name: str = "adherence") -> str:
    """Histograms of a score for kept and rejected samples, with the gate's threshold as a dashed line."""
    fig, ax = _figure()
    values = scores.get("kept", []) + scores.get("rejected", [])
    if all(0 <= v <= 1 for v in values):
        bins = [i / 20 for i in range(21)]
    else:  # e.g. a 1-5 rating: one bin per half point around the values seen
        lo, hi = min(values) - 0.5, max(values) + 0.5
        bins = [lo + 0.5 * i for i in range(int((hi - lo) / 0.5) + 1)]
    for side, color in (("kept", KEPT), ("rejected", REJECTED)):
        if scores.get(side):
            ax.hist(scores[side], bins=bins, alpha=0.6, color=color, label=f"{side} ({len(scores[side])})")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    ax.set_xlabel(name)
    ax.set_ylabel("samples")
    ax.set_title(f"{name}: kept vs rejected")
    if values:
        ax.legend()
    return to_base64(fig)


def bar_plot(items: Iterable[tuple[str, float]], title: str, xlabel: str, color: str = NEUTRAL,
             stacked: dict[str, list[float]] | None = None) -> str:
    """Horizontal bars (largest on top); ``stacked``: {series: values aligned with items} instead of one series."""
    items = list(items)
    labels = [label for label, _ in items]
    fig, ax = _figure(height=max(2.0, 0.35 * len(items) + 1.2), left_chars=max(map(len, labels), default=0))
    if stacked:
        left = [0.0] * len(items)
        colors = {"kept": KEPT, "rejected": REJECTED}
        for series, values in stacked.items():
            ax.barh(labels, values, left=left, color=colors.get(series, NEUTRAL), label=series)
            left = [a + b for a, b in zip(left, values)]
        ax.legend()
    else:
        ax.barh(labels, [v for _, v in items], color=color)
        for i, (_, v) in enumerate(items):
            ax.text(v, i, f" {v:g}", va="center")
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if not items:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
    return to_base64(fig)


def lengths_plot(lengths: dict[str, list[int]]) -> str:
    """Box plots of generated words per kept sample, one per task."""
    tasks = [t for t in sorted(lengths) if lengths[t]]
    fig, ax = _figure(left_chars=max(map(len, tasks), default=0))
    if tasks:
        ax.boxplot([lengths[t] for t in tasks], orientation="horizontal", tick_labels=tasks)
    else:
        ax.text(0.5, 0.5, "no kept samples", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("words of generated text per kept sample")
    ax.set_title("sample lengths by task")
    return to_base64(fig)


def coverage_plot(coverage: dict) -> str:
    """Share of the corpus' documents and chunks that kept samples cite."""
    fig, ax = _figure(height=2.2, left_chars=10)
    rows = []
    for what in ("documents", "chunks"):
        share = coverage.get(f"{what}_share")
        if share is not None:
            rows.append((f"{what}\n{coverage[f'{what}_used']} of {coverage[f'{what}_total']}", share * 100))
    ax.barh([r[0] for r in rows], [100] * len(rows), color="#e9ecef")
    ax.barh([r[0] for r in rows], [r[1] for r in rows], color=NEUTRAL)
    for i, (_, v) in enumerate(rows):
        ax.text(v, i, f" {v:.1f}%", va="center")
    ax.set_xlim(0, 110)
    ax.invert_yaxis()
    ax.set_xlabel("% of the ingested corpus cited by kept samples")
    ax.set_title("corpus coverage")
    if not rows:
        ax.text(0.5, 0.5, "no ingest report", ha="center", va="center", transform=ax.transAxes)
    return to_base64(fig)
