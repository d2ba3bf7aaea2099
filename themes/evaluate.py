"""Agreement between two codings of the same complaints: gold vs model, or coder vs coder.

Per label: precision, recall, F1, support and Cohen's kappa (so the model's agreement with
coders sits on the scale people use for coders' agreement with each other). Per scheme: micro
and macro F1 at reason level and, for two-level schemes, at category level.

Cells a coder left unknown (a category given without its reason) are left out of that reason's
figures, and count at category level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scheme import Scheme


@dataclass
class SchemeEvaluation:
    scheme_id: str
    summary: pd.DataFrame
    """One row per level (reason/category, or label for flat schemes): micro and macro figures."""
    labels: pd.DataFrame
    """One row per label: level, label, name, precision, recall, f1, support, predicted, kappa."""
    calibration: dict | None = None
    """From :func:`calibration_report` when the codings came with scores (a model)."""
    review: dict | None = None
    """From :func:`review_capture` when the codings came with review flags (a model)."""

    def as_dict(self) -> dict:
        data = {
            "summary": self.summary.to_dict(orient="records"),
            "labels": self.labels.to_dict(orient="records"),
        }
        if self.calibration is not None:
            data["calibration"] = self.calibration
        if self.review is not None:
            data["review"] = self.review
        return data

    def micro(self, level: str) -> float:
        return float(self.summary.set_index("level").loc[level, "micro_f1"])

    def macro(self, level: str) -> float:
        return float(self.summary.set_index("level").loc[level, "macro_f1"])


def level_names(scheme: Scheme) -> tuple[str, str | None]:
    return ("reason", "category") if scheme.is_hierarchical else ("label", None)


def compare(
    scheme: Scheme,
    gold: Sequence[list[str]],
    predicted: Sequence[list[str]],
) -> SchemeEvaluation:
    """Compare two codings of the same rows, in the same order."""
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} rows but predicted has {len(predicted)}")
    leaf_level, cat_level = level_names(scheme)
    g = scheme.target_matrix(list(gold))
    p = scheme.target_matrix(list(predicted))
    rows = _label_rows(scheme, leaf_level, scheme.leaves, g, p)
    summary = [_summary(leaf_level, g, p, len(gold))]
    if cat_level:
        gc = scheme.category_matrix(list(gold))
        pc = scheme.category_matrix(list(predicted))
        rows += _label_rows(scheme, cat_level, scheme.categories, gc, pc)
        summary.append(_summary(cat_level, gc, pc, len(gold)))
    return SchemeEvaluation(
        scheme_id=scheme.id,
        summary=pd.DataFrame(summary),
        labels=pd.DataFrame(rows),
    )


def _counts(g: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    known = (g >= 0) & (p >= 0)
    gt, pt = (g == 1) & known, (p == 1) & known
    tp = (gt & pt).sum(axis=0)
    fp = (~gt & pt & known).sum(axis=0)
    fn = (gt & ~pt & known).sum(axis=0)
    tn = (~gt & ~pt & known).sum(axis=0)
    return tp, fp, fn, tn


def _f1(tp: float, fp: float, fn: float) -> float:
    denominator = 2 * tp + fp + fn
    return float(2 * tp / denominator) if denominator else 0.0


def _kappa(tp: float, fp: float, fn: float, tn: float) -> float:
    n = tp + fp + fn + tn
    if n == 0:
        return float("nan")
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return float((observed - expected) / (1 - expected))


def _label_rows(scheme, level, ids, g, p) -> list[dict]:  # noqa: ANN001
    tp, fp, fn, tn = _counts(g, p)
    rows = []
    for j, label in enumerate(ids):
        precision = tp[j] / (tp[j] + fp[j]) if tp[j] + fp[j] else 0.0
        recall = tp[j] / (tp[j] + fn[j]) if tp[j] + fn[j] else 0.0
        rows.append(
            {
                "level": level,
                "label": label,
                "name": scheme.name_of(label),
                "precision": round(float(precision), 4),
                "recall": round(float(recall), 4),
                "f1": round(_f1(tp[j], fp[j], fn[j]), 4),
                "support": int(tp[j] + fn[j]),
                "predicted": int(tp[j] + fp[j]),
                "kappa": round(_kappa(tp[j], fp[j], fn[j], tn[j]), 4),
            }
        )
    return rows


def _summary(level: str, g: np.ndarray, p: np.ndarray, n_rows: int) -> dict:
    tp, fp, fn, _ = _counts(g, p)
    per_label = [_f1(tp[j], fp[j], fn[j]) for j in range(g.shape[1]) if tp[j] + fn[j] > 0]
    micro_p = tp.sum() / (tp.sum() + fp.sum()) if tp.sum() + fp.sum() else 0.0
    micro_r = tp.sum() / (tp.sum() + fn.sum()) if tp.sum() + fn.sum() else 0.0
    return {
        "level": level,
        "rows": n_rows,
        "micro_precision": round(float(micro_p), 4),
        "micro_recall": round(float(micro_r), 4),
        "micro_f1": round(_f1(tp.sum(), fp.sum(), fn.sum()), 4),
        "macro_f1": round(float(np.mean(per_label)) if per_label else 0.0, 4),
        "labels_with_support": len(per_label),
    }


def align_by_id(
    left_ids: Sequence[str], right_ids: Sequence[str]
) -> tuple[list[int], list[int], int, int]:
    """Positions of the ids both files share, and how many each has that the other lacks."""
    right_pos = {rid: i for i, rid in enumerate(right_ids)}
    left_idx, right_idx = [], []
    for i, lid in enumerate(left_ids):
        j = right_pos.get(lid)
        if j is not None:
            left_idx.append(i)
            right_idx.append(j)
    only_left = len(left_ids) - len(left_idx)
    only_right = len(right_ids) - len(right_idx)
    return left_idx, right_idx, only_left, only_right


# -- calibration and the review flag ------------------------------------------------------------


def calibration_report(proba: np.ndarray, targets: np.ndarray, *, bins: int = 10) -> dict:
    """How far scores are from observed rates, over every known label probability of a scheme.

    ``ece`` is the expected calibration error: cells are put in ``bins`` equal-width score bins,
    and the gap between each bin's mean score and the share of its cells that truly have the
    label is averaged, weighted by the bin's size (0 is perfect). ``brier`` is the mean squared
    difference between score and outcome. Unknown cells (-1) are left out.
    """
    proba = np.asarray(proba, dtype=np.float64)
    targets = np.asarray(targets)
    if proba.shape != targets.shape:
        raise ValueError(f"proba has shape {proba.shape} but targets has {targets.shape}")
    known = targets >= 0
    p, y = proba[known], (targets[known] == 1).astype(np.float64)
    table = []
    gap = 0.0
    index = np.clip(np.floor(p * bins).astype(int), 0, bins - 1)
    for k in range(bins):
        in_bin = index == k
        count = int(in_bin.sum())
        mean_score = float(p[in_bin].mean()) if count else float("nan")
        observed = float(y[in_bin].mean()) if count else float("nan")
        if count:
            gap += count * abs(mean_score - observed)
        table.append(
            {"lower": k / bins, "upper": (k + 1) / bins, "cells": count,
             "mean_score": _round(mean_score), "observed_rate": _round(observed)}
        )
    n = len(p)
    return {
        "ece": round(gap / n, 4) if n else float("nan"),
        "brier": round(float(np.mean((p - y) ** 2)), 4) if n else float("nan"),
        "cells": n,
        "bins": table,
    }


def review_capture(gold: np.ndarray, predicted: np.ndarray, flagged: np.ndarray) -> dict:
    """How much of the model's error the review flag routes to a person, and at what cost.

    ``gold`` and ``predicted`` are rows x labels matrices (1, 0, and -1 for unknown gold cells,
    which are not counted); an error is a label wrongly given or wrongly left out. Reports the
    share of rows the flag sends to review, the share of rows with any error that it flags
    (``error_rows_caught``), and the share of all errors that sit on flagged rows
    (``errors_caught``).
    """
    gold, predicted = np.asarray(gold), np.asarray(predicted)
    flagged = np.asarray(flagged, dtype=bool)
    if gold.shape != predicted.shape or len(flagged) != gold.shape[0]:
        raise ValueError("gold, predicted and flagged must describe the same rows and labels")
    wrong = (gold >= 0) & ((gold == 1) != (predicted == 1))
    per_row = wrong.sum(axis=1)
    rows = len(flagged)
    error_rows = per_row > 0
    return {
        "rows": rows,
        "flagged": int(flagged.sum()),
        "flagged_share": _share(flagged.sum(), rows),
        "rows_with_error": int(error_rows.sum()),
        "error_rows_flagged": int((error_rows & flagged).sum()),
        "error_rows_caught": _share((error_rows & flagged).sum(), error_rows.sum()),
        "errors": int(per_row.sum()),
        "errors_on_flagged": int(per_row[flagged].sum()),
        "errors_caught": _share(per_row[flagged].sum(), per_row.sum()),
        "error_rate_flagged": _share((error_rows & flagged).sum(), flagged.sum()),
        "error_rate_unflagged": _share((error_rows & ~flagged).sum(), (~flagged).sum()),
    }


def _share(part: float, whole: float) -> float:
    return round(float(part) / float(whole), 4) if whole else float("nan")


def _round(value: float) -> float:
    return value if np.isnan(value) else round(value, 4)
