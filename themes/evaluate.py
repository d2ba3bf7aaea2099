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

    def as_dict(self) -> dict:
        return {
            "summary": self.summary.to_dict(orient="records"),
            "labels": self.labels.to_dict(orient="records"),
        }

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
