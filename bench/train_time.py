"""Time to train the default model: ``themes train training_data/complaints.csv`` into a temp dir.

Usage: python bench/train_time.py [--jobs 2] [--keep DIR] [-- extra 'themes train' options]

Runs the command in its own process (so the figure includes Python start-up, reading the data
and saving the bundle) and reports wall seconds, CPU seconds of the process and its children,
and the rows trained on. --keep DIR keeps the bundle (for bench/classify_throughput.py --model).
Prints and saves bench/results/train_time.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from _results import save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "training_data" / "complaints.csv"
RESULTS = ROOT / "bench" / "results" / "train_time.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Keep the trained bundle in this folder.")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("extra", nargs="*", help="More 'themes train' options, after --.")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="themes-train-"))
    bundle = workdir / "model"
    command = [sys.executable, "-m", "themes", "train", str(TRAINING), "--out", str(bundle),
               "--jobs", str(args.jobs), *args.extra]
    load_before = os.getloadavg()
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    try:
        if done.returncode != 0:
            raise SystemExit(f"themes train failed ({done.returncode}):\n{done.stderr}")
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        if args.keep:
            if args.keep.exists():
                shutil.rmtree(args.keep)
            shutil.copytree(bundle, args.keep)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "command": "python bench/train_time.py " + " ".join(sys.argv[1:]),
        "train_command": "themes train training_data/complaints.csv --out TMP --jobs " + str(args.jobs)
        + "".join(f" {x}" for x in args.extra),
        "seconds": round(wall, 1),
        "cpu_seconds": round((after.children_user - before.children_user) + (after.children_system - before.children_system), 1),
        "rows": manifest["training"]["rows"],
        "params": manifest.get("params"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
    }
    print(f"trained the default model on {result['rows']:,} complaints in {result['seconds']:.1f} s "
          f"(CPU {result['cpu_seconds']:.1f} s, --jobs {args.jobs})")
    save(result, args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
