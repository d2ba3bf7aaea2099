"""Compare model configurations by leave-one-batch-out cross-validation.

Usage: python bench/model_selection.py [--quick]

Each training batch was written from its own brief (voices, services, forms), so training on
the other batches and scoring on the one left out imitates meeting complaints written by other
people. This is how the default configuration was chosen; the held-out file is not used here.
Prints and saves bench/results/model_selection.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from themes.evaluate import compare  # noqa: E402
from themes.model import ThemeClassifier  # noqa: E402
from themes.scheme import load  # noqa: E402
from _results import save  # noqa: E402

CONFIGS = {
    "ridge, spacy words + chars": {"char_ngrams": (2, 5)},
    "ridge, spacy words": {"char_ngrams": None},
    "ridge, regex words": {"tokenizer": "regex", "char_ngrams": None},
    "ridge, regex words + chars": {"tokenizer": "regex", "char_ngrams": (2, 5)},
    "ridge, spacy words, alpha 0.5": {"char_ngrams": None, "alpha": 0.5},
    # The default is alpha 2: "ridge, spacy words".
    "ridge, spacy words 1-3": {"char_ngrams": None, "word_ngrams": (1, 3)},
    "ridge, spacy words, alpha 1": {"char_ngrams": None, "alpha": 1.0},
    "ridge, spacy words, alpha 4": {"char_ngrams": None, "alpha": 4.0},
    # Thresholds tuned on folds that are the training batches (fit(..., groups=batch)).
    "ridge, spacy words, thresholds by batch": {"char_ngrams": None, "groups": "batch"},
    "logistic, spacy words": {"solver": "logistic", "char_ngrams": None},
}


def batches() -> pd.DataFrame:
    rows = []
    for path in sorted((ROOT / "training_data" / "batches").glob("*.jsonl")):
        if path.stem == "heldout":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row["batch"] = path.stem
                rows.append(row)
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="Only the first four configurations.")
    parser.add_argument("--only", nargs="*", help="Configuration names to run.")
    args = parser.parse_args()
    data = batches()
    schemes = [load("causes"), load("pillars")]
    configs = dict(list(CONFIGS.items())[:4]) if args.quick else CONFIGS
    if args.only:
        configs = {k: v for k, v in CONFIGS.items() if k in args.only}
    results = {}
    for name, params in configs.items():
        start = time.perf_counter()
        results[name] = {}
        for scheme in schemes:
            y = scheme.target_matrix(data[scheme.id].tolist())
            decided = np.zeros(y.shape, dtype=np.int8)
            for held in sorted(data.batch.unique()):
                test = (data.batch == held).to_numpy()
                settings = {k: v for k, v in params.items() if k != "groups"}
                model = ThemeClassifier(labels=scheme.leaves, random_state=0, **settings)
                groups = data[params["groups"]][~test].tolist() if "groups" in params else None
                model.fit(data.text[~test].tolist(), y[~test], groups=groups)
                decided[test] = model.predict(data.text[test].tolist())
            codes = [[scheme.leaves[j] for j in np.flatnonzero(r)] for r in decided]
            result = compare(scheme, data[scheme.id].tolist(), codes)
            for row in result.summary.to_dict(orient="records"):
                results[name][f"{scheme.id}/{row['level']} micro"] = row["micro_f1"]
                results[name][f"{scheme.id}/{row['level']} macro"] = row["macro_f1"]
        results[name]["seconds"] = round(time.perf_counter() - start, 1)
        print(name, json.dumps(results[name]), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model_selection.json"
    # Runs of some configurations add to (or replace) the figures of earlier runs.
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved.update(results)
    save(saved, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
