"""Partly coded exports: keep what a person coded, let the model code only the blank rows.

Council exports arrive partly coded: officers recorded a cause for some complaints and left
others blank or wrote a placeholder such as "Not recorded". ``classify --keep-coded`` classifies
every row, then merges: a row whose cause cell holds codes is *person-coded* and keeps its cells
byte for byte; every other row gets the model's codes. The output then follows the classify
contract (see :mod:`themes.predict`) with these differences:

- ``coded_by`` is ``person`` or ``model`` for every row (it describes the cause codes);
- a scheme column the input already has (``causes``, ``pillars``) stays where it is, with the
  person's cells kept on person-coded rows and the model's codes filled in on the others; a
  scheme column the input lacks is appended as usual, with the model's codes on every row;
- ``cause_categories`` of person-coded rows are derived from their reasons via the scheme, so
  reasons and categories always agree;
- ``confidence`` is blank, ``needs_review`` is ``false`` and ``review_reason`` and
  ``evidence`` are blank on person-coded rows: those columns describe the model's decisions;
- with ``suggest=True``, ``suggested_causes`` lists, for person-coded rows, the reasons the model
  assigns that the person did not give (never replacing theirs); it is blank on model rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .bundle import Bundle
from .data import find_column
from .errors import DataError, problems_message, row_list
from .predict import ReviewRule, category_column, classify_frame, output_columns
from .scheme import SEPARATOR, Scheme

DEFAULT_BLANK_VALUES: tuple[str, ...] = (
    "Not recorded", "No cause recorded", "Unknown", "N/A", "-", "None recorded",
)
"""Cells that mean "nobody coded this" (compared ignoring case and spacing)."""

CODED_CANDIDATES = (
    "causes", "cause", "primary cause", "main cause", "cause of complaint", "complaint cause",
    "reason", "reasons", "reason for complaint",
)
"""Names a person-coded cause column commonly has in exports, in order of preference."""

ACCEPTED_INPUT = ("causes", "pillars")
"""Columns of the classify contract that --keep-coded accepts in the input: people's codes."""

CODED_BY = "coded_by"
SUGGESTED = "suggested_causes"
PERSON, MODEL = "person", "model"


def _key(value: str) -> str:
    return " ".join(str(value).casefold().split())


def parse_blank_values(spec: str | None) -> tuple[str, ...]:
    """A comma-separated list of placeholders (from the command line), or the defaults."""
    if spec is None:
        return DEFAULT_BLANK_VALUES
    return tuple(v.strip() for v in spec.split(",") if v.strip())


def person_codes(cell: object, blank_values: Sequence[str]) -> list[str]:
    """The codes a person wrote in a cell, without blanks, placeholders or repeats."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    blanks = {_key(v) for v in blank_values}
    seen: dict[str, None] = {}
    for part in str(cell).split(SEPARATOR):
        part = part.strip()
        if part and _key(part) not in blanks:
            seen.setdefault(part, None)
    return list(seen)


def coded_column_of(frame: pd.DataFrame, wanted: str | None) -> str:
    """The column holding people's cause codes: ``wanted`` or one named like 'Primary cause'."""
    return find_column(
        frame, wanted, candidates=CODED_CANDIDATES, role="cause codes recorded by people",
        option="--coded-column",
    )


def derive_categories(scheme: Scheme, codes: Sequence[str]) -> list[str]:
    """Categories a row has, given directly or via a reason, in scheme order."""
    wanted = set()
    for code in codes:
        label = scheme.by_id.get(code)
        if label is None:
            continue
        wanted.add(code if code in scheme.children else label.parent)
    return [c for c in scheme.categories if c in wanted]


def row_numbers(frame: pd.DataFrame) -> list[int]:
    """Spreadsheet row numbers (header = row 1) of a frame read whole or in chunks.

    A chunk keeps the file's row positions as its index, so errors name the file's rows.
    """
    if pd.api.types.is_integer_dtype(frame.index):
        return [int(i) + 2 for i in frame.index]
    return list(range(2, len(frame) + 2))


def _check_codes(
    rows: Sequence[Sequence[str]], person: np.ndarray, scheme: Scheme, column: str, numbers: Sequence[int]
) -> list[str]:
    where: dict[str, list[int]] = {}
    for i, codes in enumerate(rows):
        if not person[i]:
            continue
        for code in scheme.unknown_codes(list(codes)):
            where.setdefault(code, []).append(numbers[i])
    problems = []
    for code, rows_at in where.items():
        shown = f"'{code}'" if re.fullmatch(r"[\w.\-]{1,60}", code) else "a value"
        problems.append(
            f"column '{column}' has {shown}, not an id in scheme '{scheme.id}', at {row_list(rows_at)}"
        )
    return problems


def check_person_codes(
    frame: pd.DataFrame,
    *,
    scheme: Scheme,
    column: str,
    blank_values: Sequence[str] = DEFAULT_BLANK_VALUES,
    other_schemes: Mapping[str, Scheme] | None = None,
) -> tuple[list[list[str]], np.ndarray]:
    """People's codes per row and which rows are person-coded; a :class:`DataError` listing
    every code that is not an id of ``scheme`` (or, in a column named like one of
    ``other_schemes``, of that scheme), with its rows."""
    numbers = row_numbers(frame)
    codes = [person_codes(cell, blank_values) for cell in frame[column]]
    person = np.array([bool(c) for c in codes], dtype=bool)
    problems = _check_codes(codes, person, scheme, column, numbers)
    for name, other in (other_schemes or {}).items():
        if name != scheme.id and name != column and name in frame.columns:
            given = [person_codes(cell, ()) for cell in frame[name]]
            problems += _check_codes(given, person, other, name, numbers)
    if problems:
        raise DataError(
            problems_message("People's codes that --keep-coded would keep are not valid:", problems)
            + f"\n  Codes must be ids of scheme '{scheme.id}' (run 'themes scheme show {scheme.id}'); "
            "convert codes from another scheme with 'themes crosswalk' first."
        )
    return codes, person


