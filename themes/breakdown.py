"""Theme breakdowns of coded complaints, as councils publish them in annual reports.

Works on ``themes classify`` output and on complaints coded by people alike: a column per
scheme holding ``;``-separated ids (``causes``, ``pillars``); ``cause_categories`` is optional,
since categories follow from reasons. A complaint can raise several reasons, so a cause table
counts complaints per reason, complaints per category (raising any reason in it) and, on the
totals lines, both the complaints and the reasons raised, which differ.

Every count is a number of complaints, and every percentage is a share of the complaints in its
column, whose number is written beside it. Cross-tabs split complaints by any column (team,
stage, outcome, or a scheme column) and by UK financial period; ``--where`` filters use
:mod:`themes.filters`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from . import filters
from .data import DATE_CANDIDATES, ID_CANDIDATES, TEXT_CANDIDATES, _norm, find_column, read_table
from .errors import DataError, UsageError, problems_message, row_list
from .periods import Kind, Period, parse_dates, parse_period, period_of, periods_between
from .predict import category_column
from .scheme import Scheme, load

ROLE_CANDIDATES = {
    "team": ("team", "team name", "service", "service area", "department"),
    "stage": ("stage", "complaint stage"),
    "outcome": ("outcome", "decision", "finding", "result"),
}
NO_DATE = "(no date)"
BLANK = "(blank)"
ALL = "All"
NOT_RECORDED = "Reason not recorded"


def percent(count: float, total: float, *, places: int = 0) -> float | None:
    """``count`` as a percentage of ``total``, rounded half up as people do (None if total is 0)."""
    if not total:
        return None
    exact = Decimal(repr(float(count))) * 100 / Decimal(repr(float(total)))
    step = Decimal(1).scaleb(-places)
    return float(exact.quantize(step, rounding=ROUND_HALF_UP))


def _half_up(value: float) -> int:
    """Round to a whole number with halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    return int(Decimal(repr(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def count_share(count: int, total: int) -> str:
    """'4 (36%)': a count and its share of ``total``."""
    share = percent(count, total)
    return f"{count}" if share is None else f"{count} ({share:.0f}%)"


# -- coded complaints -------------------------------------------------------------------------


@dataclass
class Coded:
    """Coded complaints: the export's rows, and each scheme's codes per row."""

    frame: pd.DataFrame
    name: str
    schemes: dict[str, Scheme]
    codes: dict[str, list[list[str]]]
    id_column: str | None = None
    date_column: str | None = None
    text_column: str | None = None

    def __len__(self) -> int:
        return len(self.frame)

    @cached_property
    def dates(self) -> pd.Series:
        """The date column as dates (NaT where blank); an error if there is no date column."""
        if self.date_column is None:
            raise DataError(
                f"{self.name} has no date column, which periods need: expected one named like "
                f"{', '.join(repr(c) for c in DATE_CANDIDATES[:3])}. Columns found: "
                f"{', '.join(repr(c) for c in self.frame.columns)}. Name it with --date-column."
            )
        return parse_dates(self.frame[self.date_column], column=self.date_column)

    @property
    def ids(self) -> list[str]:
        if self.id_column is None:
            return [str(i + 2) for i in range(len(self.frame))]
        return self.frame[self.id_column].astype(str).str.strip().tolist()

    def role(self, role: str) -> str | None:
        """The column for a role (team, stage, outcome), by its usual names, or None."""
        by_norm = {_norm(c): c for c in self.frame.columns}
        for candidate in ROLE_CANDIDATES.get(role, (role,)):
            if candidate in by_norm:
                return by_norm[candidate]
        return None

    def column(self, name: str) -> str:
        """A column by the name a user typed: any case, or a role such as team or received."""
        by_norm = {_norm(c): c for c in self.frame.columns}
        key = _norm(name)
        if name in self.frame.columns:
            return name
        if key in by_norm:
            return by_norm[key]
        if key in ("received", "date", "date received") and self.date_column:
            return self.date_column
        if key == "id" and self.id_column:
            return self.id_column
        if key in ("text", "description") and self.text_column:
            return self.text_column
        found = self.role(key)
        if found:
            return found
        raise UsageError(
            f"No column '{name}' in {self.name}. Columns found: "
            f"{', '.join(repr(c) for c in self.frame.columns)}; also 'period' and the scheme "
            f"columns {', '.join(repr(s) for s in self.schemes)}."
        )

    def scheme_column(self, name: str) -> str | None:
        """The scheme id if ``name`` is a scheme column (or its category column), else None."""
        key = _norm(name)
        for scheme_id, scheme in self.schemes.items():
            if key == _norm(scheme_id):
                return scheme_id
            if scheme.is_hierarchical and key in (_norm(category_column(scheme)), "categories", "category"):
                return scheme_id
        return None

    def label_id(self, scheme_id: str, value: str) -> str:
        """A label id from what a user typed: its id or its name, in any case."""
        scheme = self.schemes[scheme_id]
        wanted = value.strip().casefold()
        for label in scheme.labels:
            if wanted in (label.id.casefold(), label.name.casefold()):
                return label.id
        shown = f"'{value}'" if re.fullmatch(r"[\w .\-/]{1,60}", value) else "a value"
        raise UsageError(
            f"{shown} is not a label id or name in scheme '{scheme_id}': run "
            f"'themes scheme show {scheme_id}' to list them."
        )

    def has(self, scheme_id: str, label_id: str) -> np.ndarray:
        """Rows that have a label; for a category, rows with it or any of its reasons."""
        scheme = self.schemes[scheme_id]
        wanted = {label_id, *scheme.children.get(label_id, ())}
        return np.array([bool(wanted.intersection(row)) for row in self.codes[scheme_id]], dtype=bool)

    def subset(self, keep: np.ndarray) -> Coded:
        """The rows where ``keep`` is true, as a new :class:`Coded`."""
        return self.take(np.flatnonzero(keep))

    def take(self, index: Sequence[int]) -> Coded:
        """The rows at ``index``, in that order, as a new :class:`Coded`."""
        index = np.asarray(index, dtype=int)
        frame = self.frame.iloc[index].reset_index(drop=True)
        codes = {k: [rows[i] for i in index] for k, rows in self.codes.items()}
        out = Coded(
            frame=frame, name=self.name, schemes=self.schemes, codes=codes,
            id_column=self.id_column, date_column=self.date_column, text_column=self.text_column,
        )
        if "dates" in self.__dict__:
            out.__dict__["dates"] = self.dates.iloc[index].reset_index(drop=True)
        return out


def read_coded(
    path: str | Path,
    *,
    schemes: Sequence[Scheme] | None = None,
    id_column: str | None = None,
    date_column: str | None = None,
    sheet: str | None = None,
) -> Coded:
    """Read a coded export (classify output or coded by people)."""
    path = Path(path)
    frame = read_table(path, sheet=sheet)
    return coded_from_frame(
        frame, name=path.name, schemes=schemes, id_column=id_column, date_column=date_column
    )


def coded_from_frame(
    frame: pd.DataFrame,
    *,
    name: str = "the data",
    schemes: Sequence[Scheme] | None = None,
    id_column: str | None = None,
    date_column: str | None = None,
) -> Coded:
    """Check a coded table's label columns and gather its codes, reporting every problem at once."""
    frame = frame.reset_index(drop=True)
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    given = list(schemes) if schemes is not None else [load("causes"), load("pillars")]
    by_norm = {_norm(c): c for c in frame.columns}
    present = [s for s in given if _norm(s.id) in by_norm]
    if not present:
        raise DataError(
            f"{name} has no coded columns: expected "
            f"{' or '.join(repr(s.id) for s in given)} holding ';'-separated label ids "
            "(run 'themes classify' first). Columns found: "
            f"{', '.join(repr(c) for c in frame.columns)}."
        )
    problems: list[str] = []
    codes = {s.id: _scheme_codes(frame, s, by_norm, problems) for s in present}
    if problems:
        raise DataError(
            problems_message(f"{name} has codes that cannot be used:", problems)
            + "\n  Run 'themes scheme show NAME' to list the valid ids."
        )
    return Coded(
        frame=frame,
        name=name,
        schemes={s.id: s for s in present},
        codes=codes,
        id_column=find_column(frame, id_column, candidates=ID_CANDIDATES, role="complaint id",
                              option="--id-column", required=False),
        date_column=find_column(frame, date_column, candidates=DATE_CANDIDATES, role="date received",
                                option="--date-column", required=False),
        text_column=find_column(frame, None, candidates=TEXT_CANDIDATES, role="complaint text",
                                option="--text-column", required=False),
    )


def _scheme_codes(
    frame: pd.DataFrame, scheme: Scheme, by_norm: dict[str, str], problems: list[str]
) -> list[list[str]]:
    column = by_norm[_norm(scheme.id)]
    rows = [scheme.split_codes(cell) for cell in frame[column]]
    _unknown(rows, scheme, column, problems, allowed=set(scheme.by_id))
    cat_name = _norm(category_column(scheme))
    if scheme.is_hierarchical and cat_name in by_norm:
        # People sometimes record a category without a reason; keep it as "reason not recorded".
        cat_col = by_norm[cat_name]
        cats = [scheme.split_codes(cell) for cell in frame[cat_col]]
        _unknown(cats, scheme, cat_col, problems, allowed=set(scheme.categories))
        for row, extra in zip(rows, cats, strict=True):
            for cat in extra:
                if cat not in row and not set(scheme.children[cat]).intersection(row):
                    row.append(cat)
    return rows


def _unknown(
    rows: list[list[str]], scheme: Scheme, column: str, problems: list[str], *, allowed: set[str]
) -> None:
    where: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for code in row:
            if code not in allowed:
                where.setdefault(code, []).append(i + 2)
    for code, rows_at in where.items():
        shown = f"'{code}'" if re.fullmatch(r"[\w.\-]{1,60}", code) else "a value"
        problems.append(
            f"column '{column}' has {shown}, not an id in scheme '{scheme.id}', at {row_list(rows_at)}"
        )


# -- groups (the columns of a table) ----------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """One column of a breakdown: a label and the complaints it counts."""

    label: str
    mask: np.ndarray = field(repr=False, compare=False)
    period: Period | None = None

    @property
    def n(self) -> int:
        return int(self.mask.sum())


def by_groups(coded: Coded, by: str, keep: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """A group per value of a column (or per label of a scheme column), in a natural order."""
    scheme_id = coded.scheme_column(by)
    if scheme_id is not None:
        scheme = coded.schemes[scheme_id]
        wanted = scheme.categories if _norm(by) != _norm(scheme_id) else scheme.leaves
        return [(scheme.name_of(label), coded.has(scheme_id, label) & keep) for label in wanted]
    column = coded.column(by)
    values = coded.frame[column].astype(str).str.strip()
    present = sorted({v for v, k in zip(values, keep, strict=True) if k}, key=_natural)
    # A bare number ("2") says nothing as a column title: "Stage 2" does.
    out = [(_value_label(column, v), (values == v).to_numpy() & keep) for v in present if v]
    if "" in present:
        out.append((BLANK, (values == "").to_numpy() & keep))
    return out


def _value_label(column: str, value: str) -> str:
    return f"{column.strip().capitalize()} {value}" if re.fullmatch(r"\d{1,3}", value) else value


def _natural(value: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", value))


def period_groups(coded: Coded, kind: Kind | str, keep: np.ndarray) -> list[Group]:
    """A group per period from the first to the last date kept, empty periods included."""
    dates = coded.dates
    kept = dates[keep & dates.notna().to_numpy()]
    groups: list[Group] = []
    if len(kept):
        first = period_of(kept.min().date(), kind)
        last = period_of(kept.max().date(), kind)
        for period in periods_between(first, last):
            groups.append(Group(period.label, period.contains(dates).to_numpy() & keep, period))
    undated = dates.isna().to_numpy() & keep
    if undated.any():
        groups.append(Group(NO_DATE, undated))
    return groups


# -- the breakdown ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """Counts of complaints by label (rows) and group (columns), with the groups' sizes.

    ``rows`` has columns level, category, label, id. Levels: ``reason`` or ``label`` (one per
    label), ``category`` (complaints raising any reason in it), ``complaints`` (every complaint
    in the column), ``codes`` (labels raised, counting a complaint once per label) and
    ``uncoded`` (complaints with no label in the scheme).
    """

    scheme: Scheme
    rows: pd.DataFrame
    counts: pd.DataFrame
    totals: dict[str, int]
    changes: tuple[tuple[str, str, str], ...] = ()
    """(previous column, current column, title of the change column) for each comparison."""
    where: str | None = None
    period_kind: str | None = None
    by: str | None = None

    @property
    def groups(self) -> list[str]:
        return list(self.counts.columns)

    @property
    def noun(self) -> str:
        return "reason" if self.scheme.is_hierarchical else _singular(self.scheme.id)

    def shares(self, group: str) -> pd.Series:
        """Percentages of the group's complaints (1 decimal place); None on the 'codes' line."""
        n = self.totals[group]
        values = [
            None if level == "codes" else percent(c, n, places=1)
            for level, c in zip(self.rows["level"], self.counts[group], strict=True)
        ]
        return pd.Series(values, index=self.counts.index, dtype=object)

    def numeric(self) -> pd.DataFrame:
        """The table for CSV and XLSX: numbers, with each percentage's denominator in its header."""
        out = pd.DataFrame({
            "Scheme": self.scheme.id,
            "Level": self.rows["level"],
            "Category": self.rows["category"],
            "Label": self.rows["label"],
            "Id": self.rows["id"],
        })
        for group in self.groups:
            out[f"{group}: complaints"] = self.counts[group].astype(int)
            out[f"{group}: % of {self.totals[group]} complaints"] = self.shares(group)
            for previous, current, title in self.changes:
                if current == group:
                    out[f"{title}: complaints"] = self.counts[current] - self.counts[previous]
                    out[f"{title}: percentage points"] = _points(self, previous, current)
        return out

    def display(self) -> pd.DataFrame:
        """The table for people: '4 (36%)' cells under headers that give each column's size."""
        data: dict[str, list[str]] = {}
        hierarchical = self.scheme.is_hierarchical
        first, second = ("Category", "Reason") if hierarchical else (_singular(self.scheme.id).title(), None)
        data[first] = [_first_cell(r, hierarchical) for r in self.rows.itertuples()]
        if second:
            data[second] = [_second_cell(r, self.noun) for r in self.rows.itertuples()]
        for group in self.groups:
            n = self.totals[group]
            data[f"{group} (n={n})"] = [
                _cell(level, count, n)
                for level, count in zip(self.rows["level"], self.counts[group], strict=True)
            ]
            for previous, current, title in self.changes:
                if current == group:
                    data[title] = _change_cells(self, previous, current)
        frame = pd.DataFrame(data)
        if not hierarchical:
            totals = self.rows["level"].isin(["complaints", "codes", "uncoded"])
            frame.loc[totals, first] = [_second_cell(r, self.noun) for r in self.rows[totals].itertuples()]
        return frame

    def note(self) -> str:
        several = "reasons" if self.scheme.is_hierarchical else f"{self.noun}s"
        return (
            f"Cells: complaints (% of the column's complaints; n = complaints in the column). "
            f"A complaint can raise several {several}, so the {several} add up to more than the "
            "complaints."
        )


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") else word


def _first_cell(row: object, hierarchical: bool) -> str:
    level = row.level  # type: ignore[attr-defined]
    if level == "complaints":
        return "Total"
    if level in ("codes", "uncoded"):
        return ""
    if hierarchical:
        return row.category if level == "category" else ""  # type: ignore[attr-defined]
    return row.label  # type: ignore[attr-defined]


def _second_cell(row: object, noun: str) -> str:
    level = row.level  # type: ignore[attr-defined]
    if level == "category":
        return f"Any {noun} in this category"
    if level == "complaints":
        return "Complaints"
    if level == "codes":
        return f"{noun.capitalize()}s raised"
    if level == "uncoded":
        return f"Complaints with no {noun} recorded"
    return row.label  # type: ignore[attr-defined]


def _cell(level: str, count: int, n: int) -> str:
    if level in ("complaints", "codes"):
        return str(int(count))
    return count_share(int(count), n)


def _points(b: Breakdown, previous: str, current: str) -> pd.Series:
    now, before = b.shares(current), b.shares(previous)
    values = [
        None if a is None or p is None else round(float(a) - float(p), 1)
        for a, p in zip(now, before, strict=True)
    ]
    return pd.Series(values, index=b.counts.index, dtype=object)


def _change_cells(b: Breakdown, previous: str, current: str) -> list[str]:
    diff = b.counts[current] - b.counts[previous]
    points = _points(b, previous, current)
    cells = []
    for level, d, p in zip(b.rows["level"], diff, points, strict=True):
        text = f"{int(d):+d}" if d else "0"
        if level not in ("complaints", "codes") and p is not None:
            rounded = _half_up(p)
            text += f" ({rounded:+d} pts)" if rounded else " (0 pts)"
        cells.append(text)
    return cells


def label_rows(coded: Coded, scheme_id: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of a table and a matrix (rows x complaints) of which complaints each counts."""
    scheme = coded.schemes[scheme_id]
    rows: list[dict] = []
    hits: list[np.ndarray] = []
    codes = coded.codes[scheme_id]
    if scheme.is_hierarchical:
        for cat in scheme.categories:
            name = scheme.name_of(cat)
            rows.append({"level": "category", "category": name, "label": "", "id": cat})
            hits.append(coded.has(scheme_id, cat))
            for leaf in scheme.children[cat]:
                rows.append({"level": "reason", "category": name, "label": scheme.name_of(leaf), "id": leaf})
                hits.append(np.array([leaf in row for row in codes], dtype=bool))
            alone = np.array(
                [cat in row and not set(scheme.children[cat]).intersection(row) for row in codes],
                dtype=bool,
            )
            if alone.any():
                rows.append({"level": "reason", "category": name, "label": NOT_RECORDED, "id": cat})
                hits.append(alone)
    else:
        for leaf in scheme.leaves:
            rows.append({"level": "label", "category": "", "label": scheme.name_of(leaf), "id": leaf})
            hits.append(np.array([leaf in row for row in codes], dtype=bool))
    return pd.DataFrame(rows), np.vstack(hits) if hits else np.zeros((0, len(coded)), dtype=bool)


def tabulate(
    coded: Coded, scheme_id: str, groups: Sequence[Group]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Count each row's complaints in each group; add the totals lines."""
    rows, hits = label_rows(coded, scheme_id)
    code_level = rows["level"] != "category"
    n_codes = hits[code_level.to_numpy()].sum(axis=0) if len(rows) else np.zeros(len(coded))
    uncoded = n_codes == 0
    counts: dict[str, list[int]] = {}
    totals: dict[str, int] = {}
    for group in _unique_labels(groups):
        m = group.mask.astype(bool)
        column = (hits & m).sum(axis=1).astype(int).tolist()
        column += [int(m.sum()), int(n_codes[m].sum()), int((uncoded & m).sum())]
        counts[group.label] = column
        totals[group.label] = int(m.sum())
    scheme = coded.schemes[scheme_id]
    noun = "reason" if scheme.is_hierarchical else _singular(scheme.id)
    extra = pd.DataFrame([
        {"level": "complaints", "category": "", "label": "Complaints", "id": ""},
        {"level": "codes", "category": "", "label": f"{noun.capitalize()}s raised", "id": ""},
        {"level": "uncoded", "category": "", "label": f"Complaints with no {noun} recorded", "id": ""},
    ])
    rows = pd.concat([rows, extra], ignore_index=True)
    return rows, pd.DataFrame(counts, index=rows.index), totals


def _unique_labels(groups: Sequence[Group]) -> list[Group]:
    """Groups with distinct labels (a team called "All" must not merge with the total)."""
    seen: set[str] = set()
    out = []
    for group in groups:
        label, n = group.label, 2
        while label in seen:
            label, n = f"{group.label} ({n})", n + 1
        seen.add(label)
        out.append(Group(label, group.mask, group.period))
    return out


def breakdown(
    coded: Coded,
    scheme_id: str,
    *,
    by: str | None = None,
    period: Kind | str | None = None,
    where: str | None = None,
    compare_previous: bool = False,
) -> Breakdown:
    """Complaints by label of one scheme, optionally filtered, split by a column and/or period.

    With ``compare_previous``, the table shows the period before and the change: the period is
    the one named in ``where`` (``period = 2023/24 Q3``), or else the latest ``period`` in the data.
    """
    if scheme_id not in coded.schemes:
        raise DataError(
            f"{coded.name} has no '{scheme_id}' column to break down. Coded columns found: "
            f"{', '.join(repr(s) for s in coded.schemes)}."
        )
    node = filters.parse(where) if where and where.strip() else None
    keep = filters.mask(node, coded) if node is not None else np.ones(len(coded), dtype=bool)
    if compare_previous:
        groups, changes = _comparison_groups(coded, node, keep, by=by, kind=period)
    else:
        groups, changes = _groups(coded, keep, by=by, kind=period), ()
    rows, counts, totals = tabulate(coded, scheme_id, groups)
    return Breakdown(
        scheme=coded.schemes[scheme_id], rows=rows, counts=counts, totals=totals,
        changes=tuple(changes), where=str(node) if node is not None else None,
        period_kind=Kind(period).value if period else None, by=by,
    )


def _groups(coded: Coded, keep: np.ndarray, *, by: str | None, kind: Kind | str | None) -> list[Group]:
    if by is None and kind is None:
        return [Group(ALL, keep)]
    outer = by_groups(coded, by, keep) if by else [(None, keep)]
    groups: list[Group] = []
    for value, m in outer:
        if kind is None:
            groups.append(Group(str(value), m))
            continue
        for g in period_groups(coded, kind, m):
            label = g.label if value is None else f"{value} · {g.label}"
            groups.append(Group(label, g.mask, g.period))
    groups.append(Group(ALL, keep))
    return groups


def _comparison_groups(
    coded: Coded, node: filters.Node | None, keep: np.ndarray, *, by: str | None, kind: Kind | str | None
) -> tuple[list[Group], list[tuple[str, str, str]]]:
    condition = filters.period_condition(node)
    if condition is not None:
        current = parse_period(condition.values[0])
        if kind is not None and Kind(kind) is not current.kind:
            raise UsageError(
                f"--period {Kind(kind).value} does not match the filter's {current.kind.value} "
                f"'{current.label}': leave out --period or filter on a {Kind(kind).value}."
            )
        before = filters.mask(filters.with_period(node, current.previous().label), coded)
        now = keep
    elif kind is not None and not filters.mentions_period(node):
        dates = coded.dates[keep]
        if dates.notna().sum() == 0:
            raise DataError(f"No dated complaints match the filter, so there is no latest {Kind(kind).value}.")
        current = period_of(dates.max().date(), kind)
        now = keep & current.contains(coded.dates).to_numpy()
        before = keep & current.previous().contains(coded.dates).to_numpy()
    elif kind is not None:
        raise UsageError(
            "--compare-previous with --period compares the latest period with the one before, so "
            "--where may not also limit the period; or name one period instead: "
            "--where \"period = 2023/24 Q3\"."
        )
    else:
        raise UsageError(
            "--compare-previous needs a period: add --where \"period = 2023/24 Q3\" "
            "(compared with the quarter before), or --period year|quarter|month "
            "(the latest period in the data, compared with the one before)."
        )
    previous = current.previous()
    outer = by_groups(coded, by, now | before) if by else [(None, now | before)]
    groups: list[Group] = []
    changes: list[tuple[str, str, str]] = []
    for value, m in outer:
        prefix = "" if value is None else f"{value} · "
        groups.append(Group(prefix + previous.label, m & before, previous))
        groups.append(Group(prefix + current.label, m & now, current))
        title = f"{prefix}change" if prefix else f"Change since {previous.label}"
        changes.append((prefix + previous.label, prefix + current.label, title))
    if by:
        # The overall comparison too, as the "All" column of any other cross-tab.
        groups.append(Group(f"{ALL} · {previous.label}", before, previous))
        groups.append(Group(f"{ALL} · {current.label}", now, current))
        changes.append((f"{ALL} · {previous.label}", f"{ALL} · {current.label}", f"{ALL} · change"))
    return groups, changes


def breakdowns(
    coded: Coded,
    *,
    schemes: Sequence[str] | None = None,
    by: str | None = None,
    period: Kind | str | None = None,
    where: str | None = None,
    compare_previous: bool = False,
) -> list[Breakdown]:
    """A breakdown for each scheme asked for (default: every scheme the data has)."""
    wanted = list(schemes) if schemes else list(coded.schemes)
    return [
        breakdown(coded, s, by=by, period=period, where=where, compare_previous=compare_previous)
        for s in wanted
    ]
