"""Assemble the hand-written batches into the training and held-out files.

Usage: python training_data/build.py

Reads training_data/batches/*.jsonl (one file per writing brief; heldout*.jsonl are held-out
sets), drops exact and near-duplicate texts (within and across files), gives each complaint an id
and a received date (seeded, 2019-04-01 to 2025-12-31), and writes complaints.csv and one
heldout*.csv per held-out set, with the columns id, received, team, stage, outcome, text, causes,
pillars; complaints.csv also has a ``weight`` column (SUMMARY_WEIGHT for the summary batches, 1
for the rest) for ``themes train --weight-column weight``. A training complaint that nearly
duplicates a held-out one is dropped from training.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261202
FIRST, LAST = dt.date(2019, 4, 1), dt.date(2025, 12, 31)
COLUMNS = ["id", "received", "team", "stage", "outcome", "text", "causes", "pillars"]
NEAR = 0.6
# Batches written as summaries by someone other than the complainant: the form of the real texts
# the bundled model is judged on. Their rows weigh more in training (bench/summary_weight.py).
SUMMARY_BATCHES = ("s_", "t_", "u_", "v_", "w_", "x_", "y_", "zk_", "zl_", "zm_", "zn_")
SUMMARY_WEIGHT = 2


def shingles(text: str) -> frozenset[str]:
    words = re.findall(r"[a-z']+", text.lower())
    return frozenset(" ".join(words[i : i + 4]) for i in range(max(0, len(words) - 3)))


def is_near(a: frozenset[str], b: frozenset[str]) -> bool:
    if len(a) < 6 or len(b) < 6:
        return False
    return len(a & b) / min(len(a), len(b)) > NEAR


def load(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row["batch"] = path.stem
            rows.append(row)
    return rows


def dedupe(rows: list[dict], against: list[frozenset[str]] | None = None) -> tuple[list[dict], int]:
    kept, seen_exact, seen_sh, dropped = [], set(), list(against or []), 0
    index: dict[str, list[int]] = {}
    for row in rows:
        key = re.sub(r"\W+", " ", row["text"].lower()).strip()
        sh = shingles(row["text"])
        candidates = {i for s in list(sh)[:40] for i in index.get(s, [])}
        if key in seen_exact or any(is_near(sh, seen_sh[i]) for i in candidates):
            dropped += 1
            continue
        seen_exact.add(key)
        for s in sh:
            index.setdefault(s, []).append(len(seen_sh))
        seen_sh.append(sh)
        kept.append(row)
    return kept, dropped


def finish(rows: list[dict], prefix: str, rng: random.Random, *, weights: bool = False) -> list[dict]:
    span = (LAST - FIRST).days
    out = []
    for n, row in enumerate(rows, start=1):
        received = FIRST + dt.timedelta(days=rng.randrange(span + 1))
        weight = {"weight": SUMMARY_WEIGHT if row["batch"].startswith(SUMMARY_BATCHES) else 1} if weights else {}
        out.append(
            {
                "id": f"{prefix}{n:05d}",
                "received": received.isoformat(),
                "team": row["team"],
                "stage": row["stage"],
                "outcome": row["outcome"],
                "text": row["text"].strip(),
                "causes": ";".join(dict.fromkeys(row["causes"])),
                "pillars": ";".join(dict.fromkeys(row["pillars"])),
                **weight,
            }
        )
    return out


def write(rows: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    rng = random.Random(SEED)
    batches = sorted(p for p in (HERE / "batches").glob("*.jsonl") if not p.stem.startswith("heldout"))
    held_paths = sorted((HERE / "batches").glob("heldout*.jsonl"))
    # Held-out files come first and stay fixed: a training text that nearly repeats a held-out
    # one is dropped from training, so adding a training batch never changes a test file.
    held_sets = {p.stem: dedupe(load(p)) for p in held_paths}
    held_sh = [shingles(r["text"]) for rows, _ in held_sets.values() for r in rows]
    train_rows = [row for p in batches for row in load(p)]
    rng.shuffle(train_rows)
    train_rows, dropped = dedupe(train_rows, against=held_sh)
    write(finish(train_rows, "T", rng, weights=True), HERE / "complaints.csv")
    print(f"complaints.csv: {len(train_rows)} rows from {len(batches)} batches ({dropped} near-duplicates dropped)")
    for stem, (rows, held_dropped) in held_sets.items():
        # Each file has its own random stream, so that neither training batches nor other
        # held-out files change its ids and dates.
        prefix = "H" + "".join(w[0].upper() for w in stem.split("_")[1:])
        seed = SEED + 1 if stem == "heldout" else SEED + zlib.crc32(stem.encode())
        write(finish(rows, prefix, random.Random(seed)), HERE / f"{stem}.csv")
        print(f"{stem}.csv: {len(rows)} rows ({held_dropped} near-duplicates dropped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
