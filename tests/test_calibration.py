"""Calibration: the measures are right, the Platt map improves scores and changes no decision."""

from __future__ import annotations

import numpy as np
import pytest

from themes import bundle as bundle_io
from themes.calibration import fit_platt, identity_map, map_thresholds, recalibrate
from themes.evaluate import calibration_report
from themes.model import ThemeClassifier, _sigmoid


def test_ece_and_brier_by_hand():
    proba = np.array([[0.1, 0.9], [0.1, 0.9], [0.95, 0.5]])
    targets = np.array([[0, 1], [1, 1], [1, -1]])  # the -1 cell is left out
    report = calibration_report(proba, targets)
    # bin 0.1-0.2: scores 0.1, 0.1, observed 1 of 2 -> gap 0.4 on 2 cells;
    # bin 0.9-1.0: scores 0.9, 0.9, 0.95 (mean 0.9167), all observed -> gap 0.0833 on 3 cells.
    assert report["cells"] == 5
    assert report["ece"] == pytest.approx((2 * 0.4 + 3 * (1 - 2.75 / 3)) / 5, abs=1e-4)
    assert report["brier"] == pytest.approx((0.01 + 0.81 + 0.01 + 0.01 + 0.0025) / 5, abs=1e-4)
    assert sum(b["cells"] for b in report["bins"]) == 5 and len(report["bins"]) == 10
    assert calibration_report(np.array([[1.0]]), np.array([[1]]))["ece"] == 0.0


def test_platt_fixes_overconfident_scores_and_keeps_order():
    rng = np.random.default_rng(0)
    truth = rng.random((4000, 2)) < np.array([0.05, 0.3])
    margin = np.where(truth, 1.0, -1.0) + rng.normal(0, 1.5, truth.shape)
    raw = _sigmoid(3 * margin + 2)  # too sure, and shifted up as balanced class weights do
    y = truth.astype(np.int8)
    params = fit_platt(raw, y)
    fixed = recalibrate(raw, params)
    assert calibration_report(fixed, y)["ece"] < calibration_report(raw, y)["ece"] / 3
    assert calibration_report(fixed, y)["brier"] < calibration_report(raw, y)["brier"]
    assert (params[:, 0] > 0).all()
    thresholds = np.array([0.3, 0.6])
    assert ((raw >= thresholds) == (fixed >= map_thresholds(thresholds, params))).all()
    assert map_thresholds(np.array([1.0]), identity_map(1))[0] == 1.0


def test_labels_too_rare_keep_the_identity():
    y = np.zeros((50, 2), dtype=np.int8)
    y[0, 0] = 1
    y[:, 1] = -1
    params = fit_platt(np.full((50, 2), 0.2), y)
    assert (params == identity_map(2)).all()


def _corpus(n: int = 180) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(1)
    topics = [["payment", "allowance", "money", "paid"], ["rude", "shouted", "rude", "manner"], ["late", "delay", "waiting", "weeks"]]
    filler = ["the", "council", "social", "worker", "my", "son", "said", "again", "today"]
    texts, y = [], np.zeros((n, 3), dtype=np.int8)
    for i in range(n):
        on = [j for j in range(3) if rng.random() < 0.35] or [int(rng.integers(3))]
        words = list(rng.choice(filler, 8))
        for j in on:
            y[i, j] = 1
            words += list(rng.choice(topics[j], 2))
        words += list(rng.choice(sum(topics, []), 1))  # noise: a topic word out of place
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts, y


def test_calibrating_the_model_changes_scores_not_decisions():
    texts, y = _corpus()
    settings = dict(tokenizer="regex", char_ngrams=None, cv=3, random_state=0, min_df=1)
    plain = ThemeClassifier(calibrate=False, **settings).fit(texts, y)
    calibrated = ThemeClassifier(**settings).fit(texts, y)
    assert (plain.calibration_ == identity_map(3)).all()
    assert not np.allclose(calibrated.calibration_, identity_map(3))
    new = [f"my son said the {w} again" for w in ("payment", "rude", "delay", "council")]
    assert (plain.predict(texts + new) == calibrated.predict(texts + new)).all()
    assert not np.allclose(plain.predict_proba(new), calibrated.predict_proba(new))
    assert calibrated.predict_proba(new) == pytest.approx(calibrated.score(new)[0])
    # A model saved before calibration existed has no map and scores as it always did.
    del plain.calibration_
    assert plain.predict_proba(new) == pytest.approx(_sigmoid(plain.decision_function(new)))


def test_saved_bundles_carry_the_map_under_the_strict_allow_list(small_bundle):
    loaded = bundle_io.load(small_bundle)
    for scheme_id, model in loaded.models.items():
        assert model.calibration_.shape == (len(loaded.schemes[scheme_id].leaves), 2)
        assert (model.calibration_[:, 0] > 0).all()
