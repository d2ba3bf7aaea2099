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

CONFIGS = {
    "spacy words + chars": {"tokenizer": "spacy", "char_ngrams": (2, 5)},
    "spacy words": {"tokenizer": "spacy", "char_ngrams": None},
    "regex words": {"tokenizer": "regex", "char_ngrams": None},
    "regex words + chars": {"tokenizer": "regex", "char_ngrams": (2, 5)},
    "spacy words, C=2": {"tokenizer": "spacy", "char_ngrams": None, "C": 2.0},
    "spacy words, C=32": {"tokenizer": "spacy", "char_ngrams": None, "C": 32.0},
    "spacy words, unweighted": {"tokenizer": "spacy", "char_ngrams": None, "class_weight": None},
    "spacy words + chars 3-5": {"tokenizer": "spacy", "char_ngrams": (3, 5)},
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
    parser.add_argument("--quick", action="store_true", help="Only the first three configurations.")
    parser.add_argument("--only", nargs="*", help="Configuration names to run.")
    args = parser.parse_args()
    data = batches()
    schemes = [load("causes"), load("pillars")]
    configs = dict(list(CONFIGS.items())[:3]) if args.quick else CONFIGS
    if args.only:
        configs = {k: v for k, v in CONFIGS.items() if k in args.only}
    results = {}
    for name, params in configs.items():
        start = time.perf_counter()
        scores: dict[str, list[float]] = {}
        for held in sorted(data.batch.unique()):
            train, test = data[data.batch != held], data[data.batch == held]
            for scheme in schemes:
                y = scheme.target_matrix(train[scheme.id].tolist())
                model = ThemeClassifier(labels=scheme.leaves, cv=3, n_jobs=2, **params)
                model.fit(train.text.tolist(), y)
                pred = model.predict(test.text.tolist())
                codes = [[scheme.leaves[j] for j in np.flatnonzero(r)] for r in pred]
                result = compare(scheme, test[scheme.id].tolist(), codes)
                for row in result.summary.to_dict(orient="records"):
                    key = f"{scheme.id}/{row['level']}"
                    scores.setdefault(f"{key} micro", []).append(row["micro_f1"])
                    scores.setdefault(f"{key} macro", []).append(row["macro_f1"])
        results[name] = {k: round(float(np.mean(v)), 4) for k, v in scores.items()}
        results[name]["seconds"] = round(time.perf_counter() - start, 1)
        print(name, json.dumps(results[name]), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_selection.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
