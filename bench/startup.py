"""Start-up time of ``themes --help`` and of every ``themes COMMAND --help``, and what they import.

Usage: python bench/startup.py [--runs 21] [--commands]

Times ``python -m themes --help`` (the median of --runs runs, wall and CPU seconds; the first run
is discarded as a warm-up), checks in a subprocess that no help screen imports scikit-learn,
spaCy, pandas or numpy, and lists the modules whose import costs most (``python -X importtime``).
With --commands, every command's help is timed too. The figure depends on whether Python can
cache compiled bytecode (PYTHONDONTWRITEBYTECODE=1 turns that off for an editable install): both
are measured. Prints and saves bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "startup.json"
HEAVY = ("pandas", "sklearn", "spacy", "numpy", "scipy")

# Runs in a fresh interpreter: every help screen, then which heavy packages got imported.
PROBE = """
import sys
import typer.main
from themes.cli import app

def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, prefix + [name])

group = typer.main.get_command(app)
found = {}
for args in paths(group, []):
    try:
        group.main(args=args + ["--help"], prog_name="themes", standalone_mode=False)
    except SystemExit:
        pass
    found[" ".join(args) or "(themes)"] = sorted(
        {m.split(".")[0] for m in sys.modules} & set(sys.argv[1:])
    )
print("RESULT", found)
"""


def heavy_imports() -> dict[str, list[str]]:
    """For every help screen, the heavy packages imported once it has been shown."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, cwd=ROOT, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return eval(line.removeprefix("RESULT "), {})  # noqa: S307 - our own probe's dict literal


def time_help(args: list[str], runs: int, env: dict[str, str]) -> dict:
    walls, cpus = [], []
    for i in range(runs + 1):
        before = os.times()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "themes", *args, "--help"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = os.times()
        if i == 0:
            continue  # warm-up: fills the OS file cache and, when allowed, the bytecode cache
        walls.append(wall)
        cpus.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
    return {"median_seconds": round(statistics.median(walls), 3), "median_cpu_seconds": round(statistics.median(cpus), 3),
            "min_seconds": round(min(walls), 3)}


def import_costs(env: dict[str, str], top: int = 12) -> list[dict]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "themes", "--help"], env=env,
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match[3]) <= 2:
            rows.append({"module": match[4], "cumulative_ms": round(int(match[2]) / 1000, 1)})
    return sorted(rows, key=lambda r: -r["cumulative_ms"])[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--commands", action="store_true", help="Also time every COMMAND --help.")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    imported = heavy_imports()
    clean = all(not mods for mods in imported.values())
    print(f"help screens checked: {len(imported)}; heavy imports: "
          + ("none" if clean else "; ".join(f"{k}: {v}" for k, v in imported.items() if v)))

    settings = {
        "no bytecode cache (PYTHONDONTWRITEBYTECODE=1)": {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        "bytecode cached (as after pip install)": {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(prefix="themes-pyc-"),
        },
    }
    timings = {}
    for label, env in settings.items():
        timings[label] = {"themes --help": time_help([], args.runs, env)}
        print(f"themes --help, {label}: median {timings[label]['themes --help']['median_seconds']:.3f} s "
              f"(CPU {timings[label]['themes --help']['median_cpu_seconds']:.3f} s)")
    baseline = {}
    for label, env in settings.items():
        walls = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
            walls.append(time.perf_counter() - start)
        baseline[label] = round(statistics.median(walls), 3)
        print(f"bare 'python -c pass', {label}: median {baseline[label]:.3f} s")
    if args.commands:
        env = settings["bytecode cached (as after pip install)"]
        for command in [k for k in imported if k != "(themes)"]:
            timings["bytecode cached (as after pip install)"][f"themes {command} --help"] = time_help(
                command.split(), max(3, args.runs // 4), env
            )
            print(f"themes {command} --help: median "
                  f"{timings['bytecode cached (as after pip install)'][f'themes {command} --help']['median_seconds']:.3f} s")
    costs = import_costs(settings["bytecode cached (as after pip install)"])
    print("costliest top-level imports (ms, cumulative): "
          + ", ".join(f"{c['module']} {c['cumulative_ms']}" for c in costs[:8]))
    result = {
        "command": "python bench/startup.py " + " ".join(sys.argv[1:]),
        "runs": args.runs,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
        "help_imports_heavy_packages": not clean,
        "heavy_imports_by_screen": imported,
        "timings": timings,
        "bare_python_seconds": baseline,
        "costliest_imports_ms": costs,
    }
    save(result, args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
