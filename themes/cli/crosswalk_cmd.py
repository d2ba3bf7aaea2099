"""themes crosswalk: convert a file coded in another scheme (a legacy one, an older version)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import reported, say


def crosswalk(
    coded: Annotated[Path, typer.Argument(help="The coded file to convert: .csv or .xlsx.", show_default=False)],
    source: Annotated[str, typer.Option("--from", help="A shipped legacy scheme id (e.g. legacy_single_reason), its scheme file, or a crosswalk .toml file.", show_default=False)],
    output: Annotated[Path, typer.Option("--out", help="Where to write: .csv or .xlsx.", show_default=False)],
    to: Annotated[str, typer.Option("--to", help="The scheme to convert to.")] = "causes",
    column: Annotated[str | None, typer.Option(help="Column holding the old codes (default: detected, e.g. 'Primary cause').")] = None,
    blank_values: Annotated[str | None, typer.Option(help="Comma-separated placeholders that mean 'not coded'. Default: Not recorded, No cause recorded, Unknown, N/A, -, None recorded.")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
) -> None:
    """Convert codes from another scheme into the default one through a crosswalk.

    Labels may be given by id or by name, ';'-separated, in any case. Every column is kept; added
    are the converted codes (e.g. 'causes') and crosswalk_judgement, true where a mapping used was
    a judgement rather than a clear equivalent. Example:

      themes crosswalk old_2019.csv --from legacy_single_reason --to causes --out restated.csv
    """
    with reported():
        from ..coded import parse_blank_values
        from ..crosswalk import resolve, restate, summary
        from ..data import check_output_path, read_table, write_table

        check_output_path(output, inputs=[coded], overwrite=overwrite)
        walk = resolve(source, to=to)
        frame = read_table(coded, sheet=sheet)
        restated = restate(frame, walk, column=column, blank_values=parse_blank_values(blank_values), name=coded.name)
        report = write_table(restated, output)
        counts = summary(restated, walk)
        say(
            f"Converted {counts['rows']} rows with {walk.title}: {counts['coded']} have codes, "
            f"{counts['judgement']} rest on a judgement mapping. Wrote {output}."
        )
        if report:
            say("Made safe for spreadsheets: " + report.describe() + ".")
