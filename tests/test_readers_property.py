"""Property tests: whatever text or bytes the readers get, they return a frame or raise DataError.

Anything else (an IndexError, a pandas error, a csv.Error) would reach users as "unexpected
error" instead of a message saying what to fix.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from themes.data import decode_csv_bytes, parse_csv_text, read_table
from themes.errors import DataError

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that looks like CSV often enough to reach the header and row checks.
cell = st.text(alphabet=st.sampled_from(list('ab ,;"\r\n\t\x00=+-@é£\ufeff|')), max_size=12)
csv_like = st.lists(st.lists(cell, max_size=5), max_size=6).map(
    lambda rows: "\r\n".join(",".join(r) for r in rows)
)


def _frame_or_data_error(call) -> pd.DataFrame | None:  # noqa: ANN001
    try:
        frame = call()
    except DataError as exc:
        assert str(exc) and "\n" not in str(exc).split(":", 1)[0]
        return None
    assert isinstance(frame, pd.DataFrame)
    assert all(isinstance(c, str) and c for c in frame.columns)
    assert len(set(frame.columns)) == frame.shape[1]
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())
    return frame


@SETTINGS
@given(st.text())
@example('a,b\n1,"never closed\n2,x')
@example("sep=;\na;b\n1;2")
@example('\ufeff"a\n')
def test_parse_csv_text_any_text(text):
    _frame_or_data_error(lambda: parse_csv_text(text, "x.csv"))


@SETTINGS
@given(csv_like)
def test_parse_csv_text_csv_like(text):
    frame = _frame_or_data_error(lambda: parse_csv_text(text, "x.csv"))
    if frame is not None:  # a header at least; read_table refuses a frame without rows
        assert frame.shape[1] >= 1


@SETTINGS
@given(st.binary(max_size=400))
@example(b"\xff\xfe" + "a,b".encode("utf-16-le"))
@example(b"PK\x03\x04rest")
@example(b"caf\xe9,\xc3\xa9")
def test_decode_csv_bytes_any_bytes(raw):
    try:
        text = decode_csv_bytes(raw, "x.csv")
    except DataError:
        return
    assert isinstance(text, str)


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from([".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".dat"]))
def test_read_table_any_bytes(tmp_path_factory, raw, suffix):
    path = tmp_path_factory.mktemp("prop") / f"input{suffix}"
    path.write_bytes(raw)
    _frame_or_data_error(lambda: read_table(path))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "_rels/.rels"]), st.binary(max_size=200), min_size=1))
def test_read_table_any_zip_named_xlsx(tmp_path_factory, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path = tmp_path_factory.mktemp("zip") / "input.xlsx"
    path.write_bytes(buffer.getvalue())
    _frame_or_data_error(lambda: read_table(path))


@SETTINGS
@given(st.lists(st.lists(st.text(max_size=20), min_size=2, max_size=2), min_size=1, max_size=5))
def test_quoted_csv_round_trips_verbatim(rows):
    """Well-formed CSV that Python's writer produces is read back cell for cell."""
    header = ["Ref", "Description"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    kept = [r for r in rows if any(c.strip() for c in r)]
    try:
        frame = parse_csv_text(buffer.getvalue(), "x.csv")
    except DataError:
        assert not kept or any(("\n" in c) for r in rows for c in r)
        return
    assert frame.values.tolist() == kept


def test_readers_raise_only_data_error_for_a_known_bad_case(tmp_path):
    """A fixed case, so that a broken strategy cannot make the suite pass vacuously."""
    path = tmp_path / "bad.csv"
    path.write_bytes(b'a,b\n1,"x')
    with pytest.raises(DataError, match="never closed"):
        read_table(path)
