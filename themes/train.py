"""Train a bundle: one :class:`ThemeClassifier` per scheme found in the labelled data.

Several labelled files may be combined, each with a weight (for example the shipped training
data at weight 1 and a council's own coded complaints at weight 3). A scheme is trained when any
file has its column; rows from files without it do not count for that scheme.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .bundle import Bundle, sha256_file
from .data import Labelled, _norm, read_labelled, row_list
from .errors import LabelError, UsageError
from .evaluate import SchemeEvaluation, calibration_report, compare, review_capture
from .model import ThemeClassifier, shared_solves
from .predict import ReviewRule, predict_texts
from .scheme import Scheme

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total)."""


@dataclass(frozen=True)
class Source:
    path: Path
    weight: float = 1.0
    crosswalk: Path | None = None
    """A crosswalk file: the file is coded in another scheme and is converted before use."""


@dataclass
class TrainingSet:
    texts: list[str]
    weights: np.ndarray
    targets: dict[str, np.ndarray]
    codes: dict[str, list[list[str]]]
    sources: list[dict]


def gather(
    sources: Sequence[Source],
    schemes: Sequence[Scheme],
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    weight_column: str | None = None,
) -> TrainingSet:
    """Read and combine labelled files; unknown cells for schemes a file does not code.

    ``weight_column`` names a column of per-row weights that multiply the file's weight (the
    shipped data weighs its summaries so); rows of files without that column weigh 1.
    """
    if not sources:
        raise UsageError("Give at least one labelled file to train on.")
    texts: list[str] = []
    weights: list[np.ndarray] = []
    parts: list[Labelled] = []
    meta = []
    for source in sources:
        if source.weight <= 0:
            raise UsageError(f"The weight of {source.path.name} must be above 0.")
        if source.crosswalk is not None:
            from .crosswalk import load as load_crosswalk, read_crosswalked

            labelled = read_crosswalked(
                source.path, load_crosswalk(source.crosswalk), schemes,
                text_column=text_column, id_column=id_column,
            )
        else:
            labelled = read_labelled(source.path, schemes, text_column=text_column, id_column=id_column)
        parts.append(labelled)
        texts += labelled.texts
        rows = row_weights(labelled.frame, weight_column, source.path.name) if weight_column else None
        weights.append(float(source.weight) * (rows if rows is not None else np.ones(len(labelled.frame))))
        meta.append(
            {
                "file": source.path.name,
                "sha256": sha256_file(source.path),
                "rows": len(labelled.frame),
                "weight": source.weight,
                **({"row_weights": _weight_summary(rows, weight_column)} if rows is not None else {}),
                "schemes": sorted(labelled.codes),
                **({"crosswalk": source.crosswalk.name} if source.crosswalk is not None else {}),
            }
        )
    if weight_column and not any("row_weights" in m for m in meta):
        raise UsageError(
            f"No training file has the weight column {weight_column!r}. Columns of "
            f"{sources[0].path.name}: {', '.join(map(str, parts[0].frame.columns))}."
        )
    targets: dict[str, np.ndarray] = {}
    codes: dict[str, list[list[str]]] = {}
    for scheme in schemes:
        if not any(scheme.id in p.codes for p in parts):
            continue
        blocks, rows = [], []
        for p in parts:
            if scheme.id in p.codes:
                blocks.append(p.targets(scheme))
                rows += p.codes[scheme.id]
            else:
                blocks.append(np.full((len(p.frame), len(scheme.leaves)), -1, dtype=np.int8))
                rows += [[] for _ in range(len(p.frame))]
        targets[scheme.id] = np.vstack(blocks)
        codes[scheme.id] = rows
    return TrainingSet(texts=texts, weights=np.concatenate(weights), targets=targets, codes=codes, sources=meta)


def row_weights(frame: pd.DataFrame, column: str, name: str) -> np.ndarray | None:
    """The numbers in ``frame``'s weight ``column`` (blank cells weigh 1), or None without it."""
    by_norm = {_norm(c): c for c in frame.columns}
    if _norm(column) not in by_norm:
        return None
    cells = frame[by_norm[_norm(column)]].astype(str).str.strip()
    values = pd.to_numeric(cells.where(cells != "", "1"), errors="coerce").to_numpy(dtype=float)
    bad = [i + 2 for i, v in enumerate(values) if not np.isfinite(v) or v <= 0]
    if bad:
        raise LabelError(
            f"{name}: the weight column {column!r} must hold numbers above 0 (or be blank for 1); "
            f"not so at {row_list(bad)}."
        )
    return values


def _weight_summary(rows: np.ndarray, column: str) -> dict:
    values, counts = np.unique(rows, return_counts=True)
    return {"column": column, "counts": {f"{v:g}": int(c) for v, c in zip(values, counts, strict=True)}}


