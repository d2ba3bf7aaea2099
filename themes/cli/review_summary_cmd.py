"""themes review-summary: collate completed dip-sample review sheets by pillar."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ._util import out, reported, say


class Format(str, Enum):
    md = "md"
    html = "html"
    xlsx = "xlsx"


def review_summary(
    reviewed: Annotated[list[Path], typer.Argument(help="Completed review workbooks from 'themes dip-sample' (one or more).", show_default=False)],
    format: Annotated[Format | None, typer.Option("--format", help="md, html or xlsx. Default: from --out, else md.")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="Where to write; Markdown prints to the terminal without it.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
) -> None:
    """For each pillar, how many reviewed complaints had a finding ("3 of 11 (27%)") and the notes.

    Example:

      themes review-summary sample_reviewed.xlsx --out findings.html
    """
    with reported():
        from ..data import atomic_path, check_output_path, write_workbook
        from ..errors import UsageError
        from ..report import review_report, to_html, to_markdown
        from ..review import read_review, summarise

        implied = output.suffix.lower().lstrip(".") if output is not None else None
        fmt = format.value if format is not None else implied or "md"
        if output is not None and implied != fmt:
            raise UsageError(f"--out {output.name} does not match the {fmt} format: use a .{fmt} file name.")
        if output is None and fmt != "md":
            raise UsageError(f"--format {fmt} writes a file: add --out findings.{fmt}.")
        if output is not None:
            check_output_path(output, inputs=list(reviewed), overwrite=overwrite)
        summary = summarise([read_review(p) for p in reviewed])
        if output is None:
            out.print(to_markdown(review_report(summary)), markup=False, soft_wrap=True, end="")
            return
        if fmt == "xlsx":
            write_workbook(
                {"Findings by pillar": summary.pillars, "Notes": summary.notes, "Learning and actions": summary.learning},
                output,
            )
        else:
            report = review_report(summary)
            with atomic_path(output) as tmp:
                tmp.write_text(to_html(report) if fmt == "html" else to_markdown(report), encoding="utf-8")
        say(f"Collated {summary.reviewed} reviewed of {summary.sampled} sampled complaints. Wrote {output}.")
