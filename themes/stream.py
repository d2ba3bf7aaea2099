"""Classify an export of any size a chunk at a time: bounded memory, several cores, same output.

:func:`classify_file` reads a CSV export in chunks of rows (an XLSX workbook is read whole, as
Excel caps it at a million rows), codes each chunk with one per-chunk function (by default
:func:`themes.predict.classify_frame`; ``themes classify`` passes the function it would apply to
a whole file, so its options apply to every chunk) and appends the result to the output as it
goes: into the temporary file that :func:`themes.data.atomic_path` renames into place at the end,
so the output appears whole or not at all. The bytes written are the bytes that
``classify_frame`` + ``write_table`` write for the whole file.

Reading a CSV in chunks keeps the semantics and messages of :func:`themes.data.read_table`:
every cell verbatim text, the same encodings (UTF-8, then Windows-1252), delimiter, header rules
and errors. So that an error is reported before any row is coded, the file is checked in one
pass first (bytes, then CSV records), which also counts its rows for the progress bar.

With ``jobs > 1`` chunks are coded by this process and ``jobs - 1`` worker processes (loky;
:func:`start_workers` can start them before the model is loaded, and each keeps the first copy
of the model it is sent), while this process also reads and writes in file order.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import itertools
from collections import deque
from concurrent.futures import Future
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from . import data
from .bundle import Bundle
from .data import CellReport, DataError, OutputError
from .errors import row_list

DEFAULT_CHUNK_ROWS = 5_000
EXCEL_MAX_ROWS = 1_048_576
_BLOCK = 1 << 20
_FIRST_LINE_LIMIT = 1 << 20

ChunkFunction = Callable[[Bundle, pd.DataFrame], pd.DataFrame]
"""Codes one chunk: ``classify(bundle, frame) -> frame`` (a picklable callable when jobs > 1)."""
Tally = Callable[[pd.DataFrame], dict[str, int]]
"""Counts something in one coded chunk for the summary line; counts are summed over chunks."""
Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total): "checking" counts bytes (the file is read twice, so the
total is twice its size), "coding" counts rows."""


@dataclass
class StreamResult:
    """What a streamed run wrote: rows, rows flagged for review, cells made safe, tallies."""

    rows: int = 0
    flagged: int = 0
    report: CellReport = field(default_factory=CellReport)
    counts: dict[str, int] = field(default_factory=dict)


# -- reading in chunks ---------------------------------------------------------------------------


class TableChunks:
    """An export's header, its number of data rows, and its rows as frames of ``chunk_size``.

    Each frame is exactly the slice of the frame :func:`themes.data.read_table` would return,
    index included (row ``i`` of the file is index ``i``), so chunk-wise results concatenate to
    the whole-file result.
    """

    def __init__(
        self, *, name: str, columns: list[str], rows: int, frames: Callable[[], Iterator[pd.DataFrame]]
    ) -> None:
        self.name = name
        self.columns = columns
        self.rows = rows
        self._frames = frames

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self._frames()

    def header_frame(self) -> pd.DataFrame:
        """No rows, the export's columns: enough for checks that look at column names."""
        return pd.DataFrame(columns=self.columns, dtype=object)


