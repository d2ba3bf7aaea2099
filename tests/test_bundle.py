import json
import shutil

import numpy as np
import pandas as pd
import pytest

from themes import bundle as bundle_io
from themes.errors import BundleError
from themes.predict import predict_texts

from .conftest import TRAINING


@pytest.fixture
def copy(small_bundle, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(small_bundle, target)
    return target


def test_save_load_identical_predictions(small_bundle, tmp_path):
    texts = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).text.tail(50).tolist()
    first = bundle_io.load(small_bundle)
    again = bundle_io.save(first, tmp_path / "resaved", card="card")
    second = bundle_io.load(again)
    for scheme_id in first.models:
        np.testing.assert_array_equal(
            first.models[scheme_id].predict_proba(texts), second.models[scheme_id].predict_proba(texts)
        )
    a, b = predict_texts(first, texts), predict_texts(second, texts)
    assert a.assigned == b.assigned


def test_manifest_records_what_matters(small_bundle):
    manifest = json.loads((small_bundle / "manifest.json").read_text())
    assert manifest["format_version"] == bundle_io.FORMAT_VERSION
    assert {"scikit-learn", "spacy", "numpy"} <= set(manifest["libraries"])
    assert manifest["training"]["sources"][0]["rows"] == 400 and len(manifest["training"]["sources"][0]["sha256"]) == 64
    assert manifest["seed"] == 1
    assert set(manifest["schemes"]) == {"causes", "pillars"}
    assert "labels" in manifest["metrics"]["cross_validated"]["causes"]
    card = (small_bundle / "MODEL_CARD.md").read_text()
    assert card.startswith("# Model card")
    # The card lists the settings the solver uses: a ridge model has alpha, not C.
    assert manifest["params"]["solver"] == "ridge"
    assert "alpha = " in card and "class_weight" not in card and "\nC = " not in card


def test_flipped_byte_is_refused_naming_the_file(copy):
    model = copy / "pillars.skops"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="pillars.skops"):
        bundle_io.load(copy)


def test_missing_and_extra_files_are_refused(copy):
    (copy / "notes.txt").write_text("hello")
    with pytest.raises(BundleError, match="notes.txt"):
        bundle_io.load(copy)
    (copy / "notes.txt").unlink()
    (copy / "schemes" / "causes.toml").unlink()
    with pytest.raises(BundleError, match="causes.toml"):
        bundle_io.load(copy)


def test_incompatible_library_versions_are_refused(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["libraries"]["scikit-learn"] = "0.1.0"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="scikit-learn 0.1.0.*retrain"):
        bundle_io.load(copy)


def test_not_a_bundle(tmp_path):
    with pytest.raises(BundleError, match="no manifest.json"):
        bundle_io.load(tmp_path)
