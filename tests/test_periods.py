"""UK financial years and quarters, period labels, and reading dates from exports."""

import datetime as dt

import pandas as pd
import pytest

from themes.errors import DataError, UsageError
from themes.periods import Kind, parse_dates, parse_period, period_of, periods_between


@pytest.mark.parametrize(
    ("day", "year", "quarter"),
    [
        ("2024-03-31", "2023/24", "2023/24 Q4"),
        ("2024-04-01", "2024/25", "2024/25 Q1"),
        ("2023-06-30", "2023/24", "2023/24 Q1"),
        ("2023-07-01", "2023/24", "2023/24 Q2"),
        ("2023-10-04", "2023/24", "2023/24 Q3"),
        ("2023-12-31", "2023/24", "2023/24 Q3"),
        ("2024-01-01", "2023/24", "2023/24 Q4"),
        ("1999-05-01", "1999/00", "1999/00 Q1"),
    ],
)
def test_financial_year_and_quarter(day, year, quarter):
    date = dt.date.fromisoformat(day)
    assert period_of(date, "year").label == year
    assert period_of(date, Kind.quarter).label == quarter


def test_period_ranges_are_half_open_and_ordered():
    q3 = period_of(dt.date(2023, 11, 15), "quarter")
    assert (q3.start, q3.end) == (dt.date(2023, 10, 1), dt.date(2024, 1, 1))
    dates = pd.Series(pd.to_datetime(["2023-09-30", "2023-10-01", "2023-12-31", "2024-01-01"]))
    assert q3.contains(dates).tolist() == [False, True, True, False]
    assert period_of(dt.date(2023, 10, 9), "month").label == "Oct 2023"
    assert q3 < q3.next()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2023/24", "2023/24"), ("2023/2024", "2023/24"), ("FY2023-24", "2023/24"),
        ("2023/24 Q3", "2023/24 Q3"), ("2023/24q1", "2023/24 Q1"), (" 2023/24  Q4 ", "2023/24 Q4"),
        ("Oct 2023", "Oct 2023"), ("2023-10", "Oct 2023"), ("september 2023", "Sep 2023"),
        ("1999/00", "1999/00"),
    ],
)
def test_parse_period(text, label):
    assert parse_period(text).label == label


@pytest.mark.parametrize("text", ["2023/25", "2023", "Q3", "Smarch 2023", "2023-13", ""])
def test_parse_period_refuses_with_an_example(text):
    with pytest.raises(UsageError, match="2023/24"):
        parse_period(text)


def test_previous_period():
    assert parse_period("2023/24 Q1").previous().label == "2022/23 Q4"
    assert parse_period("2023/24 Q4").previous().label == "2023/24 Q3"
    assert parse_period("2023/24").previous().label == "2022/23"
    assert parse_period("Jan 2024").previous().label == "Dec 2023"


def test_periods_between_fills_gaps():
    first, last = parse_period("2022/23 Q4"), parse_period("2023/24 Q3")
    assert [p.label for p in periods_between(first, last)] == [
        "2022/23 Q4", "2023/24 Q1", "2023/24 Q2", "2023/24 Q3",
    ]


def test_parse_dates_reads_iso_and_day_first_never_month_first():
    values = pd.Series(["2023-10-04", "04/10/2023", "4/10/23", "2023-10-04 13:45:00", "4 Oct 2023", "", " "])
    dates = parse_dates(values, column="Date Received")
    assert dates.iloc[:5].dt.date.tolist() == [dt.date(2023, 10, 4)] * 5
    assert dates.iloc[5:].isna().all()


def test_parse_dates_reports_rows_not_values():
    values = pd.Series(["2023-10-04", "10/31/2023", "Mrs Smith"])
    with pytest.raises(DataError) as caught:
        parse_dates(values, column="Date Received")
    message = str(caught.value)
    assert "rows 3, 4" in message and "'Date Received'" in message and "DD/MM/YYYY" in message
    assert "Smith" not in message and "10/31" not in message
