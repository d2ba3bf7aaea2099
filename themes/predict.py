"""Classify complaints with a bundle: every label, a confidence and a review flag.

The output contract of ``themes classify`` (other commands and councils' spreadsheets build on
it): every input column unchanged and in order, then

- ``causes``: reason ids, ``;``-separated, most probable first;
- ``cause_categories``: the categories those reasons imply;
- ``pillars``: practice-theme ids, most probable first;
- ``confidence``: 0-1, the probability of the least certain decision the model made for the row
  (for an assigned label its probability, for a label left out one minus it);
- ``needs_review``: ``true``/``false`` by the review rule below, with ``review_reason``;
- ``evidence`` (unless ``evidence=False``): for each assigned label, the sentence(s) of the
  complaint that most support it, as ``label: "sentence"`` entries joined by `` | `` (see
  :mod:`themes.evidence`);
- with ``scores=True``, ``score:<label id>`` for every label.

Review rule (:class:`ReviewRule`, configurable): a row needs review when its text is empty, when
no label of a scheme passes its threshold (we never force a label), when any label's probability
lies within ``margin`` of its threshold, when the text has fewer than ``min_words`` or more than
``max_words`` words, or when fewer than ``min_known`` of its distinct words occur in the training
vocabulary (unlike the training data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .bundle import Bundle
from .data import TEXT_CANDIDATES, ID_CANDIDATES, find_column
from .errors import DataError
from .scheme import Scheme
from .text import Tokens

if TYPE_CHECKING:
    from .model import ThemeClassifier


@dataclass(frozen=True)
class ReviewRule:
    margin: float = 0.01
    min_words: int = 4
    max_words: int = 1500
    min_known: float = 0.6
    empty_schemes: tuple[str, ...] = ("causes",)
    """Schemes for which an empty prediction needs review (a complaint may raise no pillar)."""

    @classmethod
    def from_manifest(cls, bundle: Bundle, **overrides: object) -> ReviewRule:
        settings = {k: v for k, v in bundle.review.items() if k in cls.__dataclass_fields__}
        if "empty_schemes" in settings:
            settings["empty_schemes"] = tuple(settings["empty_schemes"])
        settings.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**settings)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["empty_schemes"] = list(self.empty_schemes)
        return data


@dataclass
class Predictions:
    """Scores and decisions for a list of texts, by scheme."""

    schemes: dict[str, Scheme]
    proba: dict[str, np.ndarray]
    thresholds: dict[str, np.ndarray]
    decided: dict[str, np.ndarray]
    """The labels each model codes (:meth:`ThemeClassifier.decide`), rows x labels."""
    coverage: np.ndarray
    word_counts: np.ndarray
    empty: np.ndarray
    assigned: dict[str, list[list[str]]] = field(default_factory=dict)
    confidence: np.ndarray | None = None
    needs_review: np.ndarray | None = None
    review_reason: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    """The texts scored, kept so that evidence can be drawn from them."""
    tokens: Tokens | None = None
    """Their words (and sentences, if asked for), for evidence."""

    def labels(self, scheme_id: str) -> list[list[str]]:
        return self.assigned[scheme_id]

    def categories(self, scheme_id: str) -> list[list[str]]:
        scheme = self.schemes[scheme_id]
        out = []
        for row in self.assigned[scheme_id]:
            seen: dict[str, None] = {}
            for label in row:
                parent = scheme.category_of(label)
                if parent:
                    seen.setdefault(parent, None)
            out.append(list(seen))
        return out


def predict_texts(
    bundle: Bundle, texts: Sequence[str], *, rule: ReviewRule | None = None, sentences: bool = False
) -> Predictions:
    """Score texts with every model in the bundle and apply thresholds and the review rule.

    ``sentences=True`` also splits the texts into sentences in the same tokenising pass and
    keeps them (with the words) on the result, so that evidence costs no second pass.
    """
    rule = rule or ReviewRule.from_manifest(bundle)
    texts = ["" if t is None else str(t) for t in texts]
    empty = np.array([not t.strip() for t in texts])
    word_counts = np.array([len(t.split()) for t in texts])
    proba: dict[str, np.ndarray] = {}
    thresholds: dict[str, np.ndarray] = {}
    decided: dict[str, np.ndarray] = {}
    coverage = np.ones(len(texts))
    tokens = Tokens(texts, sentences=sentences)
    done: list[tuple[ThemeClassifier, np.ndarray, np.ndarray]] = []
    for scheme_id, model in bundle.models.items():
        # Models whose features are identical (one bundle's schemes, usually) share them.
        shared = next(((m, f, c) for m, f, c in done if m.same_features(model)), None)
        if shared is None:
            features, cov = model.features_from_tokens(tokens), model.coverage_from_tokens(tokens)
            done.append((model, features, cov))
        else:
            _, features, cov = shared
        p = model.proba_from_features(features)
        p[empty] = 0.0
        proba[scheme_id] = p
        thresholds[scheme_id] = np.asarray(model.thresholds_)
        decided[scheme_id] = model.decide(p)
        coverage = np.minimum(coverage, cov)
    preds = Predictions(
        schemes=bundle.schemes, proba=proba, thresholds=thresholds, decided=decided, coverage=coverage,
        word_counts=word_counts, empty=empty,
    )
    preds.texts = texts
    preds.tokens = tokens
    _decide(preds, rule)
    return preds


def _decide(preds: Predictions, rule: ReviewRule) -> None:
    n = len(preds.empty)
    confidence = np.ones(n)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for scheme_id, p in preds.proba.items():
        t = preds.thresholds[scheme_id]
        leaves = preds.schemes[scheme_id].leaves
        passed = preds.decided[scheme_id]
        preds.assigned[scheme_id] = _passed_labels(p, passed, leaves)
        certainty = np.where(passed, p, 1.0 - p)
        confidence = np.minimum(confidence, certainty.min(axis=1)) if p.shape[1] else confidence
        near = (np.abs(p - t) < rule.margin).any(axis=1) & ~preds.empty
        none = ~passed.any(axis=1) & ~preds.empty if scheme_id in rule.empty_schemes else np.zeros(n, bool)
        for i in np.flatnonzero(none).tolist():
            reasons[i].append(f"no {scheme_id} label passed")
        for i in np.flatnonzero(near).tolist():
            reasons[i].append(f"{scheme_id} label near threshold")
    for i in range(n):
        if preds.empty[i]:
            reasons[i] = ["empty text"]
            confidence[i] = 0.0
            continue
        if preds.word_counts[i] < rule.min_words:
            reasons[i].append("text too short")
        elif preds.word_counts[i] > rule.max_words:
            reasons[i].append("text too long")
        if preds.coverage[i] < rule.min_known:
            reasons[i].append("unlike training data")
    preds.confidence = np.round(confidence, 3)
    preds.review_reason = ["; ".join(r) for r in reasons]
    preds.needs_review = np.array([bool(r) for r in reasons])


def _passed_labels(p: np.ndarray, passed: np.ndarray, leaves: Sequence[str]) -> list[list[str]]:
    """Each row's labels that passed, most probable first (ties in label order)."""
    order = np.argsort(-p, axis=1, kind="stable")
    hits = np.take_along_axis(passed, order, axis=1)
    rows, ranks = np.nonzero(hits)
    names = np.asarray(leaves, dtype=object)[order[rows, ranks]].tolist()
    ends = np.cumsum(hits.sum(axis=1)).tolist()
    out, start = [], 0
    for end in ends:
        out.append(names[start:end])
        start = end
    return out


