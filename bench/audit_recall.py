"""How well `themes audit` finds deliberately corrupted coding.

Usage: python bench/audit_recall.py [--rows 600] [--share 0.1] [--seeds 0 1 2] [--quick]

Takes the first ROWS complaints of the shipped training data, corrupts the codes of SHARE of them
(half: one cause reason swapped for another reason of a different category; half: one code,
cause or pillar, dropped), audits the corrupted file with out-of-fold predictions and cleanlab,
and reports the recall of corrupted rows among the first 1x and 2x as many ranked complaints
(random ranking would find SHARE and 2 x SHARE of them), for each seed (the seed picks the
corrupted rows and the folds). Prints and saves
bench/results/audit.json. Each seed is run twice: on the coded file alone, and with the rest of
the shipped data as reference data (``themes audit --reference``). --quick uses word features
only and 3 folds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from themes.audit import audit  # noqa: E402
from themes.data import read_labelled  # noqa: E402
from themes.scheme import load  # noqa: E402
from _results import save  # noqa: E402


def corrupt(frame: pd.DataFrame, *, share: float, seed: int) -> tuple[pd.DataFrame, dict[str, str]]:
    """A copy with SHARE of rows corrupted; and what was done to each corrupted id."""
    causes = load("causes")
    rng = np.random.default_rng(seed)
    out = frame.copy()
    n = int(round(share * len(frame)))
    eligible = np.flatnonzero(frame["causes"].str.strip().ne("").to_numpy())
    chosen = rng.choice(eligible, size=n, replace=False)
    done: dict[str, str] = {}
    for k, i in enumerate(chosen):
        given_causes = causes.split_codes(out.at[i, "causes"])
        given_pillars = causes.split_codes(out.at[i, "pillars"])
        if k % 2 == 0 and given_causes:
            old = given_causes[int(rng.integers(len(given_causes)))]
            category = causes.category_of(old)
            options = [r for r in causes.leaves if causes.category_of(r) != category and r not in given_causes]
            new = options[int(rng.integers(len(options)))]
            out.at[i, "causes"] = ";".join(new if c == old else c for c in given_causes)
            done[out.at[i, "id"]] = "swap"
        else:
            codes = [("causes", c) for c in given_causes] + [("pillars", p) for p in given_pillars]
            column, code = codes[int(rng.integers(len(codes)))]
            kept = [c for c in causes.split_codes(out.at[i, column]) if c != code]
            out.at[i, column] = ";".join(kept)
            done[out.at[i, "id"]] = "drop"
    return out, done


def run(frame: pd.DataFrame, *, share: float, seed: int, params: dict, reference: pd.DataFrame | None = None) -> dict:
    """Corrupt, audit and score once."""
    corrupted, truth = corrupt(frame, share=share, seed=seed)
    schemes = [load("causes"), load("pillars")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corrupted.csv"
        corrupted.to_csv(path, index=False)
        labelled = read_labelled(path, schemes)
        references = []
        if reference is not None:
            reference.to_csv(Path(folder) / "reference.csv", index=False)
            references.append(read_labelled(Path(folder) / "reference.csv", schemes))
        start = time.perf_counter()
        result = audit(labelled, schemes, reference=references, params=params, seed=seed)
        seconds = time.perf_counter() - start
    ranked = result.table["id"].tolist()
    n = len(truth)
    found = {k: [i for i in ranked[: k * n] if i in truth] for k in (1, 2)}
    kinds = {kind: sum(v == kind for v in truth.values()) for kind in ("swap", "drop")}
    return {
        "seed": seed,
        "corrupted": n,
        "kinds": kinds,
        "folds": result.folds,
        "recall_at_1x": round(len(found[1]) / n, 3),
        "recall_at_2x": round(len(found[2]) / n, 3),
        "recall_at_2x_by_kind": {
            kind: round(sum(truth[i] == kind for i in found[2]) / max(1, count), 3)
            for kind, count in kinds.items()
        },
        "median_rank_of_corrupted": float(np.median([ranked.index(i) + 1 for i in truth])),
        "seconds": round(seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    data = pd.read_csv(ROOT / "training_data" / "complaints.csv", dtype=str, keep_default_na=False)
    frame, rest = data.head(args.rows), data.iloc[args.rows :]
    params = {"char_ngrams": None, "cv": 3} if args.quick else {}
    report = {
        "command": "python bench/audit_recall.py" + (" --quick" if args.quick else ""),
        "rows": len(frame),
        "corrupted_share": args.share,
        "params": params or "defaults",
        "random_recall_at_2x": round(2 * args.share, 3),
    }
    # Alone: the coded file only. With reference: the rest of the shipped data trained on too
    # (themes audit --reference), as a council would audit its file against the shipped data.
    for mode, reference in (("alone", None), ("with_reference", rest)):
        runs = [run(frame, share=args.share, seed=seed, params=params, reference=reference) for seed in args.seeds]
        report[mode] = {
            "reference_rows": 0 if reference is None else len(reference),
            "recall_at_2x_mean": round(float(np.mean([r["recall_at_2x"] for r in runs])), 3),
            "recall_at_1x_mean": round(float(np.mean([r["recall_at_1x"] for r in runs])), 3),
            "runs": runs,
        }
    print(json.dumps(report, indent=2))
    results = ROOT / "bench" / "results"
    save(report, results / ("audit_quick.json" if args.quick else "audit.json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
