"""themes explain: one complaint, its labels, scores, thresholds and the sentences behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import default_model, out, reported

# Evidence highlights cycle through these styles, one per label, matched in the table.
STYLES = ("bold black on yellow", "bold black on cyan", "bold black on magenta", "bold black on green", "bold white on blue", "bold white on red")
CLOSEST_MISSES = 3


def explain(
    input: Annotated[Path, typer.Argument(help="The export holding the complaint: .csv or .xlsx.", show_default=False)],
    complaint_id: Annotated[str, typer.Option("--id", help="The complaint's id, as in the id column.", show_default=False)],
    model: Annotated[Path | None, typer.Option(help="Model bundle folder. Default: models/default.")] = None,
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text (default: detected).")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id (default: detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet to read (default: the first visible one).")] = None,
) -> None:
    """Show one complaint's labels, scores, thresholds and highlighted evidence.

    The evidence for a label is the sentence(s) of the complaint that add most to its score.
    Prints the complaint's text: run it where others cannot see the screen. Example:

      themes explain coded.xlsx --id C-1043
    """
    with reported():
        from .. import bundle as bundle_io
        from ..data import read_table
        from ..evidence import explain_row

        loaded = bundle_io.load(model or default_model())
        frame = read_table(input, sheet=sheet)
        explanation = explain_row(
            loaded, frame, complaint_id, text_column=text_column, id_column=id_column, name=input.name
        )
        render(explanation, complaint_id=complaint_id)


def render(explanation, *, complaint_id: str) -> None:  # noqa: ANN001 - themes.evidence.Explanation
    """Print the explanation; data goes in Text objects so that '[bold]' in a complaint stays literal."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    styles = {}
    for score in explanation.assigned():
        styles[(score.scheme_id, score.label)] = STYLES[len(styles) % len(STYLES)]
    body = Text(explanation.text)
    for item in explanation.evidence:
        body.stylize(styles[(item.scheme_id, item.label)], item.start, item.end)
    title = Text(f"Complaint {complaint_id} (row {explanation.row})")
    out.print(Panel(body, title=title, title_align="left"))

    table = Table(title="Labels: every one given, and the closest misses")
    table.add_column("")
    table.add_column("label", ratio=1)
    for header in ("score", "threshold"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    shown: dict[str, int] = {}
    for score in explanation.scores:
        key = (score.scheme_id, score.label)
        if not score.assigned:
            shown[score.scheme_id] = shown.get(score.scheme_id, 0) + 1
            if shown[score.scheme_id] > CLOSEST_MISSES:
                continue
        decision = "given" if score.assigned else "not given"
        if score.assigned and score.score < score.threshold:
            # Coded by the category fill: its category as a whole is likely.
            decision = "given: category likely"
        if score.near:
            decision += ", near"
        marker = Text("  ", style=styles[key]) if key in styles else Text("")
        table.add_row(
            marker, Text.assemble(score.label, "\n", (score.name, "dim")),
            Text(f"{score.score:.2f}"), Text(f"{score.threshold:.2f}"), Text(decision),
        )
    out.print(table)

    if explanation.evidence:
        evidence = Table(title="Evidence: the sentences that add most to each label's score")
        evidence.add_column("")
        evidence.add_column("label", no_wrap=True)
        evidence.add_column("sentence", ratio=1)
        evidence.add_column("adds", justify="right", no_wrap=True)
        for item in explanation.evidence:
            evidence.add_row(
                Text("  ", style=styles[(item.scheme_id, item.label)]), Text(item.label),
                Text(" ".join(item.text.split())), Text(f"{item.contribution:+.2f}"),
            )
        out.print(evidence)
    else:
        out.print(Text("No label passed its threshold, so there is no evidence to show."))
    review = "yes: " + explanation.review_reason if explanation.needs_review else "no"
    out.print(Text(f"Confidence {explanation.confidence:.2f}. Needs review: {review}."))
