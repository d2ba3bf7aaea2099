"""Reports for people: Markdown, and self-contained HTML with inline SVG bar charts.

The HTML needs nothing but a browser: styles are inline, charts are SVG drawn here, and a
Content-Security-Policy forbids loading anything, so a report opened on a council laptop makes no
network request. Every piece of data is escaped (``<script>`` in a team name stays text).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from . import __version__
from .breakdown import ALL, Breakdown, percent

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class Chart:
    """Horizontal bars: one bar per label and series, as a percentage with its count."""

    title: str
    labels: tuple[str, ...]
    series: tuple[str, ...]
    shares: tuple[tuple[float | None, ...], ...]
    counts: tuple[tuple[int, ...], ...]
    unit: str = "% of complaints"


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...] = ()
    table: pd.DataFrame | None = None
    row_styles: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    bullets: tuple[str, ...] = ()
    empty: str = ""


@dataclass(frozen=True)
class Report:
    title: str
    meta: tuple[str, ...] = ()
    sections: tuple[Section, ...] = field(default_factory=tuple)


# -- building reports -------------------------------------------------------------------------


def breakdown_report(
    breakdowns: Sequence[Breakdown], *, title: str = "Complaint themes", source: str | None = None
) -> Report:
    """A report with a table and charts for each breakdown."""
    meta = [f"Generated {dt.date.today().isoformat()} by themes {__version__}."]
    if source:
        meta.append(f"Source: {source}.")
    if breakdowns and breakdowns[0].where:
        meta.append(f"Filter: {breakdowns[0].where}.")
    return Report(title=title, meta=tuple(meta), sections=tuple(breakdown_section(b) for b in breakdowns))


def breakdown_section(b: Breakdown) -> Section:
    styles = tuple(
        {"category": "category", "complaints": "total", "codes": "total", "uncoded": "total"}.get(lv, "")
        for lv in b.rows["level"]
    )
    return Section(
        title=b.scheme.name,
        lines=(b.note(),),
        table=b.display(),
        row_styles=styles,
        charts=tuple(breakdown_charts(b)),
    )


def chart_groups(b: Breakdown) -> list[str]:
    """The columns worth charting: the overall comparison, the 'All' column, or the only one."""
    if b.changes:
        return list(b.changes[-1][:2])
    if ALL in b.groups:
        return [ALL]
    return b.groups[:4]


def breakdown_charts(b: Breakdown, *, top: int = 10) -> list[Chart]:
    groups = chart_groups(b)
    levels = b.rows["level"]
    main = "category" if b.scheme.is_hierarchical else "label"
    title = "Complaints raising any reason in each category" if main == "category" else "Complaints by theme"
    charts = [_chart(b, levels == main, groups, title)]
    if b.scheme.is_hierarchical:
        reasons = b.counts[groups[-1]].where(levels == "reason").dropna()
        chosen = reasons.sort_values(ascending=False, kind="stable").head(top).index
        keep = b.rows.index.isin(chosen)
        charts.append(_chart(b, keep, groups, f"The {len(chosen)} most common reasons", order=chosen))
    return charts


def _chart(b: Breakdown, keep: object, groups: list[str], title: str, *, order: object = None) -> Chart:
    index = list(order) if order is not None else list(b.rows.index[keep])
    label_col = "category" if b.scheme.is_hierarchical and all(b.rows.loc[index, "level"] == "category") else "label"
    labels = tuple(str(b.rows.at[i, label_col]) for i in index)
    shares = tuple(tuple(percent(int(b.counts.at[i, g]), b.totals[g], places=1) for i in index) for g in groups)
    counts = tuple(tuple(int(b.counts.at[i, g]) for i in index) for g in groups)
    series = tuple(f"{g} (n={b.totals[g]})" for g in groups)
    return Chart(title=title, labels=labels, series=series, shares=shares, counts=counts)


def review_report(summary: object) -> Report:
    """The learning-review collation: a table of pillars, then each pillar's notes."""
    s = summary  # a review.ReviewSummary; typed loosely to keep this module free of review imports
    meta = (
        f"Generated {dt.date.today().isoformat()} by themes {__version__}.",
        f"Collated from {len(s.sources)} review sheet(s): {s.reviewed} of {s.sampled} sampled "
        "complaints have review entries; shares are of those reviewed.",
    )
    table = s.pillars[["Pillar", "Summary"]].rename(columns={"Summary": "Complaints with a finding"})
    chart = Chart(
        title="Sampled complaints with a finding, by pillar",
        labels=tuple(s.pillars["Pillar"]),
        series=(f"Reviewed (n={s.reviewed})",),
        shares=(tuple(percent(c, s.reviewed, places=1) for c in s.pillars["Complaints with a finding"]),),
        counts=(tuple(int(c) for c in s.pillars["Complaints with a finding"]),),
        unit="% of reviewed complaints",
    )
    sections = [Section(title="Findings by pillar", table=table, charts=(chart,))]
    for row in s.pillars.to_dict("records"):
        notes = s.notes[s.notes["Pillar"] == row["Pillar"]]
        bullets = tuple(
            f"{n['Complaint id']}: {n['Note']}" + ("" if n["Finding"] == "yes" else " (no finding recorded)")
            for n in notes.to_dict("records")
        )
        none = row["Complaints with a finding"] == 0
        empty = "No findings recorded for this pillar." if none else "Findings recorded without notes."
        lines = ("No findings recorded for this pillar.",) if none and bullets else ()
        sections.append(
            Section(title=f"{row['Pillar']}: {row['Summary']}", lines=lines, bullets=bullets, empty=empty)
        )
    for column in ("Overall learning", "Actions"):
        items = tuple(
            f"{r['Complaint id']}: {r[column]}" for r in s.learning.to_dict("records") if r[column]
        )
        sections.append(Section(title=column, bullets=items, empty="None recorded."))
    return Report(title="Learning review: findings by pillar", meta=meta, sections=tuple(sections))


