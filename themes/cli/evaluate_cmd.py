"""themes evaluate: how well a model (or a second coder) agrees with gold codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._util import default_model, out, reported, say


def evaluate(
    gold: Annotated[Path, typer.Argument(help="Labelled file with the codes taken as right.", show_default=False)],
    model: Annotated[Path | None, typer.Option(help="Model bundle to score. Default: models/default.")] = None,
    against: Annotated[
        Path | None,
        typer.Option(help="A second coding of the same complaints (matched by id) to compare instead of a model."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full results as JSON.")] = False,
    text_column: Annotated[str | None, typer.Option(help="Column holding the complaint text.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding the complaint id.")] = None,
    review_margin: Annotated[float | None, typer.Option(help="Review rule: flag a row when a label is this close to its threshold (default: the bundle's).", min=0.0, max=0.5)] = None,
    min_words: Annotated[int | None, typer.Option(help="Review rule: flag texts with fewer words.", min=0)] = None,
    max_words: Annotated[int | None, typer.Option(help="Review rule: flag texts with more words.", min=1)] = None,
    min_known: Annotated[float | None, typer.Option(help="Review rule: flag texts with a smaller share of words the model knows.", min=0.0, max=1.0)] = None,
) -> None:
    """Per-label precision, recall, F1, support and Cohen's kappa; micro and macro F1 by level.

    For a model, also the calibration of its scores (expected calibration error over 10 bins,
    Brier score) and how many of its errors the needs_review flag catches.

    Examples:

      themes evaluate training_data/heldout.csv --model models/default

      themes evaluate coder_a.csv --against coder_b.csv
    """
    with reported():
        overrides = {"margin": review_margin, "min_words": min_words, "max_words": max_words, "min_known": min_known}
        results = _compare_codings(gold, against, id_column) if against else _score_model(gold, model, text_column, id_column, overrides)
        if as_json:
            print(json.dumps({k: v.as_dict() for k, v in results.items()}, indent=2))
            return
        _print(results)


def _score_model(gold, model, text_column, id_column, overrides=None):  # noqa: ANN001, ANN202
    from .. import bundle as bundle_io
    from ..predict import ReviewRule
    from ..train import evaluate_file

    loaded = bundle_io.load(model or default_model())
    rule = ReviewRule.from_manifest(loaded, **(overrides or {}))
    return evaluate_file(loaded, gold, text_column=text_column, id_column=id_column, rule=rule)


def _compare_codings(gold, against, id_column):  # noqa: ANN001, ANN202
    from ..data import ID_CANDIDATES, find_column, read_table, unknown_code_problems
    from ..errors import DataError, problems_message
    from ..evaluate import align_by_id, compare
    from ..scheme import BUILTIN, load

    schemes = [load(s) for s in BUILTIN]
    left, right = read_table(gold), read_table(against)
    results = {}
    lid = find_column(left, id_column, candidates=ID_CANDIDATES, role="complaint id", option="--id-column")
    rid = find_column(right, id_column, candidates=ID_CANDIDATES, role="complaint id", option="--id-column")
    li, ri, only_l, only_r = align_by_id(left[lid].astype(str).tolist(), right[rid].astype(str).tolist())
    if not li:
        raise DataError(f"{gold.name} and {against.name} share no complaint ids in columns '{lid}' and '{rid}'.")
    if only_l or only_r:
        say(f"Comparing {len(li)} complaints in both files ({only_l} only in {gold.name}, {only_r} only in {against.name}).")
    for scheme in schemes:
        if scheme.id in left.columns and scheme.id in right.columns:
            g = [scheme.split_codes(left[scheme.id].iloc[i]) for i in li]
            p = [scheme.split_codes(right[scheme.id].iloc[i]) for i in ri]
            problems = []
            for frame, rows, name in ((left, li, gold.name), (right, ri, against.name)):
                unknown: dict[str, list[int]] = {}
                for i in rows:
                    for code in scheme.unknown_codes(scheme.split_codes(frame[scheme.id].iloc[i])):
                        unknown.setdefault(code, []).append(i + 2)
                problems += [f"{name}: {line}" for line in unknown_code_problems(unknown, scheme.id, scheme)]
            if problems:
                raise DataError(problems_message("Some codes are not ids of their scheme:", problems))
            results[scheme.id] = compare(scheme, g, p)
    if not results:
        raise DataError(f"{gold.name} and {against.name} have no 'causes' or 'pillars' column in common.")
    return results


def _print(results) -> None:  # noqa: ANN001
    from rich.table import Table

    for scheme_id, result in results.items():
        summary = Table("level", "rows", "micro-F1", "macro-F1", "micro precision", "micro recall", title=f"{scheme_id}: summary")
        for row in result.summary.to_dict(orient="records"):
            summary.add_row(row["level"], str(row["rows"]), f"{row['micro_f1']:.3f}", f"{row['macro_f1']:.3f}", f"{row['micro_precision']:.3f}", f"{row['micro_recall']:.3f}")
        out.print(summary)
        table = Table("level", "label", "precision", "recall", "F1", "support", "kappa", title=f"{scheme_id}: per label")
        for row in result.labels.to_dict(orient="records"):
            table.add_row(row["level"], row["label"], f"{row['precision']:.2f}", f"{row['recall']:.2f}", f"{row['f1']:.2f}", str(row["support"]), f"{row['kappa']:.2f}")
        out.print(table)
    _print_trust(results)


def _print_trust(results) -> None:  # noqa: ANN001
    from rich.table import Table

    scored = {k: v for k, v in results.items() if v.calibration is not None}
    if not scored:
        return
    table = Table("scheme", "ECE (10 bins)", "Brier", "label scores", title="Calibration: do scores mean what they say? (0 is perfect)")
    for scheme_id, result in scored.items():
        c = result.calibration
        table.add_row(scheme_id, f"{c['ece']:.3f}", f"{c['brier']:.3f}", str(c["cells"]))
    out.print(table)
    table = Table("scheme", "flagged", "rows with an error flagged", "errors on flagged rows", "error rate flagged / not", title="Review flag: how much of the model's error needs_review catches")
    for scheme_id, result in scored.items():
        r = result.review
        table.add_row(
            scheme_id, f"{r['flagged']} of {r['rows']} ({r['flagged_share']:.0%})",
            f"{r['error_rows_flagged']} of {r['rows_with_error']} ({r['error_rows_caught']:.0%})",
            f"{r['errors_on_flagged']} of {r['errors']} ({r['errors_caught']:.0%})",
            f"{r['error_rate_flagged']:.0%} / {r['error_rate_unflagged']:.0%}",
        )
    out.print(table)
