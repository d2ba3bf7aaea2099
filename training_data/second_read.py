"""A second, blind read of the training labels that a model trained on other batches doubts.

Usage:
  python training_data/second_read.py questions OUT_DIR [--parts 4] [--rows 1600]
  python training_data/second_read.py apply OUT_DIR

``questions`` scores every training complaint with models that never saw its batch (the
bundled configuration, each batch a cross-validation fold), and picks the complaints where a
given code scores under 0.05 or a missing one over 0.8, most doubtful first. For each it lists
those codes, shuffled among decoys (a given code the model agrees with, a missing one it half
suspects), so the second coder cannot tell which codes were given. It writes
``in_N.jsonl`` for the coders and ``key.json``.

``apply`` reads the coders' ``out_N.jsonl`` ({"id", "answers": {label: yes|no|unsure}}) and
changes a doubted code only where the second coder sides with the model: two of three readers
(first coder, model, second coder) agree. ``unsure`` keeps the first coder's code. It edits the
batch files in place (git keeps the history), logs every change to second_read.csv, and prints
how often the second coder agreed with the first on the decoys. Then run build.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

LOW, HIGH = 0.05, 0.8


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _batch_rows() -> dict[str, tuple[Path, int]]:
    """Where each training text lives: its batch file and line number."""
    where: dict[str, tuple[Path, int]] = {}
    for path in sorted((HERE / "batches").glob("*.jsonl")):
        if path.stem.startswith("heldout"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                where.setdefault(_norm(json.loads(line)["text"]), (path, n))
    return where


def questions(out: Path, parts: int, rows: int, seed: int = 7) -> None:
    from themes import scheme as schemes_mod
    from themes.data import read_labelled
    from themes.model import shared_solves
    from themes.train import classifier_for

    schemes = [schemes_mod.load("causes"), schemes_mod.load("pillars")]
    labelled = read_labelled(HERE / "complaints.csv", schemes)
    where = _batch_rows()
    groups = [where[_norm(t)][0].stem for t in labelled.texts]
    scored = {}
    with shared_solves():
        for scheme in schemes:
            y = labelled.targets(scheme)
            model = classifier_for(scheme, seed=0, params={"threshold_raise": 0.05, "category_fill": 0.4})
            model.fit(labelled.texts, y, groups=groups)
            scored[scheme.id] = (model.oof_proba_, y, scheme.leaves)
    rng = random.Random(seed)
    doubt = np.zeros(len(labelled.texts))
    asked: list[dict[str, tuple[str, float]]] = [{} for _ in labelled.texts]
    for p, y, leaves in scored.values():
        for i, j in zip(*np.nonzero((y == 1) & (p < LOW)), strict=True):
            asked[i][leaves[j]] = ("given", float(p[i, j]))
            doubt[i] = max(doubt[i], -np.log(p[i, j] + 1e-4))
        for i, j in zip(*np.nonzero((y == 0) & (p > HIGH)), strict=True):
            asked[i][leaves[j]] = ("suggested", float(p[i, j]))
            doubt[i] = max(doubt[i], -np.log(1 - p[i, j] + 1e-4))
    chosen = [i for i in np.argsort(-doubt, kind="stable") if asked[i]][:rows]
    items = []
    for i in chosen:
        q = dict(asked[i])
        for p, y, leaves in scored.values():
            agree = [leaves[j] for j in np.flatnonzero((y[i] == 1) & (p[i] > 0.5)) if leaves[j] not in q]
            maybe = [leaves[j] for j in np.flatnonzero((y[i] == 0) & (p[i] > 0.15) & (p[i] < 0.5)) if leaves[j] not in q]
            if agree and rng.random() < 0.7:
                pick = rng.choice(agree)
                q[pick] = ("decoy_given", float(p[i, leaves.index(pick)]))
            if maybe and rng.random() < 0.5:
                q[rng.choice(maybe)] = ("decoy_absent", 0.0)
        labels = list(q)
        rng.shuffle(labels)
        items.append((labelled.ids[i], labelled.texts[i], labels, {lab: q[lab] for lab in labels}))
    rng.shuffle(items)
    out.mkdir(parents=True, exist_ok=True)
    key = {}
    for part in range(parts):
        with (out / f"in_{part + 1}.jsonl").open("w", encoding="utf-8") as f:
            for id_, text, labels, kinds in items[part::parts]:
                f.write(json.dumps({"id": id_, "text": text, "labels": labels}, ensure_ascii=False) + "\n")
                key[id_] = {"text": text, "kinds": kinds}
    (out / "key.json").write_text(json.dumps(key, ensure_ascii=False), encoding="utf-8")
    print(f"{len(items)} complaints in {parts} parts under {out}")


def apply(out: Path) -> None:
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    where = _batch_rows()
    files: dict[Path, list[dict]] = {}
    changes, decoys = [], {"decoy_given": [0, 0], "decoy_absent": [0, 0]}
    answered = 0
    for path in sorted(out.glob("out_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            answer = json.loads(line)
            entry = key[answer["id"]]
            batch, n = where[_norm(entry["text"])]
            rows = files.setdefault(batch, [json.loads(x) for x in batch.read_text(encoding="utf-8").splitlines() if x.strip()])
            row = rows[n]
            for label, (kind, score) in entry["kinds"].items():
                said = answer["answers"].get(label, "unsure")
                answered += 1
                if kind.startswith("decoy"):
                    decoys[kind][0] += said == ("yes" if kind == "decoy_given" else "no")
                    decoys[kind][1] += said != "unsure"
                    continue
                column = "causes" if "." in label else "pillars"
                if kind == "given" and said == "no":
                    row[column] = [x for x in row[column] if x != label]
                elif kind == "suggested" and said == "yes" and label not in row[column]:
                    row[column] = [*row[column], label]
                else:
                    continue
                changes.append({"batch": batch.stem, "line": n + 1, "label": label,
                                "first coder": "yes" if kind == "given" else "no",
                                "second coder": said, "model score": round(score, 3)})
    for batch, rows in files.items():
        tmp = batch.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(batch)
    log = HERE / "second_read.csv"
    new = not log.exists()
    with log.open("a", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["batch", "line", "label", "first coder", "second coder", "model score"])
        if new:
            writer.writeheader()
        writer.writerows(changes)
    for kind, (agree, decided) in decoys.items():
        print(f"{kind}: second coder agreed with the first on {agree} of {decided} decided")
    print(f"{answered} answers; {len(changes)} codes changed; logged in {log.name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("questions")
    q.add_argument("out", type=Path)
    q.add_argument("--parts", type=int, default=4)
    q.add_argument("--rows", type=int, default=1600)
    a = sub.add_parser("apply")
    a.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "questions":
        questions(args.out, args.parts, args.rows)
    else:
        apply(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
