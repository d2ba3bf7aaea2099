"""Cause and pillar breakdowns: totals that add up, cross-tabs, periods, filters and every output."""

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from themes.breakdown import breakdown, coded_from_frame, percent
from themes.cli import app
from themes.errors import DataError, UsageError
from themes.scheme import load

from .conftest import TRAINING, write_csv

COLUMNS = ["id", "received", "team", "stage", "outcome", "causes", "pillars"]
ROWS = [
    ("T01", "2023-04-10", "Fostering", "1", "Upheld", "communication.data_breach;communication.no_notice", "planning;recording"),
    ("T02", "2023-05-01", "Fostering", "1", "Not upheld", "cost.payments_not_received", "planning"),
    ("T03", "2023-07-12", "Children in Care", "1", "Upheld", "communication.no_notice;quality.policy_not_followed", "planning;voice_of_child"),
    ("T04", "2023-08-30", "Children in Care", "2", "Partially upheld", "decision.other", ""),
    ("T05", "2023-10-02", "Assessment", "1", "Upheld", "quality.errors_in_records;communication.delay_in_response", "assessments;recording"),
    ("T06", "2023-11-20", "Assessment", "1", "Upheld", "quality.errors_in_records", "assessments"),
    ("T07", "2023-12-24", "Fostering", "1", "Partially upheld", "", "partnership_working"),
    ("T08", "2024-01-05", "Children in Care", "1", "Upheld", "communication.not_kept_informed;communication.staff_unavailable;staff_attitude.rude_behaviour", "partnership_working;planning"),
    ("T09", "2024-02-14", "Leaving Care", "1", "Not upheld", "non_delivery.support_not_provided", ""),
    ("T10", "2024-03-31", "Leaving Care", "3", "Upheld", "delay.service_too_slow;delay.timescales_missed", "management_oversight"),
    ("T11", "2024-04-01", "Fostering", "1", "Withdrawn", "cost.inappropriate_charge", ""),
]


def frame_of(rows=ROWS) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["text"] = "a complaint"
    return frame


@pytest.fixture
def coded():
    return coded_from_frame(frame_of(), name="coded.csv")


def value(b, group, *, id="", level=None):
    rows = b.rows
    hit = rows["id"] == id if id else rows["level"] == level
    if level and id:
        hit &= rows["level"] == level
    return int(b.counts.loc[hit[hit].index[0], group])


def test_cause_table_counts_complaints_per_reason_and_category(coded):
    b = breakdown(coded, "causes")
    assert value(b, "All", id="communication", level="category") == 4
    assert value(b, "All", id="communication.no_notice") == 2
    assert value(b, "All", id="quality", level="category") == 3
    assert value(b, "All", id="quality.errors_in_records") == 2
    assert value(b, "All", level="complaints") == 11
    assert value(b, "All", level="codes") == 16
    assert value(b, "All", level="uncoded") == 1
    shown = b.display()
    assert list(shown.columns) == ["Category", "Reason", "All (n=11)"]
    communication = shown[shown["Category"] == "Communication"].iloc[0]
    assert communication["All (n=11)"] == "4 (36%)"
    assert shown[shown["Reason"] == "Reasons raised"]["All (n=11)"].item() == "16"
    assert "several reasons" in b.note()


def test_pillars_are_complaints_and_share_of_complaints(coded):
    shown = breakdown(coded, "pillars").display()
    planning = shown[shown["Pillar"] == "Planning"]
    assert planning["All (n=11)"].item() == "4 (36%)"
    assert shown[shown["Pillar"] == "Complaints with no pillar recorded"]["All (n=11)"].item() == "3 (27%)"


def test_numeric_table_names_its_denominators(coded):
    numeric = breakdown(coded, "pillars", where="outcome = Upheld").numeric()
    assert "All: % of 6 complaints" in numeric.columns
    planning = numeric[numeric["Id"] == "planning"].iloc[0]
    assert planning["All: complaints"] == 3 and planning["All: % of 6 complaints"] == 50.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sets(st.sampled_from(load("causes").leaves + ("quality",)), max_size=4), min_size=1, max_size=25))
def test_totals_always_add_up(rows):
    scheme = load("causes")
    frame = pd.DataFrame({"id": [f"X{i}" for i in range(len(rows))], "causes": [";".join(sorted(r)) for r in rows]})
    b = breakdown(coded_from_frame(frame, schemes=[scheme]), "causes")
    counts, levels = b.counts["All"], b.rows["level"]
    for cat in scheme.categories:
        wanted = {cat, *scheme.children[cat]}
        expected = sum(1 for r in rows if r & wanted)
        assert value(b, "All", id=cat, level="category") == expected
        in_cat = (b.rows["category"] == scheme.name_of(cat)) & (levels == "reason")
        assert counts[in_cat].sum() >= expected
    assert counts[levels == "codes"].item() == counts[levels.isin(["reason"])].sum()
    with_any = sum(1 for r in rows if r)
    assert counts[levels == "codes"].item() >= with_any
    assert counts[levels == "uncoded"].item() == len(rows) - with_any