def read_chunks(
    path: str | Path,
    *,
    chunk_size: int = DEFAULT_CHUNK_ROWS,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> TableChunks:
    """Open an export for reading in chunks; raise the error :func:`read_table` would raise."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    path = Path(path)
    if path.suffix.lower() not in data.CSV_SUFFIXES or not path.is_file():
        # Workbooks (and every error about the path itself) take the whole-file road.
        frame = data.read_table(path, sheet=sheet)
        return _frame_chunks(frame, name=path.name, chunk_size=chunk_size)
    scan = CsvFile(path, progress=progress)
    scan.check()
    return TableChunks(
        name=path.name, columns=scan.columns, rows=scan.rows,
        frames=lambda: scan.frames(chunk_size),
    )


def _frame_chunks(frame: pd.DataFrame, *, name: str, chunk_size: int) -> TableChunks:
    def frames() -> Iterator[pd.DataFrame]:
        for start in range(0, len(frame), chunk_size):
            yield frame.iloc[start : start + chunk_size]

    return TableChunks(name=name, columns=list(frame.columns), rows=len(frame), frames=frames)


class CsvFile:
    """A CSV export checked in one pass, then read in chunks or byte ranges as often as wanted.

    Mirrors ``data.decode_csv_bytes`` and ``data.parse_csv_text`` (the tests compare them on
    many files) without holding the file in memory.
    """

    def __init__(self, path: Path, *, progress: Progress | None = None) -> None:
        self.path = path
        self.name = path.name
        self.progress = progress
        self.encoding = "utf-8-sig"
        self.delimiter = ","
        self.columns: list[str] = []
        self.rows = 0
        self.bare_cr = False

    # bytes: encoding, emptiness, NUL bytes, binary content ------------------------------------
    def check(self) -> None:
        self.encoding = self._check_bytes()
        self._check_records()

    def _check_bytes(self) -> str:
        size = self.path.stat().st_size
        with open(self.path, "rb") as handle:
            head = handle.read(8192)
            self._check_magic(head)
            handle.seek(0)
            facts = _byte_facts(handle, size=size, progress=self.progress)
        self.bare_cr = facts.bare_cr
        if not facts.content:
            raise DataError(f"{self.name} is empty: export the data again.")
        if facts.nuls:
            self._check_nuls(head, facts.nuls, size)
        if facts.utf8_ok:
            encoding = "utf-8-sig"
        else:
            if facts.utf8_sequence:
                raise DataError(
                    f"{self.name} mixes UTF-8 and Windows-1252 text (the first odd character is on "
                    f"line {facts.utf8_error_line}): export it again as 'CSV UTF-8', or fix that line."
                )
            if not facts.cp1252_ok:
                raise DataError(
                    f"{self.name} is neither UTF-8 nor Windows-1252 text: save it as 'CSV UTF-8'."
                )
            encoding = "cp1252"
        self._check_controls(encoding)
        return encoding

    def _check_magic(self, head: bytes) -> None:
        # Same order and words as data.decode_csv_bytes.
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise DataError(f"{self.name} is UTF-16 text: save it as 'CSV UTF-8' from Excel.")
        if head.startswith(data._ZIP_MAGIC):
            raise DataError(
                f"{self.name} is a zip archive (an Excel .xlsx workbook?), not CSV text: "
                "if it is a workbook, rename it to end in .xlsx."
            )
        if head.startswith(data._OLE_MAGIC):
            raise DataError(
                f"{self.name} is an old-format (.xls) or password-protected Excel file, not CSV "
                "text: open it in Excel, remove any password and save as 'CSV UTF-8' or .xlsx."
            )

    def _check_nuls(self, head: bytes, nuls: int, size: int) -> None:
        halves = (head[0::2].count(0), head[1::2].count(0))
        if max(halves) > len(head) // 4:
            raise DataError(f"{self.name} looks like UTF-16 text: save it as 'CSV UTF-8' from Excel.")
        if nuls > max(8, size // 1000):
            raise DataError(
                f"{self.name} looks like a binary file, not CSV text: export the data as CSV UTF-8."
            )

    def _check_controls(self, encoding: str) -> None:
        with open(self.path, "rb") as handle:
            head = handle.read(65536 * 4 + 3)
        text = codecs.getincrementaldecoder(encoding)().decode(head)[:65536]
        controls = len(data._UNPRINTABLE.findall(text))
        if controls > 8 and controls > len(text) // 100:
            raise DataError(
                f"{self.name} looks like a binary file, not CSV text: export the data as CSV UTF-8."
            )

    # records: header, stray cells, swallowed cells, row count -------------------------------
    def _check_records(self) -> None:
        raw_header: list[str] | None = None
        named = 0
        filled: set[int] = set()
        bad: list[int] = []
        newlines: list[_Newlines] = []
        body = 0
        for row in self._records(report=True):
            if raw_header is None:
                raw_header = [h.strip() for h in row]
                named = len(raw_header)
                newlines = [_Newlines() for _ in raw_header]
                continue
            for j, cell in enumerate(row):
                if j >= named:
                    if cell.strip():
                        bad.append(body + 2)
                        break
                    continue
                if not raw_header[j] and cell.strip():
                    filled.add(j)
                newlines[j].add(cell.count("\n"), body)
            body += 1
        if self.progress is not None:
            size = self.path.stat().st_size
            self.progress("checking", 2 * size, 2 * size)
        if raw_header is None:
            raise DataError(f"{self.name} is empty: export the data again.")
        width = len(raw_header)
        while width and not raw_header[width - 1] and width - 1 not in filled:
            width -= 1
        header = raw_header[:width]
        data._check_header(header, self.name)
        if bad:
            raise DataError(
                f"{self.name}: {row_list(bad)} have more cells than the header has columns: "
                "check for unquoted commas or a stray quote mark."
            )
        for column, counted in zip(header, newlines, strict=False):
            if body and counted.worst >= 200 and counted.worst > 0.5 * counted.total:
                raise DataError(
                    f"{self.name}: the cell in column {data.shown_name(column)} at row "
                    f"{counted.where + 2} runs on for {counted.worst} lines, which usually means a "
                    "stray quote mark swallowed the rest of the file: fix the quote."
                )
        if not header:
            raise DataError(f"{self.name} has no columns: is it empty?")
        if body == 0:
            raise DataError(
                f"{self.name} has a header row but no data rows: export the data again."
            )
        self.columns = header
        self.rows = body

    def _records(self, *, report: bool = False) -> Iterator[list[str]]:
        """Non-blank CSV records in file order, the header first, read as parse_csv_text reads."""
        with open(self.path, encoding=self.encoding, newline="") as handle:
            if not (report and self.progress is not None):
                yield from self._parse(iter(handle))
                return
            size = self.path.stat().st_size
            for n, row in enumerate(self._parse(iter(handle))):
                if n % 5_000 == 0:
                    # The checking stage counts the file's bytes twice: decoding, then records.
                    self.progress("checking", size + handle.buffer.tell(), 2 * size)
                yield row

    def _parse(self, lines: Iterator[str]) -> Iterator[list[str]]:
        first: list[str] = []
        for line in lines:
            first.append(line)
            if line.endswith("\n") or sum(map(len, first)) > _FIRST_LINE_LIMIT:
                break
        if first:
            first[0] = first[0].removeprefix("\ufeff")
        opening = "".join(first)
        self.delimiter, rest = data._delimiter(opening)
        if rest != opening:
            first = []  # an Excel 'sep=;' line, which is not a record
        reader = csv.reader(
            itertools.chain(first, lines), delimiter=self.delimiter, strict=True
        )
        record_start = 1
        limit = csv.field_size_limit()
        csv.field_size_limit(data.MAX_CELL_CHARS)
        try:
            for row in reader:
                record_start = reader.line_num + 1
                if any(cell.strip() for cell in row):
                    yield row
        except csv.Error as exc:
            raise DataError(
                data._csv_problem(str(exc), self.name, record_start, reader.line_num)
            ) from None
        finally:
            csv.field_size_limit(limit)

    def ranges(self, *, block_bytes: int) -> list[tuple[int, int, int]] | None:
        """Cut the body into byte ranges of whole records, about ``block_bytes`` each.

        Returns ``(first row, start byte, end byte)`` triples, or None when the file has bare
        carriage returns (old Mac line ends), which only a text-mode reader splits correctly.
        """
        if self.bare_cr:
            return None
        consumed = 0

        def lines() -> Iterator[str]:
            nonlocal consumed
            decoder = codecs.getincrementaldecoder(self.encoding)()
            with open(self.path, "rb") as handle:
                for raw in handle:  # every line ends in b"\n": no bare CRs here
                    consumed += len(raw)
                    yield decoder.decode(raw)

        records = self._parse(lines())
        next(records)
        cuts: list[tuple[int, int, int]] = []
        row, start = 0, consumed
        first_row = 0
        for _ in records:
            row += 1
            if consumed - start >= block_bytes:
                cuts.append((first_row, start, consumed))
                first_row, start = row, consumed
        if consumed > start:
            cuts.append((first_row, start, consumed))
        return cuts

    def read_range(self, first_row: int, start: int, end: int) -> pd.DataFrame:
        """The rows of one range from :meth:`ranges`, as a slice of read_table's frame."""
        with open(self.path, "rb") as handle:
            handle.seek(start)
            raw = handle.read(end - start)
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        width = len(self.columns)
        limit = csv.field_size_limit()
        csv.field_size_limit(data.MAX_CELL_CHARS)
        try:
            reader = csv.reader(io.StringIO(raw.decode(encoding), newline=""), delimiter=self.delimiter, strict=True)
            body = [(r + [""] * width)[:width] for r in reader if any(c.strip() for c in r)]
        finally:
            csv.field_size_limit(limit)
        frame = pd.DataFrame(body, columns=self.columns, dtype=object)
        frame.index = pd.RangeIndex(first_row, first_row + len(body))
        return frame

    def frames(self, chunk_size: int) -> Iterator[pd.DataFrame]:
        width = len(self.columns)
        records = self._records()
        next(records)  # the header, checked already
        start = 0
        while True:
            body = [(r + [""] * width)[:width] for r in itertools.islice(records, chunk_size)]
            if not body:
                return
            frame = pd.DataFrame(body, columns=self.columns, dtype=object)
            frame.index = pd.RangeIndex(start, start + len(body))
            start += len(body)
            yield frame


@dataclass
class _Newlines:
    """Line breaks in one column: the most in one cell (first such row) and the total."""

    worst: int = 0
    where: int = 0
    total: int = 0

    def add(self, count: int, row: int) -> None:
        self.total += count
        if count > self.worst:
            self.worst, self.where = count, row


@dataclass
class _ByteFacts:
    content: bool = False
    nuls: int = 0
    utf8_ok: bool = True
    utf8_error_line: int = 0
    utf8_sequence: bool = False
    cp1252_ok: bool = True
    bare_cr: bool = False


def _byte_facts(handle: io.BufferedIOBase, *, size: int, progress: Progress | None) -> _ByteFacts:
    """What decode_csv_bytes learns from the whole file, learnt a block at a time."""
    facts = _ByteFacts()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    offset = 0  # bytes of the body (after any BOM) decoded so far
    newlines = 0
    tail = b""
    bom = 0
    done = 0
    while block := handle.read(_BLOCK):
        if done == 0 and block.startswith(codecs.BOM_UTF8):
            bom = 3
            block = block[3:]
        done += len(block) + (bom if done == 0 else 0)
        facts.content = facts.content or bool(block.strip())
        facts.nuls += block.count(0)
        joined = tail + block
        facts.bare_cr = facts.bare_cr or joined[:-1].count(b"\r") > joined.count(b"\r\n")
        facts.utf8_sequence = facts.utf8_sequence or bool(data._UTF8_SEQUENCE.search(joined))
        tail = joined[-2:]
        if facts.utf8_ok:
            try:
                utf8.decode(block)
            except UnicodeDecodeError as exc:
                facts.utf8_ok = False
                # exc.start counts from the body; decode_csv_bytes counts that many bytes of
                # the file, BOM included, to name the line.
                where = offset - len(utf8.getstate()[0]) + exc.start - bom
                facts.utf8_error_line = newlines + block[: max(0, where - offset)].count(b"\n") + 1
            newlines += block.count(b"\n")
            offset += len(block)
        if facts.cp1252_ok:
            try:
                cp1252.decode(block)
            except UnicodeDecodeError:
                facts.cp1252_ok = False
        if progress is not None:
            progress("checking", done, 2 * size)
    if facts.utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            facts.utf8_ok = False
            facts.utf8_error_line = newlines + 1
    return facts


# -- coding chunks -------------------------------------------------------------------------------


@dataclass
class CodedChunk:
    """One coded chunk as the writer needs it: CSV text or a spreadsheet-safe frame."""

    rows: int
    flagged: int
    report: CellReport
    counts: dict[str, int]
    payload: str | pd.DataFrame


def _code_chunk(
    bundle: Bundle,
    frame: pd.DataFrame,
    *,
    classify: ChunkFunction,
    tally: Tally | None,
    first: bool,
    as_csv: bool,
) -> CodedChunk:
    coded = classify(bundle, frame)
    report = CellReport()
    safe = data.safe_frame(coded, report)
    if not first:
        # safe_frame also checks the header, which is written (and counted) once.
        subtract_report(report, header_report(coded.columns))
    flagged = int((coded["needs_review"] == "true").sum()) if "needs_review" in coded else 0
    counts = tally(coded) if tally is not None else {}
    if as_csv:
        payload: str | pd.DataFrame = safe.to_csv(None, index=False, header=first, lineterminator="\r\n")
    else:
        payload = safe
    return CodedChunk(rows=len(coded), flagged=flagged, report=report, counts=counts, payload=payload)


def header_report(columns: Sequence[object]) -> CellReport:
    """What making a header row spreadsheet-safe changes (counted once per output, not per chunk)."""
    report = CellReport()
    for column in columns:
        data.safe_cell(str(column), report)
    return report


def subtract_report(report: CellReport, other: CellReport) -> None:
    """Take ``other``'s counts off ``report``, in place."""
    for f in fields(CellReport):
        setattr(report, f.name, getattr(report, f.name) - getattr(other, f.name))


def add_report(report: CellReport, other: CellReport) -> None:
    """Add ``other``'s counts to ``report``, in place."""
    for f in fields(CellReport):
        setattr(report, f.name, getattr(report, f.name) + getattr(other, f.name))


# What each worker process keeps of the model it was sent, by token.
_WORKER: dict[str, object] = {}


def start_workers(jobs: int):  # noqa: ANN201 - a loky executor
    """Start ``jobs`` worker processes now and have them import what coding needs.

    Called before the model is loaded, so that the workers' start-up (libraries, spaCy's
    tables) overlaps the main process's own loading and checking instead of following it.
    """
    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=jobs, initializer=_warm_worker, reuse=False)
    for _ in range(jobs):
        executor.submit(_ready)  # processes start on the first submissions
    return executor


