"""themes classify: code an export with every reason, a confidence and a review flag."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import default_model, reported, say


def classify(
    input: Annotated[Path, typer.Argument(help="The export to code: .csv or .xlsx.", show_default=False)],
    output: Annotated[Path, typer.Option("--out", help="Where to write: .csv or .xlsx (format follows the extension).", show_default=False)],
    model: Annotated[Path | None, typer.Option(help="Model bundle folder. Default: models/default.")] = None,
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text (default: detected, e.g. 'Description').")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id (default: detected, e.g. 'Complaint Ref').")] = None,
    scores: Annotated[bool, typer.Option(help="Add a probability column per label.")] = False,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
) -> None:
    """Code every complaint in an export and write it back with the codes added.

    Every input row and column is kept unchanged and in order; added are causes (best first),
    cause_categories, pillars, confidence (0-1), needs_review and review_reason. Example:

      themes classify training_data/examples/uncoded_complaints.csv --out coded.xlsx
    """
    with reported():
        from .. import bundle as bundle_io
        from ..data import check_output_path, read_table, write_table
        from ..predict import classify_frame, id_column_of

        check_output_path(output, inputs=[input], overwrite=overwrite)
        loaded = bundle_io.load(model or default_model())
        frame = read_table(input, sheet=sheet)
        id_column_of(frame, id_column)
        with __import__("themes.cli._util", fromlist=["err"]).err.status("Classifying…"):
            coded = classify_frame(loaded, frame, text_column=text_column, scores=scores)
        report = write_table(coded, output, wrap_columns=[c for c in coded.columns if c.lower() in {"description", "text", "details"}])
        flagged = int((coded["needs_review"] == "true").sum())
        say(f"Coded {len(coded)} complaints with {loaded.name}; {flagged} flagged for review. Wrote {output}.")
        if report:
            say("Made safe for spreadsheets: " + report.describe() + ".")