def train(
    sources: Sequence[Source],
    schemes: Sequence[Scheme],
    *,
    name: str = "model",
    seed: int = 0,
    params: dict | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    heldout: Path | Sequence[Path] | None = None,
    progress: Progress | None = None,
    weight_column: str | None = None,
) -> Bundle:
    """Fit a model for every scheme the data codes; return an unsaved :class:`Bundle`.

    ``heldout`` files are scored after fitting and recorded in the manifest; the first is the
    model card's main estimate.
    """
    data = gather(sources, schemes, text_column=text_column, id_column=id_column, weight_column=weight_column)
    by_id = {s.id: s for s in schemes}
    models: dict[str, ThemeClassifier] = {}
    cv: dict[str, dict] = {}
    counts: dict[str, dict[str, int]] = {}
    # The schemes are fitted on the same texts: the slow solve is done once for all of them.
    with shared_solves():
        for scheme_id, y in data.targets.items():
            scheme = by_id[scheme_id]
            usable = (y >= 0).any(axis=1)
            positives = (y == 1).sum(axis=0)
            if positives.sum() == 0:
                raise LabelError(f"Column '{scheme_id}' has no codes at all: code some complaints first.")
            counts[scheme_id] = {leaf: int(c) for leaf, c in zip(scheme.leaves, positives, strict=True)}
            texts = [t for t, u in zip(data.texts, usable, strict=True) if u]
            model = classifier_for(scheme, seed=seed, params=params)
            model.fit(texts, y[usable], sample_weight=data.weights[usable])
            if progress:
                progress(f"Trained {scheme_id}", 1, 1)
            models[scheme_id] = model
            oof_codes = _codes_from(model.decide(model.oof_proba_), scheme)
            gold = [c for c, u in zip(data.codes[scheme_id], usable, strict=True) if u]
            cv[scheme_id] = compare(scheme, gold, oof_codes).as_dict()
            cv[scheme_id]["thresholds"] = {
                leaf: float(t) for leaf, t in zip(scheme.leaves, model.thresholds_, strict=True)
            }
    used = {sid: by_id[sid] for sid in models}
    manifest = {
        "name": name,
        "created": dt.date.today().isoformat(),
        "seed": seed,
        "params": models[next(iter(models))].get_params() | {"labels": None, "categories": None},
        "training": {"sources": data.sources, "rows": len(data.texts), "label_counts": counts},
        "metrics": {"cross_validated": cv},
        "review": ReviewRule().as_dict(),
    }
    bundle = Bundle(path=None, manifest=manifest, schemes=used, models=models)
    files = [heldout] if isinstance(heldout, (str, Path)) else list(heldout or [])
    evaluations = [
        {
            "file": Path(path).name,
            "sha256": sha256_file(Path(path)),
            **{k: v.as_dict() for k, v in evaluate_file(bundle, Path(path)).items()},
        }
        for path in files
    ]
    if evaluations:
        manifest["metrics"]["heldout"] = evaluations[0]
    if len(evaluations) > 1:
        manifest["metrics"]["heldout_more"] = evaluations[1:]
    return bundle


def classifier_for(scheme: Scheme, *, seed: int = 0, params: dict | None = None) -> ThemeClassifier:
    """An unfitted classifier for ``scheme``'s labels (and their categories) with ``params``."""
    categories = [scheme.category_of(leaf) for leaf in scheme.leaves] if scheme.is_hierarchical else None
    return ThemeClassifier(labels=scheme.leaves, categories=categories, random_state=seed, **(params or {}))


def _codes_from(decisions: np.ndarray, scheme: Scheme) -> list[list[str]]:
    return [[scheme.leaves[j] for j in np.flatnonzero(row)] for row in decisions]


def evaluate_file(
    bundle: Bundle,
    path: Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    rule: ReviewRule | None = None,
) -> dict[str, SchemeEvaluation]:
    """Score a bundle on a labelled file: one evaluation per scheme both have.

    Each evaluation also carries the calibration of the scheme's scores and how many of its
    errors the review flag (by ``rule``, default the bundle's) catches.
    """
    labelled = read_labelled(path, list(bundle.schemes.values()), text_column=text_column, id_column=id_column)
    preds = predict_texts(bundle, labelled.texts, rule=rule)
    results = {}
    for scheme_id, scheme in bundle.schemes.items():
        if scheme_id in labelled.codes:
            results[scheme_id] = compare(scheme, labelled.codes[scheme_id], preds.labels(scheme_id))
            gold = scheme.target_matrix(labelled.codes[scheme_id])
            proba = preds.proba[scheme_id]
            results[scheme_id].calibration = calibration_report(proba, gold)
            decided = preds.decided[scheme_id].astype(np.int8)
            results[scheme_id].review = review_capture(gold, decided, preds.needs_review)
    if not results:
        raise LabelError(
            f"{path.name} has no column for the bundle's schemes ({', '.join(bundle.schemes)})."
        )
    return results