def _warm_worker() -> None:
    from . import model  # noqa: F401 - scikit-learn, numpy, scipy
    from .predict import classify_frame  # noqa: F401 - pandas
    from .text import _lemma_lookup, blank_pipeline

    blank_pipeline()
    _lemma_lookup()


def _ready() -> bool:
    return True


def _code_in_worker(
    token: str, model: tuple | None, frame: pd.DataFrame, first: bool, as_csv: bool
) -> tuple[bool, CodedChunk | None]:
    """Code a chunk with the model of run ``token``: (whether this task installed the model,
    the coded chunk or None if this worker has not been sent the model)."""
    installed = False
    if _WORKER.get("token") != token:
        if model is None:
            return False, None
        bundle, classify, tally = model
        _WORKER.update(token=token, bundle=bundle, classify=classify, tally=tally)
        gc.freeze()  # as in `themes classify`: the collector stops walking the model
        installed = True
    coded = _code_chunk(
        _WORKER["bundle"], frame, classify=_WORKER["classify"], tally=_WORKER["tally"],
        first=first, as_csv=as_csv,
    )
    return installed, coded


@dataclass
class _Sent:
    """A chunk given to a worker, kept so that this process can code it if the worker has no model."""

    future: Future
    frame: pd.DataFrame
    first: bool


