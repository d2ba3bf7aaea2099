"""themes dip-sample: draw a reproducible sample of complaints for a practice learning review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import reported, say


def dip_sample(
    coded: Annotated[Path, typer.Argument(help="Coded complaints: 'themes classify' output or coded by people.", show_default=False)],
    output: Annotated[Path, typer.Option("--out", help="The review workbook to write (.xlsx); a .manifest.json is written beside it.", show_default=False)],
    fraction: Annotated[float | None, typer.Option(help="Share of the matching complaints to draw, e.g. 0.3 for 30% (rounded half up).")] = None,
    size: Annotated[int | None, typer.Option(help="Number of complaints to draw.")] = None,
    where: Annotated[str | None, typer.Option(help="Draw only from matching complaints, e.g. \"outcome in (Upheld, Partially upheld)\".")] = None,
    stratify: Annotated[str | None, typer.Option(help="Share the sample in proportion to a column (team, outcome, ...) or 'pillars'.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for the draw; the same input, filter and seed give the same complaints. Default: a new one, reported.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id (default: detected, e.g. 'Complaint Ref').")] = None,
    date_column: Annotated[str | None, typer.Option(help="Column holding the date received (default: detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the outputs if they exist.")] = False,
    redact: Annotated[bool, typer.Option(help="Mask names, addresses, phone numbers and other personal details in the sheet's complaint text and evidence (see 'themes redact --help').")] = False,
) -> None:
    """Draw a dip sample and write a review sheet with a column per pillar for the reviewer.

    The draw is reproducible: the same input, filter and seed give the same complaint ids
    whatever the order of the rows. The workbook and the manifest record the filter, the
    population, the size (and how it was rounded), the seed and a hash of the ids. Example:

      themes dip-sample coded.xlsx --fraction 0.3 --where "outcome in (Upheld, Partially upheld)" --stratify pillars --seed 7 --out sample.xlsx
    """
    with reported():
        import dataclasses
        import secrets

        from ..breakdown import read_coded
        from ..bundle import sha256_file
        from ..data import atomic_path, check_output_path
        from ..errors import UsageError
        from ..sample import dip_sample as draw
        from ..sample import manifest_json, write_review_workbook

        if output.suffix.lower() != ".xlsx":
            raise UsageError(f"--out {output.name}: the review sheet is a workbook; use a .xlsx file name.")
        manifest_path = output.with_name(output.stem + ".manifest.json")
        check_output_path(output, inputs=[coded], overwrite=overwrite)
        check_output_path(manifest_path, inputs=[coded], overwrite=overwrite)
        if seed is None:
            seed = secrets.randbelow(1_000_000)
            say(f"No --seed given: using seed {seed}. Give --seed {seed} to draw the same sample again.")
        data = read_coded(coded, id_column=id_column, date_column=date_column, sheet=sheet)
        sample = draw(data, seed=seed, fraction=fraction, size=size, where=where, stratify=stratify)
        sample = dataclasses.replace(sample, manifest=sample.manifest | {"source_sha256": sha256_file(coded)})
        if redact:
            from ..redact import redact_frame
            from ..sample import EVIDENCE_HEADER, TEXT_HEADER

            columns = [c for c in (TEXT_HEADER, EVIDENCE_HEADER) if c in sample.sheet.columns]
            masked, _ = redact_frame(sample.sheet, text_columns=columns)
            sample = dataclasses.replace(sample, sheet=masked)
        write_review_workbook(sample, output)
        with atomic_path(manifest_path) as tmp:
            tmp.write_text(manifest_json(sample), encoding="utf-8")
        m = sample.manifest
        say(
            f"Drew {m['sample_size']} of {m['population']} complaints ({m['size_rule']}); seed {seed}"
            + (f"; {len(m['strata'])} strata by {stratify}" if stratify else "")
            + f". Wrote {output} and {manifest_path.name}."
        )
        for note in m["notes"]:
            say(f"Note: {note}")