def merge_person_codes(
    frame: pd.DataFrame,
    predictions: pd.DataFrame,
    *,
    scheme: Scheme,
    column: str,
    blank_values: Sequence[str] = DEFAULT_BLANK_VALUES,
    suggest: bool = False,
    other_schemes: Mapping[str, Scheme] | None = None,
) -> pd.DataFrame:
    """Merge people's codes in ``frame[column]`` with the model's ``predictions`` (same rows).

    ``predictions`` holds the classify contract's columns only (as from
    :func:`themes.predict.prediction_frame`). Rows whose ``column`` cell has codes keep every
    scheme cell the input has, byte for byte; the others take the model's codes.
    ``other_schemes`` (by column name, e.g. ``{"pillars": ...}``) checks the person-coded cells
    of those columns too.
    """
    if len(frame) != len(predictions):
        raise DataError(
            f"Cannot merge codes: the export has {len(frame)} rows but the predictions have "
            f"{len(predictions)}. Classify the same file you merge."
        )
    codes, person = check_person_codes(
        frame, scheme=scheme, column=column, blank_values=blank_values, other_schemes=other_schemes
    )
    frame = frame.reset_index(drop=True)
    predictions = predictions.reset_index(drop=True)
    kept = _kept_scheme_columns(frame, predictions, scheme)
    out = frame.copy()
    added: dict[str, object] = {}
    merged_causes = np.where(person, frame[column].astype(str), predictions[scheme.id])
    _place(out, added, scheme.id, merged_causes)
    if scheme.is_hierarchical:
        cats = [SEPARATOR.join(derive_categories(scheme, c)) for c in codes]
        _place(out, added, category_column(scheme), np.where(person, cats, predictions[category_column(scheme)]))
    for name in predictions.columns:
        if name in (scheme.id, category_column(scheme)):
            continue
        values = predictions[name].to_numpy(dtype=object)
        if name in kept:
            values = np.where(person, frame[name].astype(str), values)
        elif name == "confidence":
            values = np.where(person, np.nan, values.astype(float))
        elif name == "needs_review":
            values = np.where(person, "false", values)
        elif name in ("review_reason", "evidence"):
            values = np.where(person, "", values)
        _place(out, added, name, values)
    for name, values in added.items():
        out[name] = values
    out[CODED_BY] = np.where(person, PERSON, MODEL)
    if suggest:
        out[SUGGESTED] = _suggestions(codes, person, predictions[scheme.id], scheme)
    return out


def _place(out: pd.DataFrame, added: dict[str, object], name: str, values: object) -> None:
    """Fill a column the input has in place; queue any other to be appended in contract order."""
    if name in out.columns:
        out[name] = values
    else:
        added[name] = values


def _kept_scheme_columns(frame: pd.DataFrame, predictions: pd.DataFrame, scheme: Scheme) -> list[str]:
    """Prediction columns the input already has and whose person-coded cells are kept."""
    category = category_column(scheme)
    return [
        c for c in predictions.columns
        if c in frame.columns and c != category and not c.startswith("score:")
        and c not in ("confidence", "needs_review", "review_reason")
    ]


def _suggestions(
    codes: Sequence[Sequence[str]], person: np.ndarray, model: pd.Series, scheme: Scheme
) -> list[str]:
    out = []
    for i, given in enumerate(codes):
        if not person[i]:
            out.append("")
            continue
        have = set(given)
        extra = [c for c in scheme.split_codes(model.iloc[i]) if c not in have]
        out.append(SEPARATOR.join(extra))
    return out


def classify_keep_coded(
    bundle: Bundle,
    frame: pd.DataFrame,
    *,
    text_column: str | None = None,
    coded_column: str | None = None,
    blank_values: Sequence[str] = DEFAULT_BLANK_VALUES,
    suggest: bool = False,
    scores: bool = False,
    rule: ReviewRule | None = None,
    evidence: bool = True,
) -> pd.DataFrame:
    """Classify an export (or a chunk of one), keeping the codes people already recorded (see
    the module docs)."""
    if "causes" not in bundle.schemes:
        raise DataError(
            f"--keep-coded needs a model with the 'causes' scheme; this one has "
            f"{', '.join(repr(s) for s in bundle.schemes)}."
        )
    scheme = bundle.schemes["causes"]
    column = coded_column_of(frame, coded_column)
    if column != scheme.id and scheme.id in frame.columns:
        raise DataError(
            f"The export has a '{scheme.id}' column as well as '{column}', the column named for "
            f"people's codes: rename one of them, or name '{scheme.id}' with --coded-column."
        )
    # Check people's codes before the model runs: a mistake is reported at once.
    check_person_codes(
        frame, scheme=scheme, column=column, blank_values=blank_values, other_schemes=bundle.schemes
    )
    person_columns = [c for c in frame.columns if c in ACCEPTED_INPUT or c == category_column(scheme)]
    coded = classify_frame(
        bundle, frame.drop(columns=person_columns), text_column=text_column, scores=scores,
        rule=rule, evidence=evidence,
    )
    predictions = coded[output_columns(bundle, scores=scores, evidence=evidence)]
    return merge_person_codes(
        frame, predictions, scheme=scheme, column=column, blank_values=blank_values,
        suggest=suggest, other_schemes=bundle.schemes,
    )


def split_by_coder(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows people and the model coded, for the summary line."""
    counts = frame[CODED_BY].value_counts()
    return {PERSON: int(counts.get(PERSON, 0)), MODEL: int(counts.get(MODEL, 0))}

