"""Classify past one machine: the same per-chunk function over the partitions of a Dask dataframe.

``themes classify --engine dask`` reads a CSV file, a folder (or glob) of CSV parts, or Parquet,
as partitions of verbatim text, codes each partition with the function the local engine applies
to each chunk (so every classify option means the same here), and writes a single CSV, a folder
of CSV parts (each UTF-8 with BOM and a header, for Excel) or a Parquet folder. Without a
scheduler address it starts a local cluster of ``jobs`` worker processes.

The bundle travels to each worker once, as one task of the graph. Dask, distributed and (for
Parquet) pyarrow are optional: ``pip install 'themes[dask]'``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from . import data
from .bundle import Bundle
from .errors import DataError, OutputError, UsageError
from .stream import ChunkFunction, CsvFile, StreamResult, Tally, add_report, header_report, subtract_report

DEFAULT_BLOCKSIZE = "64MB"
PARQUET = ".parquet"


def require_dask() -> None:
    """Raise a UsageError saying how to install Dask when it is missing."""
    missing = [m for m in ("dask", "distributed") if importlib.util.find_spec(m) is None]
    if missing or importlib.util.find_spec("dask.dataframe") is None:
        raise UsageError(
            "--engine dask needs Dask, which is not installed: pip install 'themes[dask]' "
            "(or leave out --engine dask to code on this machine)."
        )


def classify_partitions(
    bundle: Bundle,
    source: str | Path,
    target: str | Path,
    *,
    classify: ChunkFunction | None = None,
    tally: Tally | None = None,
    scheduler: str | None = None,
    jobs: int = 1,
    blocksize: str | int = DEFAULT_BLOCKSIZE,
    overwrite: bool = False,
    check: Callable[[pd.DataFrame], object] | None = None,
    processes: bool = True,
) -> StreamResult:
    """Code ``source`` partition by partition on a Dask cluster and write ``target``.

    ``target`` ending in .csv is one CSV file; ending in .parquet, a Parquet folder; with no
    suffix, a folder of CSV parts. ``scheduler`` is a cluster's address; without it a local
    cluster of ``jobs`` workers (processes unless ``processes=False``) runs for this call.
    """
    require_dask()
    import uuid

    import dask

    if classify is None:
        from .predict import classify_frame as classify
    source, target = Path(source), Path(target)
    kind = _output_kind(target, overwrite=overwrite, source=source)
    with dask.config.set({"dataframe.convert-string": False}), _client(scheduler, jobs, processes):
        frames = _read(source, blocksize=blocksize)
        sample = frames.head(5, npartitions=1, compute=True)
        if check is not None:
            check(sample.iloc[:0])
        # Coding a few rows here raises any problem with the columns before a partition is
        # coded, and tells each partition the columns and types it must write.
        coded_sample = classify(bundle, sample.reset_index(drop=True))
        layout = coded_sample.iloc[:0]
        schema = _arrow_schema(coded_sample) if kind == "parquet" else None
        # One task holds the model: each worker receives it once, however many partitions it codes.
        shared = dask.delayed(bundle, name=f"themes-bundle-{uuid.uuid4().hex}", traverse=False)
        with _staged(target, kind=kind, overwrite=overwrite) as staging:
            parts = staging if kind != "csv" else Path(tempfile.mkdtemp(prefix=".parts.", dir=target.parent))
            try:
                stats = frames.map_partitions(
                    _code_partition, shared_bundle=shared, classify=classify, tally=tally,
                    folder=str(parts), kind=kind, layout=layout, schema=schema, meta=_stats(layout, tally=None),
                    enforce_metadata=False, align_dataframes=False,
                ).compute()
                if kind == "csv":
                    _concatenate(sorted(parts.glob("part-*.csv"), key=_part_number), staging)
            finally:
                if kind == "csv":
                    shutil.rmtree(parts, ignore_errors=True)
    return _result(stats, header=list(layout.columns))


# -- reading ---------------------------------------------------------------------------------------


def _read(source: Path, *, blocksize: str | int):  # noqa: ANN202 - dask DataFrame
    if source.is_dir():
        csvs = sorted(p for p in source.iterdir() if p.suffix.lower() in data.CSV_SUFFIXES)
        parquets = sorted(p for p in source.iterdir() if p.suffix.lower() == PARQUET)
        if parquets and not csvs:
            return _read_parquet(source)
        if not csvs:
            raise DataError(f"{source} holds no .csv or .parquet files: give a file or a folder of them.")
        return _read_csv(csvs, blocksize=blocksize)
    if source.suffix.lower() == PARQUET:
        if not source.exists():
            raise DataError(f"{source} does not exist: check the file name and folder.")
        return _read_parquet(source)
    if any(ch in str(source) for ch in "*?["):
        matched = sorted(p for p in source.parent.glob(source.name) if p.is_file())
        if not matched:
            raise DataError(f"No file matches {source}: check the pattern.")
        return _read_csv(matched, blocksize=blocksize)
    if source.suffix.lower() not in data.CSV_SUFFIXES:
        # The local engine's reader names every other problem (missing, .xlsx, .xls ...).
        data.read_table(source)
        raise DataError(f"{source.name}: --engine dask reads .csv or .parquet; write the workbook as CSV.")
    if not source.is_file():
        data.read_table(source)
    return _read_csv([source], blocksize=blocksize)


def _read_csv(paths: list[Path], *, blocksize: str | int):  # noqa: ANN202
    """Partitions of whole records, read as the local engine reads (quoted line breaks too).

    dask's own read_csv cuts blocks at any line break, which splits a complaint whose text has
    several lines; here each file is checked and cut at record boundaries first.
    """
    import dask.dataframe as dd
    from dask.utils import parse_bytes

    block = parse_bytes(blocksize) if isinstance(blocksize, str) else int(blocksize)
    pieces: list[tuple[CsvFile, tuple[int, int, int] | None]] = []
    columns: list[str] | None = None
    for path in paths:
        scan = CsvFile(path)
        scan.check()
        if columns is None:
            columns = scan.columns
        elif scan.columns != columns:
            raise DataError(f"{path.name} has other columns than {paths[0].name}: give parts of one export.")
        ranges = scan.ranges(block_bytes=block)
        pieces += [(scan, r) for r in ranges] if ranges is not None else [(scan, None)]
    meta = pd.DataFrame(columns=columns, dtype=object)
    return dd.from_map(_read_piece, pieces, meta=meta, enforce_metadata=False, label="themes-read-csv")


def _read_piece(piece: tuple[CsvFile, tuple[int, int, int] | None]) -> pd.DataFrame:
    scan, byte_range = piece
    if byte_range is None:
        return pd.concat(list(scan.frames(1 << 30)))
    return scan.read_range(*byte_range)


def _read_parquet(source: Path):  # noqa: ANN202
    import dask.dataframe as dd

    _require_pyarrow("read Parquet")
    frames = dd.read_parquet(str(source))
    return frames.map_partitions(_as_text, meta=pd.DataFrame(columns=frames.columns, dtype=object))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet columns as the text every reader gives: missing is empty, the rest is str()."""
    return pd.DataFrame(
        {c: ["" if pd.isna(v) else str(v) for v in frame[c]] for c in frame.columns},
        columns=frame.columns, dtype=object,
    )


