"""Data in and out: council exports (CSV, XLSX), labelled complaints, and safe output files.

Everything is read as text and kept verbatim ("None", "N/A" and "NA" are complaints' words, not
missing values). Row numbers in messages are spreadsheet rows: the header is row 1.
Outputs are written to a temporary file beside the target and renamed only when complete, and
every cell that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, LabelError, OutputError, problems_message, row_list
from .scheme import Scheme

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
EXCEL_CELL_LIMIT = 32_767
# Excel on Windows saves "CSV" in the ANSI code page; UTF-8 with BOM is "CSV UTF-8".
ENCODINGS = ("utf-8-sig", "cp1252")

TEXT_CANDIDATES = (
    "text", "description", "complaint description", "details", "complaint details",
    "complaint summary", "summary", "summary of complaint", "complaint", "complaint text",
    "nature of complaint", "narrative", "comments", "comment", "free text", "what went wrong",
)
ID_CANDIDATES = (
    "id", "complaint id", "complaint ref", "complaint reference", "reference", "ref", "case ref",
    "case reference", "case id", "case number", "complaint number", "record id",
)
DATE_CANDIDATES = ("received", "date received", "received date", "date", "date logged", "opened")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


# -- reading ---------------------------------------------------------------------------------

# Limits that keep a hostile or broken file from exhausting memory; real exports are far smaller.
MAX_INPUT_BYTES = 1 << 30
MAX_CELL_CHARS = 1_000_000
MAX_UNPACKED_BYTES = 2 << 30
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t", "|")
# Bytes of UTF-8 text that Windows-1252 text almost never contains: accented letters, curly
# quotes and dashes, the euro sign. Seeing them beside undecodable bytes means mixed encodings.
_UTF8_SEQUENCE = re.compile(rb"[\xc2\xc3][\x80-\xbf]|\xe2\x80[\x90-\xbf]|\xe2\x82\xac")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DOCTYPE = re.compile(r"^\s*(?:<\?.*?\?>\s*)?(?:<!--.*?-->\s*)*<!DOCTYPE", re.S)


def read_table(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX export as a DataFrame of text, with a clear error for anything odd."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist: check the file name and folder.")
    if path.is_dir():
        raise DataError(f"{path} is a folder: give a .csv or .xlsx file.")
    if not path.is_file():
        raise DataError(f"{path} is not a regular file: give a .csv or .xlsx file.")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise DataError(f"{path.name} is an old .xls workbook: open it in Excel and save as .xlsx.")
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise DataError(
            f"{path.name}: expected a .csv or .xlsx file, got '{suffix or 'no extension'}'. "
            "Export the data as CSV UTF-8 or as an Excel workbook."
        )
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise DataError(
            f"{path.name} is {size >> 20:,} MB; themes reads files up to {MAX_INPUT_BYTES >> 20:,} MB: "
            "split it into smaller files."
        )
    if suffix in CSV_SUFFIXES:
        frame = _read_csv(path)
    else:
        frame = _read_xlsx(path, sheet=sheet)
    if frame.shape[1] == 0:
        raise DataError(f"{path.name} has no columns: is it empty?")
    if len(frame) == 0:
        raise DataError(f"{path.name} has a header row but no data rows: export the data again.")
    return frame


def decode_csv_bytes(raw: bytes, name: str) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM) or Windows-1252, or a DataError saying why not."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{name} is UTF-16 text: save it as 'CSV UTF-8' from Excel.")
    if raw.startswith(_ZIP_MAGIC):
        raise DataError(
            f"{name} is a zip archive (an Excel .xlsx workbook?), not CSV text: "
            "if it is a workbook, rename it to end in .xlsx."
        )
    if raw.startswith(_OLE_MAGIC):
        raise DataError(
            f"{name} is an old-format (.xls) or password-protected Excel file, not CSV text: "
            "open it in Excel, remove any password and save as 'CSV UTF-8' or .xlsx."
        )
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if not body.strip():
        raise DataError(f"{name} is empty: export the data again.")
    if b"\x00" in raw:
        _refuse_nul_bytes(raw, name)
    text = _decode(raw, name)
    controls = len(_UNPRINTABLE.findall(text[:65536]))
    if controls > 8 and controls > len(text[:65536]) // 100:
        raise DataError(f"{name} looks like a binary file, not CSV text: export the data as CSV UTF-8.")
    return text


def _refuse_nul_bytes(raw: bytes, name: str) -> None:
    """A few stray NULs are kept (and replaced in outputs); many mean UTF-16 or a binary file."""
    sample = raw[:8192]
    halves = (sample[0::2].count(0), sample[1::2].count(0))
    if max(halves) > len(sample) // 4:
        raise DataError(f"{name} looks like UTF-16 text: save it as 'CSV UTF-8' from Excel.")
    if raw.count(0) > max(8, len(raw) // 1000):
        raise DataError(f"{name} looks like a binary file, not CSV text: export the data as CSV UTF-8.")


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        if _UTF8_SEQUENCE.search(raw):
            raise DataError(
                f"{name} mixes UTF-8 and Windows-1252 text (the first odd character is on line "
                f"{line}): export it again as 'CSV UTF-8', or fix that line."
            ) from None
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise DataError(
            f"{name} is neither UTF-8 nor Windows-1252 text: save it as 'CSV UTF-8'."
        ) from None


def _read_csv(path: Path) -> pd.DataFrame:
    text = decode_csv_bytes(path.read_bytes(), path.name)
    return parse_csv_text(text, path.name)


def parse_csv_text(text: str, name: str) -> pd.DataFrame:
    """Parse CSV text into a frame of verbatim strings; the header is row 1 in every message."""
    text = text.removeprefix("\ufeff")
    delimiter, text = _delimiter(text)
    rows = _csv_rows(text, delimiter, name)
    return _frame_from_rows(rows, name)


def _delimiter(text: str) -> tuple[str, str]:
    """Excel's 'sep=;' first line, else a ';' or tab header when it has no comma, else ','."""
    first, _, rest = text.partition("\n")
    marker = re.fullmatch(r"sep=(.)\r?", first)
    if marker and marker.group(1) in _DELIMITERS:
        return marker.group(1), rest
    header = first.split("\r", 1)[0]
    if "," not in header:
        for delimiter in _DELIMITERS[1:]:
            if delimiter in header:
                return delimiter, text
    return ",", text


