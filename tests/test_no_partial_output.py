"""No data lost or half-written: a failure mid-write leaves no output and no temporary file.

Failures are injected after some bytes have reached the temporary file, at library level
(``write_table`` / ``write_workbook``) and through ``themes classify``. A locked output (Excel's
``~$`` lock file, or a PermissionError when renaming) gets a message saying so.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from themes.cli import app
from themes.data import write_table, write_workbook
from themes.errors import OutputError

from .test_hostile_inputs import quick_load  # noqa: F401 - fixture

FRAME = pd.DataFrame({"id": ["1", "2"], "text": ["late reply", "no visit"]})


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def half_written_csv(monkeypatch):
    real = pd.DataFrame.to_csv

    def to_csv(self, path_or_buf=None, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if path_or_buf is None:
            return real(self, path_or_buf, *args, **kwargs)
        Path(path_or_buf).write_bytes(b"\xef\xbb\xbfid,text\r\n1,late")
        raise disk_full()

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)


@pytest.fixture
def half_written_xlsx(monkeypatch):
    def save(self, filename):  # noqa: ANN001, ANN202
        close_write_only_sheets(self)
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise disk_full()

    monkeypatch.setattr(Workbook, "save", save)


def close_write_only_sheets(book: Workbook) -> None:
    """What the real save does first; skipping it leaves openpyxl row generators to be collected."""
    for ws in book.worksheets:
        if hasattr(ws, "close") and not getattr(ws, "closed", True):
            ws.close()


def leftovers(folder: Path, keep: set[str]) -> set[str]:
    return {p.name for p in folder.iterdir()} - keep


def test_csv_failure_mid_write_leaves_nothing(half_written_csv, tmp_path):
    with pytest.raises(OutputError, match="No space left on device.*nothing was written"):
        write_table(FRAME, tmp_path / "out.csv")
    assert leftovers(tmp_path, set()) == set()


def test_xlsx_failure_mid_write_leaves_nothing(half_written_xlsx, tmp_path):
    with pytest.raises(OutputError, match="nothing was written"):
        write_workbook({"a": FRAME}, tmp_path / "out.xlsx")
    assert leftovers(tmp_path, set()) == set()


def test_failed_overwrite_keeps_the_old_file(half_written_csv, tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"the previous, complete output")
    with pytest.raises(OutputError):
        write_table(FRAME, target)
    assert target.read_bytes() == b"the previous, complete output"
    assert leftovers(tmp_path, {"out.csv"}) == set()


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "export.csv"
    pd.DataFrame(
        {"Complaint Ref": [f"C{i}" for i in range(6)],
         "Description": ["The social worker has not replied to my emails for weeks."] * 6}
    ).to_csv(path, index=False)
    return path


@pytest.fixture
def fails_on_third_chunk(monkeypatch):
    """Chunks one and two are coded and written to the temporary file; the third fails."""
    from themes import predict

    real = predict.classify_frame
    calls = {"n": 0}

    def classify_frame(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 3:
            raise disk_full()
        return real(*args, **kwargs)

    monkeypatch.setattr(predict, "classify_frame", classify_frame)
    return calls


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_classify_failure_mid_file_leaves_no_output(suffix, runner, small_bundle, quick_load, export, fails_on_third_chunk, tmp_path):  # noqa: F811
    out = tmp_path / f"coded{suffix}"
    result = runner.invoke(
        app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle), "--chunk-size", "2", "--no-evidence"]
    )
    assert fails_on_third_chunk["n"] == 3
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output
    assert leftovers(tmp_path, {"export.csv"}) == set()


def test_classify_unexpected_error_leaves_no_output(runner, small_bundle, quick_load, export, monkeypatch, tmp_path):  # noqa: F811
    def save(self, filename):  # noqa: ANN001, ANN202
        close_write_only_sheets(self)
        Path(filename).write_bytes(b"PK\x03\x04 half")
        raise RuntimeError("boom")

    monkeypatch.setattr(Workbook, "save", save)
    result = runner.invoke(app, ["classify", str(export), "--out", str(tmp_path / "coded.xlsx"), "--model", str(small_bundle), "--no-evidence"])
    assert result.exit_code == 1
    assert "no output was written" in result.output and "Traceback" not in result.output
    assert leftovers(tmp_path, {"export.csv"}) == set()


def test_excel_lock_file_is_reported(runner, small_bundle, quick_load, export, tmp_path):  # noqa: F811
    out = tmp_path / "coded.xlsx"
    out.write_bytes(b"yesterday's output")
    (tmp_path / "~$coded.xlsx").write_bytes(b"lock")
    result = runner.invoke(app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle), "--overwrite"])
    assert result.exit_code == 2
    assert "coded.xlsx is open in Excel (lock file ~$coded.xlsx): close it and try again" in result.output
    assert out.read_bytes() == b"yesterday's output"


def test_rename_refused_because_locked(runner, small_bundle, quick_load, export, monkeypatch, tmp_path):  # noqa: F811
    out = tmp_path / "coded.csv"
    out.write_bytes(b"yesterday's output")
    real = os.replace

    def replace(src, dst):  # noqa: ANN001, ANN202
        if Path(dst) == out:
            raise PermissionError(errno.EACCES, "The process cannot access the file")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    result = runner.invoke(app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle), "--overwrite", "--no-evidence"])
    assert result.exit_code == 2
    assert "locked, probably open in Excel" in result.output
    assert out.read_bytes() == b"yesterday's output"
    assert leftovers(tmp_path, {"export.csv", "coded.csv"}) == set()


def test_a_hard_link_to_the_input_is_the_input(runner, small_bundle, quick_load, export, tmp_path):  # noqa: F811
    out = tmp_path / "coded.csv"
    os.link(export, out)
    original = export.read_bytes()
    result = runner.invoke(app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle), "--overwrite"])
    assert result.exit_code == 2 and "is also an input" in result.output
    assert export.read_bytes() == original


def test_output_folder_must_exist_and_be_a_file(runner, small_bundle, quick_load, export, tmp_path):  # noqa: F811
    result = runner.invoke(app, ["classify", str(export), "--out", str(tmp_path / "no" / "coded.csv"), "--model", str(small_bundle)])
    assert result.exit_code == 2 and "does not exist: create it first" in result.output
    (tmp_path / "dir.csv").mkdir()
    result = runner.invoke(app, ["classify", str(export), "--out", str(tmp_path / "dir.csv"), "--model", str(small_bundle), "--overwrite"])
    assert result.exit_code == 2 and "is a folder" in result.output
