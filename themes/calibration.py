"""Calibration: make a label's score mean what it says.

Each label's logistic regression is fitted with balanced class weights, which serves the
decisions well but inflates the scores of rare labels: a complaint scored 0.6 for a rare reason
has it far less than 60% of the time. Platt scaling fixes that. For each label we fit
``p = sigmoid(a * z + b)`` on the out-of-fold decision values ``z`` from the cross-validation the
model already runs, so no complaint scores itself.

The map is increasing (``a > 0``), so moving each threshold through the same map leaves every
decision exactly as it was: calibration changes what the scores say, not which labels a
complaint gets. The map is stored as a plain ``labels x 2`` array (slope, intercept) on the
fitted model, so bundles need no new types.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12
# Margins are clipped like the model's own sigmoid so that a label the model never predicts
# (intercept -40) keeps a finite, invertible score.
_CLIP = 40.0


def identity_map(n_labels: int) -> np.ndarray:
    """The map that leaves scores unchanged: slope 1, intercept 0 for every label."""
    params = np.zeros((n_labels, 2), dtype=np.float64)
    params[:, 0] = 1.0
    return params


def logit(proba: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(proba, dtype=np.float64), _EPS, 1 - _EPS)
    return np.clip(np.log(p / (1 - p)), -_CLIP, _CLIP)


def sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -_CLIP, _CLIP)))


def fit_platt(proba: np.ndarray, y: np.ndarray, *, C: float = 1.0, min_class: int = 2) -> np.ndarray:
    """Fit one Platt map per label on out-of-fold probabilities and 0/1/-1 targets.

    Labels with fewer than ``min_class`` known positives or negatives, or whose fit would
    reverse the order of scores, keep the identity map.
    """
    from sklearn.linear_model import LogisticRegression

    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y)
    params = identity_map(y.shape[1])
    margins = logit(proba)
    for j in range(y.shape[1]):
        known = y[:, j] >= 0
        target = y[known, j] == 1
        if target.sum() < min_class or (~target).sum() < min_class:
            continue
        model = LogisticRegression(C=C, solver="lbfgs", max_iter=1000)
        model.fit(margins[known, j][:, None], target.astype(int))
        slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
        if slope > 0 and np.isfinite(slope) and np.isfinite(intercept):
            params[j] = (slope, intercept)
    return params


def apply_map(margin: np.ndarray, params: np.ndarray | None) -> np.ndarray:
    """Calibrated probabilities from decision values (rows x labels); ``None`` means identity."""
    margin = np.asarray(margin, dtype=np.float64)
    if params is None:
        return sigmoid(margin)
    return sigmoid(margin * params[:, 0] + params[:, 1])


def recalibrate(proba: np.ndarray, params: np.ndarray | None) -> np.ndarray:
    """Pass uncalibrated probabilities through the map."""
    return apply_map(logit(proba), params)


def map_thresholds(thresholds: np.ndarray, params: np.ndarray | None) -> np.ndarray:
    """Thresholds moved through the map, so that every decision stays the same.

    A threshold of 1 (a label never seen in training, never assigned) stays 1.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if params is None:
        return thresholds.copy()
    moved = apply_map(logit(thresholds)[None, :], params)[0]
    return np.where(thresholds >= 1.0, 1.0, np.where(thresholds <= 0.0, 0.0, moved))
