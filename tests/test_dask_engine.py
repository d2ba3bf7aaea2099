"""--engine dask: the same per-chunk function over partitions, on a LocalCluster."""

from __future__ import annotations

import importlib.util
from functools import partial

import pandas as pd
import pytest

from themes import bundle as bundle_io
from themes import dask_engine
from themes.cli import app
from themes.errors import DataError, OutputError, UsageError
from themes.predict import classify_frame

from .test_stream import export, whole_file

pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

NO_EVIDENCE = partial(classify_frame, evidence=False)
BLOCK = 1500  # bytes: a few partitions even for a small file


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def loaded(small_bundle):
    return bundle_io.load(small_bundle)


def code(loaded, source, target, cluster, **options):
    return dask_engine.classify_partitions(
        loaded, source, target, classify=NO_EVIDENCE, scheduler=cluster, blocksize=BLOCK, **options
    )


def partitions(source) -> int:
    return len(dask_engine._read(source, blocksize=BLOCK).to_delayed())


def test_single_csv_is_the_local_engines_bytes(loaded, cluster, tmp_path):
    source = export(tmp_path / "in.csv", copies=10)
    assert partitions(source) > 2
    expected, report = whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    result = code(loaded, source, tmp_path / "dask.csv", cluster)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert result.rows == len(expected) == 80
    assert result.flagged == int((expected["needs_review"] == "true").sum())
    assert result.report == report


def test_csv_parts_each_open_in_excel(loaded, cluster, tmp_path):
    source = export(tmp_path / "in.csv", copies=10)
    expected, _ = whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    code(loaded, source, tmp_path / "parts", cluster)
    parts = sorted((tmp_path / "parts").glob("part-*.csv"))
    assert len(parts) > 1
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbfComplaint Ref,") for p in parts)
    joined = pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig") for p in parts
    )
    whole = pd.read_csv(tmp_path / "whole.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(joined.reset_index(drop=True), whole)


def test_parquet_in_and_out(loaded, cluster, tmp_path):
    pytest.importorskip("pyarrow")
    source = export(tmp_path / "in.csv", copies=10)
    expected = classify_frame(loaded, pd.read_csv(source, dtype=str, keep_default_na=False), evidence=False)
    code(loaded, source, tmp_path / "out.parquet", cluster)
    got = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # Parquet is an input too, read as text; its output is the same rows.
    pd.read_csv(source, dtype=str, keep_default_na=False).to_parquet(tmp_path / "in.parquet")
    rerun = code(loaded, tmp_path / "in.parquet", tmp_path / "from_parquet.csv", cluster)
    assert rerun.rows == len(expected)
    again = pd.read_csv(tmp_path / "from_parquet.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert again["causes"].tolist() == expected["causes"].tolist()


def test_folder_of_csv_parts_as_input(loaded, cluster, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    export(folder / "a.csv", copies=1)
    export(folder / "b.csv", copies=10)
    result = code(loaded, folder, tmp_path / "o.csv", cluster)
    assert result.rows == 88
    coded = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert coded["Complaint Ref"].tolist()[:8] == [f"C{i}-0" for i in range(1, 9)]


def test_refusals(loaded, cluster, tmp_path):
    source = export(tmp_path / "in.csv", copies=1)
    (tmp_path / "taken.csv").write_text("x")
    with pytest.raises(OutputError, match="--overwrite"):
        code(loaded, source, tmp_path / "taken.csv", cluster)
    with pytest.raises(OutputError, match=".parquet folder"):
        code(loaded, source, tmp_path / "o.xlsx", cluster)
    with pytest.raises(DataError, match="does not exist"):
        code(loaded, tmp_path / "missing.csv", tmp_path / "o.csv", cluster)
    with pytest.raises(DataError, match="No column .Words."):
        dask_engine.classify_partitions(
            loaded, source, tmp_path / "o.csv", scheduler=cluster,
            classify=partial(classify_frame, text_column="Words", evidence=False),
        )
    assert not (tmp_path / "o.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "taken.csv"]


def test_missing_dask_is_a_usage_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(UsageError, match=r"pip install 'themes\[dask\]'"):
        dask_engine.require_dask()


def test_command_on_a_scheduler(runner, small_bundle, loaded, cluster, tmp_path):
    source = export(tmp_path / "in.csv", copies=2)
    whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    out = tmp_path / "cli.csv"
    result = runner.invoke(
        app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle), "--no-evidence",
              "--engine", "dask", "--scheduler", cluster],
    )
    assert result.exit_code == 0, result.output
    assert "Coded 16 complaints" in result.output
    assert out.read_bytes() == (tmp_path / "whole.csv").read_bytes()