def test_person_coded_categories_with_or_without_the_category_column(coded):
    frame = frame_of()
    frame["cause_categories"] = ""
    frame.loc[6, "cause_categories"] = "communication"  # T07: the coder knew the category only
    with_column = breakdown(coded_from_frame(frame), "causes")
    assert value(with_column, "All", id="communication", level="category") == 5
    shown = with_column.display()
    assert "Reason not recorded" in shown["Reason"].tolist()
    in_comm = (with_column.rows["category"] == "Communication") & (with_column.rows["level"] == "reason")
    assert with_column.counts.loc[in_comm, "All"].sum() == 7
    without = breakdown(coded, "causes")
    assert value(without, "All", id="communication", level="category") == 4


def test_unknown_codes_are_reported_by_row_not_value():
    frame = frame_of()
    frame.loc[2, "pillars"] = "planning;vibes"
    frame.loc[4, "causes"] = "Mrs Smith said"
    with pytest.raises(DataError) as caught:
        coded_from_frame(frame, name="coded.csv")
    message = str(caught.value)
    assert "'vibes'" in message and "row 4" in message and "row 6" in message
    assert "Smith" not in message


def test_no_coded_columns_is_explained():
    with pytest.raises(DataError, match="'causes' or 'pillars'"):
        coded_from_frame(pd.DataFrame({"id": ["1"], "text": ["x"]}))


def test_cross_tab_by_team_and_stage(coded):
    b = breakdown(coded, "pillars", by="team")
    assert b.groups == ["Assessment", "Children in Care", "Fostering", "Leaving Care", "All"]
    assert sum(b.totals[g] for g in b.groups[:-1]) == b.totals["All"] == 11
    assert value(b, "Children in Care", id="planning") == 2
    stages = breakdown(coded, "causes", by="Stage")
    assert stages.groups == ["Stage 1", "Stage 2", "Stage 3", "All"]


def test_cross_tab_by_a_scheme_column_counts_overlapping_groups(coded):
    b = breakdown(coded, "causes", by="pillars")
    assert b.totals["Planning"] == 4 and b.totals["Recording"] == 2


def test_periods_are_financial_and_gap_free(coded):
    years = breakdown(coded, "pillars", period="year")
    assert years.groups == ["2023/24", "2024/25", "All"]
    assert years.totals["2023/24"] == 10
    quarters = breakdown(coded, "pillars", period="quarter", where="period = 2023/24")
    assert quarters.groups == ["2023/24 Q1", "2023/24 Q2", "2023/24 Q3", "2023/24 Q4", "All"]
    assert [quarters.totals[g] for g in quarters.groups] == [2, 2, 3, 3, 10]
    sparse = breakdown(coded, "pillars", period="quarter", where="id in (T01, T10)")
    assert sparse.groups[:4] == ["2023/24 Q1", "2023/24 Q2", "2023/24 Q3", "2023/24 Q4"]
    assert sparse.totals["2023/24 Q2"] == 0 and sparse.shares("2023/24 Q2").dropna().empty


def test_compare_previous_from_the_filter(coded):
    b = breakdown(coded, "causes", where="period = 2023/24 Q3", compare_previous=True)
    assert b.groups == ["2023/24 Q2", "2023/24 Q3"]
    assert (b.totals["2023/24 Q2"], b.totals["2023/24 Q3"]) == (2, 3)
    numeric = b.numeric()
    change = numeric[numeric["Level"] == "complaints"]["Change since 2023/24 Q2: complaints"].item()
    assert change == 1
    quality = numeric[(numeric["Id"] == "quality") & (numeric["Level"] == "category")].iloc[0]
    assert quality["Change since 2023/24 Q2: percentage points"] == round(66.7 - 50.0, 1)
    shown = b.display()
    assert shown[shown["Category"] == "Quality of service"]["Change since 2023/24 Q2"].item() == "+1 (+17 pts)"


def test_compare_previous_with_period_uses_the_latest(coded):
    b = breakdown(coded, "pillars", period="quarter", where="outcome != Withdrawn", compare_previous=True)
    assert b.groups == ["2023/24 Q3", "2023/24 Q4"]
    by_team = breakdown(coded, "pillars", by="team", where="period = 2023/24 Q4", compare_previous=True)
    assert by_team.groups[-2:] == ["All · 2023/24 Q3", "All · 2023/24 Q4"]
    assert by_team.totals["Leaving Care · 2023/24 Q4"] == 2


def test_compare_previous_needs_a_period(coded):
    with pytest.raises(UsageError, match="needs a period"):
        breakdown(coded, "pillars", compare_previous=True)
    with pytest.raises(UsageError, match="does not match"):
        breakdown(coded, "pillars", period="year", where="period = 2023/24 Q3", compare_previous=True)


def test_percent_rounds_half_up():
    assert percent(1, 8) == 13.0  # 12.5
    assert percent(1, 8, places=1) == 12.5
    assert percent(5, 0) is None


# -- the command ------------------------------------------------------------------------------


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell)
            self.cell = None