# -- coding ----------------------------------------------------------------------------------------


def _code_partition(
    frame: pd.DataFrame,
    *,
    shared_bundle: Bundle,
    classify: ChunkFunction,
    tally: Tally | None,
    folder: str,
    kind: str,
    layout: pd.DataFrame,
    schema: object = None,
    partition_info: dict | None = None,
) -> pd.DataFrame:
    """Code one partition, write it as one part file, and return its counts (one row)."""
    number = (partition_info or {}).get("number", 0)
    frame = frame.reset_index(drop=True)
    coded = classify(shared_bundle, frame) if len(frame) else layout
    stats = _stats(coded, tally=tally)
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(coded[list(layout.columns)], schema=schema, preserve_index=False)
        pq.write_table(table, Path(folder) / f"part.{number:05d}.parquet")
    else:
        # CSV parts each open in Excel (BOM and header); parts of one CSV are joined as bytes,
        # so only the first has them.
        whole = kind == "parts" or number == 0
        data.safe_frame(coded).to_csv(
            Path(folder) / f"part-{number:05d}.csv", index=False, header=whole,
            encoding="utf-8-sig" if whole else "utf-8", lineterminator="\r\n",
        )
    return stats


def _part_number(path: Path) -> int:
    return int(path.stem.rpartition("-")[2])