def _csv_rows(text: str, delimiter: str, name: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    record_start = 1
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        for row in reader:
            rows.append(row)
            record_start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(_csv_problem(str(exc), name, record_start, reader.line_num)) from None
    finally:
        csv.field_size_limit(limit)
    return rows


def _csv_problem(error: str, name: str, start: int, line: int) -> str:
    if "field larger" in error:
        return (
            f"{name}: a cell in the record starting on line {start} is over {MAX_CELL_CHARS:,} "
            "characters, which usually means a stray quote mark: fix the quote, or split the cell."
        )
    if "unexpected end of data" in error:
        return (
            f"{name}: a quote mark in the record starting on line {start} is never closed, so it "
            "would swallow the rest of the file: remove the stray quote or close it."
        )
    return (
        f"{name} cannot be read as CSV on line {line}: a closing quote mark is followed by more "
        "text in the same cell. Put the whole cell in quotes and double any quote inside it."
    )


def _frame_from_rows(rows: list[list[str]], name: str) -> pd.DataFrame:
    """Header and body as a frame; blank rows skipped, short rows padded, stray cells refused."""
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"{name} is empty: export the data again.")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    header = _drop_unnamed_empty(header, body)
    _check_header(header, name)
    width = len(header)
    bad = [i + 2 for i, r in enumerate(body) if len(r) > width and any(c.strip() for c in r[width:])]
    if bad:
        raise DataError(
            f"{name}: {row_list(bad)} have more cells than the header has columns: "
            "check for unquoted commas or a stray quote mark."
        )
    body = [(r + [""] * width)[:width] for r in body]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    _check_swallowed(frame, name)
    return frame


