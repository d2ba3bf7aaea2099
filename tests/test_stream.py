"""Streamed classify: chunked reading equals read_table, and the output equals the whole-file path."""

from __future__ import annotations

import csv
import io
from functools import partial

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themes import bundle as bundle_io
from themes import data, stream
from themes.cli import app
from themes.errors import DataError, OutputError
from themes.predict import classify_frame

ROWS = [
    ("C1", "The social worker never returned my calls about the review."),
    ("C2", "=HYPERLINK(\"x\") my son's placement moved with no notice"),
    ("C3", "Nobody told us about the child protection conference, N/A"),
    ("C4", ""),
    ("C5", "Line one of the letter.\nLine two: the plan was not shared, None of it."),
    ("C6", "Contact with my daughter was cancelled three times by text"),
    ("C7", "+44 number given out; my address was shared with the other parent"),
    ("C8", "The assessment was wrong and the manager would not listen to us"),
]


def export(path, rows=ROWS, *, copies=3):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Complaint Ref", "Description", "Team"])
        for k in range(copies):
            for ref, text in rows:
                writer.writerow([f"{ref}-{k}", text, "Children in Care"])
    return path


def whole_file(bundle, source, target, **options):
    """The non-streamed path: read_table, classify_frame, write_table."""
    frame = data.read_table(source)
    coded = classify_frame(bundle, frame, **options)
    report = data.write_table(coded, target, wrap_columns=["Description"])
    return coded, report


@pytest.fixture(scope="module")
def loaded(small_bundle):
    return bundle_io.load(small_bundle)


# -- reading ---------------------------------------------------------------------------------

READABLE = {
    "plain": b"id,text\r\n1,alpha\r\n2,beta\r\n3,gamma\r\n",
    "bom and LF": b"\xef\xbb\xbfid,text\n1,None\n2,NA\n3,N/A\n",
    "cp1252": b"id,text\n1,caf\xe9 \x93quoted\x94\n2,\x80 10\n",
    "semicolons": b"id;text\n1;a, b\n2;c\n",
    "sep line": b"sep=;\r\nid;text\r\n1;x\r\n2;y\r\n",
    "tabs": b"id\ttext\n1\tx y\n",
    "blank rows": b"\n,\nid,text\n\n1,x\n , \n2,y\n",
    "trailing empty columns": b"id,text,,\n1,x,,\n2,y,\n3,z\n",
    "short and padded rows": b"id,text,team\n1,x\n2,y,z\n3\n",
    "quoted newlines": b'id,text\n1,"a\r\nb"\n2,"c\n\nd"\n3,"e ""quoted"""\n',
    "cr only": b"id,text\r1,x\r2,y\r",
    "header spaces": b" id , text \n1, spaced \n",
    "no final newline": b"id,text\n1,x",
}


@pytest.mark.parametrize("name", sorted(READABLE))
@pytest.mark.parametrize("chunk_size", [1, 2, 1000])
def test_chunks_are_slices_of_read_table(tmp_path, name, chunk_size):
    path = tmp_path / "in.csv"
    path.write_bytes(READABLE[name])
    whole = data.read_table(path)
    chunks = stream.read_chunks(path, chunk_size=chunk_size)
    frames = list(chunks)
    assert all(len(f) <= chunk_size for f in frames)
    assert chunks.rows == len(whole) and chunks.columns == list(whole.columns)
    pd.testing.assert_frame_equal(pd.concat(frames), whole)


