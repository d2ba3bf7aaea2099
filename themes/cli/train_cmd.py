"""themes train: fit a model bundle on coded complaints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import err, print_scores, reported, say

DATA_HELP = (
    "Labelled CSV/XLSX files with a text column and ';'-separated 'causes' and/or 'pillars' "
    "columns. Add :WEIGHT to weight a file's rows, e.g. council.csv:3."
)


def parse_source(spec: str):  # noqa: ANN201 - returns themes.train.Source
    from ..errors import UsageError
    from ..train import Source

    path, weight = spec, 1.0
    head, sep, tail = spec.rpartition(":")
    if sep and head and not Path(spec).exists():
        try:
            weight = float(tail)
            path = head
        except ValueError:
            pass
    if not Path(path).exists():
        raise UsageError(f"{path} does not exist.")
    return Source(Path(path), weight)


def train(
    data: Annotated[list[str], typer.Argument(help=DATA_HELP, show_default=False)],
    out_dir: Annotated[Path, typer.Option("--out", help="Bundle folder to write.")] = Path("models/model"),
    seed: Annotated[int, typer.Option(help="Seed for folds and solvers: same data and seed, same predictions.")] = 0,
    scheme: Annotated[
        list[str] | None,
        typer.Option("--scheme", help="Scheme name or .toml file to train (repeat for several). Default: causes and pillars."),
    ] = None,
    heldout: Annotated[
        list[Path] | None,
        typer.Option(help="A labelled file never used in training: scored after fitting and reported in the model card. Repeat for several; the first is the card's main estimate."),
    ] = None,
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text (default: detected).")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id (default: detected).")] = None,
    jobs: Annotated[int, typer.Option(help="CPU cores to use.", min=1)] = 1,
    tokenizer: Annotated[str, typer.Option(help="'spacy' (lemmas) or 'regex' (plain words).")] = "spacy",
    overwrite: Annotated[bool, typer.Option(help="Replace an existing bundle folder.")] = False,
    crosswalk: Annotated[str | None, typer.Option(help="A crosswalk file (or shipped legacy scheme id) for data files coded in another scheme: files with no column for its target scheme are converted first.")] = None,
    crosswalk_weight: Annotated[float, typer.Option(help="With --crosswalk: weight of converted rows relative to their file's weight (mapped codes are weaker evidence).", min=0.01, max=1.0)] = 0.5,
    threshold_raise: Annotated[float, typer.Option(help="Add this to every tuned threshold (0-0.2). About 0.05 when the complaints to be coded are written by other people than the training data (the bundled model is trained so); see docs/model.md.", min=0.0, max=0.2)] = 0.0,
    weight_column: Annotated[str | None, typer.Option(help="A column of row weights (numbers above 0; blank is 1) that multiply the file's weight, for rows that should count more. Files without it weigh 1 a row. The bundled model is trained with --weight-column weight: the shipped summaries weigh 2.")] = None,
    category_fill: Annotated[float | None, typer.Option(help="Where no reason of a category passes its threshold but the chance that one of them applies reaches this (0-1), code the category's reason nearest its threshold. 0.4 for the bundled model; see docs/model.md.", min=0.01, max=0.99)] = None,
) -> None:
    """Train a multi-label model for every scheme whose column the data has.

    Prints cross-validated micro and macro F1 per scheme and writes a bundle folder with the
    models, a manifest and a model card. Example:

      themes train training_data/complaints.csv --out models/mine --seed 0

    The bundled model was trained with --weight-column weight, --threshold-raise 0.05,
    --category-fill 0.4, --heldout training_data/heldout.csv and --heldout
    training_data/heldout_summaries.csv.
    """
    with reported():
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from .. import bundle as bundle_io
        from ..card import render
        from ..errors import UsageError
        from ..scheme import BUILTIN, load
        from ..train import train as fit

        sources = [parse_source(s) for s in data]
        if crosswalk is not None:
            from ..crosswalk import with_crosswalk

            sources = with_crosswalk(sources, crosswalk, weight=crosswalk_weight)
        if out_dir.exists() and not overwrite:
            raise UsageError(f"{out_dir} already exists: add --overwrite to replace it.")
        for path in heldout or []:
            # Checked now: the held-out files are read only after the minutes of training.
            if not path.is_file():
                raise UsageError(f"Held-out file {path} does not exist.")
        schemes = [load(s) for s in (scheme or list(BUILTIN))]
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True,
            console=err.real,
        ) as progress:
            task = progress.add_task("Training (cross-validating thresholds, then the final fit)…", total=None)
            result = fit(
                sources, schemes, name=out_dir.name, seed=seed, heldout=heldout,
                text_column=text_column, id_column=id_column, weight_column=weight_column,
                params={
                    "n_jobs": jobs, "tokenizer": tokenizer, "threshold_raise": threshold_raise,
                    "category_fill": category_fill,
                },
                progress=lambda stage, done, total: progress.update(task, description=stage + "…"),
            )
        saved = bundle_io.save(result, out_dir, card=render(result), overwrite=overwrite)
        print_scores(result.manifest["metrics"])
        say(f"Wrote {saved} ({result.manifest['training']['rows']:,} complaints).")