def _drop_unnamed_empty(header: list[str], body: list[list[str]]) -> list[str]:
    """Excel often exports trailing empty columns ('a,b,,'): unnamed and empty, they are dropped."""
    width = len(header)
    while width and not header[width - 1]:
        column = width - 1
        if any(len(r) > column and r[column].strip() for r in body):
            break
        width -= 1
    return header[:width]


def _check_header(header: list[str], name: str) -> None:
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank and len(blank) == len(header):
        raise DataError(f"{name}: the first row is blank; it must hold column names.")
    if blank:
        raise DataError(
            f"{name}: column {blank[0]} ({_column_letter(blank[0])}) has no name in the header "
            "row: give it a name, or delete the column if it is not needed."
        )
    seen: dict[str, str] = {}
    for h in header:
        key = _norm(h) or h
        if key in seen:
            if seen[key] == h:
                found = f"two columns named {shown_name(h)}"
            else:
                found = (
                    f"columns {shown_name(seen[key])} and {shown_name(h)}, which differ only in "
                    "case or punctuation"
                )
            raise DataError(f"{name}: the header has {found}: rename them so each column has its own name.")
        seen[key] = h


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shown_name(name: object) -> str:
    """A column or sheet name fit for a message: quoted, one line, no control characters, short."""
    text = _UNPRINTABLE.sub("?", str(name)).replace("\n", " ").replace("\r", " ")
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'"


def _check_swallowed(frame: pd.DataFrame, name: str) -> None:
    """A stray opening quote makes one cell swallow the rest of the file; catch it."""
    if len(frame) == 0:
        return
    for column in frame.columns:
        lengths = frame[column].str.count("\n")
        worst = int(lengths.max())
        if worst >= 200 and worst > 0.5 * lengths.sum():
            row = int(lengths.idxmax()) + 2
            raise DataError(
                f"{name}: the cell in column {shown_name(column)} at row {row} runs on for {worst} "
                "lines, which usually means a stray quote mark swallowed the rest of the file: "
                "fix the quote."
            )


def _read_xlsx(path: Path, *, sheet: str | None) -> pd.DataFrame:
    book = _open_workbook(path)
    try:
        ws = _choose_sheet(book, path.name, sheet)
        where = f"{path.name} (sheet {shown_name(ws.title)})"
        if ws.merged_cells.ranges:
            first = sorted(str(r) for r in ws.merged_cells.ranges)[0]
            raise DataError(
                f"{where}: merged cells (for example {first}) would shift values between rows: "
                "unmerge them, or export the data as a plain table."
            )
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    if not any(any(c.strip() for c in r) for r in rows):
        raise DataError(f"{where} is empty: choose the sheet with the data (--sheet NAME).")
    return _frame_from_rows(rows, where)


