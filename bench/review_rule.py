"""How the review rule's settings trade the share of complaints flagged against errors caught.

Usage: python bench/review_rule.py

Fits the bundled model's configuration (thresholds raised by 0.05) on training_data/complaints.csv and uses its out-of-fold
probabilities (each complaint scored by a model that did not see it), so the held-out file is
not used to choose the rule. Prints and saves bench/results/review_rule.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from themes.model import ThemeClassifier  # noqa: E402
from themes.scheme import load  # noqa: E402
from _results import save  # noqa: E402


def main() -> int:
    frame = pd.read_csv(ROOT / "training_data" / "complaints.csv", dtype=str, keep_default_na=False)
    texts = frame.text.tolist()
    scores = {}
    for scheme_id in ("causes", "pillars"):
        scheme = load(scheme_id)
        y = scheme.target_matrix([scheme.split_codes(c) for c in frame[scheme_id]])
        model = ThemeClassifier(labels=scheme.leaves, n_jobs=2, threshold_raise=0.05).fit(texts, y)
        scores[scheme_id] = (model.oof_proba_, model.thresholds_, y)
    n = len(texts)
    error_row = np.zeros(n, bool)
    for p, t, y in scores.values():
        error_row |= (((p >= t) != (y == 1)) & (y >= 0)).any(axis=1)
    no_cause = ~(scores["causes"][0] >= scores["causes"][1]).any(axis=1)
    results = {"rows": n, "rows_with_any_error": round(float(error_row.mean()), 3), "rules": {}}

    def record(name: str, flag: np.ndarray) -> None:
        results["rules"][name] = {
            "flagged_share": round(float(flag.mean()), 3),
            "error_rows_caught": round(float(flag[error_row].mean()), 3),
            "error_rate_flagged": round(float(error_row[flag].mean()), 3) if flag.any() else None,
            "error_rate_unflagged": round(float(error_row[~flag].mean()), 3) if (~flag).any() else None,
        }
        print(name, json.dumps(results["rules"][name]))

    record("no cause passed", no_cause)
    for margin in (0.005, 0.01, 0.02, 0.03, 0.05):
        near = np.zeros(n, bool)
        for p, t, _ in scores.values():
            near |= (np.abs(p - t) < margin).any(axis=1)
        record(f"no cause passed, or a label within {margin} of its threshold", near | no_cause)
    save(results, ROOT / "bench" / "results" / "review_rule.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