def _arrow_schema(coded: pd.DataFrame) -> object:
    """One Parquet schema for every part, from coded rows (an empty frame has no types)."""
    import pyarrow as pa

    return pa.Schema.from_pandas(coded, preserve_index=False)


def _concatenate(parts: list[Path], target: Path) -> None:
    with open(target, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)


def _stats(coded: pd.DataFrame, *, tally: Tally | None) -> pd.DataFrame:
    report = data.CellReport()
    data.safe_frame(coded, report)
    row = {
        "rows": len(coded),
        "flagged": int((coded["needs_review"] == "true").sum()) if "needs_review" in coded else 0,
        "neutralised": report.neutralised,
        "truncated": report.truncated,
        "control_replaced": report.control_replaced,
    }
    for key, value in (tally(coded) if tally is not None else {}).items():
        row[f"count:{key}"] = value
    return pd.DataFrame([row])


def _result(stats: pd.DataFrame, *, header: list[str]) -> StreamResult:
    result = StreamResult()
    for row in stats.to_dict("records"):
        result.rows += int(row["rows"])
        result.flagged += int(row["flagged"])
        partial = data.CellReport(
            neutralised=int(row["neutralised"]), truncated=int(row["truncated"]),
            control_replaced=int(row["control_replaced"]),
        )
        add_report(result.report, partial)
        for key, value in row.items():
            if key.startswith("count:") and not pd.isna(value):
                name = key.removeprefix("count:")
                result.counts[name] = result.counts.get(name, 0) + int(value)
    # Every partition counted the header's cells; count them once, as the local engine does.
    extra = header_report(header)
    for _ in range(len(stats) - 1):
        subtract_report(result.report, extra)
    return result


# -- writing ---------------------------------------------------------------------------------------


def _output_kind(target: Path, *, overwrite: bool, source: Path) -> str:
    suffix = target.suffix.lower()
    if suffix in data.CSV_SUFFIXES:
        kind = "csv"
    elif suffix == PARQUET:
        kind = "parquet"
        _require_pyarrow("write Parquet")
    elif suffix == "":
        kind = "parts"
    else:
        raise OutputError(
            f"Output {target.name}: with --engine dask write a .csv file, a .parquet folder, or a "
            "folder name without a suffix for CSV parts."
        )
    if target.resolve() == source.resolve():
        raise OutputError(f"The output {target} is also the input: choose another output name.")
    if target.exists() and not overwrite:
        raise OutputError(f"{target} already exists: add --overwrite to replace it.")
    if not target.parent.exists():
        raise OutputError(f"The folder {target.parent} does not exist: create it first.")
    return kind


def _require_pyarrow(what: str) -> None:
    if importlib.util.find_spec("pyarrow") is None:
        raise UsageError(f"To {what}, install pyarrow: pip install 'themes[dask]'.")


@contextlib.contextmanager
def _staged(target: Path, *, kind: str, overwrite: bool) -> Iterator[Path]:
    """A temporary file or folder beside ``target``, moved into place only when complete."""
    if kind == "csv":
        with data.atomic_path(target) as tmp:
            yield tmp
        return
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        yield staging
        if target.exists() and overwrite:
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


@contextlib.contextmanager
def _client(scheduler: str | None, jobs: int, processes: bool) -> Iterator[object]:
    import logging

    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"Cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}): check the "
                "address and that the scheduler is running."
            ) from None
        with client:
            yield client
        return
    with LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=processes, dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster) as client:
        yield client