def _open_workbook(path: Path):  # noqa: ANN202 - openpyxl Workbook
    import warnings

    import openpyxl
    from defusedxml import DefusedXmlException

    _check_workbook_archive(path)
    if not openpyxl.DEFUSEDXML:
        raise DataError(
            "Reading .xlsx files needs the defusedxml package (and OPENPYXL_DEFUSEDXML not set to "
            "False): reinstall themes, or save the data as CSV UTF-8."
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, styles); not our users' concern.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, read_only=False, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for damaged or hostile files
        if _caused_by(exc, DefusedXmlException):
            raise DataError(_xml_bomb_message(path.name)) from None
        raise DataError(
            f"{path.name} cannot be opened as a workbook ({type(exc).__name__}): "
            "open it in Excel and save it again as .xlsx."
        ) from None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """openpyxl wraps parser errors in its own (ValueError 'Unable to read workbook')."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 20:
        if isinstance(current, kind):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def _xml_bomb_message(name: str) -> str:
    return (
        f"{name} contains XML entity declarations, which Excel never writes and which can be used "
        "to attack programs that read it, so it was not opened: open it in Excel and save it again "
        "as .xlsx, or export the data again."
    )


def _check_workbook_archive(path: Path) -> None:
    """Refuse anything that is not an Office zip, expands hugely, or declares XML entities."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE_MAGIC):
        raise DataError(
            f"{path.name} is an old-format (.xls) or password-protected Excel file: open it in "
            "Excel, remove any password and save it as .xlsx."
        )
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{path.name} is not a valid .xlsx workbook (it is not a zip archive): if it is CSV "
            "text, rename it to end in .csv; otherwise open it in Excel and save it as .xlsx."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                raise DataError(
                    f"{path.name} is a zip archive but not an Excel workbook: give the .xlsx export."
                )
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise DataError(
                    f"{path.name} unpacks to more than {MAX_UNPACKED_BYTES >> 20:,} MB: it is damaged "
                    "or not a real export. Export the data again or save it as CSV UTF-8."
                )
            for member in members:
                if member.filename.endswith((".xml", ".rels")) and _declares_doctype(archive, member):
                    raise DataError(_xml_bomb_message(path.name))
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        raise DataError(
            f"{path.name} is a damaged zip archive: open it in Excel and save it again as .xlsx."
        ) from None


