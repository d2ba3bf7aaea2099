"""The coding loop: answers are durable at once, a killed session loses nothing, and it resumes."""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from themes import bundle as bundle_io
from themes.errors import DataError
from themes.labelling import AnswerLog, Item, LabellingSession, StreamKeys, build_queue
from themes.scheme import load

from .conftest import TRAINING

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schemes():
    return {"causes": load("causes"), "pillars": load("pillars")}


def _items() -> list[Item]:
    return [
        Item(2, "A1", "Nobody rang me back.", 0.1, {"causes": ["communication.delay_in_response"], "pillars": []}),
        Item(3, "=B2", "My allowance was not paid.", 0.2, {"causes": ["cost.payments_not_received"], "pillars": []}),
        Item(4, "C3", "They moved him without notice.", 0.3, {"causes": [], "pillars": ["planning"]}),
    ]


def _session(path, schemes, keys: str, items=None):  # noqa: ANN001, ANN202
    screen = io.StringIO()
    log = AnswerLog(path, list(schemes))
    session = LabellingSession(
        items or _items(), schemes, log, keys=StreamKeys(io.StringIO(keys)),
        console=Console(file=screen, width=100), already=len(log.done_ids()),
    )
    return session.run(), screen.getvalue(), log


def _answers(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_accept_edit_skip_quit(tmp_path, schemes):
    path = tmp_path / "labelled.csv"
    keys = "a\ne\n1 planning\nnot paid\n8\n.\na\ns\n"
    summary, screen, _ = _session(path, schemes, keys)
    assert (summary.saved, summary.skipped, summary.remaining) == (2, 1, 0)
    answers = _answers(path)
    assert list(answers.columns) == ["id", "text", "causes", "pillars", "coded_at"]
    assert answers["id"].tolist() == ["A1", "'=B2"]  # made inert for spreadsheets
    assert answers.loc[0, "causes"] == "communication.delay_in_response"
    second = answers.loc[1]
    assert set(second["causes"].split(";")) == {"communication.data_breach"}
    assert second["pillars"] == "planning"
    found = screen.split("match; type a number to toggle:")[1].split("edit >")[0]
    assert " 8 cost.payments_not_received" in found  # the search for "not paid", toggled off by number
    assert "Saved (2 coded" in screen


def test_resume_skips_answered_ids_including_inert_ones(tmp_path, schemes):
    path = tmp_path / "labelled.csv"
    _session(path, schemes, "a\na\nq\n")
    log = AnswerLog(path, list(schemes))
    assert log.done_ids() == {"A1", "=B2"}


def test_quit_and_end_of_input_keep_every_answer(tmp_path, schemes):
    path = tmp_path / "labelled.csv"
    summary, _, _ = _session(path, schemes, "a\n")  # input ends after one answer
    assert summary.quit and summary.saved == 1
    assert _answers(path)["id"].tolist() == ["A1"]


def test_a_torn_last_row_is_dropped_and_shown_again(tmp_path, schemes):
    path = tmp_path / "labelled.csv"
    _session(path, schemes, "a\nq\n")
    with open(path, "ab") as handle:
        handle.write(b'C3,"They moved him with')  # a crash mid-write: no line end, open quote
    log = AnswerLog(path, list(schemes))
    assert log.done_ids() == {"A1"}
    assert path.read_bytes().endswith(b"\r\n")
    log.append("C3", "They moved him without notice.", {"pillars": ["planning"]})
    assert _answers(path)["id"].tolist() == ["A1", "C3"]


def test_a_file_that_is_not_an_answer_file_is_refused_untouched(tmp_path, schemes):
    path = tmp_path / "other.csv"
    path.write_bytes(b"ref,notes\r\n1,keep me")
    with pytest.raises(DataError, match="not an answer file"):
        AnswerLog(path, list(schemes)).done_ids()
    assert path.read_bytes() == b"ref,notes\r\n1,keep me"


def test_queue_is_least_confident_first_and_skips_done(small_bundle):
    loaded = bundle_io.load(small_bundle)
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).iloc[400:420].reset_index(drop=True)
    done = {frame.loc[0, "id"]}
    items, already = build_queue(loaded, frame, text_column="text", id_column="id", done=done)
    assert already == 1 and len(items) == 19
    assert frame.loc[0, "id"] not in {i.complaint_id for i in items}
    confidences = [i.confidence for i in items]
    assert confidences == sorted(confidences)
    frame.loc[3, "id"] = frame.loc[2, "id"]
    with pytest.raises(DataError, match="repeated ids at row 5"):
        build_queue(loaded, frame, text_column="text", id_column="id", done=set())


# -- the real command, killed mid-session --------------------------------------------------------


class Driver:
    """Run `themes label` with piped stdin/stdout and wait for what it prints."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="100")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "themes", "label", *args], cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen = ""
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        while True:
            chunk = self.proc.stdout.read(1)
            if not chunk:
                return
            self.lines.put(chunk)

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while self.seen.count(text) < count:
            try:
                self.seen += self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"timed out waiting for {text!r}; stderr: {self.proc.stderr.read() if self.proc.poll() is not None else ''}") from None
        return self.seen

    def send(self, keys: str) -> None:
        self.proc.stdin.write(keys)
        self.proc.stdin.flush()

    def finish(self) -> tuple[int, str]:
        """Wait for the process to end; its exit code and stderr."""
        self.proc.stdin.close()
        code = self.proc.wait(timeout=60)
        self.pump.join(timeout=10)
        stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, stderr


@pytest.fixture
def drivers():
    """Start commands through this list so that none outlives a failing test."""
    started: list[Driver] = []
    yield started
    for driver in started:
        if driver.proc.poll() is None:
            driver.proc.kill()
            driver.finish()


def _shown_ids(screen: str) -> list[str]:
    return [line.split(" · id ")[1].split(" · ")[0] for line in screen.splitlines() if " · id " in line]


def test_killed_mid_session_loses_nothing_and_resumes(tmp_path, small_bundle, drivers):
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).iloc[400:412]
    export = tmp_path / "export.csv"
    frame[["id", "text"]].to_csv(export, index=False)
    answers = tmp_path / "labelled.csv"
    args = [str(export), "--out", str(answers), "--model", str(small_bundle)]

    first = Driver(args, tmp_path)
    drivers.append(first)
    first.wait_for("> ")
    first.send("a\n")
    first.wait_for("Saved (1 coded")
    first.send("e\n1\n.\na\n")
    first.wait_for("Saved (2 coded")
    first.send("e\n2\n")  # third complaint, mid-edit, nothing accepted
    first.wait_for("edit > ", count=4)
    first.proc.send_signal(signal.SIGKILL)
    code, _ = first.finish()
    assert code == -signal.SIGKILL
    shown = _shown_ids(first.seen)
    saved = _answers(answers)
    assert saved["id"].tolist() == shown[:2]
    toggled_on = "+ communication.data_breach" in first.seen
    assert toggled_on == ("communication.data_breach" in saved.loc[1, "causes"].split(";"))
    assert saved["text"].tolist() == [frame.set_index("id").loc[i, "text"] for i in shown[:2]]

    second = Driver(args, tmp_path)
    drivers.append(second)
    second.wait_for("> ")
    second.send("a\nq\n")
    second.wait_for("Stopped.")
    code, stderr = second.finish()
    assert code == 0
    assert "Resuming: 2 complaints" in stderr
    resumed = _shown_ids(second.seen)
    assert resumed[0] == shown[2]  # the interrupted complaint comes back first
    assert not set(resumed) & set(shown[:2])
    final = _answers(answers)
    assert final["id"].tolist() == [*shown[:2], shown[2]]
