"""themes explain: one complaint, its labels, scores, thresholds and evidence; data never markup."""

from __future__ import annotations

import pandas as pd
import pytest

from themes import bundle as bundle_io
from themes.cli import app
from themes.evidence import explain_text

from .conftest import TRAINING, write_csv


@pytest.fixture
def export(tmp_path):
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).iloc[400:405][["id", "text"]]
    rows = frame.to_dict("records")
    rows.append({"id": "MARKUP-1", "text": "[bold]Nobody[/bold] answered my calls. [red]The allowance was not paid.[/red]"})
    return write_csv(tmp_path / "export.csv", rows)


def test_explain_shows_labels_scores_thresholds_and_evidence(runner, small_bundle, export):
    result = runner.invoke(app, ["explain", str(export), "--id", "MARKUP-1", "--model", str(small_bundle)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "[bold]Nobody[/bold]" in text and "[red]" in text  # printed literally, not as styles
    assert "Complaint MARKUP-1 (row 7)" in text
    assert "threshold" in text and "Needs review" in text
    loaded = bundle_io.load(small_bundle)
    explanation = explain_text(loaded, "[bold]Nobody[/bold] answered my calls. [red]The allowance was not paid.[/red]")
    for score in explanation.assigned():
        assert score.label in text
        assert f"{score.score:.2f}" in text and f"{score.threshold:.2f}" in text
    assert {(e.scheme_id, e.label) for e in explanation.evidence} == {(s.scheme_id, s.label) for s in explanation.assigned()}


def test_explanation_scores_cover_every_label_best_first(small_bundle):
    loaded = bundle_io.load(small_bundle)
    explanation = explain_text(loaded, "My foster allowance has not been paid for three months.")
    for scheme_id, scheme in loaded.schemes.items():
        scores = [s.score for s in explanation.scores if s.scheme_id == scheme_id]
        assert len(scores) == len(scheme.leaves) and scores == sorted(scores, reverse=True)
    assert all(s.assigned == (s.score >= s.threshold) for s in explanation.scores)


def test_a_reason_given_by_the_category_fill_says_so(runner, small_bundle, export, tmp_path):
    from themes.card import render

    loaded = bundle_io.load(small_bundle)
    scheme, model = loaded.schemes["causes"], loaded.models["causes"]
    model.categories = [scheme.category_of(leaf) for leaf in scheme.leaves]
    model.category_fill = 0.01  # so low that some category is filled for almost any text
    filled_bundle = tmp_path / "filled"
    bundle_io.save(loaded, filled_bundle, card=render(loaded))
    text = "[bold]Nobody[/bold] answered my calls. [red]The allowance was not paid.[/red]"
    filled = [s for s in explain_text(loaded, text).assigned() if s.score < s.threshold]
    assert filled
    result = runner.invoke(app, ["explain", str(export), "--id", "MARKUP-1", "--model", str(filled_bundle)])
    assert result.exit_code == 0, result.output
    assert "given: category likely" in result.output


def test_unknown_and_repeated_ids_are_clear_errors(runner, small_bundle, export, tmp_path):
    result = runner.invoke(app, ["explain", str(export), "--id", "NOPE", "--model", str(small_bundle)])
    assert result.exit_code == 2
    assert "No complaint with id 'NOPE' in column 'id'" in result.output
    repeated = write_csv(tmp_path / "rep.csv", [{"id": "A", "text": "one"}, {"id": "A", "text": "two"}])
    result = runner.invoke(app, ["explain", str(repeated), "--id", "A", "--model", str(small_bundle)])
    assert result.exit_code == 2 and "rows 2, 3" in result.output
