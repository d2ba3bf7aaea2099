"""Shared fixtures: small files written per test, and one small bundle trained per session."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "training_data" / "complaints.csv"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def write_csv(path: Path, rows: list[dict], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def small_training(tmp_path_factory) -> Path:
    """The first 400 rows of the shipped training data: real enough, quick to fit."""
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).head(400)
    path = tmp_path_factory.mktemp("data") / "small.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def small_bundle(small_training, tmp_path_factory) -> Path:
    """A bundle trained once per session with word features only, to keep the suite fast."""
    from themes import bundle as bundle_io
    from themes.card import render
    from themes.scheme import load
    from themes.train import Source, train

    result = train(
        [Source(small_training)], [load("causes"), load("pillars")], name="small", seed=1,
        params={"char_ngrams": None, "cv": 3},
    )
    out = tmp_path_factory.mktemp("models") / "small"
    bundle_io.save(result, out, card=render(result))
    return out


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()
