"""themes classify: code an export with every reason, a confidence and a review flag."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ._util import default_model, reported, say


class Engine(str, Enum):
    local = "local"
    dask = "dask"


def classify(
    input: Annotated[Path, typer.Argument(help="The export to code: .csv or .xlsx.", show_default=False)],
    output: Annotated[Path, typer.Option("--out", help="Where to write: .csv or .xlsx (format follows the extension).", show_default=False)],
    model: Annotated[Path | None, typer.Option(help="Model bundle folder. Default: models/default.")] = None,
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text (default: detected, e.g. 'Description').")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id (default: detected, e.g. 'Complaint Ref').")] = None,
    scores: Annotated[bool, typer.Option(help="Add a probability column per label.")] = False,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the output if it exists.")] = False,
    keep_coded: Annotated[bool, typer.Option(help="Keep the causes people already recorded; code only blank rows. Adds coded_by (person/model).")] = False,
    blank_values: Annotated[str | None, typer.Option(help="With --keep-coded: comma-separated placeholders that count as blank. Default: Not recorded, No cause recorded, Unknown, N/A, -, None recorded.")] = None,
    suggest: Annotated[bool, typer.Option(help="With --keep-coded: add suggested_causes, the extra reasons the model sees in person-coded rows.")] = False,
    coded_column: Annotated[str | None, typer.Option(help="With --keep-coded: the column of people's cause ids (default: detected, e.g. 'causes', 'Primary cause').")] = None,
    evidence: Annotated[bool, typer.Option(help="Add an evidence column: for each label, the sentence(s) of the complaint that most support it.")] = True,
    review_margin: Annotated[float | None, typer.Option(help="Review rule: flag a row when a label's score is this close to its threshold (default: the bundle's, 0.05).", min=0.0, max=0.5)] = None,
    min_words: Annotated[int | None, typer.Option(help="Review rule: flag texts with fewer words (default: the bundle's, 4).", min=0)] = None,
    max_words: Annotated[int | None, typer.Option(help="Review rule: flag texts with more words (default: the bundle's, 1500).", min=1)] = None,
    min_known: Annotated[float | None, typer.Option(help="Review rule: flag texts where a smaller share of distinct words is in the training vocabulary (default: the bundle's, 0.6).", min=0.0, max=1.0)] = None,
    jobs: Annotated[int, typer.Option(help="CPU cores to code with: this process and N-1 worker processes (with --engine dask, N local workers).", min=1)] = 1,
    chunk_size: Annotated[int, typer.Option(help="Rows read, coded and written at a time: memory stays bounded whatever the file size.", min=1)] = 5000,
    engine: Annotated[Engine, typer.Option(help="'local' streams the file on this machine; 'dask' codes partitions on a Dask cluster (pip install 'themes[dask]'): input a CSV, a folder of CSV parts or Parquet; --out a .csv, a folder for CSV parts, or a .parquet folder.")] = Engine.local,
    scheduler: Annotated[str | None, typer.Option(help="With --engine dask: the scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster of --jobs workers).")] = None,
    redact: Annotated[bool, typer.Option(help="Mask names, addresses, phone numbers and other personal details in the output's text, evidence and name columns (see 'themes redact --help'). Codes come from the full text.")] = False,
) -> None:
    """Code every complaint in an export and write it back with the codes added.

    Every input row and column is kept unchanged and in order; added are causes (best first),
    cause_categories, pillars, confidence (0-1), needs_review and review_reason. Example:

      themes classify training_data/examples/uncoded_complaints.csv --out coded.xlsx
    """
    with reported(), stop_on_sigterm():
        import gc
        from functools import partial

        from .. import bundle as bundle_io
        from ..data import check_output_path
        from ..errors import UsageError
        from ..predict import ReviewRule, classify_frame, id_column_of
        from ..stream import classify_file, start_workers, wrap_names

        if not keep_coded and (suggest or blank_values is not None or coded_column is not None):
            raise UsageError(
                "--suggest, --blank-values and --coded-column work with --keep-coded: add --keep-coded."
            )
        if scheduler is not None and engine is not Engine.dask:
            raise UsageError("--scheduler works with --engine dask: add --engine dask.")
        if engine is Engine.local:
            check_output_path(output, inputs=[input], overwrite=overwrite)
        # Workers start first, so that their start-up overlaps loading the model here.
        # --jobs N means N processes coding: this one and N - 1 workers.
        workers = start_workers(jobs - 1) if engine is Engine.local and jobs > 1 else None
        try:
            loaded = bundle_io.load(model or default_model())
            # The model's millions of objects live until exit: out of the cyclic collector's
            # sight, collections during coding (and the final one at exit) stop walking them.
            gc.freeze()
            rule = ReviewRule.from_manifest(loaded, margin=review_margin, min_words=min_words, max_words=max_words, min_known=min_known)
            # One function codes one chunk of rows; the streamed and Dask engines apply it to every chunk.
            tally = None
            if keep_coded:
                from ..coded import classify_keep_coded, parse_blank_values, split_by_coder

                per_chunk = partial(
                    classify_keep_coded, text_column=text_column, scores=scores, coded_column=coded_column,
                    blank_values=parse_blank_values(blank_values), suggest=suggest, rule=rule,
                    evidence=evidence,
                )
                tally = split_by_coder
            else:
                per_chunk = partial(classify_frame, text_column=text_column, scores=scores, rule=rule, evidence=evidence)
            if redact:
                from ..redact import RedactingClassifier

                per_chunk = RedactingClassifier(per_chunk, text_column=text_column)
            if engine is Engine.dask:
                from ..dask_engine import classify_partitions

                result = classify_partitions(
                    loaded, input, output, classify=per_chunk, tally=tally, scheduler=scheduler,
                    jobs=jobs, overwrite=overwrite, check=lambda frame: id_column_of(frame, id_column),
                )
            else:
                with progress_bar() as progress:
                    result = classify_file(
                        loaded, input, output, chunk_size=chunk_size, jobs=jobs, executor=workers, progress=progress,
                        classify=per_chunk, tally=tally, sheet=sheet, wrap=wrap_names(WRAPPED),
                        check=lambda frame: id_column_of(frame, id_column),
                    )
        finally:
            if workers is not None:
                # Stopped here whether coding finished, failed or never began (a bad model or
                # file). Waiting, not killing: killing workers still starting up trips loky.
                workers.shutdown(wait=True)
        say(f"Coded {result.rows} complaints with {loaded.name}; {result.flagged} flagged for review. Wrote {output}.")
        if keep_coded:
            counts = result.counts
            say(f"Kept the codes people recorded on {counts.get('person', 0)} rows; the model coded {counts.get('model', 0)}.")
        if redact:
            say("Masked personal details in the complaint text, evidence and name columns (--redact).")
        if result.report:
            say("Made safe for spreadsheets: " + result.report.describe() + ".")


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Treat SIGTERM (a scheduler or 'kill' ending a long run) as Ctrl-C: temporary output is
    removed and worker processes are stopped instead of being left behind."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


WRAPPED = ("description", "text", "details")
"""Columns shown wrapped in a workbook whatever their length."""


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr (only when it is a terminal): rows done, rows/s and time left."""
    from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    from ._util import err, is_interactive

    class Rate(ProgressColumn):
        def render(self, task) -> Text:  # noqa: ANN001 - rich.progress.Task
            unit = task.fields.get("unit", "rows")
            done = f"{task.completed:,.0f}/{task.total:,.0f} {unit}" if task.total else ""
            rate = f" · {task.speed:,.0f} {unit}/s" if task.speed and unit == "rows" else ""
            return Text(done + rate)

    stages = {"checking": ("Checking the file", "bytes"), "coding": ("Coding complaints", "rows")}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), Rate(),
        TimeRemainingColumn(), console=err.real, transient=True, disable=not is_interactive(),
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                description, unit = stages.get(stage, (stage, "rows"))
                tasks[stage] = bar.add_task(description, total=total, unit=unit)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