def _declares_doctype(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    with archive.open(member) as handle:
        head = handle.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    return bool(_XML_DOCTYPE.match(text.lstrip("\ufeff"))) or "<!ENTITY" in text


def _choose_sheet(book, name: str, sheet: str | None):  # noqa: ANN001, ANN202 - openpyxl types
    if sheet is not None:
        if sheet not in book.sheetnames:
            raise DataError(
                f"{name} has no sheet {shown_name(sheet)}; it has: "
                f"{', '.join(shown_name(s) for s in book.sheetnames)}."
            )
        ws = book[sheet]
        if not hasattr(ws, "iter_rows"):
            raise DataError(f"{name}: sheet {shown_name(sheet)} is a chart, not a table of data.")
        return ws
    visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
    if not visible:
        raise DataError(
            f"{name} has no visible sheet of data: unhide the data sheet in Excel, or name it "
            "with --sheet NAME."
        )
    return visible[0]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- choosing columns ------------------------------------------------------------------------


def find_column(
    frame: pd.DataFrame,
    wanted: str | None,
    *,
    candidates: Sequence[str],
    role: str,
    option: str,
    required: bool = True,
) -> str | None:
    """The column named ``wanted``, or the first column whose name matches a common export name."""
    columns = list(frame.columns)
    if wanted is not None:
        if wanted in columns:
            return wanted
        by_norm = {_norm(c): c for c in columns}
        if _norm(wanted) in by_norm:
            return by_norm[_norm(wanted)]
        raise DataError(
            f"No column {shown_name(wanted)} for the {role}. Columns found: {_quote_list(columns)}."
        )
    by_norm = {_norm(c): c for c in columns}
    for candidate in candidates:
        if candidate in by_norm:
            return by_norm[candidate]
    if required:
        raise DataError(
            f"Cannot tell which column holds the {role}. Columns found: {_quote_list(columns)}. "
            f"Name it with {option} COLUMN."
        )
    return None


def _quote_list(items: Sequence[str]) -> str:
    return ", ".join(shown_name(i) for i in items)


# -- labelled data -----------------------------------------------------------------------------


@dataclass
class Labelled:
    """Complaints with codes for one or more schemes."""

    frame: pd.DataFrame
    text_column: str
    id_column: str | None
    codes: dict[str, list[list[str]]] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return self.frame[self.text_column].astype(str).tolist()

    @property
    def ids(self) -> list[str]:
        if self.id_column is None:
            return [str(i + 2) for i in range(len(self.frame))]
        return self.frame[self.id_column].astype(str).tolist()

    def targets(self, scheme: Scheme) -> np.ndarray:
        return scheme.target_matrix(self.codes[scheme.id])


def read_labelled(
    path: str | Path,
    schemes: Sequence[Scheme],
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    require_any: bool = True,
) -> Labelled:
    """Read complaints coded with the given schemes (a ``;``-separated column per scheme id).

    Unknown codes, duplicate ids and empty texts are all reported at once, with row numbers.
    """
    path = Path(path)
    frame = read_table(path)
    return labelled_from_frame(
        frame, schemes, name=path.name, text_column=text_column, id_column=id_column,
        require_any=require_any,
    )


def labelled_from_frame(
    frame: pd.DataFrame,
    schemes: Sequence[Scheme],
    *,
    name: str,
    text_column: str | None = None,
    id_column: str | None = None,
    require_any: bool = True,
) -> Labelled:
    text_col = find_column(
        frame, text_column, candidates=TEXT_CANDIDATES, role="complaint text", option="--text-column"
    )
    id_col = find_column(
        frame, id_column, candidates=ID_CANDIDATES, role="complaint id", option="--id-column",
        required=False,
    )
    by_norm = {_norm(c): c for c in frame.columns}
    present = [s for s in schemes if _norm(s.id) in by_norm]
    if require_any and not present:
        raise LabelError(
            f"{name} has no label column: expected a column named "
            f"{' or '.join(repr(s.id) for s in schemes)} holding ';'-separated label ids. "
            f"Columns found: {_quote_list(list(frame.columns))}."
        )
    problems: list[str] = []
    texts = frame[text_col].astype(str)
    empty = [i + 2 for i, t in enumerate(texts) if not t.strip()]
    if empty:
        problems.append(f"empty text in column '{text_col}' at {row_list(empty)}")
    if id_col is not None:
        ids = frame[id_col].astype(str).str.strip()
        blank_ids = [i + 2 for i, v in enumerate(ids) if not v]
        if blank_ids:
            problems.append(f"blank id in column '{id_col}' at {row_list(blank_ids)}")
        dup_mask = ids.duplicated(keep=False) & (ids != "")
        dupes = [i + 2 for i, d in enumerate(dup_mask) if d]
        if dupes:
            problems.append(f"duplicate ids in column '{id_col}' at {row_list(dupes)}")
    codes: dict[str, list[list[str]]] = {}
    for scheme in present:
        column = by_norm[_norm(scheme.id)]
        rows = [scheme.split_codes(cell) for cell in frame[column]]
        unknown: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            for code in scheme.unknown_codes(row):
                unknown.setdefault(code, []).append(i + 2)
        problems += unknown_code_problems(unknown, column, scheme)
        codes[scheme.id] = rows
    if problems:
        raise LabelError(
            problems_message(
                f"{name} cannot be used as labelled data:", problems
            )
            + "\n  Run 'themes scheme show NAME' to list the valid ids."
        )
    return Labelled(frame=frame, text_column=text_col, id_column=id_col, codes=codes)


_CODE_SHAPE = re.compile(r"[a-z0-9_]+(?:[.\-][a-z0-9_]+)*")


def unknown_code_problems(unknown: Mapping[str, list[int]], column: str, scheme: Scheme) -> list[str]:
    """One line per mistyped id; anything that is not shaped like an id is never quoted.

    Label ids are lower case, so a value with capitals or spaces is a name, a reference or
    complaint text typed into the wrong column: only its rows are given.
    """
    problems = []
    other_rows: list[int] = []
    for code, where in unknown.items():
        if len(code) > 60 or not _CODE_SHAPE.fullmatch(code):
            other_rows += where
            continue
        close = difflib.get_close_matches(code, scheme.leaves, n=1, cutoff=0.75)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(
            f"column {shown_name(column)} has '{code}', not an id in scheme '{scheme.id}'{hint}, "
            f"at {row_list(where)}"
        )
    if other_rows:
        problems.append(
            f"column {shown_name(column)} holds values that are not ids in scheme '{scheme.id}' "
            f"(not shown, they may be personal data) at {row_list(sorted(set(other_rows)))}"
        )
    return problems


# -- writing -----------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 forbids (openpyxl would refuse them, Excel would call the file corrupt),
# DEL, and lone surrogates, which no file encoding can hold.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _needs_care(value: str) -> bool:
    """Whether safe_cell might change this text: a quick screen so that most cells skip it.

    A character-class scan and a look at the start, rather than one regex with an anchored
    branch, which the engine would try at every position of a long complaint (3x slower).
    """
    return bool(_CONTROL.search(value)) or value.lstrip(" \n").startswith(FORMULA_START)


@dataclass
class CellReport:
    """What was changed to keep a spreadsheet safe, for the summary line."""

    neutralised: int = 0
    truncated: int = 0
    control_replaced: int = 0

    def __bool__(self) -> bool:
        return bool(self.neutralised or self.truncated or self.control_replaced)

    def describe(self) -> str:
        parts = []
        if self.neutralised:
            parts.append(
                f"{self.neutralised} cell(s) starting with = + - @, a tab or a carriage return "
                "prefixed with ' so they stay text"
            )
        if self.truncated:
            parts.append(
                f"{self.truncated} cell(s) over Excel's {EXCEL_CELL_LIMIT:,}-character limit "
                "truncated and marked [TRUNCATED]"
            )
        if self.control_replaced:
            parts.append(f"{self.control_replaced} cell(s) had control characters replaced with '?'")
        return "; ".join(parts)


_KEPT_TYPES = (int, float, np.number, np.bool_, dt.date, dt.time)


def safe_cell(value: object, report: CellReport | None = None) -> object:
    """Make one value inert in a spreadsheet (OWASP CSV injection advice), keeping numbers as they are."""
    if value is None or value is pd.NA or isinstance(value, _KEPT_TYPES):
        return value
    text = value if isinstance(value, str) else str(value)
    if _CONTROL.search(text):
        text = _CONTROL.sub("?", text)
        if report is not None:
            report.control_replaced += 1
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - 12] + "[TRUNCATED]"
        if report is not None:
            report.truncated += 1
    # Leading spaces and line breaks are skipped too: some spreadsheet programs trim them first.
    if text.lstrip(" \n").startswith(FORMULA_START) and not _NUMBER.match(text):
        text = "'" + text
        if report is not None:
            report.neutralised += 1
    return text


