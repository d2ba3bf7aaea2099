"""No complaint text, name or id reaches the terminal or the logs: only the output files.

A marker is planted in every cell of the inputs (ids, text, team, names, dates, label columns
in the failing cases). Every command is run, including invocations that fail, and the marker
is looked for in what they print and log. It must be found in the output files, so that the
test cannot pass by the data never flowing through.

``explain`` prints a complaint by design and ``label`` is interactive: both run only in
failing invocations here.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pandas as pd
import pytest

from themes.cli import app

from .conftest import TRAINING
from .test_hostile_inputs import _LOADED

MARKER = "Zq7Canary"
MARKUP = f"[bold red]{MARKER}[/bold red]"


def _plant(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].astype(str) + f" {MARKER}"
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("canary")
    source = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).head(60)
    labelled = source.copy()
    labelled["id"] = [f"{MARKER}-{i:03d}" for i in range(len(labelled))]
    labelled["text"] = labelled["text"] + f" {MARKUP} Call {MARKER} on 07700 900123."
    labelled = _plant(labelled, ["team", "stage", "outcome"])
    labelled["child name"] = f"{MARKER} Smith"
    paths = {"train": folder / "train.csv", "export": folder / "export.csv", "bad_labels": folder / "bad_labels.csv",
             "bad_dates": folder / "bad_dates.csv", "folder": folder}
    labelled.to_csv(paths["train"], index=False)
    export = labelled.drop(columns=["causes", "pillars"]).rename(columns={"id": "Complaint Ref", "text": "Description"})
    export.to_csv(paths["export"], index=False)
    bad = labelled.copy()
    # As personal data would land in a label column: an id or a name, pasted in the wrong place.
    # (A lower-case, id-shaped value is echoed as a mistyped label id: see test_data_in_messages.)
    bad.loc[:4, "causes"] = f"communication.{MARKER};{MARKER} wrote this"
    bad.loc[5:8, "pillars"] = f"{MARKER}"
    bad.to_csv(paths["bad_labels"], index=False)
    dates = labelled.copy()
    dates["received"] = f"{MARKER} 2023"
    dates.to_csv(paths["bad_dates"], index=False)
    return paths


def invocations(f: dict[str, Path], model: Path, trained: Path) -> list[tuple[str, list[str]]]:
    d = f["folder"]
    coded = d / "coded.csv"
    return [
        ("train", ["train", f["train"], "--out", trained, "--seed", "1", "--tokenizer", "regex"]),
        ("train: bad label ids", ["train", f["bad_labels"], "--out", d / "m2"]),
        ("train: existing output", ["train", f["train"], "--out", trained]),
        ("info", ["info", trained]),
        ("info: bad model path", ["info", d / "no_model"]),
        ("classify", ["classify", f["export"], "--out", coded, "--model", model]),
        ("classify --redact", ["classify", f["export"], "--out", d / "redacted.xlsx", "--model", model, "--redact"]),
        ("classify: existing output", ["classify", f["export"], "--out", coded, "--model", model]),
        ("classify: bad column name", ["classify", f["export"], "--out", d / "c2.csv", "--model", model, "--text-column", "Nope"]),
        ("classify: bad id column", ["classify", f["export"], "--out", d / "c3.csv", "--model", model, "--id-column", "Nope"]),
        ("classify: bad model path", ["classify", f["export"], "--out", d / "c4.csv", "--model", d / "no_model"]),
        ("classify: labelled file clashes", ["classify", f["train"], "--out", d / "c5.csv", "--model", model]),
        ("evaluate", ["evaluate", f["train"], "--model", model]),
        ("evaluate --json", ["evaluate", f["train"], "--model", model, "--json"]),
        ("evaluate: bad label ids", ["evaluate", f["bad_labels"], "--model", model]),
        ("evaluate --against", ["evaluate", f["train"], "--against", f["train"]]),
        ("evaluate --against: bad label ids", ["evaluate", f["train"], "--against", f["bad_labels"]]),
        ("breakdown", ["breakdown", coded]),
        ("breakdown --by team to a file", ["breakdown", coded, "--by", "team", "--out", d / "breakdown.xlsx"]),
        ("breakdown: bad column", ["breakdown", coded, "--by", "Nope"]),
        ("breakdown: bad dates", ["breakdown", f["bad_dates"], "--period", "year"]),
        ("breakdown: bad where", ["breakdown", coded, "--where", "nope = 1"]),
        ("dip-sample", ["dip-sample", coded, "--size", "5", "--seed", "1", "--out", d / "sample.xlsx"]),
        ("dip-sample: existing output", ["dip-sample", coded, "--size", "5", "--seed", "1", "--out", d / "sample.xlsx"]),
        ("review-summary: sample not reviewed", ["review-summary", d / "sample.xlsx", "--out", d / "findings.md"]),
        ("crosswalk: unknown labels", ["crosswalk", f["export"], "--from", "legacy_single_reason", "--column", "team", "--out", d / "cw.csv"]),
        ("explain: unknown id", ["explain", coded, "--id", "NOPE-1", "--model", model]),
        ("audit", ["audit", f["train"], "--out", d / "suspects.xlsx", "--top", "0", "--param", "cv=2", "--param", "char_ngrams=none"]),
        ("audit: bad label ids", ["audit", f["bad_labels"], "--out", d / "s2.xlsx", "--top", "0"]),
        ("redact", ["redact", f["export"], "--out", d / "export_redacted.csv"]),
        ("redact: bad name column", ["redact", f["export"], "--out", d / "r2.csv", "--name-columns", "Nope"]),
        ("scheme show", ["scheme", "show", "causes"]),
    ]


KNOWN_LEAKS: dict[str, str] = {}


@pytest.fixture(scope="module")
def runs(files, small_bundle, tmp_path_factory) -> dict[str, tuple[int, str, str]]:
    """Run every invocation once, in order, recording exit code, printed output and log output."""
    from typer.testing import CliRunner

    from themes import bundle as bundle_io

    real = bundle_io.load

    def quick(path):  # noqa: ANN001, ANN202
        key = Path(path).resolve()
        if key not in _LOADED:
            _LOADED[key] = real(path)
        return _LOADED[key]

    runner = CliRunner()
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    patch = pytest.MonkeyPatch()
    patch.setattr(bundle_io, "load", quick)
    results = {}
    try:
        trained = tmp_path_factory.mktemp("trained") / "model"
        for name, args in invocations(files, small_bundle, trained):
            before = len(log.getvalue())
            result = runner.invoke(app, [str(a) for a in args])
            results[name] = (result.exit_code, result.output, log.getvalue()[before:])
    finally:
        patch.undo()
        root.removeHandler(handler)
        root.setLevel(level)
    return results


NAMES = [name for name, _ in invocations({k: Path(k) for k in ("train", "export", "bad_labels", "bad_dates", "folder")}, Path("m"), Path("t"))]


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LEAKS[n])) if n in KNOWN_LEAKS else n for n in NAMES],
)
def test_marker_never_printed_or_logged(name, runs):
    code, output, logged = runs[name]
    assert "Traceback" not in output
    assert code in (0, 2), output
    assert MARKER.lower() not in output.lower(), output
    assert MARKER.lower() not in logged.lower()


def test_failing_invocations_failed_and_working_ones_worked(runs):
    failing = {n for n in runs if ":" in n}
    assert all(runs[n][0] == 2 for n in failing), {n: runs[n][0] for n in failing}
    assert all(runs[n][0] == 0 for n in set(runs) - failing), {n: runs[n][1][-300:] for n in runs if runs[n][0]}


def test_marker_reached_the_output_files(runs, files):
    """The data did flow through: the marker is in what the commands wrote."""
    d = files["folder"]
    assert MARKER in (d / "coded.csv").read_text(encoding="utf-8-sig")
    team = pd.read_excel(d / "breakdown.xlsx", sheet_name=None, header=None, dtype=str)
    assert any(MARKER in str(v) for sheet in team.values() for v in sheet.to_numpy().ravel())
    redacted = pd.read_csv(d / "export_redacted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert not redacted["Description"].str.contains(MARKER).any()
    assert set(redacted["child name"]) == {"[NAME]"}


def test_markup_in_data_and_names_is_printed_literally(runner, tmp_path):
    source = tmp_path / "export.csv"
    pd.DataFrame({"Ref": ["1"], "[bold]Summary[/bold]": ["x"]}).to_csv(source, index=False)
    result = runner.invoke(app, ["redact", str(source), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "'[bold]Summary[/bold]'" in result.output
    empty = tmp_path / "[red]export[/red]"
    empty.mkdir(parents=True)
    result = runner.invoke(app, ["redact", str(empty / "x.csv"), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "[red]export[/red]" in result.output


def test_tracebacks_never_show_locals():
    assert app.pretty_exceptions_show_locals is False
