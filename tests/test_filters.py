"""The --where language: parsed by hand, evaluated on coded complaints, never eval'd."""

import pandas as pd
import pytest

from themes import filters
from themes.breakdown import coded_from_frame
from themes.errors import UsageError
from themes.filters import And, Comparison, Not, Or, parse

ROWS = [
    # id, received, team, stage, outcome, causes, pillars
    ("C1", "2023-04-03", "Fostering", "1", "Upheld", "cost.payments_not_received", "partnership_working"),
    ("C2", "02/10/2023", "Children in Care", "2", "Partially upheld", "communication.no_notice;decision.other", "planning;voice_of_child"),
    ("C3", "2023-12-31", "Children in Care", "1", "Not upheld", "", ""),
    ("C4", "2024-01-15", "Front Door / MASH", "3", "upheld", "quality.errors_in_records", "recording"),
    ("C5", "", "Leaving Care", "1", "Withdrawn", "communication.delay_in_response", ""),
]


@pytest.fixture
def coded():
    frame = pd.DataFrame(ROWS, columns=["Complaint Ref", "Date Received", "Team", "Stage", "Outcome", "causes", "pillars"])
    frame["Description"] = "text"
    return coded_from_frame(frame, name="test.csv")


def ids(coded, expr):
    return [i for i, keep in zip(coded.ids, filters.mask(parse(expr), coded)) if keep]


def test_parse_in_list_with_spaces_and_any_case():
    assert parse("outcome in (Upheld, Partially upheld)") == Comparison("outcome", "in", ("Upheld", "Partially upheld"))
    assert parse("Outcome NOT IN ('a, b', c)") == Comparison("Outcome", "not in", ("a, b", "c"))


def test_parse_precedence_not_and_groups():
    node = parse("a = 1 or b = 2 and not c = 3")
    assert node == Or((Comparison("a", "=", ("1",)), And((Comparison("b", "=", ("2",)), Not(Comparison("c", "=", ("3",)))))))
    grouped = parse("(a = 1 or b = 2) and c != x")
    assert isinstance(grouped, And) and isinstance(grouped.parts[0], Or)


def test_bare_values_run_to_and_or_and_quotes_protect_them():
    node = parse("team = Children in Care and period = 2023/24 Q3")
    assert node.parts[0] == Comparison("team", "=", ("Children in Care",))
    assert node.parts[1] == Comparison("period", "=", ("2023/24 Q3",))
    assert parse('team = "Fostering and Adoption"') == Comparison("team", "=", ("Fostering and Adoption",))
    assert parse('"Complainant Type" = Parent') == Comparison("Complainant Type", "=", ("Parent",))
    assert parse("Date Received >= 2023-04-01") == Comparison("Date Received", ">=", ("2023-04-01",))


@pytest.mark.parametrize(
    "text",
    [
        "outcome in (Upheld, Partially upheld) and period = 2023/24 Q3",
        "not (stage in (2, 3)) or pillars is empty",
        'team = "A and B" and Description contains allowance',
    ],
)
def test_printed_filter_parses_to_the_same_filter(text):
    node = parse(text)
    assert parse(str(node)) == node


@pytest.mark.parametrize(
    "text",
    [
        "", "outcome", "outcome in Upheld", "outcome = ", "(outcome = Upheld", "outcome in (Upheld",
        "outcome = Upheld and", "__import__('os').system('echo hacked')", "stage is full",
        "outcome = Upheld)",
    ],
)
def test_malformed_filters_say_where_and_show_an_example(text):
    with pytest.raises(UsageError) as caught:
        parse(text)
    assert "character" in str(caught.value) and "Example:" in str(caught.value)


def test_columns_match_any_case_and_roles(coded):
    assert ids(coded, "outcome in (Upheld, Partially upheld)") == ["C1", "C2", "C4"]
    assert ids(coded, "TEAM = children in care") == ["C2", "C3"]
    assert ids(coded, "team != Children in Care and outcome != withdrawn") == ["C1", "C4"]
    assert ids(coded, "stage = 1") == ["C1", "C3", "C5"]
    assert ids(coded, "stage >= 2") == ["C2", "C4"]
    assert ids(coded, "team contains care") == ["C2", "C3", "C5"]
    assert ids(coded, "id in (C1, C5)") == ["C1", "C5"]


def test_periods_and_dates(coded):
    assert ids(coded, "period = 2023/24 Q3") == ["C2", "C3"]
    assert ids(coded, "period = 2023/24") == ["C1", "C2", "C3", "C4"]
    assert ids(coded, "period in (2023/24 Q1, 2023/24 Q4)") == ["C1", "C4"]
    assert ids(coded, "period >= 2023/24 Q3") == ["C2", "C3", "C4"]
    assert ids(coded, "period < 2023/24 Q3") == ["C1"]
    assert ids(coded, "period <= 2023/24 Q3") == ["C1", "C2", "C3"]
    assert ids(coded, "period > 2023/24 Q3") == ["C4"]
    assert ids(coded, "period is empty") == ["C5"]
    assert ids(coded, "received >= 2023-10-02") == ["C2", "C3", "C4"]
    assert ids(coded, "received = 02/10/2023") == ["C2"]


def test_scheme_columns_mean_has_label_by_id_name_or_category(coded):
    assert ids(coded, "pillars = planning") == ["C2"]
    assert ids(coded, "pillars in (Recording, partnership working)") == ["C1", "C4"]
    assert ids(coded, "causes = communication") == ["C2", "C5"]
    assert ids(coded, "cause_categories = Communication") == ["C2", "C5"]
    assert ids(coded, "causes != communication") == ["C1", "C3", "C4"]
    assert ids(coded, "pillars is empty") == ["C3", "C5"]
    assert ids(coded, "not (pillars is empty)") == ["C1", "C2", "C4"]


def test_unknown_column_and_label_are_explained(coded):
    with pytest.raises(UsageError, match="No column 'colour'.*'Team'"):
        filters.mask(parse("colour = red"), coded)
    with pytest.raises(UsageError, match="not a label id or name in scheme 'pillars'"):
        filters.mask(parse("pillars = vibes"), coded)
    with pytest.raises(UsageError, match="compares numbers or dates"):
        filters.mask(parse("team > Fostering"), coded)


def test_period_condition_is_swapped_for_the_previous_period():
    node = parse("outcome = Upheld and period = 2023/24 Q3")
    assert filters.period_condition(node) == Comparison("period", "=", ("2023/24 Q3",))
    swapped = filters.with_period(node, "2023/24 Q2")
    assert str(swapped) == "outcome = Upheld and period = 2023/24 Q2"
    assert filters.period_condition(parse("period = 2023/24 or outcome = Upheld")) is None
    with pytest.raises(UsageError, match="--compare-previous"):
        filters.with_period(parse("period >= 2023/24"), "2022/23")