def code_chunks(
    bundle: Bundle,
    frames: Iterator[pd.DataFrame],
    *,
    classify: ChunkFunction,
    tally: Tally | None = None,
    jobs: int = 1,
    as_csv: bool = True,
    executor=None,  # noqa: ANN001 - from start_workers(jobs - 1)
) -> Iterator[CodedChunk]:
    """Code frames in order with ``jobs`` processes: this one and ``jobs - 1`` workers
    (``executor``, from :func:`start_workers`, or new ones).

    This process has the model loaded already and would otherwise only wait, so it codes a
    chunk itself whenever the workers have two queued each; while they start up it codes
    everything. At most ``4 * jobs`` chunks are held, so memory does not grow with the input.
    """
    if jobs <= 1:
        for i, frame in enumerate(frames):
            yield _code_chunk(bundle, frame, classify=classify, tally=tally, first=i == 0, as_csv=as_csv)
        return
    import uuid

    own = executor is None
    if own:
        executor = start_workers(jobs - 1)
    model = (bundle, classify, tally)
    token = uuid.uuid4().hex
    # Pickling the 7 MB model costs each side about 30 ms a task, so tasks carry it only until
    # every worker says it has it. Which worker takes a task is loky's choice: a worker given
    # none (one restarted, say) hands its chunk back to be coded here, and the model travels
    # again.
    installed = 0
    held: deque = deque()  # in file order: a _Sent, or a chunk this process coded

    def result(item: _Sent | CodedChunk) -> CodedChunk:
        nonlocal installed
        if isinstance(item, CodedChunk):
            return item
        new, coded = item.future.result()
        installed += new
        if coded is None:
            installed -= 1
            coded = _code_chunk(bundle, item.frame, classify=classify, tally=tally, first=item.first, as_csv=as_csv)
        return coded

    try:
        for i, frame in enumerate(frames):
            queued = sum(1 for item in held if isinstance(item, _Sent) and not item.future.done())
            if queued < 2 * (jobs - 1):
                sent = model if installed < jobs - 1 else None
                future = executor.submit(_code_in_worker, token, sent, frame, i == 0, as_csv)
                held.append(_Sent(future, frame, i == 0))
            else:
                held.append(_code_chunk(bundle, frame, classify=classify, tally=tally, first=i == 0, as_csv=as_csv))
            while held and (len(held) >= 4 * jobs or not isinstance(held[0], _Sent) or held[0].future.done()):
                yield result(held.popleft())
        while held:
            yield result(held.popleft())
    except BaseException:
        for item in held:
            if isinstance(item, _Sent):
                item.future.cancel()
        executor.shutdown(wait=False, kill_workers=True)
        raise
    if own:
        executor.shutdown(wait=True)


