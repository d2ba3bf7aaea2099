"""Reporting periods: UK financial years (April to March), their quarters, and months.

Councils report complaints by financial year, written "2023/24", with Q1 = April-June and
Q4 = January-March. A :class:`Period` is a half-open date range with a label; dates in exports
are read as ISO (2023-10-04) or day-first (04/10/2023), never month-first.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

import pandas as pd

from .errors import DataError, UsageError, row_list


class Kind(str, Enum):
    year = "year"
    quarter = "quarter"
    month = "month"


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: ``start`` inclusive, ``end`` exclusive; ordered by start."""

    start: dt.date
    end: dt.date
    kind: Kind
    label: str

    def __str__(self) -> str:
        return self.label

    def contains(self, dates: pd.Series) -> pd.Series:
        return (dates >= pd.Timestamp(self.start)) & (dates < pd.Timestamp(self.end))

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_of(self.start - dt.timedelta(days=1), self.kind)

    def next(self) -> Period:
        return period_of(self.end, self.kind)


def financial_year_start(day: dt.date) -> int:
    """The calendar year in which the financial year holding ``day`` began."""
    return day.year if day.month >= 4 else day.year - 1


def year_label(first_year: int) -> str:
    return f"{first_year}/{(first_year + 1) % 100:02d}"


def period_of(day: dt.date, kind: Kind | str) -> Period:
    """The year, quarter or month that holds ``day``."""
    kind = Kind(kind)
    if isinstance(day, dt.datetime):
        day = day.date()
    fy = financial_year_start(day)
    if kind is Kind.year:
        return Period(dt.date(fy, 4, 1), dt.date(fy + 1, 4, 1), kind, year_label(fy))
    if kind is Kind.quarter:
        quarter = ((day.month - 4) % 12) // 3 + 1
        start = _add_months(dt.date(fy, 4, 1), 3 * (quarter - 1))
        return Period(start, _add_months(start, 3), kind, f"{year_label(fy)} Q{quarter}")
    start = dt.date(day.year, day.month, 1)
    label = f"{calendar.month_abbr[day.month]} {day.year}"
    return Period(start, _add_months(start, 1), kind, label)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last`` inclusive, so that empty periods still show."""
    out = [first]
    while out[-1].start < last.start:
        out.append(out[-1].next())
    return out


# -- reading period labels --------------------------------------------------------------------

_YEAR = re.compile(r"^(?:fy\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_QUARTER = re.compile(
    r"^(?:fy\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*[,:]?\s*q\s*([1-4])$", re.IGNORECASE
)
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_NAMED_MONTH = re.compile(r"^([a-z]+)\.?\s+(\d{4})$", re.IGNORECASE)
_MONTHS = {
    name.lower(): i
    for names in (calendar.month_name, calendar.month_abbr)
    for i, name in enumerate(names)
    if name
} | {"sept": 9}

PERIOD_EXAMPLES = "2023/24 (a financial year), 2023/24 Q3 (October-December 2023), Oct 2023 or 2023-10"


def parse_period(text: str) -> Period:
    """Read "2023/24", "2023/24 Q3", "Oct 2023" or "2023-10" as a period.

    "2023-24" is the financial year; "2011-12" too (write "Dec 2011" for the month).
    """
    value = " ".join(str(text).split())
    if match := _QUARTER.match(value):
        first = _first_year(match.group(1), match.group(2), value)
        quarter = int(match.group(3))
        return period_of(_add_months(dt.date(first, 4, 1), 3 * (quarter - 1)), Kind.quarter)
    iso_month = _ISO_MONTH.match(value)
    if (match := _YEAR.match(value)) and not (iso_month and not _is_successor(value)):
        first = _first_year(match.group(1), match.group(2), value)
        return period_of(dt.date(first, 4, 1), Kind.year)
    month: int | None = None
    year: int | None = None
    if iso_month:
        year, month = int(iso_month.group(1)), int(iso_month.group(2))
    elif match := _NAMED_MONTH.match(value):
        month = _MONTHS.get(match.group(1).lower())
        year = int(match.group(2))
    if month is None or year is None or not 1 <= month <= 12:
        raise UsageError(f"'{value}' is not a period: write {PERIOD_EXAMPLES}.")
    return period_of(dt.date(year, month, 1), Kind.month)


def _is_successor(value: str) -> bool:
    """'2023-24' is a financial year, '2023-10' a month (and '2011-12' the year 2011/12)."""
    first, second = re.split(r"\s*[/-]\s*", value.lower().removeprefix("fy").strip())[:2]
    return int(second) == (int(first) + 1) % 100


def _first_year(first: str, second: str, value: str) -> int:
    start = int(first)
    end = int(second)
    expected = (start + 1) % 100 if len(second) == 2 else start + 1
    if end != expected:
        raise UsageError(
            f"'{value}' is not a financial year: the second year must follow the first, "
            f"as in {year_label(start)}."
        )
    return start


# -- reading dates in exports -----------------------------------------------------------------

# Day-first formats only: a UK export never means 04/10/2023 as 10 April.
_DAY_FIRST = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def parse_dates(values: pd.Series, *, column: str) -> pd.Series:
    """Dates from an export's text column; blanks become NaT, anything unreadable is an error.

    Row numbers in the error are spreadsheet rows (header = row 1); values are never quoted.
    """
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = text.str.match(_ISO_LIKE)
    if iso.any():
        out[iso] = pd.to_datetime(text[iso], format="ISO8601", errors="coerce")
    for fmt in _DAY_FIRST:
        todo = out.isna() & (text != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    bad = out.isna() & (text != "")
    if bad.any():
        rows = [i + 2 for i, flag in enumerate(bad.tolist()) if flag]
        raise DataError(
            f"Column '{column}' has dates that cannot be read at {row_list(rows)}: "
            "write dates as YYYY-MM-DD or DD/MM/YYYY."
        )
    return out.dt.normalize()


def label_dates(dates: pd.Series, kind: Kind | str) -> pd.Series:
    """The period of every date (None where the date is blank)."""
    kind = Kind(kind)
    return dates.map(lambda d: None if pd.isna(d) else period_of(d.date(), kind))
