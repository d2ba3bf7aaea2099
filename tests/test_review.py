"""Collating completed review sheets: findings per pillar, notes beneath, pillars with none."""

import pytest
from openpyxl import load_workbook

from themes.breakdown import coded_from_frame
from themes.cli import app
from themes.errors import DataError
from themes.report import review_report, to_markdown
from themes.review import read_review, summarise
from themes.sample import dip_sample, write_review_workbook

from .test_sample import population


@pytest.fixture
def blank_sheet(tmp_path):
    sample = dip_sample(coded_from_frame(population(), name="coded.csv"), size=12, seed=4)
    path = tmp_path / "sample.xlsx"
    write_review_workbook(sample, path)
    return path


def fill(path, entries, *, out=None):
    """entries: {row index (0-based among complaints): {column header: value}}."""
    book = load_workbook(path)
    ws = book["Review"]
    header_row = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == "Complaint id")
    columns = {ws.cell(row=header_row, column=j).value: j for j in range(1, ws.max_column + 1)}
    for i, values in entries.items():
        for header, value in values.items():
            ws.cell(row=header_row + 1 + i, column=columns[header], value=value)
    book.save(out or path)
    return out or path


PLANNING = "Planning: finding (yes/no)"
PLANNING_NOTE = "Planning: note"


def reviewed_entries():
    entries = {i: {"Overall learning": f"learning {i}"} for i in range(11)}  # row 11 left unreviewed
    for i in (0, 3, 7):
        entries[i] |= {PLANNING: "yes", PLANNING_NOTE: f"plan out of date in case {i}"}
    entries[4] |= {PLANNING: "No", PLANNING_NOTE: "plan fine, minutes late"}
    entries[5] |= {"Recording: finding (yes/no)": "Y", "Actions": "audit case notes"}
    return entries


def test_findings_per_pillar_of_the_reviewed(blank_sheet):
    summary = summarise([read_review(fill(blank_sheet, reviewed_entries()))])
    assert (summary.sampled, summary.reviewed) == (12, 11)
    table = summary.pillars.set_index("Pillar")
    assert table.loc["Planning", "Summary"] == "3 of 11 (27%)"
    assert table.loc["Recording", "Summary"] == "1 of 11 (9%)"
    assert table.loc["Voice of the Child", "Summary"] == "0 of 11 (0%)"
    assert list(table.index) == [
        "Purposeful Visits", "Assessments", "Planning", "Voice of the Child",
        "Partnership Working", "Recording", "Management Oversight",
    ]
    planning_notes = summary.notes[summary.notes["Pillar"] == "Planning"]
    assert len(planning_notes) == 4 and planning_notes["Finding"].tolist().count("yes") == 3
    assert summary.learning["Actions"].tolist().count("audit case notes") == 1


def test_markdown_lists_notes_beneath_and_says_when_none(blank_sheet):
    summary = summarise([read_review(fill(blank_sheet, reviewed_entries()))])
    md = to_markdown(review_report(summary))
    planning = md.split("## Planning: 3 of 11 (27%)")[1].split("##")[0]
    assert "plan out of date in case 3" in planning
    assert "plan fine, minutes late (no finding recorded)" in planning
    voice = md.split("## Voice of the Child: 0 of 11 (0%)")[1].split("##")[0]
    assert "No findings recorded for this pillar." in voice


def test_several_reviewers_are_merged_by_complaint(blank_sheet, tmp_path):
    first = fill(blank_sheet, {0: {PLANNING: "yes"}, 1: {PLANNING: "no", "Overall learning": "x"}}, out=tmp_path / "a.xlsx")
    second = fill(blank_sheet, {1: {PLANNING: "yes"}, 2: {PLANNING: "yes"}, 0: {PLANNING: "no"}}, out=tmp_path / "b.xlsx")
    summary = summarise([read_review(first), read_review(second)])
    assert summary.reviewed == 3
    assert summary.pillars.set_index("Pillar").loc["Planning", "Summary"] == "3 of 3 (100%)"


def test_unreadable_findings_and_empty_reviews_are_refused(blank_sheet, tmp_path):
    bad = fill(blank_sheet, {2: {PLANNING: "maybe"}}, out=tmp_path / "bad.xlsx")
    with pytest.raises(DataError, match="other than yes or no at row 8"):
        summarise([read_review(bad)])
    with pytest.raises(DataError, match="No sampled complaint has a review entry"):
        summarise([read_review(blank_sheet)])


def test_a_workbook_that_is_not_a_review_sheet(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "text"])
    book.save(tmp_path / "other.xlsx")
    with pytest.raises(DataError, match="no header row"):
        read_review(tmp_path / "other.xlsx")


def test_command_formats(runner, blank_sheet, tmp_path):
    filled = fill(blank_sheet, reviewed_entries(), out=tmp_path / "reviewed.xlsx")
    md = runner.invoke(app, ["review-summary", str(filled)])
    assert md.exit_code == 0, md.output
    assert "| Planning | 3 of 11 (27%) |" in md.stdout
    html_out = tmp_path / "findings.html"
    result = runner.invoke(app, ["review-summary", str(filled), "--out", str(html_out)])
    assert result.exit_code == 0, result.output
    page = html_out.read_text()
    assert "Planning: 3 of 11 (27%)" in page and "No findings recorded for this pillar." in page
    xlsx_out = tmp_path / "findings.xlsx"
    assert runner.invoke(app, ["review-summary", str(filled), "--format", "xlsx", "--out", str(xlsx_out)]).exit_code == 0
    book = load_workbook(xlsx_out)
    assert book.sheetnames == ["Findings by pillar", "Notes", "Learning and actions"]
    refused = runner.invoke(app, ["review-summary", str(filled), "--format", "html"])
    assert refused.exit_code == 2 and "--out" in refused.output
