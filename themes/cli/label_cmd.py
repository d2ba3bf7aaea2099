"""themes label: code complaints by hand, least sure first, each answer saved at once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ._util import default_model, out, reported, say


def label(
    input: Annotated[Path, typer.Argument(help="The export to code: .csv or .xlsx.", show_default=False)],
    output: Annotated[Path, typer.Option("--out", help="The answer file (.csv): created, or added to when it exists. Run again with the same file to resume.", show_default=False)],
    model: Annotated[Path | None, typer.Option(help="Model bundle that suggests codes and picks the order. Default: models/default.")] = None,
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text (default: detected).")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id (default: detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
) -> None:
    """Code complaints by hand, least sure first, with the model's codes filled in.

    Keys: a accept, e edit (toggle labels by number or id, type a word to search label names),
    s skip, q quit, ? help. Each answer is written to the answer file at once, so quitting or a
    crash loses nothing; run the same command again to carry on. Train with the answers, for
    example: themes train training_data/complaints.csv labelled.csv:3

      themes label export.csv --out labelled.csv
    """
    with reported():
        from .. import bundle as bundle_io
        from ..data import ID_CANDIDATES, TEXT_CANDIDATES, check_output_path, find_column, read_table
        from ..errors import OutputError
        from ..labelling import AnswerLog, LabellingSession, StreamKeys, TerminalKeys, build_queue

        check_output_path(output, inputs=[input], overwrite=True)
        if output.suffix.lower() != ".csv":
            raise OutputError(f"{output.name}: the answer file must be a .csv file (it is appended to after every answer).")
        loaded = bundle_io.load(model or default_model())
        frame = read_table(input, sheet=sheet)
        text_col = find_column(frame, text_column, candidates=TEXT_CANDIDATES, role="complaint text", option="--text-column")
        id_col = find_column(frame, id_column, candidates=ID_CANDIDATES, role="complaint id", option="--id-column")
        log = AnswerLog(output, list(loaded.schemes))
        done = log.done_ids()
        with __import__("themes.cli._util", fromlist=["err"]).err.status("Scoring complaints…"):
            items, already = build_queue(loaded, frame, text_column=text_col, id_column=id_col, done=done, name=input.name)
        if already:
            say(f"Resuming: {already} complaints of {input.name} are already in {output.name}.")
        keys = TerminalKeys() if sys.stdin.isatty() else StreamKeys(sys.stdin)
        session = LabellingSession(items, loaded.schemes, log, keys=keys, console=out, already=len(done))
        summary = session.run()
        say(f"Saved {summary.saved} this session, skipped {summary.skipped}; {summary.remaining} left to code. Answers are in {output}.")
