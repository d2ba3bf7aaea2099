"""How the default model's leave-one-batch-out scores grow with the amount of training data.

Usage: python bench/learning_curve.py [--fractions 0.25 0.5 0.75 1.0]

For each fraction, every batch is left out in turn and the bundled model's configuration (the
default, thresholds raised by 0.05) is trained on
that fraction of the other batches' complaints (the same seeded draw for every fold), then
scored on the batch left out, as in bench/model_selection.py. If the scores still climb
steeply at 1.0, more (varied) training data is the cheapest way to a better model. The
held-out file is not used. Prints and saves bench/results/learning_curve.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model_selection import batches  # noqa: E402

from themes.evaluate import compare  # noqa: E402
from themes.model import ThemeClassifier  # noqa: E402
from themes.scheme import load  # noqa: E402
from _results import save  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results" / "learning_curve.json")
    args = parser.parse_args()
    data = batches()
    draw = np.random.default_rng(0).random(len(data))
    schemes = [load("causes"), load("pillars")]
    points = []
    for fraction in args.fractions:
        start = time.perf_counter()
        point = {"fraction": fraction}
        for scheme in schemes:
            y = scheme.target_matrix(data[scheme.id].tolist())
            decided = np.zeros(y.shape, dtype=np.int8)
            sizes = []
            for held in sorted(data.batch.unique()):
                test = (data.batch == held).to_numpy()
                train = ~test & (draw < fraction)
                sizes.append(int(train.sum()))
                model = ThemeClassifier(labels=scheme.leaves, random_state=0, char_ngrams=None, threshold_raise=0.05)
                model.fit(data.text[train].tolist(), y[train])
                decided[test] = model.predict(data.text[test].tolist())
            codes = [[scheme.leaves[j] for j in np.flatnonzero(r)] for r in decided]
            for row in compare(scheme, data[scheme.id].tolist(), codes).summary.to_dict(orient="records"):
                point[f"{scheme.id}/{row['level']} micro"] = row["micro_f1"]
                point[f"{scheme.id}/{row['level']} macro"] = row["macro_f1"]
            point["mean training complaints"] = round(float(np.mean(sizes)))
        point["seconds"] = round(time.perf_counter() - start, 1)
        points.append(point)
        print(json.dumps(point), flush=True)
    save(
        {"command": "python bench/learning_curve.py " + " ".join(sys.argv[1:]),
         "batches": int(data.batch.nunique()), "complaints": len(data), "points": points},
        args.results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
