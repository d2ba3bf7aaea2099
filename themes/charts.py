"""Matplotlib charts of breakdowns, for notebooks and slides.

Each function draws on the ``ax`` it is given, or on a new figure when ``ax`` is None, and
returns the axes; matplotlib is imported only when a chart is drawn (``pip install
themes[charts]``). The HTML report draws its own SVG charts and needs no matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .breakdown import Breakdown, percent
from .errors import UsageError
from .report import PALETTE, chart_groups

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax: Axes | None, *, height: float) -> Axes:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("Charts need matplotlib: pip install 'themes[charts]'.") from None
    _, ax = plt.subplots(figsize=(9, height), layout="constrained")
    return ax


def plot_breakdown(
    b: Breakdown,
    *,
    groups: Sequence[str] | None = None,
    level: str | None = None,
    top: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of the share of complaints per label, one colour per column (group).

    ``level`` is "category" (default for a two-level scheme), "reason" or "label"; ``top``
    keeps the most common rows of the last group.
    """
    groups = list(groups) if groups else chart_groups(b)
    unknown = [g for g in groups if g not in b.groups]
    if unknown:
        raise UsageError(f"No column {unknown[0]!r} in this breakdown; it has: {', '.join(b.groups)}.")
    level = level or ("category" if b.scheme.is_hierarchical else "label")
    rows = b.rows[b.rows["level"] == level]
    if top:
        rows = rows.loc[b.counts.loc[rows.index, groups[-1]].sort_values(ascending=False, kind="stable").index[:top]]
    names = rows["category"] if level == "category" else rows["label"]
    ax = _axes(ax, height=max(2.5, 0.35 * len(rows) * max(1, len(groups)) + 1))
    step = 0.8 / len(groups)
    for k, group in enumerate(groups):
        shares = [percent(int(b.counts.at[i, group]), b.totals[group], places=1) or 0 for i in rows.index]
        ys = [j + k * step for j in range(len(rows))]
        ax.barh(ys, shares, height=step * 0.9, color=PALETTE[k % len(PALETTE)],
                label=f"{group} (n={b.totals[group]})")
    ax.set_yticks([j + step * (len(groups) - 1) / 2 for j in range(len(rows))], [str(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("% of complaints in the column")
    ax.set_title(b.scheme.name)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_trend(b: Breakdown, *, ids: Sequence[str] | None = None, ax: Axes | None = None) -> Axes:
    """Lines of the share of complaints per label across the periods of a ``period=`` breakdown."""
    periods = [g for g in b.groups if g != "All" and not g.startswith("(")]
    if b.period_kind is None or b.by is not None or len(periods) < 2:
        raise UsageError(
            "A trend needs a breakdown by period alone, such as period='quarter', "
            "with two or more periods."
        )
    level = "category" if b.scheme.is_hierarchical else "label"
    rows = b.rows[b.rows["level"] == level]
    if ids:
        rows = rows[rows["id"].isin(list(ids))]
    ax = _axes(ax, height=4.5)
    for k, i in enumerate(rows.index):
        shares = [percent(int(b.counts.at[i, g]), b.totals[g], places=1) for g in periods]
        name = rows.at[i, "category"] if level == "category" else rows.at[i, "label"]
        ax.plot(range(len(periods)), [s if s is not None else float("nan") for s in shares],
                marker="o", color=PALETTE[k % len(PALETTE)] if k < len(PALETTE) else None, label=str(name))
    ax.set_xticks(range(len(periods)), periods, rotation=45, ha="right")
    ax.set_ylabel("% of the period's complaints")
    ax.set_title(f"{b.scheme.name} by {b.period_kind}")
    ax.legend(fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax
