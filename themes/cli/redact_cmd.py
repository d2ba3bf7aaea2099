"""themes redact: mask names, addresses and other personal details in an export before sharing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import reported, say


def redact(
    input: Annotated[Path, typer.Argument(help="The export to redact: .csv or .xlsx.", show_default=False)],
    output: Annotated[Path, typer.Option("--out", help="Where to write: .csv or .xlsx.", show_default=False)],
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text (default: detected, e.g. 'Description').")] = None,
    name_columns: Annotated[
        str | None,
        typer.Option(help="Comma-separated columns holding names (default: columns whose header says 'name'). Their cells become [NAME] and the names are masked in the text."),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
) -> None:
    """Mask personal details in the complaint text and name columns; every other column is kept.

    Names, addresses, postcodes, phone numbers, email addresses, dates of birth, NHS and
    National Insurance numbers and case references become [NAME], [ADDRESS], [POSTCODE],
    [PHONE], [EMAIL], [DOB], [NHS], [NI] and [REF]. Rules, not magic: check a sample before
    sharing. Example:

      themes redact complaints.xlsx --out complaints_redacted.xlsx --name-columns "Child name,Surname"
    """
    with reported():
        from ..data import check_output_path, read_table, write_table
        from ..redact import redact_export

        check_output_path(output, inputs=[input], overwrite=overwrite)
        frame = read_table(input, sheet=sheet)
        names = [c.strip() for c in name_columns.split(",") if c.strip()] if name_columns else None
        redacted, report = redact_export(frame, text_column=text_column, name_columns=names)
        cells = write_table(redacted, output)
        say(f"Redacted {len(redacted)} rows: {report.describe()}. Wrote {output}.")
        if cells:
            say("Made safe for spreadsheets: " + cells.describe() + ".")
