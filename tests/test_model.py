import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from themes.model import ThemeClassifier
from themes.scheme import load

from .conftest import TRAINING


@pytest.fixture(scope="module")
def data():
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).head(300)
    scheme = load("pillars")
    return frame.text.tolist(), scheme.target_matrix([scheme.split_codes(c) for c in frame.pillars]), scheme


def test_estimator_contract(data):
    texts, y, scheme = data
    model = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=3)
    with pytest.raises(NotFittedError):
        model.predict(texts[:2])
    assert clone(model).get_params() == model.get_params()
    assert model.fit(texts, y) is model
    proba = model.predict_proba(texts[:5])
    assert proba.shape == (5, len(scheme.leaves)) and ((proba >= 0) & (proba <= 1)).all()
    assert set(np.unique(model.predict(texts))) <= {0, 1}
    assert ((model.predict(texts[:5]) == 1) == (proba >= model.thresholds_)).all()


def test_same_seed_same_predictions(data):
    texts, y, scheme = data
    a = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=3, random_state=4).fit(texts, y)
    b = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=3, random_state=4).fit(texts, y)
    np.testing.assert_array_equal(a.predict_proba(texts[:20]), b.predict_proba(texts[:20]))
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)


def test_threshold_raise_moves_every_threshold_and_nothing_else(data):
    texts, y, scheme = data
    plain = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=3, threshold_raise=0.0).fit(texts, y)
    raised = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=3, threshold_raise=0.05).fit(texts, y)
    np.testing.assert_allclose(raised.thresholds_, np.minimum(plain.thresholds_ + 0.05, 1.0))
    np.testing.assert_array_equal(raised.predict_proba(texts[:20]), plain.predict_proba(texts[:20]))
    assert raised.predict(texts).sum() <= plain.predict(texts).sum()


def test_a_model_saved_before_the_raise_and_fill_loads_without_them(data):
    texts, y, scheme = data
    model = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=2).fit(texts[:60], y[:60])
    state = model.__getstate__()
    for key in ("threshold_raise", "categories", "category_fill"):
        del state[key]
    old = ThemeClassifier.__new__(ThemeClassifier)
    old.__setstate__(state)
    assert old.get_params()["threshold_raise"] == 0.0
    assert old.get_params()["category_fill"] is None
    np.testing.assert_array_equal(old.predict(texts[:20]), model.predict(texts[:20]))


def _decider(fill, thresholds=(0.5, 0.5, 0.5, 0.5)):
    """A classifier whose decisions can be tried on hand-made probabilities: labels a1 and a2 in
    category a, b1 in b, and one label outside any category."""
    model = ThemeClassifier(categories=["a", "a", "b", None], category_fill=fill)
    model.thresholds_ = np.array(thresholds)
    return model


def test_category_fill_codes_the_reason_nearest_its_threshold_of_a_likely_category():
    proba = np.array([
        [0.30, 0.40, 0.10, 0.45],  # a: 1 - 0.7 x 0.6 = 0.58, nothing passed: a2 (nearer) filled
        [0.60, 0.35, 0.00, 0.00],  # a1 passed already: nothing added
        [0.20, 0.10, 0.00, 0.00],  # a: 0.28, under the fill: nothing
        [0.00, 0.00, 0.45, 0.49],  # b: one reason at 0.45 is the category's chance: filled
    ])
    expected = np.array([
        [False, True, False, False],
        [True, False, False, False],
        [False, False, False, False],
        [False, False, True, False],
    ])
    np.testing.assert_array_equal(_decider(0.4).decide(proba), expected)
    np.testing.assert_array_equal(_decider(None).decide(proba), proba >= 0.5)
    # Nearest its threshold, not most probable: a1 at 0.25 of 0.3 beats a2 at 0.3 of 0.6.
    lopsided = _decider(0.4, thresholds=(0.3, 0.6, 0.5, 0.5))
    assert lopsided.decide(np.array([[0.25, 0.30, 0.0, 0.0]])).tolist() == [[True, False, False, False]]


def test_category_fill_only_adds_and_predict_follows_it():
    frame = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).head(300)
    scheme = load("causes")
    texts = frame.text.tolist()
    y = scheme.target_matrix([scheme.split_codes(c) for c in frame.causes])
    categories = [scheme.category_of(leaf) for leaf in scheme.leaves]
    plain = ThemeClassifier(labels=scheme.leaves, categories=categories, cv=3).fit(texts, y)
    filled = ThemeClassifier(labels=scheme.leaves, categories=categories, cv=3, category_fill=0.3).fit(texts, y)
    np.testing.assert_array_equal(filled.thresholds_, plain.thresholds_)
    a, b = plain.predict(texts), filled.predict(texts)
    assert (b >= a).all() and b.sum() > a.sum()
    np.testing.assert_array_equal(b, filled.decide(filled.predict_proba(texts)))
    # A category without a coded reason before the fill has one after it wherever one was added.
    added = (b > a).any(axis=1)
    assert (b[added].sum(axis=1) > a[added].sum(axis=1)).all()


def test_category_fill_is_checked(data):
    texts, y, scheme = data
    with pytest.raises(ValueError, match="between 0 and 1"):
        ThemeClassifier(labels=scheme.leaves, category_fill=1.5).fit(texts, y)
    with pytest.raises(ValueError, match="categories has 2 entries"):
        ThemeClassifier(labels=scheme.leaves, categories=["a", "b"], category_fill=0.4).fit(texts, y)
    # A scheme without categories (the pillars) ignores the fill.
    flat = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=2, category_fill=0.4).fit(texts[:80], y[:80])
    proba = flat.predict_proba(texts[:20])
    np.testing.assert_array_equal(flat.decide(proba), proba >= flat.thresholds_)