def safe_frame(frame: pd.DataFrame, report: CellReport | None = None) -> pd.DataFrame:
    """A copy with every header and text cell made inert; numbers, booleans and dates are kept."""
    out = frame.copy()
    out.columns = [safe_cell(str(c), report) for c in out.columns]
    for j in range(out.shape[1]):
        column = out.iloc[:, j]
        if _plain_dtype(column):
            continue
        values = column.astype(object).tolist()
        for i, value in enumerate(values):
            # Plain short text that needs nothing is most cells: leave it without a call.
            if type(value) is not str or len(value) > EXCEL_CELL_LIMIT or _needs_care(value):
                values[i] = safe_cell(value, report)
        out.isetitem(j, pd.Series(values, index=column.index, dtype=object))
    return out


def _plain_dtype(column: pd.Series) -> bool:
    types = pd.api.types
    return bool(
        types.is_numeric_dtype(column) or types.is_bool_dtype(column)
        or types.is_datetime64_any_dtype(column)
    ) and not isinstance(column.dtype, pd.CategoricalDtype)


def check_output_path(
    path: str | Path, *, inputs: Sequence[str | Path] = (), overwrite: bool = False
) -> Path:
    """Refuse an output that would replace an input, or an existing file without ``overwrite``."""
    path = Path(path)
    target = path.resolve()
    for given in inputs:
        if Path(given).resolve() == target or _same_file(Path(given), path):
            raise OutputError(f"The output {path} is also an input: choose another output name.")
    if path.suffix.lower() not in CSV_SUFFIXES | XLSX_SUFFIXES | {".md", ".html", ".json"}:
        raise OutputError(f"Output {path.name}: use a .csv or .xlsx file name.")
    if path.is_dir():
        raise OutputError(f"The output {path} is a folder: give a file name ending in .csv or .xlsx.")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists: add --overwrite to replace it.")
    if not path.parent.exists():
        raise OutputError(f"The folder {path.parent} does not exist: create it first.")
    lock = path.with_name("~$" + path.name)
    if lock.exists():
        raise OutputError(f"{path.name} is open in Excel (lock file {lock.name}): close it and try again.")
    return path


