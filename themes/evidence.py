"""Evidence: the sentences of a complaint that most support each label the model gave it.

Evidence comes from the model itself, never from keyword lists. Each sentence of a complaint
(split by :func:`themes.text.sentences`) is turned into features on its own by the fitted model,
and its contribution to a label is its features times that label's weights: the label's decision
value for the sentence alone, without the intercept. The sentence with the largest contribution
is the label's evidence; a second sentence is added when it contributes at least
``second_share`` as much (and something positive).

Sentences come from the same spaCy pass that classify tokenises with, and all sentences of all
complaints go through one feature transform shared by the schemes, so evidence for a whole
export costs less than classifying it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .bundle import Bundle
from .text import Tokens, sentences

if TYPE_CHECKING:
    import pandas as pd

    from .predict import ReviewRule

MAX_CHARS = 200
SEPARATOR = " | "


@dataclass(frozen=True)
class Evidence:
    """One sentence supporting one label, with where it sits in its complaint."""

    scheme_id: str
    label: str
    start: int
    end: int
    text: str
    contribution: float


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of one complaint; the whole (trimmed) text when it has no sentence."""
    spans = sentences(text) if text.strip() else []
    if spans or not text.strip():
        return spans
    start = len(text) - len(text.lstrip())
    return [(start, len(text.rstrip()))]


def sentence_contributions(
    bundle: Bundle, tokens: Tokens, rows: Sequence[int]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every sentence's contribution to every label, for the given rows of ``tokens`` (split
    with ``sentences=True``): the sentences' bounds per row (row ``k`` of ``rows`` owns
    ``bounds[k]:bounds[k + 1]``), and per scheme a sentences x labels array."""
    assert tokens.sentences is not None, "tokens need their sentences"
    rows = np.asarray(rows, dtype=np.int64)
    counts = tokens.sentences.bounds[rows + 1] - tokens.sentences.bounds[rows]
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    by_scheme: dict[str, np.ndarray] = {}
    done: list[tuple[object, object]] = []
    for scheme_id, model in bundle.models.items():
        if bounds[-1] == 0:
            by_scheme[scheme_id] = np.zeros((0, len(model.coef_)))
            continue
        # Models with identical features (one bundle's schemes, usually) share them.
        features = next((f for m, f in done if m.same_features(model)), None)
        if features is None:
            if model._reads_arrays():
                features = model.features_from_arrays(tokens.sentence_arrays(rows))
            else:
                pieces = tokens.sentence_texts(rows)
                features = model.features_from_words(tokens.sentence_words(model.tokenizer, rows), texts=pieces)
            done.append((model, features))
        # Decision value of the sentence alone, minus the intercept: its own features' share.
        by_scheme[scheme_id] = np.asarray(features @ model.coef_.T, dtype=np.float64)
    return bounds, by_scheme


def find_evidence(
    bundle: Bundle,
    texts: Sequence[str],
    assigned: Mapping[str, Sequence[Sequence[str]]],
    *,
    second_share: float = 0.5,
    tokens: Tokens | None = None,
) -> list[list[Evidence]]:
    """For each row, evidence for each label in ``assigned`` (scheme id -> labels per row).

    Every assigned label of a row with any text gets at least one sentence of that row.
    ``tokens`` may pass the texts already split with sentences (as classify does), so that
    they are not tokenised again.
    """
    texts = ["" if t is None else str(t) for t in texts]
    # Only rows with a label need their sentences scored.
    rows = [
        i for i in range(len(texts))
        if texts[i].strip() and any(labels[i] for labels in assigned.values())
    ]
    if tokens is None or tokens.sentences is None:
        tokens, where = Tokens([texts[i] for i in rows], sentences=True), list(range(len(rows)))
    else:
        where = rows
    bounds, contributions = sentence_contributions(bundle, tokens, where)
    sentences = tokens.sentences
    offsets = sentences.bounds[np.asarray(where, dtype=np.int64)] if where else np.zeros(0, dtype=np.int64)
    out: list[list[Evidence]] = [[] for _ in texts]
    for scheme_id, labels_by_row in assigned.items():
        if scheme_id not in bundle.models:
            continue
        index = {leaf: j for j, leaf in enumerate(bundle.schemes[scheme_id].leaves)}
        values = contributions[scheme_id]
        best, second = _best_two(values, bounds)
        # The (row, label) pairs that need evidence, then everything about them as arrays.
        pairs = [
            (k, index[label], label)
            for k, i in enumerate(rows) if bounds[k] < bounds[k + 1]
            for label in labels_by_row[i] if label in index
        ]
        if not pairs:
            continue
        k_of = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        j_of = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        top_at, runner_at = best[k_of, j_of], second[k_of, j_of]
        top = values[top_at, j_of]
        runner = np.where(runner_at >= 0, values[np.maximum(runner_at, 0), j_of], 0.0)
        both = (runner_at >= 0) & (top > 0) & (runner > 0) & (runner >= second_share * top)
        shift = offsets[k_of] - bounds[:-1][k_of]  # contribution rows to sentence indexes
        starts, ends = sentences.start, sentences.end
        first_at, second_at = top_at + shift, runner_at + shift
        columns = zip(
            k_of.tolist(), (p[2] for p in pairs), first_at.tolist(), second_at.tolist(),
            top.tolist(), runner.tolist(), both.tolist(), starts[first_at].tolist(), ends[first_at].tolist(),
            strict=True,
        )
        second_spans = {
            n: (int(starts[second_at[n]]), int(ends[second_at[n]])) for n in np.flatnonzero(both).tolist()
        }
        for n, (k, label, a, b, va, vb, two, s, e) in enumerate(columns):
            i = rows[k]
            text = texts[i]
            first = Evidence(scheme_id, label, s, e, text[s:e], va)
            if not two:
                out[i].append(first)
                continue
            s2, e2 = second_spans[n]
            other = Evidence(scheme_id, label, s2, e2, text[s2:e2], vb)
            out[i].extend((first, other) if a < b else (other, first))
    return out


def _best_two(values: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row's sentences (``bounds``) and each label, the index of the sentence with the
    largest value and of the runner-up (-1 when the row has one sentence); ties go to the
    earlier sentence. Rows x labels arrays, indexes into ``values``."""
    n_rows, n_labels = len(bounds) - 1, values.shape[1]
    best = np.full((n_rows, n_labels), -1, dtype=np.int64)
    second = np.full((n_rows, n_labels), -1, dtype=np.int64)
    sizes = np.diff(bounds)
    filled = np.flatnonzero(sizes > 0)
    if not len(filled) or not n_labels:
        return best, second
    starts = bounds[:-1][filled]
    position = np.arange(len(values))[:, None]

    def first_max(vals: np.ndarray) -> np.ndarray:
        top = np.maximum.reduceat(vals, starts, axis=0)
        hit = vals == np.repeat(top, sizes[filled], axis=0)
        return np.minimum.reduceat(np.where(hit, position, len(vals)), starts, axis=0)

    best[filled] = first_max(values)
    rest = values.astype(np.float64, copy=True)
    rest[best[filled], np.arange(n_labels)[None, :]] = -np.inf
    runner = first_max(rest)
    second[filled] = np.where(sizes[filled][:, None] > 1, runner, -1)
    return best, second


