"""Score a bundle on each hand-written batch, one row per batch.

Usage: python bench/batch_scores.py [--model models/default] [--save NAME] BATCH.jsonl ...

Shows how a model codes forms of writing it was not trained on: run it with a bundle trained
before a batch was written, on that batch. (A batch the bundle was trained on scores far too
well to mean anything.) Prints micro-F1 by level, labels coded per complaint by the writer and
by the model, and the share of a complaint's labels found by how many it has, per batch and for
all batches together; saves bench/results/NAME.json when --save is given. The model trained
before batches S-Y is in git: ``git archive 38cdcbc models/default | tar -x -C /tmp``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from themes.bundle import load  # noqa: E402
from themes.evaluate import compare  # noqa: E402
from themes.predict import predict_texts  # noqa: E402
from _results import save  # noqa: E402


def score(bundle, rows: list[dict]) -> dict:  # noqa: ANN001 - a themes Bundle
    preds = predict_texts(bundle, [r["text"] for r in rows])
    figures: dict = {"complaints": len(rows)}
    for scheme_id in bundle.models:
        gold = [list(r.get(scheme_id, [])) for r in rows]
        coded = preds.labels(scheme_id)
        # How many of a complaint's labels are found, by how many it has: a model tuned on
        # complaints raising about two may miss most of a list of six.
        found = Counter()
        for g, c in zip(gold, coded, strict=True):
            found[min(len(g), 6), "all"] += len(g)
            found[min(len(g), 6), "found"] += len(set(g) & set(c))
        figures[f"{scheme_id} recall by labels coded"] = {
            ("6+" if n == 6 else str(n)): round(found[n, "found"] / found[n, "all"], 3)
            for n in range(1, 7) if found[n, "all"]
        }
        result = compare(bundle.schemes[scheme_id], gold, coded)
        for level in result.summary["level"]:
            figures[f"{scheme_id}/{level} micro"] = round(result.micro(level), 3)
        figures[f"{scheme_id} per complaint, writer"] = round(sum(map(len, gold)) / len(rows), 2)
        figures[f"{scheme_id} per complaint, model"] = round(sum(map(len, coded)) / len(rows), 2)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("batches", nargs="+", type=Path)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--save", help="Save the figures as bench/results/SAVE.json.")
    args = parser.parse_args()
    bundle = load(args.model)
    results = {"model": str(args.model), "trained_rows": bundle.manifest["training"]["rows"], "batches": {}}
    everything = []
    for path in args.batches:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        everything += rows
        figures = score(bundle, rows)
        results["batches"][path.stem] = figures
        print(path.stem, json.dumps(figures), flush=True)
    if len(args.batches) > 1:
        results["all"] = score(bundle, everything)
        print("all", json.dumps(results["all"]), flush=True)
    if args.save:
        save(results, ROOT / "bench" / "results" / f"{args.save}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
