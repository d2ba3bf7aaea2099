"""themes info: what a bundle is, how it was trained and how well it scored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._util import default_model, out, reported


def info(
    model: Annotated[Path | None, typer.Argument(help="Bundle folder. Default: models/default.")] = None,
) -> None:
    """Describe a model bundle: schemes, training data, versions and scores (checks its files)."""
    with reported():
        from rich.table import Table

        from ..bundle import check_libraries, heldout_evaluations, read_manifest, verify_files

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
        metrics = manifest.get("metrics", {})
        sections = [("Cross-validated", metrics.get("cross_validated"))]
        sections += [(f"Held-out ({held['file']})", held) for held in heldout_evaluations(metrics)]
        for title, results in sections:
            if not results:
                continue
            table = Table("scheme", "level", "micro-F1", "macro-F1", title=title)
            for sid, result in results.items():
                if isinstance(result, dict):
                    for row in result["summary"]:
                        table.add_row(sid, row["level"], f"{row['micro_f1']:.3f}", f"{row['macro_f1']:.3f}")
            out.print(table)
        for p in problems:
            out.print("Warning: " + p, markup=False)
        out.print(f"Model card: {folder / 'MODEL_CARD.md'}", markup=False)