def category_column(scheme: Scheme) -> str:
    """'causes' -> 'cause_categories': the contract's name for derived categories."""
    stem = scheme.id[:-1] if scheme.id.endswith("s") else scheme.id
    return f"{stem}_categories"


def output_columns(bundle: Bundle, *, scores: bool = False, evidence: bool = False) -> list[str]:
    columns: list[str] = []
    for scheme_id, scheme in bundle.schemes.items():
        columns.append(scheme_id)
        if scheme.is_hierarchical:
            columns.append(category_column(scheme))
    columns += ["confidence", "needs_review", "review_reason"]
    if evidence:
        columns.append("evidence")
    if scores:
        columns += [f"score:{leaf}" for s in bundle.schemes.values() for leaf in s.leaves]
    return columns


def classify_frame(
    bundle: Bundle,
    frame: pd.DataFrame,
    *,
    text_column: str | None = None,
    scores: bool = False,
    rule: ReviewRule | None = None,
    evidence: bool = True,
) -> pd.DataFrame:
    """The input rows and columns unchanged, plus the prediction columns of the contract."""
    column = find_column(
        frame, text_column, candidates=TEXT_CANDIDATES, role="complaint text", option="--text-column"
    )
    added = output_columns(bundle, scores=scores, evidence=evidence)
    clash = [c for c in added if c in frame.columns]
    if clash:
        raise DataError(
            f"The input already has column(s) {', '.join(repr(c) for c in clash)}, which classify "
            "writes: rename them in the input (for example to 'coded_causes') and run again."
        )
    preds = predict_texts(bundle, frame[column].astype(str).tolist(), rule=rule, sentences=evidence)
    return frame.reset_index(drop=True).join(prediction_frame(bundle, preds, scores=scores, evidence=evidence))


def prediction_frame(
    bundle: Bundle, preds: Predictions, *, scores: bool = False, evidence: bool = False
) -> pd.DataFrame:
    out: dict[str, object] = {}
    for scheme_id, scheme in bundle.schemes.items():
        out[scheme_id] = [";".join(r) for r in preds.labels(scheme_id)]
        if scheme.is_hierarchical:
            out[category_column(scheme)] = [";".join(r) for r in preds.categories(scheme_id)]
    out["confidence"] = preds.confidence
    out["needs_review"] = np.where(preds.needs_review, "true", "false")
    out["review_reason"] = preds.review_reason
    if evidence:
        from .evidence import evidence_column

        out["evidence"] = evidence_column(bundle, preds.texts, preds.assigned, tokens=preds.tokens)
    if scores:
        for scheme_id, scheme in bundle.schemes.items():
            for j, leaf in enumerate(scheme.leaves):
                out[f"score:{leaf}"] = np.round(preds.proba[scheme_id][:, j], 4)
    return pd.DataFrame(out)


def id_column_of(frame: pd.DataFrame, wanted: str | None) -> str | None:
    return find_column(
        frame, wanted, candidates=ID_CANDIDATES, role="complaint id", option="--id-column",
        required=False,
    )
