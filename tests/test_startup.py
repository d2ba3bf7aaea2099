"""Fast start: no help screen imports scikit-learn, spaCy, pandas or numpy (timings: bench/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "sklearn", "spacy", "numpy", "scipy")

PROBE = """
import json, sys
import typer.main
from themes.cli import app

def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, prefix + [name])

group = typer.main.get_command(app)
heavy = set(sys.argv[1:])
found = {}
for args in paths(group, []):
    before = {m.split(".")[0] for m in sys.modules}
    try:
        group.main(args=args + ["--help"], prog_name="themes", standalone_mode=False)
    except SystemExit:
        pass
    found[" ".join(args) or "(themes)"] = sorted({m.split(".")[0] for m in sys.modules} & heavy)
print(json.dumps({"screens": found, "console": "rich.console" in sys.modules}))
"""


def probe(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_help_screen_imports_the_heavy_libraries():
    found = probe(PROBE, *HEAVY)["screens"]
    assert {"(themes)", "classify", "train", "scheme", "scheme list"} <= set(found)
    assert {screen: mods for screen, mods in found.items() if mods} == {}


def test_top_level_help_does_not_load_rich_consoles():
    code = (
        "import json, sys\n"
        "from themes.cli import main\n"
        "sys.argv = ['themes', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps({'loaded': sorted(m for m in ('rich.console', 'typer.rich_utils') if m in sys.modules)}))\n"
    )
    assert probe(code)["loaded"] == []


def test_lazy_console_prints(capsys):
    from themes.cli import _util

    console = _util.LazyConsole(highlight=False)
    console.print("[bold]kept as typed[/]", markup=False)
    assert capsys.readouterr().out == "[bold]kept as typed[/]\n"
