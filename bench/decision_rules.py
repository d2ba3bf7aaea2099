"""Which rule should turn label scores into codes? Compared leave-one-batch-out.

Usage: python bench/decision_rules.py [--scores DIR] [--without BATCH ...]

Scores come from the default configuration (no threshold raise), trained once per batch
left out (as in bench/model_selection.py; the held-out file is not used). Each rule then decides
codes from the same scores, so rules differ only in the deciding:

- ``per-label thresholds``: each label's own threshold, tuned for that label's F1;
- ``thresholds +d``: every threshold raised by d (``threshold_raise``; the bundled model is
  trained with +0.05 since this comparison);
- ``thresholds for micro-F1``: thresholds tuned together for micro-F1 on the out-of-fold scores
  of the training part;
- ``top k``: at most k labels a complaint, the highest score/threshold ratios;
- ``within r of the best``: labels whose score/threshold ratio is at least r times the best;
- ``thresholds +0.05, category fill f`` (reasons only): as ``thresholds +0.05``, and where no
  reason of a category passes but ``1 - prod(1 - p)`` over its reasons reaches f, the reason
  nearest its threshold too (``category_fill``; the bundled model uses 0.4 since this
  comparison).

Writers of training data code more reasons per complaint than many coders do, and a model that
calls more labels than its coders loses precision on their complaints. Prints the figures and
labels per complaint, gold and decided, and each batch's figures under the bundled model's rule;
saves bench/results/decision_rules.json. ``--scores DIR`` keeps the leave-one-batch-out scores
there (about 25 minutes of fitting on two cores) and reuses them when the batches are the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model_selection import add_batch_scores, batches, fitted_schemes_per_batch, micro_thresholds  # noqa: E402

from themes.evaluate import compare  # noqa: E402
from themes.model import ThemeClassifier  # noqa: E402
from themes.scheme import load  # noqa: E402
from _results import save  # noqa: E402

SHIFTS = (0.02, 0.05, 0.08)
FILLS = (0.3, 0.4, 0.5)
TOP_K = (2, 3, 4)
WITHIN = (0.7, 0.8, 0.9)


def scores(data, schemes):  # noqa: ANN001, ANN201
    """Leave-one-batch-out probabilities, with each fold's thresholds and micro-F1 thresholds,
    by scheme id."""
    out = {}
    for scheme in schemes:
        y = scheme.target_matrix(data[scheme.id].tolist())
        out[scheme.id] = (y, np.zeros(y.shape), np.zeros(y.shape), np.zeros(y.shape))
    for _, test, models in fitted_schemes_per_batch(data, schemes, threshold_raise=0.0):
        for scheme_id, model in models.items():
            y, proba, thresholds, micro = out[scheme_id]
            proba[test] = model.predict_proba(data.text[test].tolist())
            thresholds[test] = model.thresholds_
            micro[test] = micro_thresholds(model.oof_proba_, y[~test], model.thresholds_)
    return out


def rules(scheme, proba: np.ndarray, thresholds: np.ndarray, micro: np.ndarray) -> dict[str, np.ndarray]:  # noqa: ANN001
    ratio = proba / thresholds
    passed = ratio >= 1
    out = {"per-label thresholds": passed, "thresholds for micro-F1": proba >= micro}
    for d in SHIFTS:
        out[f"thresholds +{d}"] = proba >= thresholds + d
    rank = np.argsort(np.argsort(-ratio, axis=1, kind="stable"), axis=1)
    for k in TOP_K:
        out[f"top {k}"] = passed & (rank < k)
    best = ratio.max(axis=1, keepdims=True)
    for r in WITHIN:
        out[f"within {r} of the best"] = passed & (ratio >= r * best)
    if scheme.is_hierarchical:
        for f in FILLS:
            # The model's own rule, with each row's fold thresholds (they broadcast row by row).
            model = ThemeClassifier(categories=[scheme.category_of(leaf) for leaf in scheme.leaves], category_fill=f)
            model.thresholds_ = np.minimum(thresholds + 0.05, 1.0)
            out[f"thresholds +0.05, category fill {f}"] = model.decide(proba)
    return out


BY_BATCH = ("thresholds +0.05", "thresholds +0.05, category fill 0.4")


def cached_scores(data, schemes, folder: Path | None):  # noqa: ANN001, ANN201
    """:func:`scores`, kept in ``folder`` under names that change with the texts and batches."""
    if folder is None:
        return scores(data, schemes)
    key = hashlib.sha256(json.dumps([data.batch.tolist(), data.text.tolist()]).encode()).hexdigest()[:12]
    paths = {scheme.id: folder / f"{scheme.id}-{key}.npz" for scheme in schemes}
    if all(path.exists() for path in paths.values()):
        kept = {sid: np.load(path) for sid, path in paths.items()}
        return {sid: (k["y"], k["proba"], k["thresholds"], k["micro"]) for sid, k in kept.items()}
    out = scores(data, schemes)
    folder.mkdir(parents=True, exist_ok=True)
    for sid, (y, proba, thresholds, micro) in out.items():
        np.savez(paths[sid], y=y, proba=proba, thresholds=thresholds, micro=micro)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scores", type=Path, help="Folder to keep the scores in and reuse them from.")
    parser.add_argument("--without", nargs="*", default=[], metavar="BATCH", help="Batches to leave out entirely.")
    args = parser.parse_args()
    start = time.perf_counter()
    data = batches()
    data = data[~data.batch.isin(args.without)].reset_index(drop=True)
    results: dict[str, dict] = {}
    by_batch: dict[str, dict[str, dict]] = {}
    schemes = (load("causes"), load("pillars"))
    all_scores = cached_scores(data, schemes, args.scores)
    for scheme in schemes:
        y, proba, thresholds, micro = all_scores[scheme.id]
        gold = data[scheme.id].tolist()
        for name, decided in rules(scheme, proba, thresholds, micro).items():
            codes = [[scheme.leaves[j] for j in np.flatnonzero(r)] for r in decided]
            if name in BY_BATCH or (scheme.id == "pillars" and name == BY_BATCH[0]):
                add_batch_scores(by_batch.setdefault(name, {}), scheme, data, codes)
            row = results.setdefault(name, {})
            for level in compare(scheme, gold, codes).summary.to_dict(orient="records"):
                row[f"{scheme.id}/{level['level']} micro"] = level["micro_f1"]
                row[f"{scheme.id}/{level['level']} macro"] = level["macro_f1"]
            row[f"{scheme.id} per complaint"] = round(float(decided.sum(axis=1).mean()), 2)
        results.setdefault("gold", {})[f"{scheme.id} per complaint"] = round(float((y == 1).sum(axis=1).mean()), 2)
    for name, row in results.items():
        print(f"{name:28s} {json.dumps(row)}")
    save(
        {"batches": int(data.batch.nunique()), "complaints": len(data), "without": args.without,
         "seconds": round(time.perf_counter() - start, 1), "rules": results, "by_batch": by_batch},
        ROOT / "bench" / "results" / "decision_rules.json",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
