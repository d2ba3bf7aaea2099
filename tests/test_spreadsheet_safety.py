"""Spreadsheet outputs are inert: read back, no formula, no link, nothing over Excel's limits.

OWASP's advice on CSV injection: a cell starting with = + - @, tab or carriage return is
prefixed with ' so it stays text. Truncated and replaced cells are counted in the summary.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from themes.cli import app
from themes.data import EXCEL_CELL_LIMIT, FORMULA_START, CellReport, write_table, write_workbook
from themes.data import _NUMBER as NUMBER

from .test_hostile_inputs import quick_load  # noqa: F401 - fixture

HOSTILE = [
    "=1+1",
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(1)",
    "\tstarts with a tab",
    "\rstarts with a carriage return",
    " =1+1 after a space",
    '=HYPERLINK("http://example.invalid","click")',
    "=cmd|' /C calc'!A0",
    "+44 7700 900123",
]
SAFE = ["-5", "3.5", "plain text", "a = b", "x@example.invalid", ""]
LONG = "word " * 8_000  # 40,000 characters
CONTROL = ["bell\x07 in text", "nul\x00 in text", "form feed\x0c and DEL\x7f"]


def hostile_frame() -> pd.DataFrame:
    texts = HOSTILE + SAFE + [LONG] + CONTROL
    return pd.DataFrame(
        {
            "=evil header": ["x"] * len(texts),
            "text": texts,
            "number": list(range(-5, len(texts) - 5)),
            "team": pd.Categorical(["@team" if i == 0 else "Fostering" for i in range(len(texts))]),
        }
    )


EXPECTED = CellReport(
    neutralised=len(HOSTILE) + 2,  # the hostile texts, the header, the categorical '@team'
    truncated=1,
    control_replaced=len(CONTROL),
)


def cells(path) -> list:  # noqa: ANN001
    book = load_workbook(path)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


def assert_inert_workbook(path) -> None:  # noqa: ANN001
    book = load_workbook(path)
    for ws in book.worksheets:
        assert not ws._hyperlinks
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
                assert c.hyperlink is None
                if isinstance(c.value, str):
                    assert len(c.value) <= EXCEL_CELL_LIMIT
                    assert not c.value.startswith(FORMULA_START) or NUMBER.match(c.value), c.value


def test_workbook_read_back_has_no_formulas_links_or_overlong_cells(tmp_path):
    path = tmp_path / "out.xlsx"
    report = write_table(hostile_frame(), path)
    assert report == EXPECTED
    assert_inert_workbook(path)
    values = {c.value for c in cells(path)}
    assert "'=1+1" in values and "'\tstarts with a tab" in values and "' =1+1 after a space" in values
    assert "-5" in values and -5 in values  # text stays text, numbers stay numbers
    long = next(v for v in values if isinstance(v, str) and v.endswith("[TRUNCATED]"))
    assert len(long) <= EXCEL_CELL_LIMIT and long.startswith("word word")
    assert "bell? in text" in values and "nul? in text" in values


def test_several_sheets_and_notes_are_inert(tmp_path):
    path = tmp_path / "report.xlsx"
    report = write_workbook(
        {"=Sheet": hostile_frame(), "Second": pd.DataFrame({"a": ["@x", "ok"]})},
        path,
        notes={"=Sheet": ["=note that would run", "a plain note"]},
    )
    assert report.neutralised == EXPECTED.neutralised + 2  # '@x' and the note
    assert_inert_workbook(path)


def test_csv_read_back_is_inert_with_bom(tmp_path):
    path = tmp_path / "out.csv"
    report = write_table(hostile_frame(), path)
    assert report == EXPECTED
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    for row in rows:
        for value in row:
            if value.startswith(FORMULA_START):
                assert value in SAFE or value.lstrip("-").isdigit(), value
            assert "\x00" not in value and "\x07" not in value
    texts = [r[1] for r in rows[1:]]
    assert rows[0][0] == "'=evil header"
    assert "'=1+1" in texts and "-5" in texts and "'+44 7700 900123" in texts


def test_csv_keeps_accents_and_pound_for_excel(tmp_path):
    path = tmp_path / "out.csv"
    write_table(pd.DataFrame({"text": ["£40 for a café"]}), path)
    assert path.read_bytes() == "\ufefftext\r\n£40 for a café\r\n".encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_any_text_written_to_xlsx_reads_back_inert(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("x") / "out.xlsx"
    report = write_table(pd.DataFrame({"text": texts}), path)
    assert_inert_workbook(path)
    changed = sum(
        1 for t in texts if t.lstrip(" \n").startswith(FORMULA_START)
        and not t.lstrip("+-").replace(".", "", 1).isdigit()
    )
    assert report.neutralised <= changed + 1


def test_classify_prints_the_safety_counts(runner, small_bundle, quick_load, tmp_path):  # noqa: F811
    source = tmp_path / "export.csv"
    pd.DataFrame(
        {
            "Complaint Ref": ["C1", "C2", "C3"],
            "Description": [
                '=HYPERLINK("http://example.invalid","Nobody called me back about my son")',
                "+ the social worker never came to the review meeting",
                "bell\x07 the allowance has not been paid for three months",
            ],
        }
    ).to_csv(source, index=False)
    out = tmp_path / "coded.xlsx"
    result = runner.invoke(app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle), "--no-evidence"])
    assert result.exit_code == 0, result.output
    assert "Made safe for spreadsheets: 2 cell(s) starting with = + - @" in result.output
    assert "1 cell(s) had control characters replaced" in result.output
    assert_inert_workbook(out)


@pytest.mark.parametrize("value", ["-5", "-12.5", "+3", "1e5"])
def test_plain_numbers_are_left_alone(value, tmp_path):
    path = tmp_path / "n.csv"
    assert not write_table(pd.DataFrame({"v": [value]}), path)
    assert path.read_text(encoding="utf-8-sig").splitlines()[1] == value


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.text(), st.sampled_from(["=1+1", " \n@x", "\t-", "ok", "a\x07b", "-2.5", "+", ""]),
                          st.none(), st.integers()), min_size=1, max_size=20))
def test_safe_frame_skips_only_cells_safe_cell_would_leave(values):
    """The quick screen in safe_frame changes nothing: each cell ends as safe_cell makes it."""
    from themes.data import safe_cell, safe_frame

    frame = pd.DataFrame({"text": pd.Series(values, dtype=object)})
    ours, theirs = CellReport(), CellReport()
    got = safe_frame(frame, ours)["text"].tolist()
    want = [safe_cell(v, theirs) for v in values]
    assert got == want
    header = CellReport()
    safe_cell("text", header)
    assert (ours.neutralised, ours.control_replaced, ours.truncated) == (
        theirs.neutralised + header.neutralised, theirs.control_replaced + header.control_replaced,
        theirs.truncated + header.truncated,
    )