UNREADABLE = {
    "empty": b"",
    "only spaces": b"  \r\n \n",
    "only blank cells": b",,\n,\n",
    "header only": b"id,text\n",
    "blank column name": b"id,,text\n1,x,y\n",
    "unnamed column with data": b"id,text,\n1,x,\n2,y,kept\n",
    "repeated column": b"id,Text,text\n1,x,y\n",
    "stray cells": b"id,text\n1,x\n2,y,z\n3,a,b,c\n",
    "unclosed quote": b'id,text\n1,"never closed\n2,y\n',
    "text after quote": b'id,text\n1,"a"b\n',
    "utf-16": "id,text\n1,x\n".encode("utf-16"),
    "zip": b"PK\x03\x04rest of a workbook",
    "old excel": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
    "mixed encodings": "id,text\n1,café\n".encode() + b"2,caf\xe9\n",
    "undecodable": b"id,text\n1,\x81\x8d\x8f\x90\n",
    "binary": b"id,text\n" + bytes(range(1, 32)) * 40,
    "many nuls": b"id,text\n" + b"1,x\x00\x00\x00\n" * 20,
    "swallowed": b'id,text\n1,"' + b"line\n" * 250 + b'end"\n2,y\n',
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_errors_are_read_tables_errors(tmp_path, name):
    path = tmp_path / "bad.csv"
    path.write_bytes(UNREADABLE[name])
    with pytest.raises(DataError) as expected:
        data.read_table(path)
    with pytest.raises(DataError) as got:
        stream.read_chunks(path, chunk_size=2)
    assert str(got.value) == str(expected.value)


def test_paths_and_workbooks_take_the_read_table_road(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        stream.read_chunks(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="folder"):
        stream.read_chunks(tmp_path)
    book = tmp_path / "in.xlsx"
    pd.DataFrame({"id": ["1", "2", "3"], "text": ["a", "b", "c"]}).to_excel(book, index=False)
    chunks = stream.read_chunks(book, chunk_size=2)
    assert [len(f) for f in chunks] == [2, 1]
    pd.testing.assert_frame_equal(pd.concat(list(chunks)), data.read_table(book))


cells = st.text(alphabet=st.sampled_from(list("ab ,;\"'\n\r\t=+é€1")), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=8),
    chunk_size=st.integers(1, 4),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_any_table_reads_the_same(tmp_path, body, chunk_size, encoding):
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows([["id", "text", "team"], *body])
    path = tmp_path / "any.csv"
    path.write_bytes(text.getvalue().encode(encoding, errors="replace"))
    try:
        whole = data.read_table(path)
    except DataError as exc:
        with pytest.raises(DataError) as got:
            stream.read_chunks(path, chunk_size=chunk_size)
        assert str(got.value) == str(exc)
        return
    pd.testing.assert_frame_equal(pd.concat(list(stream.read_chunks(path, chunk_size=chunk_size))), whole)


# -- coding and writing -------------------------------------------------------------------------


def test_streamed_csv_is_byte_identical(loaded, tmp_path):
    source = export(tmp_path / "in.csv")
    expected, report = whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    seen = []
    result = stream.classify_file(
        loaded, source, tmp_path / "streamed.csv", chunk_size=5,
        classify=partial(classify_frame, evidence=False),
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert result.rows == len(expected) == 24
    assert result.flagged == int((expected["needs_review"] == "true").sum())
    assert result.report == report and result.report.neutralised == 6
    assert seen[-1] == ("coding", 24, 24)
    assert [d for s, d, _ in seen if s == "coding"] == [0, 5, 10, 15, 20, 24]


def test_default_chunk_function_is_classify_frame(loaded, tmp_path):
    source = export(tmp_path / "in.csv", copies=1)
    whole_file(loaded, source, tmp_path / "whole.csv")
    stream.classify_file(loaded, source, tmp_path / "streamed.csv", chunk_size=3)
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_two_worker_processes_write_the_same_bytes(loaded, tmp_path):
    source = export(tmp_path / "in.csv")
    whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    result = stream.classify_file(
        loaded, source, tmp_path / "jobs.csv", chunk_size=4, jobs=2,
        classify=partial(classify_frame, evidence=False),
    )
    assert result.rows == 24
    assert (tmp_path / "jobs.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_the_last_chunks_are_cut_smaller_when_processes_share_the_work():
    frame = pd.DataFrame({"text": [f"t{i}" for i in range(23)]})
    chunks = [frame.iloc[i : i + 4] for i in range(0, 23, 4)]
    sizes = lambda jobs: [len(f) for f in stream.tapered(iter(chunks), rows=23, chunk_size=4, jobs=jobs)]
    assert sizes(1) == [4, 4, 4, 4, 4, 3]
    # 2 jobs: the last 2 * 2 * 4 = 16 rows (chunks starting at row 7 or later) go a row at a time.
    assert sizes(2) == [4, 4] + [1] * 15
    pieces = list(stream.tapered(iter(chunks), rows=23, chunk_size=4, jobs=2))
    assert pd.concat(pieces).equals(frame)


def test_workbook_output_matches_write_workbook(loaded, tmp_path):
    from openpyxl import load_workbook

    source = export(tmp_path / "in.csv", copies=30)  # 240 rows: widths come from the first 200
    whole_file(loaded, source, tmp_path / "whole.xlsx", evidence=False)
    stream.classify_file(
        loaded, source, tmp_path / "streamed.xlsx", chunk_size=50,
        classify=partial(classify_frame, evidence=False), wrap=stream.wrap_names(["description"]),
    )
    want = load_workbook(tmp_path / "whole.xlsx").active
    got = load_workbook(tmp_path / "streamed.xlsx").active
    assert [[c.value for c in r] for r in got.iter_rows()] == [[c.value for c in r] for r in want.iter_rows()]
    assert got.freeze_panes == want.freeze_panes == "A2"
    for letter, dim in want.column_dimensions.items():
        assert got.column_dimensions[letter].width == dim.width
    assert got["B2"].alignment.wrap_text and got["A1"].font.bold


def test_tally_sums_over_chunks(loaded, tmp_path):
    source = export(tmp_path / "in.csv")
    result = stream.classify_file(
        loaded, source, tmp_path / "o.csv", chunk_size=7,
        classify=partial(classify_frame, evidence=False),
        tally=lambda coded: {"empty": int((coded["Description"] == "").sum())},
    )
    assert result.counts == {"empty": 3}


def failing_on_second_chunk(bundle, frame):
    if frame.index[0] > 0:
        raise DataError("the second chunk is refused")
    return classify_frame(bundle, frame, evidence=False)


def test_an_error_mid_file_leaves_no_output(loaded, tmp_path):
    source = export(tmp_path / "in.csv")
    target = tmp_path / "o.csv"
    with pytest.raises(DataError, match="second chunk"):
        stream.classify_file(loaded, source, target, chunk_size=5, classify=failing_on_second_chunk)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.csv"]


def test_chunks_are_read_as_they_are_coded(loaded, tmp_path):
    """Memory stays bounded: the reader is never more than one chunk ahead of the writer."""
    source = export(tmp_path / "in.csv", copies=5)
    pulled = []

    def frames():
        for frame in stream.read_chunks(source, chunk_size=4):
            pulled.append(len(frame))
            yield frame

    coded = stream.code_chunks(loaded, frames(), classify=partial(classify_frame, evidence=False))
    for done, _ in enumerate(coded, start=1):
        assert len(pulled) == done
    assert sum(pulled) == 40


def test_workbook_too_long_for_excel_is_refused_first(loaded, tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "EXCEL_MAX_ROWS", 10)
    source = export(tmp_path / "in.csv")
    with pytest.raises(OutputError, match="write a .csv"):
        stream.classify_file(loaded, source, tmp_path / "o.xlsx")
    assert not (tmp_path / "o.xlsx").exists()


# -- the command -----------------------------------------------------------------------------------


def test_classify_command_streams(runner, small_bundle, loaded, tmp_path):
    source = export(tmp_path / "in.csv")
    whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    out = tmp_path / "cli.csv"
    result = runner.invoke(
        app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle),
              "--chunk-size", "5", "--no-evidence"],
    )
    assert result.exit_code == 0, result.output
    assert "Coded 24 complaints" in result.output
    assert out.read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_classify_command_checks_the_id_column_before_coding(runner, small_bundle, tmp_path):
    source = export(tmp_path / "in.csv", copies=1)
    out = tmp_path / "o.csv"
    result = runner.invoke(
        app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle), "--id-column", "Case"],
    )
    assert result.exit_code == 2 and "'Case'" in result.output
    assert not out.exists()


