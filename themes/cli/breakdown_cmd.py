"""themes breakdown: the cause and pillar tables of an annual complaints report."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ._util import out, reported, say


class Format(str, Enum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    md = "md"
    html = "html"


class PeriodKind(str, Enum):
    year = "year"
    quarter = "quarter"
    month = "month"


SUFFIX_FORMAT = {".csv": "csv", ".xlsx": "xlsx", ".md": "md", ".html": "html"}


def breakdown(
    coded: Annotated[Path, typer.Argument(help="Coded complaints: 'themes classify' output or coded by people.", show_default=False)],
    scheme: Annotated[list[str] | None, typer.Option(help="causes, pillars or a scheme file; repeat for several. Default: every coded column.")] = None,
    by: Annotated[str | None, typer.Option(help="Split the columns by this column: team, stage, outcome, pillars, ...")] = None,
    period: Annotated[PeriodKind | None, typer.Option(help="Split the columns by financial year (2023/24), quarter (Q1 = April-June) or month.")] = None,
    where: Annotated[str | None, typer.Option(help="Keep only matching complaints, e.g. \"outcome in (Upheld, Partially upheld) and period = 2023/24 Q3\".")] = None,
    compare_previous: Annotated[bool, typer.Option(help="Add the previous period and the change (needs 'period = ...' in --where, or --period).")] = False,
    format: Annotated[Format | None, typer.Option("--format", help="table (terminal), csv, xlsx, md or html. Default: from --out, else table.")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="Where to write csv, xlsx, md or html.")] = None,
    date_column: Annotated[str | None, typer.Option(help="Column holding the date received (default: detected, e.g. 'Date Received').")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
    crosswalk: Annotated[str | None, typer.Option(help="Restate a file coded in another scheme first: a crosswalk file or a shipped legacy scheme id. Figures resting on judgement mappings are listed.")] = None,
) -> None:
    """Count complaints by cause (category > reason) and by pillar, as councils publish them.

    A complaint can raise several reasons, so the totals give both the complaints and the reasons
    raised; every percentage is of the complaints in its column, whose number is in the header.
    Examples:

      themes breakdown coded.xlsx

      themes breakdown coded.xlsx --by team --where "period = 2023/24" --out report.html

      themes breakdown coded.xlsx --scheme pillars --where "period = 2023/24 Q3" --compare-previous
    """
    with reported():
        from ..breakdown import breakdowns, read_coded
        from ..data import check_output_path
        from ..scheme import load

        fmt = _format(format, output)
        if output is not None:
            check_output_path(output, inputs=[coded], overwrite=overwrite)
        schemes = [load(s) for s in scheme] if scheme else None
        judged: list[str] = []
        if crosswalk is not None:
            from ..crosswalk import read_restated

            data, judged = read_restated(coded, crosswalk, schemes=schemes, date_column=date_column, sheet=sheet)
        else:
            data = read_coded(coded, schemes=schemes, date_column=date_column, sheet=sheet)
        results = breakdowns(
            data, by=by, period=period.value if period else None, where=where,
            compare_previous=compare_previous,
        )
        _render(results, fmt, output, source=coded.name)
        for line in judged:
            say(line)


def _format(given: Format | None, output: Path | None) -> str:
    from ..errors import UsageError

    implied = SUFFIX_FORMAT.get(output.suffix.lower()) if output is not None else None
    if output is not None and implied is None:
        raise UsageError(f"--out {output.name}: use a .csv, .xlsx, .md or .html file name.")
    fmt = given.value if given is not None else implied or "table"
    if output is None and fmt not in ("table", "md"):
        raise UsageError(f"--format {fmt} writes a file: add --out report.{fmt}.")
    if output is not None and fmt != implied:
        raise UsageError(f"--format {fmt} does not match --out {output.name}: use a .{fmt} file name.")
    return fmt


def _render(results: list, fmt: str, output: Path | None, *, source: str) -> None:
    from ..data import atomic_path, write_table, write_workbook
    from ..report import breakdown_report, to_html, to_markdown

    if fmt == "table":
        _print_tables(results)
        return
    if output is None:  # only Markdown prints to the terminal (checked in _format)
        out.print(to_markdown(breakdown_report(results, source=source)), markup=False, soft_wrap=True, end="")
        return
    if fmt == "csv":
        import pandas as pd

        write_table(pd.concat([b.numeric() for b in results], ignore_index=True), output)
    elif fmt == "xlsx":
        sheets = {b.scheme.id.capitalize(): b.numeric() for b in results}
        sheets["About"] = _about(results, source)
        write_workbook(sheets, output)
    else:
        report = breakdown_report(results, source=source)
        text = to_html(report) if fmt == "html" else to_markdown(report)
        with atomic_path(output) as tmp:
            tmp.write_text(text, encoding="utf-8")
    complaints = results[0].totals if results else {}
    say(f"Wrote {output}: {len(results)} table(s), {len(complaints)} column(s) of complaints.")


def _about(results: list, source: str):  # noqa: ANN202
    import datetime as dt

    import pandas as pd

    first = results[0]
    items = {
        "Source": source,
        "Generated": dt.date.today().isoformat(),
        "Filter": first.where or "(none: every complaint)",
        "Columns split by": ", ".join(x for x in (first.by, first.period_kind) if x) or "(none)",
        "Percentages": "Each '% of N complaints' column is a share of the N complaints in that column.",
        "Reasons and complaints": first.note(),
    }
    return pd.DataFrame({"Item": list(items), "Value": list(items.values())})


def _print_tables(results: list) -> None:
    """Rich tables, split into as many as the terminal needs so that no cell is squashed."""
    from rich.table import Table
    from rich.text import Text

    for b in results:
        frame = b.display()
        labels = _terminal_labels(b, frame)
        groups = list(frame.columns[2 if b.scheme.is_hierarchical else 1:])
        label_width = min(max(len(x) for x in labels), max(24, out.width // 3))
        chunks = _pack(frame, groups, room=out.width - label_width - 4)
        done = 0
        for k, chunk in enumerate(chunks):
            title = b.scheme.name + (f" — {b.where}" if b.where else "")
            if len(chunks) > 1:
                title += f" (columns {done + 1}-{done + len(chunk)} of {len(groups)})"
            done += len(chunk)
            table = Table(title=Text(title), caption=Text(b.note()) if k == len(chunks) - 1 else None)
            table.add_column(Text(frame.columns[0] if not b.scheme.is_hierarchical else "Cause"), max_width=label_width)
            for g in chunk:
                table.add_column(Text(_header(g)), justify="right", no_wrap=True)
            for level, label, i in zip(b.rows["level"], labels, frame.index, strict=True):
                style = "bold" if level in ("category", "complaints") else ""
                table.add_row(Text(label), *(Text(str(frame.at[i, g])) for g in chunk),
                              style=style, end_section=level == "uncoded")
            out.print(table)


def _pack(frame, groups: list[str], *, room: int) -> list[list[str]]:  # noqa: ANN001
    """Consecutive columns in tables that each fit the terminal's width."""
    chunks: list[list[str]] = [[]]
    used = 0
    for g in groups:
        width = max(len(v) for v in [*frame[g], *_header(g).split("\n")]) + 3
        if chunks[-1] and used + width > room:
            chunks.append([])
            used = 0
        chunks[-1].append(g)
        used += width
    return chunks


def _header(column: str) -> str:
    """'Fostering (n=12)' on two lines, so the name and its size sit above a narrow column."""
    name, sep, size = column.rpartition(" (n=")
    if sep:
        return f"{name}\n(n={size}"
    return column.replace(" since ", " since\n", 1)


def _terminal_labels(b, frame) -> list[str]:  # noqa: ANN001
    """One label column: categories, their reasons indented beneath, then the totals."""
    if not b.scheme.is_hierarchical:
        return [str(v) for v in frame.iloc[:, 0]]
    labels = []
    for level, first, second in zip(b.rows["level"], frame.iloc[:, 0], frame.iloc[:, 1], strict=True):
        if level == "category":
            labels.append(str(first))
        elif level == "reason":
            labels.append("  " + str(second))
        else:
            labels.append(str(second))
    return labels
