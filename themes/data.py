"""Data in and out: council exports (CSV, XLSX), labelled complaints, and safe output files.

Everything is read as text and kept verbatim ("None", "N/A" and "NA" are complaints' words, not
missing values). Row numbers in messages are spreadsheet rows: the header is row 1.
Outputs are written to a temporary file beside the target and renamed only when complete, and
every cell that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

import csv
import datetime as dt
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


def read_table(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX export as a DataFrame of text, with a clear error for anything odd."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist.")
    if path.is_dir():
        raise DataError(f"{path} is a folder: give a .csv or .xlsx file.")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame = _read_csv(path)
    elif suffix in XLSX_SUFFIXES:
        frame = _read_xlsx(path, sheet=sheet)
    elif suffix == ".xls":
        raise DataError(f"{path.name} is an old .xls workbook: open it in Excel and save as .xlsx.")
    else:
        raise DataError(f"{path.name}: expected a .csv or .xlsx file, got '{suffix or 'no extension'}'.")
    if frame.shape[1] == 0:
        raise DataError(f"{path.name} has no columns: is it empty?")
    if len(frame) == 0:
        raise DataError(f"{path.name} has a header row but no data rows.")
    return frame


def decode_csv_bytes(raw: bytes, name: str) -> str:
    if not raw.strip():
        raise DataError(f"{name} is empty.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{name} is UTF-16 text: save it as 'CSV UTF-8' from Excel.")
    if b"\x00" in raw[:4096]:
        raise DataError(f"{name} looks like a binary file, not CSV text.")
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{name} is neither UTF-8 nor Windows-1252 text: save it as 'CSV UTF-8'.")


def _read_csv(path: Path) -> pd.DataFrame:
    text = decode_csv_bytes(path.read_bytes(), path.name)
    return parse_csv_text(text, path.name)


def parse_csv_text(text: str, name: str) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise DataError(
            f"{name} cannot be read as CSV near line {reader.line_num} ({exc}): "
            "check for a stray quote mark."
        ) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"{name} is empty.")
    header = [h.strip() for h in rows[0]]
    _check_header(header, name)
    width = len(header)
    body = rows[1:]
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


def _check_header(header: list[str], name: str) -> None:
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank and len(blank) == len(header):
        raise DataError(f"{name}: the first row is blank; it must hold column names.")
    if blank:
        raise DataError(f"{name}: column {blank[0]} has no name in the header row; give it one.")
    seen: dict[str, int] = {}
    dupes = []
    for h in header:
        seen[h] = seen.get(h, 0) + 1
        if seen[h] == 2:
            dupes.append(h)
    if dupes:
        raise DataError(
            f"{name}: the header repeats column name(s) {', '.join(repr(d) for d in dupes)}: "
            "rename them so each column has its own name."
        )


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
                f"{name}: the cell in column '{column}' at row {row} runs on for {worst} lines, "
                "which usually means a stray quote mark swallowed the rest of the file: fix the quote."
            )


def _read_xlsx(path: Path, *, sheet: str | None) -> pd.DataFrame:
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is a dependency)

    if not zipfile.is_zipfile(path):
        raise DataError(f"{path.name} is not a valid .xlsx workbook (it is not a zip archive).")
    try:
        book = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged or hostile files
        raise DataError(
            f"{path.name} cannot be opened as a workbook ({type(exc).__name__}): "
            "open it in Excel and save it again as .xlsx."
        ) from None
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise DataError(
                    f"{path.name} has no sheet '{sheet}'; it has: {', '.join(book.sheetnames)}."
                )
            ws = book[sheet]
        else:
            visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
            if not visible:
                raise DataError(f"{path.name} has no visible sheet: unhide the data sheet.")
            ws = visible[0]
        if ws.merged_cells.ranges:
            first = sorted(str(r) for r in ws.merged_cells.ranges)[0]
            raise DataError(
                f"{path.name}, sheet '{ws.title}': merged cells (for example {first}) would shift "
                "values between rows: unmerge them, or export the data as a plain table."
            )
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise DataError(f"{path.name}, sheet '{ws.title}', is empty.")
    header = [h.strip() for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    _check_header(header, f"{path.name} (sheet '{ws.title}')")
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


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
            f"No column '{wanted}' for the {role}. Columns found: {_quote_list(columns)}."
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
    return ", ".join(f"'{i}'" for i in items)


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
        # Codes can be printed: they are label ids, but a mistyped cell could hold anything,
        # so only short id-like values are quoted.
        for code, where in unknown.items():
            shown = f"'{code}'" if re.fullmatch(r"[\w.\-]{1,60}", code) else "a value"
            problems.append(
                f"column '{column}' has {shown}, not an id in scheme '{scheme.id}', at {row_list(where)}"
            )
        codes[scheme.id] = rows
    if problems:
        raise LabelError(
            problems_message(
                f"{name} cannot be used as labelled data:", problems
            )
            + "\n  Run 'themes scheme show NAME' to list the valid ids."
        )
    return Labelled(frame=frame, text_column=text_col, id_column=id_col, codes=codes)


# -- writing -----------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


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
            parts.append(f"{self.neutralised} cell(s) starting with = + - @ prefixed with ' so they stay text")
        if self.truncated:
            parts.append(f"{self.truncated} cell(s) over Excel's {EXCEL_CELL_LIMIT:,}-character limit truncated and marked [TRUNCATED]")
        if self.control_replaced:
            parts.append(f"{self.control_replaced} cell(s) had control characters replaced with '?'")
        return "; ".join(parts)


def safe_cell(value: object, report: CellReport | None = None) -> object:
    """Make one value inert in a spreadsheet (OWASP CSV injection advice), keeping numbers as they are."""
    if not isinstance(value, str):
        return value
    text = value
    if _CONTROL.search(text):
        text = _CONTROL.sub("?", text)
        if report is not None:
            report.control_replaced += 1
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - 12] + "[TRUNCATED]"
        if report is not None:
            report.truncated += 1
    if text.startswith(FORMULA_START) and not _NUMBER.match(text):
        text = "'" + text
        if report is not None:
            report.neutralised += 1
    return text


def safe_frame(frame: pd.DataFrame, report: CellReport | None = None) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [safe_cell(str(c), report) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: safe_cell(v, report))
    return out


def check_output_path(
    path: str | Path, *, inputs: Sequence[str | Path] = (), overwrite: bool = False
) -> Path:
    """Refuse an output that would replace an input, or an existing file without ``overwrite``."""
    path = Path(path)
    target = path.resolve()
    for given in inputs:
        if Path(given).resolve() == target:
            raise OutputError(f"The output {path} is also an input: choose another output name.")
    if path.suffix.lower() not in CSV_SUFFIXES | XLSX_SUFFIXES | {".md", ".html", ".json"}:
        raise OutputError(f"Output {path.name}: use a .csv or .xlsx file name.")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists: add --overwrite to replace it.")
    if not path.parent.exists():
        raise OutputError(f"The folder {path.parent} does not exist: create it first.")
    lock = path.with_name("~$" + path.name)
    if lock.exists():
        raise OutputError(f"{path.name} is open in Excel (lock file {lock.name}): close it and try again.")
    return path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only if the block succeeds."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise OutputError(
                f"Cannot replace {path.name}: it is locked, probably open in Excel. Close it and try again."
            ) from None
    finally:
        if tmp.exists():
            tmp.unlink()


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
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
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
