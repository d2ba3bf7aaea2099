"""Audit of past coding: which complaints people probably coded wrongly or incompletely.

A model is fitted on the coded file itself, and each complaint is scored by models that never
saw it: :class:`~themes.model.ThemeClassifier` already computes these out-of-fold probabilities
(``oof_proba_``, multi-label stratified folds) to tune its thresholds. cleanlab's multi-label
label quality score then ranks complaints by how much their given codes disagree with those
probabilities (its ``self_confidence`` per label, aggregated so the worst label counts most,
after centring each label's scores on its tuned threshold); the lowest scores come first.

For each complaint the suggested correction is where the out-of-fold decision differs from the
given codes: codes to add (the model gives them, the coder did not) and codes to remove (the
coder gave them, the model does not). Codes to add come with their evidence, the sentences
that most support them (:mod:`themes.evidence`). Cells a coder left unknown (a category given
without its reason) are not counted against anyone.

cleanlab is an optional dependency (``pip install 'themes[audit]'``), imported only here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bundle import Bundle
from .calibration import logit, sigmoid
from .data import Labelled
from .errors import UsageError
from .model import ThemeClassifier
from .scheme import Scheme
from .train import classifier_for

Progress = Callable[[str], None]


@dataclass
class AuditResult:
    """Every complaint, most suspect first, and what the audit was run with."""

    table: pd.DataFrame
    scheme_ids: list[str]
    rows: int
    folds: int
    suspects: int
    """Rows where the out-of-fold decisions differ from the given codes."""
    reference_rows: int = 0
    """Rows of reference data trained on alongside the coded file."""


def load_cleanlab():  # noqa: ANN201 - the cleanlab multilabel rank module
    try:
        from cleanlab.multilabel_classification import rank
    except ImportError:
        raise UsageError(
            "themes audit needs the cleanlab library, which is not installed: "
            "run  pip install 'themes[audit]'  (or pip install cleanlab) and try again."
        ) from None
    return rank


def audit(
    labelled: Labelled,
    schemes: Sequence[Scheme],
    *,
    reference: Sequence[Labelled] = (),
    params: Mapping[str, object] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> AuditResult:
    """Rank the complaints of a coded file by how likely their codes are wrong or incomplete.

    ``reference`` files (for example the shipped training data) are trained on alongside the
    coded file, which makes the out-of-fold models much stronger on a small file; only the
    coded file's complaints are ranked, and reference rows whose text is also in the coded file
    are left out so that no complaint is scored by a model that saw it.
    """
    rank = load_cleanlab()
    present = [s for s in schemes if s.id in labelled.codes]
    if not present:
        raise UsageError("The coded file has no 'causes' or 'pillars' column to audit.")
    texts = labelled.texts
    extra, extra_targets = _reference_rows(reference, present, set(_normal(t) for t in texts))
    models: dict[str, ThemeClassifier] = {}
    proba, targets, thresholds, decided = [], [], [], []
    for scheme in present:
        if progress:
            progress(f"Cross-validating {scheme.id}")
        y = labelled.targets(scheme)
        model = classifier_for(scheme, seed=seed, params=dict(params or {}))
        model.fit(texts + extra, np.vstack([y, extra_targets[scheme.id]]))
        models[scheme.id] = model
        proba.append(model.oof_proba_[: len(texts)])
        targets.append(y)
        thresholds.append(np.asarray(model.thresholds_))
        decided.append(model.decide(proba[-1]))
    p, y, t = np.hstack(proba), np.hstack(targets), np.concatenate(thresholds)
    quality = label_quality(rank, p, y, t)
    bundle = Bundle(path=None, manifest={}, schemes={s.id: s for s in present}, models=models)
    table = suspects_table(labelled, present, bundle, p, y, np.hstack(decided), quality)
    folds = min(models[present[0].id].cv, max(2, (len(texts) + len(extra)) // 4))
    return AuditResult(
        table=table, scheme_ids=[s.id for s in present], rows=len(texts), folds=folds,
        suspects=int((table["add"].ne("") | table["remove"].ne("")).sum()), reference_rows=len(extra),
    )


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def _reference_rows(
    reference: Sequence[Labelled], schemes: Sequence[Scheme], audited: set[str]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """Reference texts not in the audited file, with their targets (unknown where a file does
    not code a scheme)."""
    texts: list[str] = []
    blocks: dict[str, list[np.ndarray]] = {s.id: [] for s in schemes}
    for ref in reference:
        keep = [i for i, t in enumerate(ref.texts) if _normal(t) not in audited]
        texts += [ref.texts[i] for i in keep]
        for scheme in schemes:
            if scheme.id in ref.codes:
                blocks[scheme.id].append(ref.targets(scheme)[keep])
            else:
                blocks[scheme.id].append(np.full((len(keep), len(scheme.leaves)), -1, dtype=np.int8))
    targets = {
        s.id: np.vstack(blocks[s.id]) if blocks[s.id] else np.zeros((0, len(s.leaves)), dtype=np.int8)
        for s in schemes
    }
    return texts, targets


def label_quality(rank, proba: np.ndarray, targets: np.ndarray, thresholds: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """cleanlab's label quality per row (0-1, low means the given codes look wrong).

    Each label's scores are first centred on its threshold (in log-odds), so that 0.5 means
    "on the model's decision boundary" for every label. Rare labels have low thresholds, and
    without this their correctly given codes look as suspect as wrong ones (see
    bench/audit_recall.py: recall of corrupted rows in the first 2x rows rose from about 0.35
    to about 0.55).
    """
    known = targets >= 0
    centred = sigmoid(logit(proba) - logit(np.clip(thresholds, 1e-6, 1 - 1e-6)))
    # An unknown cell is scored as agreeing with "not given", so it never raises suspicion.
    p = np.where(known, centred, 0.0)
    given = [list(np.flatnonzero(row == 1)) for row in targets]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(rank.get_label_quality_scores(given, p), dtype=np.float64)


def suspects_table(
    labelled: Labelled,
    schemes: Sequence[Scheme],
    bundle: Bundle,
    proba: np.ndarray,
    targets: np.ndarray,
    decided: np.ndarray,
    quality: np.ndarray,
) -> pd.DataFrame:
    """One row per complaint, most suspect first, with the correction and its evidence."""
    from .evidence import find_evidence, format_evidence

    leaves = [(s.id, leaf) for s in schemes for leaf in s.leaves]
    add_mask = (targets == 0) & decided
    remove_mask = (targets == 1) & ~decided
    adds = [[leaves[j] for j in _by_strength(proba[i], add_mask[i], high=True)] for i in range(len(proba))]
    removes = [[leaves[j] for j in _by_strength(proba[i], remove_mask[i], high=False)] for i in range(len(proba))]
    assigned = {s.id: [[leaf for sid, leaf in row if sid == s.id] for row in adds] for s in schemes}
    evidence = find_evidence(bundle, labelled.texts, assigned)
    index = {pair: j for j, pair in enumerate(leaves)}
    out: dict[str, list] = {
        "row": [i + 2 for i in range(len(proba))],
    }
    if labelled.id_column is not None:
        out["id"] = labelled.ids
    out["label_quality"] = np.round(quality, 4)
    for scheme in schemes:
        out[f"{scheme.id} (as coded)"] = [";".join(c) for c in labelled.codes[scheme.id]]
    out["add"] = [_with_scores(r, proba[i], index) for i, r in enumerate(adds)]
    out["remove"] = [_with_scores(r, proba[i], index) for i, r in enumerate(removes)]
    for scheme in schemes:
        out[f"{scheme.id} (suggested)"] = [
            ";".join(_corrected(labelled.codes[scheme.id][i], scheme, adds[i], removes[i]))
            for i in range(len(proba))
        ]
    out["evidence"] = [format_evidence(e) for e in evidence]
    out["text"] = labelled.texts
    table = pd.DataFrame(out)
    order = np.lexsort((np.arange(len(table)), quality))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _by_strength(p: np.ndarray, mask: np.ndarray, *, high: bool) -> list[int]:
    chosen = np.flatnonzero(mask)
    return [int(j) for j in chosen[np.argsort(-p[chosen] if high else p[chosen], kind="stable")]]


def _with_scores(pairs: list[tuple[str, str]], p: np.ndarray, index: Mapping) -> str:
    return "; ".join(f"{leaf} ({p[index[(sid, leaf)]]:.2f})" for sid, leaf in pairs)


def _corrected(given: list[str], scheme: Scheme, adds: list, removes: list) -> list[str]:
    drop = {leaf for sid, leaf in removes if sid == scheme.id}
    keep = [c for c in given if c not in drop]
    return keep + [leaf for sid, leaf in adds if sid == scheme.id and leaf not in keep]