def tapered(frames: Iterator[pd.DataFrame], *, rows: int, chunk_size: int, jobs: int) -> Iterator[pd.DataFrame]:
    """The same rows, with the chunks of the last ``2 * jobs`` chunks' worth cut in quarters.

    A run ends when its slowest process does: this process, out of rows to read, would otherwise
    wait for a worker's last two whole chunks with its own core idle (about a tenth of a
    100,000-row run on 2 cores). Output does not depend on where chunks are cut.
    """
    if jobs <= 1:
        yield from frames
        return
    tail = rows - 2 * jobs * chunk_size
    piece = max(1, chunk_size // 4)
    for frame in frames:
        if len(frame) == 0 or frame.index[0] < tail:
            yield frame
            continue
        for start in range(0, len(frame), piece):
            yield frame.iloc[start : start + piece]


# -- writing as we go ----------------------------------------------------------------------------


class _CsvSink:
    """UTF-8 with BOM and CRLF, as data.write_table writes: one BOM, one header."""

    def __init__(self, tmp: Path) -> None:
        self._handle = open(tmp, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115

    def write(self, coded: CodedChunk) -> None:
        self._handle.write(coded.payload)

    def close(self) -> None:
        self._handle.close()

    def abort(self) -> None:
        self._handle.close()


class _XlsxSink:
    """A write-only workbook laid out as data.write_workbook lays one out, a row at a time."""

    def __init__(self, tmp: Path, *, wrap: Callable[[str], bool], sheet_name: str = "Complaints") -> None:
        from openpyxl import Workbook

        self._tmp = tmp
        self._wrap = wrap
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(data._sheet_title(sheet_name, []))
        self._waiting: list[pd.DataFrame] = []
        self._wrapped: list[bool] | None = None

    def write(self, coded: CodedChunk) -> None:
        if self._wrapped is None:
            # Widths come from the first 200 rows, as in write_workbook: wait until we have them.
            self._waiting.append(coded.payload)
            if sum(len(f) for f in self._waiting) >= 200:
                self._start()
            return
        self._rows(coded.payload)

    def _start(self) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        waiting, self._waiting = self._waiting, []
        head = pd.concat(waiting).head(200) if waiting else pd.DataFrame()
        self._wrapped = []
        for j, column in enumerate(head.columns, start=1):
            values = [str(column)] + [str(v) for v in head[column].tolist()]
            longest = max(len(line) for v in values for line in (v.splitlines() or [""]))
            wrap = self._wrap(column) or longest > 60
            self._wrapped.append(wrap)
            width = 60 if wrap else max(8, min(longest + 2, 60))
            self._sheet.column_dimensions[get_column_letter(j)].width = width
        self._sheet.freeze_panes = "A2"
        self._alignment = Alignment(wrap_text=True, vertical="top")
        header = []
        for column in head.columns:
            cell = WriteOnlyCell(self._sheet, value=column)
            cell.font = Font(bold=True)
            cell.alignment = self._alignment
            header.append(cell)
        self._sheet.append(header)
        for frame in waiting:
            self._rows(frame)

    def _rows(self, frame: pd.DataFrame) -> None:
        from openpyxl.cell import WriteOnlyCell

        wrapped = self._wrapped or []
        for row in frame.itertuples(index=False):
            values = []
            for value, wrap in zip(row, wrapped, strict=True):
                value = data._xlsx_value(value)
                if wrap:
                    cell = WriteOnlyCell(self._sheet, value=value)
                    cell.alignment = self._alignment
                    value = cell
                values.append(value)
            self._sheet.append(values)

    def close(self) -> None:
        if self._wrapped is None:
            self._start()
        self._book.save(self._tmp)

    def abort(self) -> None:
        self._book.close()


def classify_file(
    bundle: Bundle,
    source: str | Path,
    target: str | Path,
    *,
    chunk_size: int = DEFAULT_CHUNK_ROWS,
    jobs: int = 1,
    executor=None,  # noqa: ANN001 - from start_workers
    progress: Progress | None = None,
    classify: ChunkFunction | None = None,
    tally: Tally | None = None,
    sheet: str | None = None,
    wrap: Callable[[str], bool] | None = None,
    check: Callable[[pd.DataFrame], object] | None = None,
) -> StreamResult:
    """Code ``source`` into ``target`` (.csv or .xlsx) a chunk at a time; return what was written.

    ``classify`` codes one chunk (default :func:`themes.predict.classify_frame`); ``tally``
    counts things in each coded chunk; ``check`` is called with a header-only frame before
    anything is coded (for checks on column names). The caller checks ``target`` with
    :func:`themes.data.check_output_path` first.
    """
    if classify is None:
        from .predict import classify_frame as classify
    target = Path(target)
    chunks = read_chunks(source, chunk_size=chunk_size, sheet=sheet, progress=progress)
    if check is not None:
        check(chunks.header_frame())
    as_csv = target.suffix.lower() not in data.XLSX_SUFFIXES
    if not as_csv and chunks.rows >= EXCEL_MAX_ROWS:
        raise OutputError(
            f"{chunks.name} has {chunks.rows:,} rows; an Excel sheet holds {EXCEL_MAX_ROWS - 1:,}: "
            "write a .csv file instead."
        )
    result = StreamResult()
    if progress is not None:
        progress("coding", 0, chunks.rows)
    with data.atomic_path(target) as tmp:
        sink = _CsvSink(tmp) if as_csv else _XlsxSink(tmp, wrap=wrap or _no_wrap)
        try:
            frames = tapered(iter(chunks), rows=chunks.rows, chunk_size=chunk_size, jobs=jobs)
            for coded in code_chunks(
                bundle, frames, classify=classify, tally=tally, jobs=jobs, as_csv=as_csv,
                executor=executor,
            ):
                sink.write(coded)
                _tally(result, coded)
                if progress is not None:
                    progress("coding", result.rows, chunks.rows)
        except BaseException:
            sink.abort()
            raise
        sink.close()
    return result


def _tally(result: StreamResult, coded: CodedChunk) -> None:
    result.rows += coded.rows
    result.flagged += coded.flagged
    add_report(result.report, coded.report)
    for key, value in coded.counts.items():
        result.counts[key] = result.counts.get(key, 0) + value


def _no_wrap(column: str) -> bool:
    return False


def wrap_names(names: Collection[str]) -> Callable[[str], bool]:
    """A wrap rule: columns whose lower-cased name is one of ``names``."""
    wanted = {n.lower() for n in names}
    return lambda column: str(column).lower() in wanted