def _count(cell: str) -> int:
    match = re.match(r"^(\d+)(?: \((\d+)%\))?$", cell.strip())
    assert match, cell
    return int(match.group(1))


def test_every_format_gives_the_same_numbers(runner, tmp_path):
    source = write_csv(tmp_path / "coded.csv", frame_of().to_dict("records"))
    args = ["breakdown", str(source), "--scheme", "pillars", "--period", "year",
            "--where", "outcome in (Upheld, Partially upheld)"]
    outs = {}
    for ext in ("csv", "xlsx", "md", "html"):
        outs[ext] = tmp_path / f"report.{ext}"
        result = runner.invoke(app, [*args, "--out", str(outs[ext])])
        assert result.exit_code == 0, result.output
    csv = pd.read_csv(outs["csv"], encoding="utf-8-sig", keep_default_na=False)
    xlsx = pd.read_excel(outs["xlsx"], sheet_name="Pillars")
    expected = csv[[c for c in csv.columns if c.endswith(": complaints")]].to_numpy()
    assert expected[csv["Id"] == "planning"].tolist() == [[3, 3]]
    assert (xlsx[[c for c in xlsx.columns if c.endswith(": complaints")]].to_numpy() == expected).all()
    md_rows = [line.split(" | ") for line in outs["md"].read_text().splitlines() if line.startswith("| ") and "---" not in line]
    md = np.array([[_count(c.strip(" |")) for c in r[1:]] for r in md_rows[1:]])
    assert (md == expected).all()
    parser = _Cells()
    parser.feed(outs["html"].read_text())
    table = [r for r in parser.rows if r][1:]
    assert (np.array([[_count(c) for c in r[1:]] for r in table]) == expected).all()
    assert parser.rows[0][1:] == ["2023/24 (n=8)", "All (n=8)"]
    assert "2023/24 (n=8)" in md_rows[0][1] and "All (n=8)" in md_rows[0][-1]


def test_runs_on_the_person_coded_training_data(runner, tmp_path):
    out = tmp_path / "causes.csv"
    result = runner.invoke(app, ["breakdown", str(TRAINING), "--scheme", "causes", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    raw = pd.read_csv(TRAINING, dtype=str, keep_default_na=False)
    for cat in ("communication", "quality", "decision"):
        independent = raw["causes"].map(lambda cell: any(c.split(".")[0] == cat for c in cell.split(";") if c)).sum()
        got = table[(table["Id"] == cat) & (table["Level"] == "category")]["All: complaints"].item()
        assert got == independent
    complaints = table[table["Level"] == "complaints"]["All: complaints"].item()
    reasons = table[table["Level"] == "codes"]["All: complaints"].item()
    assert complaints == len(raw) and reasons >= complaints


def test_terminal_table_and_markdown_on_stdout(runner, tmp_path):
    source = write_csv(tmp_path / "coded.csv", frame_of().to_dict("records"))
    result = runner.invoke(app, ["breakdown", str(source), "--by", "team"])
    assert result.exit_code == 0, result.output
    assert "Planning" in result.stdout and "4 (36%)" in result.stdout and "Fostering" in result.stdout
    md = runner.invoke(app, ["breakdown", str(source), "--format", "md", "--scheme", "pillars"])
    assert md.exit_code == 0 and "| Planning | 4 (36%) |" in md.stdout


def test_command_refusals(runner, tmp_path):
    source = write_csv(tmp_path / "coded.csv", frame_of().to_dict("records"))
    no_out = runner.invoke(app, ["breakdown", str(source), "--format", "xlsx"])
    assert no_out.exit_code == 2 and "--out" in no_out.output
    clash = runner.invoke(app, ["breakdown", str(source), "--format", "csv", "--out", str(tmp_path / "r.html")])
    assert clash.exit_code == 2 and "does not match" in clash.output
    bad = runner.invoke(app, ["breakdown", str(source), "--where", "outcome in Upheld"])
    assert bad.exit_code == 2 and "character" in bad.output


def test_html_escapes_data_and_loads_nothing(runner, tmp_path):
    rows = frame_of()
    rows.loc[0, "team"] = "<script>alert(1)</script>"
    source = write_csv(tmp_path / "coded.csv", rows.to_dict("records"))
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["breakdown", str(source), "--by", "team", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"(https?:|//[a-z])", page, re.IGNORECASE)
    assert "Content-Security-Policy" in page and page.count('<svg class="chart"') == 3


def test_xlsx_has_a_sheet_per_table(runner, tmp_path):
    from openpyxl import load_workbook

    source = write_csv(tmp_path / "coded.csv", frame_of().to_dict("records"))
    out = tmp_path / "report.xlsx"
    assert runner.invoke(app, ["breakdown", str(source), "--period", "quarter", "--out", str(out)]).exit_code == 0
    book = load_workbook(out)
    assert book.sheetnames == ["Causes", "Pillars", "About"]
    assert book["About"]["A1"].value == "Item"
    assert book["Pillars"]["F1"].value == "2023/24 Q1: complaints"
