"""Should the summary batches weigh more, since the model is judged on real summaries?

Usage: python bench/summary_weight.py [--weights 1 2 3] [--summaries s_ t_ ...] [--others N]

Leaves out each summary batch in turn (batches S-Y by default: ombudsman-style decisions,
complaint-handling points, report case examples, log lines, records with responses, multi-issue
summaries), trains the bundled model's configuration on every other batch with the remaining
summary batches weighted w, and scores the batch left out; the held-out files are not used.
``--others N`` instead scores the other batches (complainants' own words, officers' notes),
left out N groups at a time (round robin over the sorted batch names), to show what the
weighting costs them. Prints pooled micro-F1 per weight (reasons, categories, pillars) and saves
bench/results/summary_weight.json (summary_weight_others.json with --others).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model_selection import batches  # noqa: E402

from themes.evaluate import compare  # noqa: E402
from themes.model import shared_solves  # noqa: E402
from themes.scheme import load  # noqa: E402
from themes.train import classifier_for  # noqa: E402
from _results import save  # noqa: E402

SUMMARIES = ("s_", "t_", "u_", "v_", "w_", "x_", "y_")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    parser.add_argument("--summaries", nargs="+", default=list(SUMMARIES), help="batch name prefixes")
    parser.add_argument("--others", type=int, default=0, help="score the other batches in this many groups")
    args = parser.parse_args()
    data = batches()
    schemes = [load("causes"), load("pillars")]
    targets = {s.id: s.target_matrix(data[s.id].tolist()) for s in schemes}
    is_summary = data.batch.map(lambda b: b.startswith(tuple(args.summaries))).to_numpy()
    scored = ~is_summary if args.others else is_summary
    held_batches = sorted(data.batch[scored].unique())
    folds = [held_batches[k :: args.others] for k in range(args.others)] if args.others else [[b] for b in held_batches]
    params = {"threshold_raise": 0.05, "category_fill": 0.4}
    results, started = {}, time.perf_counter()
    for w in args.weights:
        codes = {s.id: [None] * len(data) for s in schemes}
        for held in folds:
            test = data.batch.isin(held).to_numpy()
            weights = np.where(is_summary, w, 1.0)[~test]
            with shared_solves():
                for s in schemes:
                    model = classifier_for(s, seed=0, params=params)
                    model.fit(data.text[~test].tolist(), targets[s.id][~test], sample_weight=weights)
                    decided = model.predict(data.text[test].tolist())
                    for i, row in zip(np.flatnonzero(test), decided, strict=True):
                        codes[s.id][i] = [s.leaves[j] for j in np.flatnonzero(row)]
        figures = {}
        for s in schemes:
            part = compare(s, data[s.id][scored].tolist(), [codes[s.id][i] for i in np.flatnonzero(scored)])
            for level in part.summary["level"]:
                figures[f"{s.id}/{level} micro"] = round(part.micro(level), 3)
        results[f"summary batches x{w:g}"] = figures
        print(f"x{w:g}", figures, f"{time.perf_counter() - started:.0f} s", flush=True)
    name = "summary_weight_others.json" if args.others else "summary_weight.json"
    save({"summary_batches": sorted(data.batch[is_summary].unique()), "held_out": folds, "rows": int(scored.sum()),
          "results": results}, ROOT / "bench" / "results" / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