# -- Markdown ---------------------------------------------------------------------------------


def _md(text: object) -> str:
    value = " ".join(str(text).split())
    for ch in "\\|*_`[]<>#":
        value = value.replace(ch, "\\" + ch)
    return value


def markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(_md(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" if i < 2 else "---:" for i in range(len(frame.columns))) + "|"
    body = ["| " + " | ".join(_md(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def to_markdown(report: Report) -> str:
    parts = [f"# {_md(report.title)}", ""]
    parts += [_md(m) for m in report.meta] + [""] if report.meta else []
    for section in report.sections:
        parts += [f"## {_md(section.title)}", ""]
        parts += [_md(line) + "  " for line in section.lines]
        if section.lines:
            parts.append("")
        if section.table is not None:
            parts += [markdown_table(section.table), ""]
        if section.bullets:
            parts += [f"- {_md(b)}" for b in section.bullets] + [""]
        elif section.table is None and section.empty:
            parts += [_md(section.empty), ""]
    return "\n".join(parts).rstrip() + "\n"


# -- HTML -------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem auto;max-width:72rem;
padding:0 1rem;color:#1a1a1a;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccc}
p.meta{color:#555;margin:.2rem 0}.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #d0d0d0;padding:.3rem .5rem;vertical-align:top}
th{background:#f0f3f6;text-align:left}td.num{text-align:right;white-space:nowrap}
tr.category td{font-weight:600;background:#f7f7f7}tr.total td{font-weight:600;border-top:2px solid #888}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.4rem}
svg text{font-family:inherit;font-size:12px;fill:#1a1a1a}
@media print{.scroll{overflow:visible}h2{break-before:auto}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_table(frame: pd.DataFrame, *, row_styles: Sequence[str] = ()) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        style = row_styles[i] if i < len(row_styles) and row_styles[i] else ""
        cells = "".join(
            f'<td class="num">{_e(v)}</td>' if _numeric_cell(v) else f"<td>{_e(v)}</td>" for v in row
        )
        rows.append(f'<tr class="{style}">{cells}</tr>' if style else f"<tr>{cells}</tr>")
    return (
        '<div class="scroll"><table class="breakdown"><thead><tr>' + head + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></div>"
    )


def _numeric_cell(value: object) -> bool:
    text = str(value)
    return bool(text) and (text[0].isdigit() or text[0] in "+-")


def svg_bar_chart(chart: Chart) -> str:
    """A horizontal bar chart as inline SVG: bars scale to the largest share, labelled '36% (4)'."""
    label_w, bar_w, value_w = 330, 340, 90
    bar_h, gap = 14, 10
    n_series = len(chart.series)
    block = n_series * bar_h + gap
    legend_h = 22 if n_series > 1 else 0
    height = legend_h + len(chart.labels) * block + 24
    width = label_w + bar_w + value_w
    top = max([s for series in chart.shares for s in series if s is not None] or [0]) or 1
    out = [
        f'<svg class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{_e(chart.title)}</title>'
    ]
    for k, name in enumerate(chart.series if n_series > 1 else ()):
        x = label_w + k * 200
        out.append(
            f'<rect class="legend" x="{x}" y="4" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="14">{_e(name)}</text>'
        )
    for i, label in enumerate(chart.labels):
        y0 = legend_h + i * block
        shown = label if len(label) <= 50 else label[:49] + "…"
        out.append(
            f'<text class="label" x="{label_w - 8}" y="{y0 + n_series * bar_h / 2 + 4:.1f}" '
            f'text-anchor="end"><title>{_e(label)}</title>{_e(shown)}</text>'
        )
        for k in range(n_series):
            share = chart.shares[k][i]
            count = chart.counts[k][i]
            w = 0 if share is None else bar_w * share / top
            y = y0 + k * bar_h
            value = f"{share:.0f}% ({count})" if share is not None else f"– ({count})"
            out.append(
                f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{_e(label)}, {_e(chart.series[k])}: '
                f"{_e(value)}</title></rect>"
                f'<text class="value" x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}">{_e(value)}</text>'
            )
    axis_y = legend_h + len(chart.labels) * block + 14
    # With one series there is no legend, so the axis note names the denominator.
    unit = chart.unit if n_series > 1 else f"{chart.unit}, {chart.series[0]}"
    out.append(f'<text x="{label_w}" y="{axis_y}">{_e(unit)}; bars scale to the largest ({top:.0f}%)</text>')
    out.append("</svg>")
    return "".join(out)


def to_html(report: Report) -> str:
    """A single HTML file with everything inline; it loads nothing from anywhere."""
    body = [f"<h1>{_e(report.title)}</h1>"] + [f'<p class="meta">{_e(m)}</p>' for m in report.meta]
    for section in report.sections:
        body.append(f'<section><h2>{_e(section.title)}</h2>')
        body += [f"<p>{_e(line)}</p>" for line in section.lines]
        for chart in section.charts:
            body.append(f"<figure><figcaption>{_e(chart.title)}</figcaption>{svg_bar_chart(chart)}</figure>")
        if section.table is not None:
            body.append(html_table(section.table, row_styles=section.row_styles))
        if section.bullets:
            body.append("<ul>" + "".join(f"<li>{_e(b)}</li>" for b in section.bullets) + "</ul>")
        elif section.table is None and section.empty:
            body.append(f'<p class="empty">{_e(section.empty)}</p>')
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(report.title)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body) + "</body></html>\n"
    )