def test_unknown_cells_are_left_out_of_that_label(data):
    texts, y, scheme = data
    masked = y.copy()
    masked[:, 0] = -1
    masked[:10, 0] = 1
    masked[10:20, 0] = 0
    model = ThemeClassifier(labels=scheme.leaves, char_ngrams=None, cv=2).fit(texts, masked)
    assert model.cv_report_[scheme.leaves[0]]["support"] == 10


def test_bad_targets_say_what_is_wrong(data):
    texts, y, scheme = data
    with pytest.raises(ValueError, match="rows"):
        ThemeClassifier().fit(texts[:3], y)
    with pytest.raises(ValueError, match="only 1"):
        ThemeClassifier().fit(texts[:3], np.full((3, 2), 5))
    with pytest.raises(ValueError, match="one string"):
        ThemeClassifier().fit("a text", y[:1])


def test_rare_words_never_enter_the_model(data):
    texts, y, scheme = data
    planted = list(texts)
    planted[0] = planted[0] + " Zebediah Quorthwaite lives at Plimsoll Court."
    model = ThemeClassifier(labels=scheme.leaves, cv=2, min_df=2).fit(planted, y)
    names = " ".join(model.feature_names())
    assert "zebedy" not in names and "quorthwaite" not in names
    assert not any(hasattr(v, "stop_words_") for v in model.vectorizers_)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_inverse_gives_each_folds_refit(dtype):
    """The held-out margins from one inverse equal refitting without each fold, label by label,
    with unknown cells, zero and unequal weights."""
    from themes.model import _ridge_dual_cv

    rng = np.random.default_rng(3)
    n, d, labels, alpha = 60, 25, 4, 2.0
    features = rng.normal(size=(n, d))
    kernel = features @ features.T + 1.0
    y = (rng.random((n, labels)) < 0.3).astype(np.int8)
    y[rng.random((n, labels)) < 0.1] = -1
    y[:, 0] = (rng.random(n) < 0.4)  # one label fully known, so several groups are solved
    weights = rng.uniform(0.5, 2.0, n)
    weights[5] = 0.0
    fold_of = rng.integers(0, 4, n)
    dual, margins = _ridge_dual_cv(lambda: kernel.astype(dtype), y, weights, alpha, fold_of)

    tol = 1e-9 if dtype == np.float64 else 2e-3
    for j in range(labels):
        rows = (weights > 0) & (y[:, j] >= 0)
        full = _direct(kernel, y[:, j], weights, alpha, rows)
        np.testing.assert_allclose(dual[rows, j], full[rows], atol=tol, rtol=tol)
        for f in range(4):
            train, test = rows & (fold_of != f), rows & (fold_of == f)
            coef = _direct(kernel, y[:, j], weights, alpha, train)
            np.testing.assert_allclose(margins[test, j], kernel[np.ix_(test, train)] @ coef[train], atol=tol)


def _direct(kernel, target, weights, alpha, rows):
    idx = np.flatnonzero(rows)
    system = kernel[np.ix_(idx, idx)] + np.diag(alpha / weights[idx])
    coef = np.zeros(len(target))
    coef[idx] = np.linalg.solve(system, (target[idx] == 1).astype(float))
    return coef


@pytest.mark.parametrize("ngrams", [(1, 1), (1, 2), (2, 3), (1, 3)])
def test_fast_word_features_equal_scikit_learns_transform(data, ngrams):
    texts, y, scheme = data
    model = ThemeClassifier(labels=scheme.leaves, cv=3, word_ngrams=ngrams).fit(texts[:200], y[:200])
    unseen = texts[200:] + ["", "Zzzz qqqq unseen words only", "the the the the", "x"]
    words = model.words(unseen)
    ours = model.features_from_words(words)
    theirs = model.vectorizers_[0].transform(model._analyzer().ngrams(words))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.toarray(), theirs.toarray(), atol=1e-6)
    assert (ours != 0).sum() == (theirs != 0).sum()


def test_models_fitted_together_share_their_solve_and_match_models_fitted_alone(data):
    from themes.model import _SHARED_INVERSES, shared_solves

    texts, y, scheme = data
    other = y[:, ::-1].copy()
    other[:40, 0] = -1  # a label with unknown cells is solved on its own rows
    settings = {"labels": scheme.leaves, "char_ngrams": None, "cv": 3}
    alone = [ThemeClassifier(**settings).fit(texts, t) for t in (y, other)]
    with shared_solves():
        together = [ThemeClassifier(**settings).fit(texts, t) for t in (y, other)]
        kept = len(_SHARED_INVERSES.get())
    assert kept == 2  # all rows, and the rows the partly unknown label knows
    assert _SHARED_INVERSES.get() is None
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a.coef_, b.coef_)
        np.testing.assert_array_equal(a.thresholds_, b.thresholds_)
        np.testing.assert_array_equal(a.predict_proba(texts[:20]), b.predict_proba(texts[:20]))


def test_kernel_blocks_make_the_same_matrix_as_one_product():
    import scipy.sparse as sp

    from themes.model import _gram

    features = sp.random(50, 30, density=0.2, format="csr", random_state=0, dtype=np.float64)
    whole = (features @ features.T).toarray().astype(np.float32)
    for jobs in (1, 2):
        blocked = _gram(features, np.float32, jobs, block=7)
        assert blocked.dtype == np.float32 and np.array_equal(blocked, whole)
