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
