"""Classify throughput (complaints/s, end to end) and peak memory on generated exports.

Usage: python bench/classify_throughput.py [--sizes 10000 100000 1000000] [--jobs 1 2]
                                           [--model models/default] [--no-evidence]

Each input is an export of realistic complaints: every row takes as many sentences as a
complaint drawn from training_data/complaints.csv has, each sentence drawn at random from all of
them (seeded), so lengths and vocabulary are those of real-looking complaints but no row is a
copy. Each run is ``themes classify IN --out OUT.csv --jobs N`` in its own process, timed from
start to exit (Python start-up, model load, checking pass, coding, writing). Peak memory is the
largest total resident memory of that process and its worker processes, sampled every 50 ms.
Prints a table and saves bench/results/classify_throughput.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _results import save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "training_data" / "complaints.csv"
RESULTS = ROOT / "bench" / "results" / "classify_throughput.json"
SENTENCE = re.compile(r"(?<=[.!?])\s+")
TEAMS = ("Children in Care", "Children in Need", "Fostering", "Leaving Care", "Front Door", "Disabled Children")


def sentences_and_lengths() -> tuple[list[str], list[int]]:
    with open(TRAINING, encoding="utf-8-sig", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    pool: list[str] = []
    lengths: list[int] = []
    for text in texts:
        parts = [p.strip() for p in SENTENCE.split(text) if p.strip()]
        pool += parts
        lengths.append(len(parts))
    return pool, lengths


def generate(path: Path, rows: int, *, seed: int = 42) -> None:
    """An export of ``rows`` recombined complaints (id, received, team, description)."""
    rng = random.Random(seed)
    pool, lengths = sentences_and_lengths()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Complaint Ref", "Date Received", "Team", "Description"])
        for i in range(rows):
            text = " ".join(rng.choices(pool, k=rng.choice(lengths)))
            day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            writer.writerow([f"CMP-{i + 1:07d}", day, rng.choice(TEAMS), text])


def run(command: list[str]) -> dict:
    """Wall time, CPU time and peak resident memory (process tree) of one command."""
    before = os.times()
    start = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = os.times()
    stderr = process.stderr.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round((after.children_user - before.children_user) + (after.children_system - before.children_system), 2),
        "peak_rss_mb": round(peak / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "default")
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--no-evidence", action="store_true", help="Pass --no-evidence to classify.")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "themes-bench",
                        help="Folder for the generated inputs (kept for reuse) and outputs.")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not (args.model / "manifest.json").is_file():
        raise SystemExit(f"No model bundle at {args.model}: train one or pass --model DIR.")
    args.data.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    runs = []
    for size in args.sizes:
        source = args.data / f"export_{size}.csv"
        if not source.exists():
            print(f"generating {size:,} rows ...", flush=True)
            generate(source, size)
        for jobs in args.jobs:
            out = args.data / f"coded_{size}_{jobs}.csv"
            command = [
                sys.executable, "-m", "themes", "classify", str(source), "--out", str(out),
                "--model", str(args.model), "--jobs", str(jobs), "--chunk-size", str(args.chunk_size),
                "--overwrite",
            ] + (["--no-evidence"] if args.no_evidence else [])
            measured = run(command)
            measured.update(
                rows=size, jobs=jobs, input_mb=round(source.stat().st_size / 2**20, 1),
                rows_per_second=round(size / measured["seconds"], 1),
            )
            runs.append(measured)
            save_runs(args, runs, load_start)
            print(
                f"{size:>9,} rows  jobs={jobs}  {measured['seconds']:>8.1f} s  "
                f"{measured['rows_per_second']:>8,.0f} rows/s  cpu {measured['cpu_seconds']:>8.1f} s  "
                f"peak {measured['peak_rss_mb']:>7,.0f} MB",
                flush=True,
            )
            out.unlink(missing_ok=True)
    return 0


def save_runs(args: argparse.Namespace, runs: list[dict], load_start: tuple[float, ...]) -> None:
    """Save after every run, so a long run that is stopped still leaves its figures."""
    result = {
        "command": "python bench/classify_throughput.py " + " ".join(sys.argv[1:]),
        "model": str(args.model),
        "model_params": json.loads((args.model / "manifest.json").read_text(encoding="utf-8")).get("params"),
        "evidence": not args.no_evidence,
        "chunk_size": args.chunk_size,
        "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_start],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": runs,
    }
    save(result, args.results)


if __name__ == "__main__":
    raise SystemExit(main())
