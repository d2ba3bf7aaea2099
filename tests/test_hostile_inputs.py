"""Hostile and messy exports through the CLI: a one-line message and exit 2, or a clean run.

Every case runs ``themes classify`` (and the ones that apply to labelled data run ``themes
train``): no traceback, a single line naming what to fix, and no output or temporary file
left behind when the input is refused.
"""

from __future__ import annotations

import io
import random
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from themes.cli import app

HEADER = "Complaint Ref,Team,Description\r\n"
ROW = 'C{n},Fostering,"The social worker did not reply to my emails for {n} weeks."\r\n'
_LOADED: dict[Path, object] = {}


@pytest.fixture
def quick_load(monkeypatch):
    """Load each bundle once per session: the suite tests reading inputs, not loading models."""
    from themes import bundle as bundle_io

    real = bundle_io.load

    def load(path):  # noqa: ANN001, ANN202
        key = Path(path).resolve()
        if key not in _LOADED:
            _LOADED[key] = real(path)
        return _LOADED[key]

    monkeypatch.setattr(bundle_io, "load", load)


def rows(n: int = 3) -> str:
    return HEADER + "".join(ROW.format(n=i) for i in range(1, n + 1))


def csv_bytes(text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    return raw_file("export.csv", text.encode(encoding))


def raw_file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def workbook(name: str = "export.xlsx", **options) -> Callable[[Path], Path]:  # noqa: ANN003
    def make(folder: Path) -> Path:
        return build_workbook(folder / name, **options)

    return make


def build_workbook(
    path: Path,
    *,
    merged: bool = False,
    hidden_first: bool = False,
    header_only: bool = False,
    empty: bool = False,
    unnamed_data: bool = False,
    formula: bool = False,
) -> Path:
    book = Workbook()
    ws = book.active
    ws.title = "Data"
    if hidden_first:
        secret = ws
        secret.title = "Old"
        secret.append(["Nothing", "Here"])
        secret.sheet_state = "hidden"
        ws = book.create_sheet("Data")
    if not empty:
        ws.append(["Complaint Ref", "Team", "Description"])
    if not (empty or header_only):
        for i in range(1, 4):
            ws.append([f"C{i}", "Fostering", f"The social worker did not reply to my emails for {i} weeks."])
    if merged:
        ws.merge_cells("B2:B3")
    if unnamed_data:
        ws["E2"] = "a value under no header"
    if formula:
        ws["B2"] = "=1+1"
    book.save(path)
    return path


def rewrite_zip(path: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members.update(replace)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    b'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)


SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def xml_bomb(member: str) -> Callable[[Path], Path]:
    """A workbook whose shared strings (or first sheet) expand a billion times if parsed naively."""

    def make(folder: Path) -> Path:
        path = build_workbook(folder / "export.xlsx")
        with zipfile.ZipFile(path) as archive:
            types = archive.read("[Content_Types].xml").decode()
            sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        if member == "xl/worksheets/sheet1.xml":
            doctype = LAUGHS.split(b"<sst")[0].decode().replace("lolz", "worksheet")
            body = sheet.split("?>", 1)[-1].replace("<t>", "<t>&lol9;", 1)
            return rewrite_zip(path, {member: (doctype + body).encode()})
        # openpyxl writes inline strings: point the first cell at the planted shared strings.
        types = types.replace(
            "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS}"/></Types>'
        )
        sheet = re.sub(r'<c r="A1"[^>]*>.*?</c>', '<c r="A1" t="s"><v>0</v></c>', sheet, count=1)
        return rewrite_zip(
            path, {member: LAUGHS, "[Content_Types].xml": types.encode(), "xl/worksheets/sheet1.xml": sheet.encode()}
        )

    return make


def all_sheets_hidden(folder: Path) -> Path:
    path = build_workbook(folder / "export.xlsx")
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode()
    xml = xml.replace('state="visible"', 'state="hidden"')
    return rewrite_zip(path, {"xl/workbook.xml": xml.encode()})


def zip_not_xlsx(folder: Path) -> Path:
    path = folder / "export.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return path


def truncated_xlsx(folder: Path) -> Path:
    path = build_workbook(folder / "export.xlsx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def xlsx_named_csv(folder: Path) -> Path:
    path = build_workbook(folder / "book.xlsx")
    target = folder / "export.csv"
    path.rename(target)
    return target


def directory(folder: Path) -> Path:
    path = folder / "export.csv"
    path.mkdir()
    return path


def missing(folder: Path) -> Path:
    return folder / "nowhere.csv"


def binary_garbage(folder: Path) -> Path:
    rng = random.Random(7)
    return raw_file("export.csv", bytes(rng.randrange(256) for _ in range(5000)))(folder)


def control_garbage(folder: Path) -> Path:
    rng = random.Random(3)
    noise = bytes(rng.choice(b"\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0eabc,\n") for _ in range(4000))
    return raw_file("export.csv", noise)(folder)


def swallowing_quote(folder: Path) -> Path:
    body = 'C0,Fostering,"It started when\r\n' + "".join(ROW.format(n=i) for i in range(1, 300)).replace('"', "")
    return raw_file("export.csv", (HEADER + body).encode())(folder)


def huge_cell(folder: Path) -> Path:
    return raw_file("export.csv", (HEADER + 'C1,Fostering,"' + "x" * 1_200_000 + '"\r\n').encode())(folder)


# name, how to make the input, exit code, what the one line must say (or, for 0, a check).
REFUSED = [
    ("empty file", raw_file("export.csv", b""), "is empty"),
    ("only a BOM", raw_file("export.csv", b"\xef\xbb\xbf"), "is empty"),
    ("whitespace only", raw_file("export.csv", b"  \r\n\n \t \n"), "is empty"),
    ("header only", csv_bytes(HEADER), "no data rows"),
    ("header and blank lines", csv_bytes(HEADER + ",,\r\n\r\n"), "no data rows"),
    ("stray quote swallowing the file", swallowing_quote, "never closed"),
    ("text after a closing quote", csv_bytes(HEADER + 'C1,Fostering,"late" reply\r\n'), "closing quote"),
    ("row with extra cells", csv_bytes(HEADER + "C1,Fostering,late reply,extra,cells\r\n"), "more cells than the header"),
    ("quoted cell over a million characters", huge_cell, "over 1,000,000 characters"),
    ("UTF-16 with BOM", raw_file("export.csv", rows().encode("utf-16")), "UTF-16"),
    ("UTF-16 without BOM", raw_file("export.csv", rows().encode("utf-16-le")), "UTF-16"),
    ("binary garbage", binary_garbage, "binary"),
    ("control-character garbage", control_garbage, "binary"),
    ("mixed UTF-8 and Windows-1252", raw_file("export.csv", rows().encode() + "C9,Café,£5 owed\r\n".encode("cp1252") + "C10,Café,£6\r\n".encode()), "mixes UTF-8 and Windows-1252"),
    ("workbook with a .csv name", xlsx_named_csv, "zip archive"),
    ("wrong extension", raw_file("export.pdf", b"%PDF-1.4 not a table"), "expected a .csv or .xlsx"),
    ("no extension", raw_file("export", rows().encode()), "expected a .csv or .xlsx"),
    ("old .xls", raw_file("export.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "old .xls"),
    ("OLE file with an .xlsx name", raw_file("export.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "password-protected"),
    ("CSV text with an .xlsx name", raw_file("export.xlsx", rows().encode()), "rename it to end in .csv"),
    ("duplicate headers", csv_bytes("Ref,Description,Description\r\nC1,a,b\r\n"), "two columns named 'Description'"),
    ("headers differing only in case", csv_bytes("Ref,Description,description \r\nC1,a,b\r\n"), "differ only in case"),
    ("blank header cell over data", csv_bytes("Ref,,Description\r\nC1,x,late reply\r\n"), "column 2 (B) has no name"),
    ("directory", directory, "is a folder"),
    ("missing file", missing, "does not exist"),
    ("merged cells", workbook(merged=True), "merged cells (for example B2:B3)"),
    ("all sheets hidden", all_sheets_hidden, "no visible sheet"),
    ("XML bomb in sharedStrings", xml_bomb("xl/sharedStrings.xml"), "XML entity declarations"),
    ("XML bomb in a worksheet", xml_bomb("xl/worksheets/sheet1.xml"), "XML entity declarations"),
    ("zip that is not a workbook", zip_not_xlsx, "not an Excel workbook"),
    ("truncated workbook", truncated_xlsx, "not a valid .xlsx workbook"),
    ("empty workbook sheet", workbook(empty=True), "is empty"),
    ("workbook header only", workbook(header_only=True), "no data rows"),
    ("workbook data under no header", workbook(unnamed_data=True), "has no name"),
]


def _text(frame: pd.DataFrame) -> list[str]:
    return frame["Description"].tolist()


ACCEPTED = [
    ("CRLF line endings", csv_bytes(rows().replace("\r\n", "\r\n")), lambda f: len(f) == 3),
    ("LF line endings", csv_bytes(rows().replace("\r\n", "\n")), lambda f: len(f) == 3),
    ("CR-only line endings", csv_bytes(rows().replace("\r\n", "\r")), lambda f: len(f) == 3),
    ("'None' and 'NA' kept verbatim", csv_bytes(HEADER + "C1,NA,None\r\nC2,N/A,NA\r\n"), lambda f: _text(f) == ["None", "NA"] and f["Team"].tolist() == ["NA", "N/A"]),
    ("Windows-1252 £ and accents", raw_file("export.csv", (HEADER + "C1,Café,I was charged £40 for a café visit\r\n").encode("cp1252")), lambda f: f["Team"][0] == "Café" and "£40" in _text(f)[0]),
    ("trailing empty columns", csv_bytes("Complaint Ref,Team,Description,,\r\nC1,A,late reply,,\r\n"), lambda f: "Unnamed" not in "".join(f.columns) and len(f) == 1),
    ("semicolon separated", csv_bytes(rows().replace(",", ";").replace('"The social worker did not reply to my emails for', '"The social worker did not reply to my emails for')), lambda f: len(f) == 3),
    ("Excel sep= line", csv_bytes("sep=;\r\n" + rows().replace(",", ";")), lambda f: len(f) == 3),
    ("a few NUL bytes in text", csv_bytes(HEADER + "C1,Fostering,late\x00reply from the worker\r\n"), lambda f: "\x00" not in _text(f)[0]),
    ("a 40,000-character cell", csv_bytes(HEADER + 'C1,Fostering,"' + "word " * 8000 + '"\r\n'), lambda f: len(_text(f)[0]) <= 32_767 and _text(f)[0].endswith("[TRUNCATED]")),
    ("hidden first sheet", workbook(hidden_first=True), lambda f: "Nothing" not in f.columns and len(f) == 3),
    ("formula cell in the input", workbook(formula=True), lambda f: "=1+1" not in f["Team"].tolist()),
]


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _one_line_error(result) -> str:  # noqa: ANN001 - click Result
    output = result.output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize(("case", "make", "says"), REFUSED, ids=[c[0] for c in REFUSED])
def test_classify_refuses_with_one_line(case, make, says, runner, small_bundle, quick_load, tmp_path):
    source = make(tmp_path)
    before = _files(tmp_path)
    started = time.perf_counter()
    out = tmp_path / "coded.csv"
    result = runner.invoke(app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle)])
    assert result.exit_code == 2, result.output
    assert says in _one_line_error(result)
    assert _files(tmp_path) == before, "an output or temporary file was left behind"
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(("case", "make", "check"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_classify_accepts_messy_but_valid(case, make, check, runner, small_bundle, quick_load, tmp_path):
    source = make(tmp_path)
    original = source.read_bytes()
    out = tmp_path / "coded.csv"
    result = runner.invoke(app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle), "--no-evidence"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert source.read_bytes() == original
    coded = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert "causes" in coded.columns
    assert check(coded)


LABELLED = "id,text,causes\r\n"
TRAIN_REFUSED = [
    ("empty file", raw_file("train.csv", b""), "is empty"),
    ("header only", raw_file("train.csv", LABELLED.encode()), "no data rows"),
    ("stray quote", raw_file("train.csv", (LABELLED + '1,"late reply,communication.delay_in_response\r\n').encode()), "never closed"),
    ("duplicate headers", raw_file("train.csv", b"id,text,text,causes\r\n1,a,b,communication.no_notice\r\n"), "two columns named 'text'"),
    ("XML bomb", xml_bomb("xl/sharedStrings.xml"), "XML entity declarations"),
    ("directory", directory, "is a folder"),
    ("label ids not in the scheme", raw_file("train.csv", (LABELLED + "1,late reply,communication.nope\r\n").encode()), "not an id in scheme 'causes'"),
]


@pytest.mark.parametrize(("case", "make", "says"), TRAIN_REFUSED, ids=[c[0] for c in TRAIN_REFUSED])
def test_train_refuses_without_traceback(case, make, says, runner, tmp_path):
    source = make(tmp_path)
    before = _files(tmp_path)
    result = runner.invoke(app, ["train", str(source), "--out", str(tmp_path / "model")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert says in result.output
    assert _files(tmp_path) == before


def test_missing_training_file(runner, tmp_path):
    result = runner.invoke(app, ["train", str(tmp_path / "nowhere.csv"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "does not exist" in _one_line_error(result)
    assert not (tmp_path / "m").exists()


def test_named_sheet_that_does_not_exist(runner, small_bundle, quick_load, tmp_path):
    source = build_workbook(tmp_path / "export.xlsx")
    result = runner.invoke(app, ["classify", str(source), "--out", str(tmp_path / "o.csv"), "--model", str(small_bundle), "--sheet", "Nope"])
    assert result.exit_code == 2
    assert "has no sheet 'Nope'; it has: 'Data'" in _one_line_error(result)


def test_defusedxml_refuses_the_bomb_even_without_our_scan(monkeypatch, tmp_path):
    """The pre-scan is belt and braces: openpyxl's defusedxml parser refuses entities on its own."""
    from themes import data
    from themes.errors import DataError

    monkeypatch.setattr(data, "_declares_doctype", lambda archive, member: False)
    path = xml_bomb("xl/sharedStrings.xml")(tmp_path)
    started = time.perf_counter()
    with pytest.raises(DataError, match="XML entity declarations"):
        data.read_table(path)
    assert time.perf_counter() - started < 5


def test_column_names_in_messages_are_one_line_and_inert(runner, small_bundle, quick_load, tmp_path):
    header = "Ref,\x1b[2JNotes\nabout it,[bold]Summary[/bold]\r\n"
    source = raw_file("export.csv", (header.replace("\n", " ") + "C1,x,y\r\n").encode())(tmp_path)
    result = runner.invoke(app, ["classify", str(source), "--out", str(tmp_path / "o.csv"), "--model", str(small_bundle)])
    line = _one_line_error(result)
    assert "\x1b" not in line and "'?[2JNotes about it'" in line
    assert "[bold]Summary[/bold]" in line


def test_output_workbook_reads_back(runner, small_bundle, quick_load, tmp_path):
    """A hostile-looking but valid workbook in, a clean workbook out."""
    source = build_workbook(tmp_path / "export.xlsx", hidden_first=True)
    out = tmp_path / "coded.xlsx"
    result = runner.invoke(app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle)])
    assert result.exit_code == 0, result.output
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.active.max_row == 4