def format_evidence(items: Sequence[Evidence], *, max_chars: int = MAX_CHARS) -> str:
    """``label: "sentence"`` entries joined by `` | ``, each sentence on one line and cut to
    ``max_chars`` characters."""
    return SEPARATOR.join(f'{e.label}: "{shorten(e.text, max_chars)}"' for e in items)


def shorten(text: str, max_chars: int = MAX_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    return flat[: max_chars - 1].rstrip() + "…"


def evidence_column(
    bundle: Bundle,
    texts: Sequence[str],
    assigned: Mapping[str, Sequence[Sequence[str]]],
    *,
    tokens: Tokens | None = None,
) -> list[str]:
    """The ``evidence`` column of ``themes classify``: one string per row."""
    return [format_evidence(row) for row in find_evidence(bundle, texts, assigned, tokens=tokens)]


# -- one complaint, explained ---------------------------------------------------------------------


@dataclass(frozen=True)
class LabelScore:
    """One label's score for one complaint, against its threshold."""

    scheme_id: str
    label: str
    name: str
    score: float
    threshold: float
    assigned: bool
    near: bool


@dataclass
class Explanation:
    """Everything ``themes explain`` shows about one complaint."""

    text: str
    row: int
    """Spreadsheet row number (the header is row 1)."""
    scores: list[LabelScore]
    """Every label of every scheme, best first within each scheme."""
    evidence: list[Evidence]
    confidence: float
    needs_review: bool
    review_reason: str

    def assigned(self) -> list[LabelScore]:
        return [s for s in self.scores if s.assigned]


def explain_text(bundle: Bundle, text: str, *, row: int = 0, rule: ReviewRule | None = None) -> Explanation:
    """Scores, decisions, review flag and evidence for one complaint text."""
    from .predict import ReviewRule, predict_texts

    rule = rule or ReviewRule.from_manifest(bundle)
    preds = predict_texts(bundle, [text], rule=rule)
    scores = []
    for scheme_id, scheme in bundle.schemes.items():
        p, t = preds.proba[scheme_id][0], preds.thresholds[scheme_id]
        coded = preds.decided[scheme_id][0]
        for j in np.argsort(-p, kind="stable"):
            scores.append(
                LabelScore(
                    scheme_id, scheme.leaves[j], scheme.name_of(scheme.leaves[j]), float(p[j]),
                    float(t[j]), bool(coded[j]), bool(abs(p[j] - t[j]) < rule.margin),
                )
            )
    evidence = find_evidence(bundle, [text], {s: preds.labels(s) for s in bundle.schemes})[0]
    return Explanation(
        text=text, row=row, scores=scores, evidence=evidence,
        confidence=float(preds.confidence[0]), needs_review=bool(preds.needs_review[0]),
        review_reason=preds.review_reason[0],
    )


def explain_row(
    bundle: Bundle,
    frame: pd.DataFrame,
    complaint_id: str,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    name: str = "the input",
    rule: ReviewRule | None = None,
) -> Explanation:
    """Explain the complaint with id ``complaint_id`` in an export.

    The id is the one the user typed, so it may appear in the message when it is not found.
    """
    from .data import ID_CANDIDATES, TEXT_CANDIDATES, find_column
    from .errors import DataError

    text_col = find_column(frame, text_column, candidates=TEXT_CANDIDATES, role="complaint text", option="--text-column")
    id_col = find_column(frame, id_column, candidates=ID_CANDIDATES, role="complaint id", option="--id-column")
    ids = frame[id_col].astype(str).str.strip()
    matches = np.flatnonzero((ids == str(complaint_id).strip()).to_numpy())
    if len(matches) == 0:
        raise DataError(
            f"No complaint with id '{complaint_id}' in column '{id_col}' of {name} "
            f"({len(frame)} rows): check the id, or name the id column with --id-column."
        )
    if len(matches) > 1:
        raise DataError(
            f"{len(matches)} rows of {name} have that id in column '{id_col}' "
            f"(rows {', '.join(str(m + 2) for m in matches[:5])}): ids must be unique to explain one."
        )
    i = int(matches[0])
    return explain_text(bundle, str(frame[text_col].iloc[i]), row=i + 2, rule=rule)
