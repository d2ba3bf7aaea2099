"""A name seen in one complaint never enters a saved model; a word seen in several does.

The vectorisers drop features found in fewer than ``min_df`` complaints (2 by default), and
the list of what they dropped is removed before saving. The bundle's bytes are searched,
including every member of the skops zip files, in the encodings they store text in (UTF-8 in
the schema, UTF-32 in numpy string arrays).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from .conftest import TRAINING

RARE_NAME = "Quillonia Vexmoorby"
RARE_ID = "QX-99172-ZZ"
TWICE = "brindlewickery"


def needles(text: str) -> list[bytes]:
    forms = {text, text.lower(), text.upper()}
    return [f.encode(enc) for f in forms for enc in ("utf-8", "utf-16-le", "utf-32-le")]


def bundle_blobs(folder: Path) -> dict[str, bytes]:
    """Every file of the bundle, and every member of each zip inside it, as bytes."""
    blobs = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        blobs[str(path.relative_to(folder))] = data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    blobs[f"{path.name}!{member}"] = archive.read(member)
    return blobs


def found_in(blobs: dict[str, bytes], text: str) -> list[str]:
    return [name for name, data in blobs.items() if any(n in data for n in needles(text))]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    from themes import bundle as bundle_io
    from themes.card import render
    from themes.scheme import load
    from themes.train import Source, train

    folder = tmp_path_factory.mktemp("privacy")
    data = pd.read_csv(TRAINING, dtype=str, keep_default_na=False).head(80).copy()
    # The name twice in one complaint (still one complaint), in the id column of that row too.
    data.loc[3, "text"] += f" My son {RARE_NAME} was moved. {RARE_NAME} was scared. Ref {RARE_ID}."
    data.loc[3, "id"] = RARE_ID
    data.loc[5, "text"] += f" The {TWICE} again."
    data.loc[9, "text"] += f" More {TWICE} here."
    source = folder / "train.csv"
    data.to_csv(source, index=False)
    result = train([Source(source)], [load("causes"), load("pillars")], name="privacy", seed=0, params={"cv": 3})
    out = folder / "bundle"
    bundle_io.save(result, out, card=render(result))
    return out


def test_rare_name_and_id_are_in_no_file_of_the_bundle(trained):
    blobs = bundle_blobs(trained)
    assert any("!" in name for name in blobs)  # the skops members were opened
    for secret in (RARE_NAME, *RARE_NAME.split(), RARE_ID):
        assert found_in(blobs, secret) == [], secret


def test_a_word_in_two_complaints_is_kept(trained):
    """The search works: a made-up word used in two complaints is in the vocabulary."""
    assert found_in(bundle_blobs(trained), TWICE)


def test_pruned_terms_are_not_saved(trained):
    from themes import bundle as bundle_io

    loaded = bundle_io.load(trained)
    for model in loaded.models.values():
        assert model.min_df >= 2
        for vectorizer in model.vectorizers_:
            assert not getattr(vectorizer, "stop_words_", None)