def test_scheduler_needs_the_dask_engine(runner, small_bundle, tmp_path):
    source = export(tmp_path / "in.csv", copies=1)
    result = runner.invoke(
        app, ["classify", str(source), "--out", str(tmp_path / "o.csv"), "--model", str(small_bundle),
              "--scheduler", "tcp://127.0.0.1:8786"],
    )
    assert result.exit_code == 2 and "--engine dask" in result.output


def test_sigterm_stops_like_ctrl_c():
    import os
    import signal

    from themes.cli.classify_cmd import stop_on_sigterm

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), stop_on_sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_early_workers_get_the_model_once_and_a_lambda_still_travels(loaded, tmp_path):
    """Workers started before the model (as the CLI does) code the same bytes, and a chunk
    function written in a notebook (a lambda) reaches them too."""
    source = export(tmp_path / "in.csv")
    whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    workers = stream.start_workers(2)
    try:
        stream.classify_file(
            loaded, source, tmp_path / "early.csv", chunk_size=3, jobs=2, executor=workers,
            classify=lambda bundle, frame: classify_frame(bundle, frame, evidence=False),
        )
    finally:
        workers.shutdown(wait=True)
    assert (tmp_path / "early.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


class TwoWorkers:
    """An executor whose two 'workers' take tasks in turn, each with its own remembered model."""

    def __init__(self):
        self.memories = [{}, {}]
        self.turn = 0
        self.handed_back = 0

    def submit(self, fn, *args):
        from concurrent.futures import Future

        memory = self.memories[self.turn % 2]
        self.turn += 1
        saved = dict(stream._WORKER)
        stream._WORKER.clear()
        stream._WORKER.update(memory)
        try:
            value = fn(*args)
        finally:
            memory.clear()
            memory.update(stream._WORKER)
            stream._WORKER.clear()
            stream._WORKER.update(saved)
        self.handed_back += value[1] is None
        future = Future()
        future.set_result(value)
        return future

    def shutdown(self, **options):
        pass


def test_workers_not_sent_the_model_hand_their_chunks_back(loaded, tmp_path, monkeypatch):
    """Only the first task per worker carries the model; a worker without it codes nothing,
    this process codes that chunk, and the model goes with the next task."""
    monkeypatch.setattr(stream.gc, "freeze", lambda: None)
    source = export(tmp_path / "in.csv")
    whole_file(loaded, source, tmp_path / "whole.csv", evidence=False)
    executor = TwoWorkers()
    stream.classify_file(
        loaded, source, tmp_path / "streamed.csv", chunk_size=2, jobs=2, executor=executor,
        classify=partial(classify_frame, evidence=False),
    )
    assert (tmp_path / "streamed.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert executor.handed_back >= 1
    assert all(memory.get("bundle") is loaded for memory in executor.memories)


def test_a_bad_model_with_two_jobs_stops_the_workers(runner, tmp_path):
    import psutil

    source = export(tmp_path / "in.csv", copies=1)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    result = runner.invoke(
        app, ["classify", str(source), "--out", str(tmp_path / "out.csv"), "--jobs", "2", "--model", str(tmp_path / "nope")]
    )
    assert result.exit_code != 0 and not (tmp_path / "out.csv").exists()
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    psutil.wait_procs(left, timeout=10)
    assert not [p for p in left if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
