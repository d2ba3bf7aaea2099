"""The review flag: configurable from the command line, and measured by evaluate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from themes import bundle as bundle_io
from themes.cli import app
from themes.evaluate import review_capture
from themes.predict import ReviewRule

from .conftest import TRAINING, write_csv


def test_review_capture_by_hand():
    gold = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [-1, 1]])
    pred = np.array([[1, 0], [1, 0], [1, 0], [0, 0], [1, 1]])  # the -1 cell is not an error
    flagged = np.array([False, True, False, True, False])
    report = review_capture(gold, pred, flagged)
    assert report["rows"] == 5 and report["flagged"] == 2 and report["flagged_share"] == 0.4
    assert report["rows_with_error"] == 2 and report["error_rows_flagged"] == 1
    assert report["error_rows_caught"] == 0.5
    assert report["errors"] == 3 and report["errors_on_flagged"] == 2
    assert report["errors_caught"] == pytest.approx(0.6667, abs=1e-4)
    assert report["error_rate_flagged"] == 0.5 and report["error_rate_unflagged"] == pytest.approx(1 / 3, abs=1e-4)


def test_rule_overrides_ignore_missing_values(small_bundle):
    loaded = bundle_io.load(small_bundle)
    rule = ReviewRule.from_manifest(loaded, margin=0.2, min_words=None, max_words=None, min_known=None)
    assert rule.margin == 0.2 and rule.min_words == ReviewRule().min_words


@pytest.fixture
def export(tmp_path):
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).iloc[400:412]
    return write_csv(tmp_path / "export.csv", frame[["id", "text"]].to_dict("records"))


def _classify(runner, small_bundle, export, tmp_path, *options):  # noqa: ANN001, ANN202
    out = tmp_path / "coded.csv"
    result = runner.invoke(
        app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle), "--overwrite", *options]
    )
    assert result.exit_code == 0, result.output
    return pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_classify_options_change_the_rule(runner, small_bundle, export, tmp_path):
    default = _classify(runner, small_bundle, export, tmp_path)
    strict = _classify(runner, small_bundle, export, tmp_path, "--min-words", "100000")
    assert (strict["needs_review"] == "true").all()
    assert strict["review_reason"].str.contains("text too short").all()
    assert not default["review_reason"].str.contains("text too short").any()
    lax = _classify(
        runner, small_bundle, export, tmp_path, "--review-margin", "0", "--min-known", "0",
        "--max-words", "100000",
    )
    assert not lax["review_reason"].str.contains("near threshold|unlike training data").any()
    assert (lax["needs_review"] == "true").sum() <= (default["needs_review"] == "true").sum()
    wide = _classify(runner, small_bundle, export, tmp_path, "--review-margin", "0.5")
    assert wide["review_reason"].str.contains("near threshold").all()
    bad = runner.invoke(app, ["classify", str(export), "--out", str(tmp_path / "x.csv"), "--model", str(small_bundle), "--min-known", "2"])
    assert bad.exit_code == 2


def test_evaluate_reports_calibration_and_review_capture(runner, small_bundle, tmp_path):
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).iloc[400:460]
    gold = tmp_path / "gold.csv"
    frame.to_csv(gold, index=False)
    result = runner.invoke(app, ["evaluate", str(gold), "--model", str(small_bundle), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for scheme_id in ("causes", "pillars"):
        calibration, review = data[scheme_id]["calibration"], data[scheme_id]["review"]
        assert 0 <= calibration["ece"] <= 1 and 0 <= calibration["brier"] <= 1
        assert calibration["cells"] > 60
        assert review["rows"] == 60 and 0 <= review["flagged_share"] <= 1
        assert review["error_rows_flagged"] <= review["rows_with_error"] <= 60
    wide = runner.invoke(app, ["evaluate", str(gold), "--model", str(small_bundle), "--json", "--review-margin", "0.5"])
    assert json.loads(wide.output)["causes"]["review"]["flagged_share"] == 1.0
    shown = runner.invoke(app, ["evaluate", str(gold), "--model", str(small_bundle)])
    assert shown.exit_code == 0, shown.output
    assert "ECE" in shown.output and "Review flag" in shown.output
