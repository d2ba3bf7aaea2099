"""The ``themes`` command: one module per command, composed here.

Command modules import the library inside their functions, so that ``themes --help`` starts
without loading scikit-learn, spaCy or pandas.
"""

from __future__ import annotations

import typer

from . import classify_cmd, evaluate_cmd, info_cmd, scheme_cmd, train_cmd
from . import breakdown_cmd, dip_sample_cmd, review_summary_cmd
from . import crosswalk_cmd
from . import audit_cmd, explain_cmd, label_cmd
from . import redact_cmd

app = typer.Typer(
    name="themes",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    # Plain help: rich help screens import typer.rich_utils (markdown-it, pygments), a third of
    # the start-up time (bench/startup.py). Output of the commands themselves still uses rich.
    rich_markup_mode=None,
    add_completion=False,
    help=(
        "Code children's social care complaints with every cause they raise, report theme "
        "breakdowns and draw dip samples, offline.\n\n"
        "Start with: themes classify training_data/examples/uncoded_complaints.csv --out coded.xlsx"
    ),
)
app.add_typer(scheme_cmd.app, name="scheme")
app.command("train")(train_cmd.train)
app.command("classify")(classify_cmd.classify)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("info")(info_cmd.info)
app.command("breakdown")(breakdown_cmd.breakdown)
app.command("dip-sample")(dip_sample_cmd.dip_sample)
app.command("review-summary")(review_summary_cmd.review_summary)
app.command("crosswalk")(crosswalk_cmd.crosswalk)
app.command("explain")(explain_cmd.explain)
app.command("label")(label_cmd.label)
app.command("audit")(audit_cmd.audit)
app.command("redact")(redact_cmd.redact)


def main() -> None:
    import gc

    try:
        app()
    finally:
        # Exit's final collections would walk every object a command loaded (a model is
        # millions): frozen objects are skipped, 0.4-0.9 s sooner back at the prompt.
        gc.freeze()