def _same_file(a: Path, b: Path) -> bool:
    """Hard links and case-insensitive file systems make two names one file."""
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only if the block succeeds.

    Whatever fails, neither a partial output nor the temporary file is left behind, and an
    existing output stays as it was.
    """
    path = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            f"Cannot write in {path.parent} ({exc.strerror or type(exc).__name__}): choose a folder "
            "you can write to."
        ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp makes the file private (0600); an output should get the user's usual permissions.
    os.chmod(tmp, 0o666 & ~current_umask())
    try:
        try:
            yield tmp
            _flush_to_disk(tmp)
        except OSError as exc:
            raise OutputError(
                f"Could not write {path.name} ({exc.strerror or type(exc).__name__}); nothing was "
                "written. Check the disk has space and the folder is writable."
            ) from None
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise OutputError(
                f"Cannot replace {path.name}: it is locked, probably open in Excel. Close it and "
                "try again; nothing was written."
            ) from None
        except OSError as exc:
            raise OutputError(
                f"Could not move the finished {path.name} into place "
                f"({exc.strerror or type(exc).__name__}); nothing was written."
            ) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _flush_to_disk(path: Path) -> None:
    """Make the finished file durable before it replaces anything (a crash leaves the old one)."""
    if path.is_file():
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    sheet_name: str = "Complaints",
    wrap_columns: Sequence[str] = (),
) -> CellReport:
    """Write one table as CSV (UTF-8 with BOM, for Excel) or XLSX, atomically and inert."""
    path = Path(path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        return write_workbook({sheet_name: frame}, path, wrap_columns=wrap_columns)
    report = CellReport()
    safe = safe_frame(frame, report)
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return report


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    wrap_columns: Sequence[str] = (),
    notes: Mapping[str, Sequence[str]] | None = None,
) -> CellReport:
    """Write several tables, one sheet each, with readable widths and wrapped long text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    report = CellReport()
    book = Workbook()
    book.remove(book.active)
    for raw_name, frame in sheets.items():
        ws = book.create_sheet(_sheet_title(raw_name, book.sheetnames))
        safe = safe_frame(frame, report)
        start = 1
        for line in (notes or {}).get(raw_name, ()):
            ws.cell(row=start, column=1, value=safe_cell(line, report)).font = Font(italic=True)
            start += 1
        if start > 1:
            start += 1
        for j, column in enumerate(safe.columns, start=1):
            cell = ws.cell(row=start, column=j, value=column)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, row in enumerate(safe.itertuples(index=False), start=start + 1):
            for j, value in enumerate(row, start=1):
                ws.cell(row=i, column=j, value=_xlsx_value(value))
        for j, column in enumerate(safe.columns, start=1):
            values = [str(column)] + [str(v) for v in safe[column].head(200).tolist()]
            longest = max(len(line) for v in values for line in (v.splitlines() or [""]))
            wrap = column in wrap_columns or longest > 60
            width = 60 if wrap else max(8, min(longest + 2, 60))
            ws.column_dimensions[get_column_letter(j)].width = width
            if wrap:
                for cell in ws.iter_rows(min_row=start + 1, min_col=j, max_col=j):
                    cell[0].alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = ws.cell(row=start + 1, column=1)
    if not book.sheetnames:
        book.create_sheet("Empty")
    with atomic_path(path) as tmp:
        book.save(tmp)
    return report


def _xlsx_value(value: object) -> object:
    if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return str(value)  # Excel has no infinity: a number cell holding one corrupts the file
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_, bool)):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def _sheet_title(name: str, taken: Sequence[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", " ", str(name)).strip()[:31] or "Sheet"
    base, n = title, 2
    while title in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    return title
