"""The multi-label text classifier: a scikit-learn estimator.

``ThemeClassifier`` turns complaint texts into TF-IDF features (spaCy lemmas and their bigrams,
optionally character n-grams that survive misspelling), fits one ridge least-squares model for
all labels at once (or one logistic regression per label), and tunes each label's decision
threshold on out-of-fold scores from multi-label stratified cross-validation on the training
data only.

Targets are a rows x labels matrix of 1 (raised), 0 (not raised) and -1 (unknown: the coder gave
the category but not the reason); unknown cells are left out of that label's fit.

Rows where no label passes its threshold get no label: the model never forces one. The
prediction layer (:mod:`themes.predict`) flags such rows for review.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from .calibration import apply_map, fit_platt, identity_map, map_thresholds, recalibrate
from .text import Analyzer, Tokens, WordArrays, identity

THRESHOLD_GRID = np.round(np.arange(0.02, 0.985, 0.005), 3)

_SHARED_INVERSES: ContextVar[dict | None] = ContextVar("themes_shared_inverses", default=None)


@contextmanager
def shared_solves() -> Iterator[None]:
    """Within this block, ridge models fitted on the same features, weights and ``alpha`` share
    the inverse of their kernel system, the slow part of fitting (the schemes of one bundle).

    Each inverse kept holds rows x rows numbers (650 MB for 12,800 complaints) until the block
    ends; the results are the same as without sharing, bit for bit.
    """
    token = _SHARED_INVERSES.set({})
    try:
        yield
    finally:
        _SHARED_INVERSES.reset(token)


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """One-vs-rest linear classifiers over TF-IDF text features with tuned per-label thresholds.

    Parameters
    ----------
    labels : sequence of str, optional
        Names of the target columns, kept for reports (``labels_`` after fit).
    tokenizer : {"spacy", "regex"}
        Word tokenising and lemmatising (see :class:`themes.text.Analyzer`).
    word_ngrams : (int, int)
        Word n-gram range over lemmas.
    char_ngrams : (int, int) or None
        Character n-gram range within word boundaries; ``None`` turns them off.
    min_df : int
        A feature must occur in at least this many complaints. It also keeps rare names and
        other personal details out of a saved model.
    max_features : int or None
        Cap on each vocabulary (most frequent features kept).
    C : float
        Inverse regularisation strength of each logistic regression.
    class_weight : {"balanced", None}
        Passed to each logistic regression.
    cv : int
        Folds used to tune thresholds (multi-label stratified).
    random_state : int
        Seed for the folds and solvers: same data and seed, same model.
    n_jobs : int
        Labels fitted in parallel.
    solver : {"ridge", "logistic"}
        ``"ridge"``: one least-squares ridge fit for all labels at once, solved in its dual form
        so that every cross-validation fold reuses one kernel matrix (fast: seconds, not
        minutes); scores then become probabilities through the calibration map.
        ``"logistic"``: one logistic regression per label (slower; uses ``C`` and
        ``class_weight``).
    alpha : float
        Ridge regularisation strength (``solver="ridge"``).
    calibrate : bool
        Map each label's scores onto observed rates (Platt scaling on the out-of-fold scores,
        see :mod:`themes.calibration`); thresholds move with the map, so decisions do not change.
    threshold_raise : float
        Added to every tuned threshold (on the probability scale; capped at 1). Thresholds are
        tuned on out-of-fold scores of writing like the training data's; complaints by other
        writers score lower on the labels they raise, and the tuned thresholds over-call there.
        For a model that will code complaints written by other people than its training data's
        (the bundled model, trained on our own writing), 0.05 gained on every figure when each
        training batch was left out in turn (``bench/decision_rules.py``). On a random split of
        one source it does not help (the pxtextmining data: micro-F1 +0.010, macro -0.003), so
        the default is 0.
    categories : sequence of str or None, optional
        The category of each label, for a scheme of categories and reasons (``None`` for a label
        outside any). Used only by ``category_fill``, which a scheme without categories ignores.
    category_fill : float or None
        Where no reason of a category passes its threshold but the chance that at least one of
        them applies, ``1 - prod(1 - p)`` over the category's reasons, reaches this value, the
        category's reason nearest its threshold is coded too. A complaint whose words spread over
        several reasons of one category (a long list of issues, unfamiliar wording) then still
        gets that category. Leaving each training batch out in turn, 0.4 raised category
        micro-F1 from 0.758 to 0.765 and left reasons level (``bench/decision_rules.py``).
        ``None`` (the default) turns it off.
    """

    def __init__(
        self,
        *,
        labels: Sequence[str] | None = None,
        tokenizer: str = "spacy",
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] | None = None,
        min_df: int = 2,
        max_features: int | None = 200_000,
        C: float = 8.0,
        class_weight: str | None = "balanced",
        cv: int = 5,
        random_state: int = 0,
        n_jobs: int = 1,
        calibrate: bool = True,
        solver: str = "ridge",
        alpha: float = 2.0,
        threshold_raise: float = 0.0,
        categories: Sequence[str | None] | None = None,
        category_fill: float | None = None,
    ) -> None:
        self.labels = labels
        self.tokenizer = tokenizer
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.calibrate = calibrate
        self.solver = solver
        self.alpha = alpha
        self.threshold_raise = threshold_raise
        self.categories = categories
        self.category_fill = category_fill

    # -- features --------------------------------------------------------------------------
    def _analyzer(self) -> Analyzer:
        return Analyzer(tokenizer=self.tokenizer, ngram_range=self.word_ngrams)

    def _new_vectorizers(self, n_rows: int) -> list[TfidfVectorizer]:
        min_df = min(self.min_df, max(1, n_rows // 2))
        word = TfidfVectorizer(
            analyzer=identity, min_df=min_df, sublinear_tf=True, max_features=self.max_features,
            dtype=np.float32,
        )
        vectorizers = [word]
        if self.char_ngrams is not None:
            vectorizers.append(
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=tuple(self.char_ngrams), min_df=min_df,
                    sublinear_tf=True, lowercase=True, max_features=self.max_features,
                    dtype=np.float32,
                )
            )
        return vectorizers

    @staticmethod
    def _inputs(texts: Sequence[str], words: list[list[str]], n_vec: int) -> list[list]:
        return [words] + ([[_char_text(t) for t in texts]] if n_vec > 1 else [])

    @staticmethod
    def _fit_transform(vectorizers, inputs) -> sp.csr_matrix:  # noqa: ANN001
        blocks = [v.fit_transform(x) for v, x in zip(vectorizers, inputs, strict=True)]
        for v in vectorizers:
            # stop_words_ lists every term pruned by min_df: the rare ones, names among them.
            # It is not needed to transform, and must never reach a saved model.
            v.__dict__.pop("stop_words_", None)
        return _stack(blocks)

    @staticmethod
    def _transform(vectorizers, inputs) -> sp.csr_matrix:  # noqa: ANN001
        return _stack([v.transform(x) for v, x in zip(vectorizers, inputs, strict=True)])

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """The feature matrix the classifiers see (TF-IDF blocks, L2-normalised together)."""
        return self._features_and_coverage(X)[0]

    def _features_and_coverage(
        self, X: Sequence[str], *, words: list[list[str]] | None = None
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        check_is_fitted(self, "vectorizers_")
        texts = _as_texts(X)
        if words is None:
            words = self._analyzer().words(texts)
        return self.features_from_words(words, texts=texts), self.coverage(words)

    def features_from_words(self, words: list[list[str]], *, texts: Sequence[str] | None = None) -> sp.csr_matrix:
        """The feature matrix of texts already split into words by :meth:`words`.

        ``texts`` are needed only by a model with character n-grams.
        """
        check_is_fitted(self, "vectorizers_")
        if len(self.vectorizers_) > 1 and texts is None:
            raise ValueError("this model uses character n-grams: pass the texts too")
        blocks = [_word_counter(self.vectorizers_[0], tuple(self.word_ngrams)).transform(words)]
        if len(self.vectorizers_) > 1:
            blocks.append(self.vectorizers_[1].transform([_char_text(t) for t in texts]))
        return _stack(blocks)

    def features_from_tokens(self, tokens: Tokens) -> sp.csr_matrix:
        """The feature matrix of texts split by :class:`themes.text.Tokens` (shared by models)."""
        if self._reads_arrays():
            return _word_counter(self.vectorizers_[0], tuple(self.word_ngrams)).transform_arrays(tokens.arrays)
        return self.features_from_words(tokens.words(self.tokenizer), texts=tokens.texts)

    def coverage_from_tokens(self, tokens: Tokens) -> np.ndarray:
        """:meth:`coverage` of texts split by :class:`themes.text.Tokens`."""
        if self._reads_arrays():
            counter = _word_counter(self.vectorizers_[0], tuple(self.word_ngrams))
            return counter.coverage(tokens.arrays, self.vectorizers_[0].vocabulary_)
        return self.coverage(tokens.words(self.tokenizer))

    def features_from_arrays(self, arrays: WordArrays) -> sp.csr_matrix:
        """The feature matrix of texts given as spaCy word arrays (word features only)."""
        check_is_fitted(self, "vectorizers_")
        if not self._reads_arrays():
            raise ValueError("this model needs texts (character n-grams or another tokenizer)")
        return _word_counter(self.vectorizers_[0], tuple(self.word_ngrams)).transform_arrays(arrays)

    def _reads_arrays(self) -> bool:
        check_is_fitted(self, "vectorizers_")
        return self.tokenizer == "spacy" and len(self.vectorizers_) == 1

    def coverage(self, words: list[list[str]]) -> np.ndarray:
        """For each text, the share of its distinct words that the model's vocabulary knows."""
        known = self.vectorizers_[0].vocabulary_.__contains__
        return np.array([sum(map(known, set(ws))) / len(set(ws)) if ws else 0.0 for ws in words])

    def same_features(self, other: ThemeClassifier) -> bool:
        """Whether ``other`` turns any text into exactly the same feature matrix.

        Models trained together on the same texts (the schemes of one bundle) do, so their
        features need computing once.
        """
        if other is self:
            return True
        if (self.tokenizer, tuple(self.word_ngrams)) != (other.tokenizer, tuple(other.word_ngrams)):
            return False
        ours, theirs = self.vectorizers_, other.vectorizers_
        return len(ours) == len(theirs) and all(
            a.get_params() == b.get_params() and a.vocabulary_ == b.vocabulary_ and np.array_equal(a.idf_, b.idf_)
            for a, b in zip(ours, theirs, strict=True)
        )

    def score(
        self, X: Sequence[str], *, words: list[list[str]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Label probabilities, and for each text the share of its words the model knows.

        A low share means the text is unlike anything in the training data (another language,
        another subject, garbled export), so its scores deserve less trust. ``words`` may pass the texts' words from :meth:`words` when several models share a
        tokenizer, so that each text is tokenised once.
        """
        check_is_fitted(self, "coef_")
        matrix, coverage = self._features_and_coverage(X, words=words)
        return self._proba(matrix @ self.coef_.T + self.intercept_), coverage

    def proba_from_features(self, features: sp.csr_matrix) -> np.ndarray:
        """Label probabilities of a feature matrix from :meth:`features_from_words`."""
        check_is_fitted(self, "coef_")
        return self._proba(features @ self.coef_.T + self.intercept_)

    def words(self, X: Sequence[str]) -> list[list[str]]:
        """The normalised words of each text, as this model's analyzer sees them."""
        return self._analyzer().words(_as_texts(X))

    # -- fitting ---------------------------------------------------------------------------
    def fit(
        self, X: Sequence[str], y: np.ndarray, sample_weight: np.ndarray | None = None, groups: Sequence | None = None
    ):
        """Fit on texts ``X`` and a 0/1/-1 target matrix ``y``; tune thresholds by CV.

        ``groups`` (one value per text, at least two distinct) makes each group a fold: scores
        for tuning thresholds then come from models that never saw that group (another writer,
        team or year), which suits data that will meet writing unlike its own.
        """
        texts = _as_texts(X)
        y = _as_targets(y, len(texts))
        fold_of = self._folds(y, groups)
        if self.tokenizer not in ("spacy", "regex"):
            raise ValueError(f"tokenizer must be 'spacy' or 'regex', got {self.tokenizer!r}")
        weights = _as_weights(sample_weight, len(texts))
        n_labels = y.shape[1]
        self.labels_ = list(self.labels) if self.labels is not None else [str(j) for j in range(n_labels)]
        if len(self.labels_) != n_labels:
            raise ValueError(f"labels has {len(self.labels_)} names but y has {n_labels} columns")
        if self.solver not in ("ridge", "logistic"):
            raise ValueError(f"solver must be 'ridge' or 'logistic', got {self.solver!r}")
        self._check_fill(n_labels)
        words = self._analyzer().features(texts)
        if self.solver == "ridge":
            self.oof_proba_ = self._fit_ridge(texts, words, y, weights, fold_of)
        else:
            self.oof_proba_ = self._out_of_fold(texts, words, y, weights, fold_of)
        self.thresholds_ = np.array(
            [_best_threshold(self.oof_proba_[:, j], y[:, j]) for j in range(n_labels)]
        )
        self.calibration_ = fit_platt(self.oof_proba_, y) if self.calibrate else identity_map(n_labels)
        self.oof_proba_ = recalibrate(self.oof_proba_, self.calibration_)
        self.thresholds_ = map_thresholds(self.thresholds_, self.calibration_)
        self.thresholds_ = np.minimum(self.thresholds_ + self.threshold_raise, 1.0)
        self.cv_report_ = _label_report(self.decide(self.oof_proba_), y, self.thresholds_, self.labels_)
        if self.solver == "logistic":
            self._fit_final(texts, y, weights, words=words)
        return self

    def _folds(self, y: np.ndarray, groups: Sequence | None) -> np.ndarray:
        """The cross-validation fold of each row: its group, or multi-label stratified folds."""
        n = len(y)
        if groups is not None:
            values = np.asarray(["" if g is None else str(g) for g in groups])
            if values.shape != (n,):
                raise ValueError(f"groups must hold one value per text ({n}), got {values.shape}")
            codes = np.unique(values, return_inverse=True)[1].ravel()
            if codes.max(initial=0) < 1:
                raise ValueError("groups must have at least two distinct values to make folds")
            return codes.astype(np.int64)
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

        folds = min(self.cv, max(2, n // 4))
        splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        fold_of = np.zeros(n, dtype=np.int64)
        for f, (_, test) in enumerate(splitter.split(np.zeros(n), (y == 1).astype(int))):
            fold_of[test] = f
        return fold_of

    def _fit_ridge(self, texts, words, y, weights, fold_of) -> np.ndarray:  # noqa: ANN001
        """Fit the final ridge model and return out-of-fold probabilities (before calibration).

        The vectorisers are fitted once on all training texts (their vocabulary and IDF see no
        labels), so every fold's kernel is a block of one kernel matrix.
        """
        n = len(texts)
        self.vectorizers_ = self._new_vectorizers(n)
        features = self._fit_transform(self.vectorizers_, self._inputs(texts, words, len(self.vectorizers_)))
        dtype = _kernel_dtype(n, weights, self.alpha)

        def kernel() -> np.ndarray:
            # A constant feature of 1 gives the intercept (regularised like any weight).
            gram = _gram(features, dtype, self.n_jobs)
            gram += 1.0
            return gram

        shared = _SHARED_INVERSES.get()
        key = _solve_key(features, weights, self.alpha) if shared is not None else None
        dual, margins = _ridge_dual_cv(kernel, y, weights, self.alpha, fold_of, shared=shared, key=key)
        # Margins are RIDGE_SCALE * (score - 0.5): centred between "not raised" (0) and
        # "raised" (1), so the threshold grid spans the scores where decisions are made.
        self.coef_ = (RIDGE_SCALE * np.asarray(features.T @ dual)).T.astype(np.float32)
        self.intercept_ = RIDGE_SCALE * (dual.sum(axis=0) - 0.5)
        self.n_features_ = features.shape[1]
        self.classes_ = np.array(self.labels_)
        self.train_rows_ = n
        return _sigmoid(RIDGE_SCALE * (margins - 0.5))

    def _fit_final(self, texts, y, weights=None, *, words=None):  # noqa: ANN001, ANN202
        """Fit vectorisers and per-label weights on all rows, leaving thresholds as they are."""
        y = _as_targets(y, len(texts))
        weights = _as_weights(weights, len(texts))
        if words is None:
            words = self._analyzer().features(texts)
        if not hasattr(self, "labels_"):
            self.labels_ = list(self.labels) if self.labels is not None else [str(j) for j in range(y.shape[1])]
            self.thresholds_ = np.full(y.shape[1], 0.5)
        self.vectorizers_ = self._new_vectorizers(len(texts))
        features = self._fit_transform(self.vectorizers_, self._inputs(texts, words, len(self.vectorizers_)))
        self.coef_, self.intercept_ = self._fit_labels(features, y, weights)
        self.n_features_ = features.shape[1]
        self.classes_ = np.array(self.labels_)
        self.train_rows_ = len(texts)
        return self

    def _out_of_fold(self, texts, words, y, weights, fold_of) -> np.ndarray:  # noqa: ANN001
        oof = np.zeros(y.shape, dtype=np.float64)
        for f in np.unique(fold_of):
            train, test = np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)
            vecs = self._new_vectorizers(len(train))
            sub_texts = [texts[i] for i in train]
            sub_words = [words[i] for i in train]
            feats = self._fit_transform(vecs, self._inputs(sub_texts, sub_words, len(vecs)))
            coef, intercept = self._fit_labels(feats, y[train], weights[train])
            test_feats = self._transform(
                vecs, self._inputs([texts[i] for i in test], [words[i] for i in test], len(vecs))
            )
            oof[test] = _sigmoid(test_feats @ coef.T + intercept)
        return oof

    def _fit_labels(self, features, y, weights) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_fit_one)(features, y[:, j], weights, self.C, self.class_weight, self.random_state)
            for j in range(y.shape[1])
        )
        coef = np.vstack([r[0] for r in results]).astype(np.float32)
        intercept = np.array([r[1] for r in results], dtype=np.float64)
        return coef, intercept

    # -- predicting ------------------------------------------------------------------------
    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Probability of each label, rows x labels (not a distribution: labels are independent)."""
        check_is_fitted(self, "coef_")
        return self._proba(self.transform(X) @ self.coef_.T + self.intercept_)

    def _proba(self, margin: np.ndarray) -> np.ndarray:
        # Bundles saved before calibration existed have no map: their scores stay as they were.
        return apply_map(margin, getattr(self, "calibration_", None))

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(self.transform(X) @ self.coef_.T + self.intercept_)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """0/1 matrix of the labels :meth:`decide` sets."""
        return self.decide(self.predict_proba(X)).astype(np.int8)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Which labels to code, from probabilities (rows x labels): a boolean matrix.

        A label is set when its probability reaches its tuned threshold, and, with
        ``category_fill``, a category's reason nearest its threshold when the category as a
        whole is likely enough. Every way of coding texts (classify, evaluate, train's reports)
        decides here.
        """
        check_is_fitted(self, "thresholds_")
        proba = np.asarray(proba)
        passed = proba >= self.thresholds_
        if self.category_fill is None or self.categories is None or not len(proba):
            return passed
        ratio = proba / np.maximum(self.thresholds_, 1e-9)
        for members in _category_members(self.categories):
            none_passed = ~passed[:, members].any(axis=1)
            any_applies = 1.0 - np.prod(1.0 - proba[:, members], axis=1)
            fill = np.flatnonzero(none_passed & (any_applies >= self.category_fill))
            best = members[np.argmax(ratio[np.ix_(fill, members)], axis=1)]
            passed[fill, best] = True
        return passed

    def _check_fill(self, n_labels: int) -> None:
        if self.category_fill is not None and not 0.0 < self.category_fill < 1.0:
            raise ValueError(f"category_fill must lie between 0 and 1, got {self.category_fill!r}")
        if self.categories is not None and len(self.categories) != n_labels:
            raise ValueError(f"categories has {len(self.categories)} entries but y has {n_labels} labels")

    def contributions(self, texts: Sequence[str], label: int) -> list[np.ndarray]:
        """Per-feature contributions (feature value x weight) to one label, row by row."""
        check_is_fitted(self, "coef_")
        features = self.transform(texts).tocsr()
        weights = self.coef_[label]
        return [features[i].multiply(weights).toarray().ravel() for i in range(features.shape[0])]

    def feature_names(self) -> np.ndarray:
        check_is_fitted(self, "vectorizers_")
        names = [v.get_feature_names_out() for v in self.vectorizers_]
        if len(names) > 1:
            names[1] = np.array([f"chars:{n}" for n in names[1]], dtype=object)
        return np.concatenate(names)

    # -- persistence -----------------------------------------------------------------------
    def __getstate__(self) -> dict:
        """A compact state: each vectoriser as one string of terms and an IDF array.

        Saved as they are, vocabularies cost a node per term (tens of thousands of entries) and
        make bundles large and slow to load; the compact form holds only strings, numbers and
        arrays, so a bundle needs no vectoriser type on its allow-list.
        """
        # object.__getstate__ hands back the instance's own __dict__: copy before changing it.
        state = dict(super().__getstate__())
        state.pop("oof_proba_", None)
        vectorizers = state.pop("vectorizers_", None)
        if vectorizers is not None:
            state["vectorizers_state_"] = [_pack_vectorizer(v) for v in vectorizers]
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        # Bundles saved before these options existed had none.
        state.setdefault("threshold_raise", 0.0)
        state.setdefault("categories", None)
        state.setdefault("category_fill", None)
        packed = state.pop("vectorizers_state_", None)
        super().__setstate__(state)
        if packed is not None:
            self.vectorizers_ = [_unpack_vectorizer(s) for s in packed]

    def __sklearn_tags__(self):  # noqa: ANN204
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags


# -- helpers (module level so that joblib and pickling see plain functions) -------------------


_TERM_SEPARATOR = "\x1f"


def _pack_vectorizer(vectorizer: TfidfVectorizer) -> dict:
    terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    if any(_TERM_SEPARATOR in term for term in terms):
        raise ValueError("a vocabulary term contains the unit separator character")
    return {
        "analyzer": "char_wb" if vectorizer.analyzer == "char_wb" else "identity",
        "ngram_range": [int(n) for n in vectorizer.ngram_range],
        "sublinear_tf": bool(vectorizer.sublinear_tf),
        "terms": _TERM_SEPARATOR.join(terms),
        "idf": np.asarray(vectorizer.idf_, dtype=np.float64),
    }


def _unpack_vectorizer(state: dict) -> TfidfVectorizer:
    char = state["analyzer"] == "char_wb"
    vectorizer = TfidfVectorizer(
        analyzer="char_wb" if char else identity,
        ngram_range=tuple(state["ngram_range"]),
        sublinear_tf=state["sublinear_tf"],
        lowercase=True,
        dtype=np.float32,
    )
    terms = state["terms"].split(_TERM_SEPARATOR) if state["terms"] else []
    vectorizer.vocabulary_ = {term: i for i, term in enumerate(terms)}
    vectorizer.idf_ = np.asarray(state["idf"], dtype=np.float64)
    return vectorizer


class _WordCounter:
    """``TfidfVectorizer.transform`` for word n-grams, vectorised over a whole batch.

    scikit-learn's transform looks up every n-gram string in a dict, one at a time; here each
    word is looked up once, n-grams become integer keys (word ids as digits), and counting,
    sublinear TF, IDF and the L2 norm run as array operations. Classify spends most of its time
    on features, and this is several times faster. ``tests/test_model.py`` checks that the
    matrices equal scikit-learn's. The fitted vectoriser's vocabulary and IDF are the data.
    """

    def __init__(self, vectorizer: TfidfVectorizer, ngram_range: tuple[int, int]) -> None:
        low, high = ngram_range
        word_ids: dict[str, int] = {}
        for term in vectorizer.vocabulary_:
            for word in term.split(" "):
                word_ids.setdefault(word, len(word_ids) + 1)  # 0 stands for an unknown word
        self.base = len(word_ids) + 1
        if self.base ** high >= 2**63:
            raise ValueError(f"word n-grams up to {high} are too long for integer keys")
        keys = np.empty(len(vectorizer.vocabulary_), dtype=np.int64)
        columns = np.empty(len(vectorizer.vocabulary_), dtype=np.int64)
        for k, (term, column) in enumerate(vectorizer.vocabulary_.items()):
            key = 0
            for word in term.split(" "):
                key = key * self.base + word_ids[word]
            keys[k], columns[k] = key, column
        import pandas as pd

        # A hash index: several times faster than a binary search for a batch of n-gram keys.
        self.keys, self.columns = pd.Index(keys), columns
        self.word_ids, self.low, self.high = word_ids, low, high
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.n_features = len(vectorizer.vocabulary_)

    def transform(self, word_lists: Sequence[list[str]]) -> sp.csr_matrix:
        return self.transform_arrays(_arrays_of(word_lists))

    def transform_arrays(self, arrays: WordArrays) -> sp.csr_matrix:
        from sklearn.preprocessing import normalize

        get = self.word_ids.get
        to_model = np.fromiter((get(w, 0) for w in arrays.vocab), dtype=np.int64, count=len(arrays.vocab))
        ids = to_model[arrays.ids] if len(arrays.ids) else np.zeros(0, dtype=np.int64)
        n_rows = len(arrays.bounds) - 1
        doc = np.repeat(np.arange(n_rows), np.diff(arrays.bounds))
        rows, cols = [], []
        for n in range(self.low, self.high + 1):
            if len(ids) < n:
                break
            start = np.arange(len(ids) - n + 1)
            ok = doc[start] == doc[start + n - 1]  # the n-gram lies within one text
            key = np.zeros(len(start), dtype=np.int64)
            for k in range(n):
                part = ids[start + k]
                ok &= part > 0  # an n-gram with an unknown word is not in the vocabulary
                key = key * self.base + part
            at = self.keys.get_indexer(key[ok])
            found = at >= 0
            rows.append(doc[start[ok][found]])
            cols.append(self.columns[at[found]])
        rows_ = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        cols_ = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        counts = sp.csr_matrix(
            (np.ones(len(rows_), dtype=np.float64), (rows_, cols_)), shape=(n_rows, self.n_features)
        )
        counts.sum_duplicates()
        if self.sublinear:
            np.log(counts.data, out=counts.data)
            counts.data += 1.0
        counts.data *= self.idf[counts.indices]
        return normalize(counts, norm="l2", copy=False).astype(np.float32)

    def coverage(self, arrays: WordArrays, vocabulary: dict) -> np.ndarray:
        """Share of each text's distinct words that are features on their own."""
        known = np.fromiter((w in vocabulary for w in arrays.vocab), dtype=bool, count=len(arrays.vocab))
        n_rows = len(arrays.bounds) - 1
        doc = np.repeat(np.arange(n_rows), np.diff(arrays.bounds))
        pairs = np.sort(doc * max(1, len(arrays.vocab)) + arrays.ids)
        # Distinct (text, word) pairs; a plain sort is many times faster than np.unique here.
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if len(pairs) else pairs
        owner = pairs // max(1, len(arrays.vocab))
        distinct = np.bincount(owner, minlength=n_rows)
        hits = np.bincount(owner, weights=known[pairs % max(1, len(arrays.vocab))], minlength=n_rows)
        return np.divide(hits, distinct, out=np.zeros(n_rows), where=distinct > 0)


def _arrays_of(word_lists: Sequence[list[str]]) -> WordArrays:
    vocab: dict[str, int] = {}
    ids = np.fromiter(
        (vocab.setdefault(w, len(vocab)) for ws in word_lists for w in ws), dtype=np.int64,
        count=sum(len(ws) for ws in word_lists),
    )
    bounds = np.concatenate([[0], np.cumsum([len(ws) for ws in word_lists])]).astype(np.int64)
    return WordArrays(list(vocab), ids, bounds)


_COUNTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _word_counter(vectorizer: TfidfVectorizer, ngram_range: tuple[int, int]) -> _WordCounter:
    """The fast transform of a fitted word vectoriser, built once per loaded model."""
    counter = _COUNTERS.get(vectorizer)
    if counter is None:
        counter = _COUNTERS[vectorizer] = _WordCounter(vectorizer, ngram_range)
    return counter


def _char_text(text: str) -> str:
    return " ".join(text.lower().split())


def _stack(blocks: list[sp.spmatrix]) -> sp.csr_matrix:
    matrix = blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")
    if len(blocks) > 1:
        # Each block is L2-normalised; scale so the stacked row has unit norm too.
        matrix = matrix.multiply(np.float32(1 / np.sqrt(len(blocks)))).tocsr()
    return matrix.astype(np.float32)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


# Ridge scores sit near 0 (not raised) and 1 (raised); stretching them makes the threshold grid
# fine enough. The calibration map turns the stretched scores into probabilities.
RIDGE_SCALE = 10.0


def _gram(features: sp.csr_matrix, dtype: type, n_jobs: int, block: int = 1024) -> np.ndarray:
    """``features @ features.T`` as a dense matrix, a block of rows at a time.

    One sparse product with a nearly dense result spends most of its time building sparse
    indices for it (16 s at 15,700 complaints); blocks of rows are written straight into the
    dense matrix, twice as fast, and scipy releases the GIL in them, so threads share the work.
    Each entry is summed in the same order as the one product: the matrix is the same.
    """
    n = features.shape[0]
    gram = np.empty((n, n), dtype=dtype)
    transposed = features.T.tocsr()

    def rows(start: int) -> None:
        stop = min(n, start + block)
        gram[start:stop] = (features[start:stop] @ transposed).toarray()

    Parallel(n_jobs=max(1, n_jobs), prefer="threads")(delayed(rows)(start) for start in range(0, n, block))
    return gram


def _kernel_dtype(n: int, weights: np.ndarray, alpha: float) -> type:
    """Single precision halves the time and memory of the n x n solve, and is exact enough
    while the system's condition number (at most about n * max weight / alpha, from the
    intercept column) stays small; past that, double precision."""
    return np.float32 if n * float(weights.max(initial=1.0)) / alpha <= 50_000 else np.float64


def _solve_key(features: sp.csr_matrix, weights: np.ndarray, alpha: float) -> str:
    """What a kernel system's inverse depends on, besides which rows it is solved on."""
    digest = hashlib.sha256()
    for part in (features.data, features.indices, features.indptr, np.asarray(features.shape), weights):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(repr(float(alpha)).encode())
    return digest.hexdigest()


def _ridge_dual_cv(
    kernel: Callable[[], np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    alpha: float,
    fold_of: np.ndarray,
    *,
    shared: dict | None = None,
    key: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Dual ridge coefficients for every label, and every row's margin from the fold that held
    it out, from one matrix inverse.

    With G = (K + alpha W^-1)^-1 and A = G Y the dual coefficients of the fit on all rows, the
    fit without fold f predicts Y_f - (G_ff)^-1 A_f on that fold: exactly what refitting
    without the fold would give, at the cost of one factorisation instead of one per fold.

    Labels with unknown cells are solved on their known rows only; labels sharing the same
    known rows share one inverse (usually all of them). Margins of rows a label does not know
    come from the full fit: no threshold or calibration looks at them.

    ``kernel`` makes the kernel matrix when it is needed; ``shared`` (see :func:`shared_solves`)
    keeps inverses under ``key`` and the rows solved, for the next model on the same features.
    """
    from scipy.linalg import cho_factor, cho_solve, get_blas_funcs, get_lapack_funcs

    dual = np.zeros(y.shape, dtype=np.float64)
    margins = np.zeros(y.shape, dtype=np.float64)
    usable = weights > 0
    groups: dict[bytes, list[int]] = {}
    for j in range(y.shape[1]):
        rows = usable & (y[:, j] >= 0)
        groups.setdefault(np.packbits(rows).tobytes(), []).append(j)
    gram: np.ndarray | None = None
    for labels in groups.values():
        rows = usable & (y[:, labels[0]] >= 0)
        if not rows.any():
            continue
        idx = np.flatnonzero(rows)
        whole = idx.size == len(rows)
        found = None if shared is None else shared.get((key, np.packbits(rows).tobytes()))
        if found is not None:
            inverse = found
        else:
            if gram is None:
                gram = kernel()
            # The kernel itself is overwritten when no other group needs it (the usual case).
            system = (gram if len(groups) == 1 else gram.copy()) if whole else gram[np.ix_(idx, idx)]
            system[np.diag_indices_from(system)] += alpha / weights[idx]
            factor, _ = cho_factor(system, lower=True, overwrite_a=True, check_finite=False)
            # Only the lower triangle of the inverse is filled: every use below reads that one.
            inverse, info = get_lapack_funcs("potri", (factor,))(factor, lower=True, overwrite_c=True)
            if info != 0:
                raise np.linalg.LinAlgError(f"ridge system could not be inverted (LAPACK info {info})")
            if shared is not None:
                shared[key, np.packbits(rows).tobytes()] = inverse
        targets = (y[np.ix_(idx, labels)] == 1).astype(inverse.dtype)
        coef = get_blas_funcs("symm", (inverse,))(1.0, inverse, targets, lower=True)
        dual[np.ix_(idx, labels)] = coef
        held = np.empty_like(targets)
        for f in np.unique(fold_of[idx]):
            part = np.flatnonzero(fold_of[idx] == f)  # ascending, so lower stays lower
            block = cho_factor(inverse[np.ix_(part, part)], lower=True, check_finite=False)
            held[part] = targets[part] - cho_solve(block, coef[part], check_finite=False)
        margins[np.ix_(idx, labels)] = held
        if not whole:
            if gram is None:
                gram = kernel()
            others = np.flatnonzero(~rows)
            margins[np.ix_(others, labels)] = gram[np.ix_(others, idx)] @ coef
    return dual, margins


def _fit_one(features, target, weights, C, class_weight, seed) -> tuple[np.ndarray, float]:  # noqa: ANN001
    known = target >= 0
    t = target[known]
    if t.min(initial=1) == t.max(initial=0):
        # No positive (or no negative) example: the label can never (or always) be predicted.
        coef = np.zeros(features.shape[1], dtype=np.float32)
        return coef, (-40.0 if t.max(initial=0) == 0 else 40.0)
    model = LogisticRegression(
        C=C, class_weight=class_weight, solver="liblinear", random_state=seed, max_iter=200
    )
    model.fit(features[known], t, sample_weight=weights[known])
    return model.coef_.ravel(), float(model.intercept_[0])


def _best_threshold(proba: np.ndarray, target: np.ndarray) -> float:
    known = target >= 0
    p, t = proba[known], target[known] == 1
    if t.sum() == 0:
        return 1.0
    best, best_f1 = 0.5, -1.0
    for threshold in THRESHOLD_GRID:
        pred = p >= threshold
        tp = np.sum(pred & t)
        f1 = 2 * tp / (pred.sum() + t.sum())
        # Prefer thresholds nearer 0.5 on ties: they move less between training runs.
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(threshold - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(threshold), f1
    return best


def _category_members(categories: Sequence[str | None]) -> list[np.ndarray]:
    """The label columns of each category, in order of first appearance."""
    groups: dict[str, list[int]] = {}
    for j, category in enumerate(categories):
        if category is not None:
            groups.setdefault(category, []).append(j)
    return [np.asarray(cols) for cols in groups.values()]


def _label_report(decided, y, thresholds, labels) -> dict[str, dict[str, float]]:  # noqa: ANN001
    report = {}
    for j, label in enumerate(labels):
        known = y[:, j] >= 0
        t = y[known, j] == 1
        pred = decided[known, j]
        tp = int(np.sum(pred & t))
        precision = tp / pred.sum() if pred.sum() else 0.0
        recall = tp / t.sum() if t.sum() else 0.0
        f1 = 2 * tp / (pred.sum() + t.sum()) if (pred.sum() + t.sum()) else 0.0
        report[label] = {
            "precision": round(float(precision), 4),
            "recall": round(float(recall), 4),
            "f1": round(float(f1), 4),
            "support": int(t.sum()),
            "threshold": float(thresholds[j]),
        }
    return report


def _as_texts(X: Sequence[str]) -> list[str]:
    if isinstance(X, str):
        raise ValueError("Expected a sequence of texts, got one string: wrap it in a list.")
    return ["" if x is None else str(x) for x in X]


def _as_targets(y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 2:
        raise ValueError(f"y must be a 2-D rows x labels matrix of 0/1/-1, got {y.ndim} dimension(s)")
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} rows but X has {n} texts")
    if not np.isin(y, (-1, 0, 1)).all():
        raise ValueError("y may hold only 1 (raised), 0 (not raised) and -1 (unknown)")
    return y.astype(np.int8)


def _as_weights(sample_weight: np.ndarray | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, dtype=float)
    if w.shape != (n,) or (w < 0).any():
        raise ValueError(f"sample_weight must be {n} non-negative numbers")
    return w
