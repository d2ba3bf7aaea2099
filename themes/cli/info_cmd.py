"""themes info: what a bundle is, how it was trained and how well it scored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import default_model, out, print_scores, reported


def info(
    model: Annotated[Path | None, typer.Argument(help="Bundle folder. Default: models/default.")] = None,
) -> None:
    """Describe a model bundle: schemes, training data, versions and scores (checks its files)."""
    with reported():
        from ..bundle import check_libraries, read_manifest, verify_files

        folder = model or default_model()
        manifest = read_manifest(folder)
        verify_files(folder, manifest)
        problems = []
        try:
            check_libraries(folder, manifest)
        except Exception as exc:  # noqa: BLE001 - shown, not raised: info must still describe it
            problems.append(str(exc))
        training = manifest["training"]
        out.print(f"Bundle {manifest['name']} at {folder}", markup=False)
        out.print(f"  trained {manifest['created']}, seed {manifest['seed']}, themes {manifest['themes_version']}", markup=False)
        out.print(f"  training rows: {training['rows']} from " + ", ".join(f"{s['file']} (weight {s['weight']})" for s in training["sources"]), markup=False)
        for sid, meta in manifest["schemes"].items():
            out.print(f"  scheme {sid} {meta['version']}: {len(meta['labels'])} labels", markup=False)
        out.print("  libraries: " + ", ".join(f"{k} {v}" for k, v in manifest["libraries"].items()), markup=False)
        print_scores(manifest.get("metrics", {}))
        for p in problems:
            out.print("Warning: " + p, markup=False)
        out.print(f"Model card: {folder / 'MODEL_CARD.md'}", markup=False)
