"""Saving a benchmark's figures: every script in bench/ writes its JSON through here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from themes.data import atomic_path  # noqa: E402


def save(figures: dict, path: Path) -> Path:
    """Write ``figures`` as JSON, whole or not at all, and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"saved {shown}")
    return path
