"""themes audit: find complaints whose past coding is probably wrong or incomplete."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import out, reported, say


def audit(
    coded: Annotated[Path, typer.Argument(help="Complaints coded by people: a text column and ';'-separated 'causes' and/or 'pillars' columns.", show_default=False)],
    output: Annotated[Path | None, typer.Option("--out", help="Write every complaint, most suspect first, with the suggested correction, its evidence and the text (.xlsx or .csv).")] = None,
    reference: Annotated[list[Path] | None, typer.Option("--reference", help="Other labelled data to train on alongside (repeat for several), e.g. training_data/complaints.csv: stronger models on a small file. Only the coded file is ranked.")] = None,
    top: Annotated[int, typer.Option(help="How many of the most suspect complaints to list on screen.", min=0)] = 20,
    param: Annotated[list[str] | None, typer.Option("--param", help="A model parameter as KEY=VALUE (repeat for several), e.g. --param char_ngrams=none --param cv=3.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for folds and solvers: same file and seed, same ranking.")] = 0,
    jobs: Annotated[int, typer.Option(help="CPU cores to use.", min=1)] = 1,
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text (default: detected).")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id (default: detected).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
    redact: Annotated[bool, typer.Option(help="Mask names, addresses, phone numbers and other personal details in the text and evidence shown and written (see 'themes redact --help').")] = False,
) -> None:
    """Rank coded complaints by how likely their codes are wrong or incomplete.

    Each complaint is scored by models trained without it (cross-validation on the file itself);
    cleanlab ranks the complaints whose codes disagree most with those scores. Each comes with
    the codes to add or remove and the sentences behind each code to add. Needs cleanlab
    (pip install 'themes[audit]'). Examples:

      themes audit coded_2023.xlsx --out suspects.xlsx

      themes audit coded_2023.xlsx --reference training_data/complaints.csv --out suspects.xlsx
    """
    with reported():
        from ..audit import audit as run_audit, load_cleanlab
        from ..data import check_output_path, read_labelled, write_table
        from ..scheme import BUILTIN, load

        load_cleanlab()
        if output is not None:
            check_output_path(output, inputs=[coded], overwrite=overwrite)
        params = {"n_jobs": jobs, **parse_params(param or [])}
        schemes = [load(s) for s in BUILTIN]
        labelled = read_labelled(coded, schemes, text_column=text_column, id_column=id_column)
        references = [read_labelled(path, schemes) for path in reference or []]
        with __import__("themes.cli._util", fromlist=["err"]).err.status("Cross-validating…") as status:
            result = run_audit(
                labelled, schemes, reference=references, params=params, seed=seed,
                progress=lambda stage: status.update(stage + "…"),
            )
        also = f", trained with {result.reference_rows} reference complaints" if references else ""
        say(
            f"Scored {result.rows} complaints with models that never saw them ({result.folds} folds{also}); "
            f"on {result.suspects} the model's codes differ from the given ones."
        )
        if redact:
            import dataclasses

            from ..redact import redact_frame

            masked, _ = redact_frame(result.table, text_columns=[c for c in ("text", "evidence") if c in result.table.columns])
            result = dataclasses.replace(result, table=masked)
        if top:
            show(result.table.head(top))
        if output is not None:
            write_table(result.table, output, sheet_name="Suspects", wrap_columns=["text", "evidence"])
            say(f"Wrote {output}: every complaint, most suspect first.")


def parse_params(specs: list[str]) -> dict:
    """KEY=VALUE pairs for ThemeClassifier; values are numbers, none, true/false, a-b ranges or text."""
    from ..errors import UsageError
    from ..model import ThemeClassifier

    allowed = set(ThemeClassifier().get_params()) - {"labels", "categories", "random_state", "n_jobs"}
    params: dict = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        key = key.strip()
        if not sep or key not in allowed:
            raise UsageError(
                f"--param {spec!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(allowed))}."
            )
        params[key] = _value(value.strip())
    return params


def _value(text: str):  # noqa: ANN202
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if "-" in text and all(p.strip().isdigit() for p in text.split("-", 1)):
        low, high = text.split("-", 1)
        return (int(low), int(high))
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def show(table) -> None:  # noqa: ANN001 - pandas DataFrame
    from rich.table import Table
    from rich.text import Text

    grid = Table("rank", "row", *(["id"] if "id" in table.columns else []), "quality", "add", "remove", title="Most suspect coding (lowest label quality first)")
    for record in table.to_dict(orient="records"):
        cells = [str(record["rank"]), str(record["row"])]
        if "id" in record:
            cells.append(str(record["id"]))
        cells += [f"{record['label_quality']:.3f}", record["add"] or "-", record["remove"] or "-"]
        grid.add_row(*(Text(c) for c in cells))
    out.print(grid)
