"""Evidence: every assigned label is backed by sentences of its own complaint, chosen by the model."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from themes import bundle as bundle_io
from themes.cli import app
from themes.evidence import Evidence, find_evidence, format_evidence, sentence_spans, shorten
from themes.predict import classify_frame

from .conftest import TRAINING, write_csv


@pytest.fixture(scope="module")
def loaded(small_bundle):
    return bundle_io.load(small_bundle)


@pytest.fixture(scope="module")
def unseen() -> pd.DataFrame:
    """Complaints the small bundle was not trained on (it saw the first 400)."""
    return pd.read_csv(TRAINING, dtype=str, keep_default_na=False).iloc[400:440].reset_index(drop=True)


def _entries(cell: str) -> list[tuple[str, str]]:
    # Split only where a label id follows: a quoted sentence may hold " | " itself.
    from themes.scheme import load

    ids = sorted(set(load("causes").leaves) | set(load("pillars").leaves))
    entry = re.compile(r" \| (?=(?:%s): \")" % "|".join(map(re.escape, ids)))
    out = []
    for part in filter(None, entry.split(cell)):
        label, _, quoted = part.partition(": ")
        assert quoted.startswith('"') and quoted.endswith('"'), part
        out.append((label, quoted[1:-1]))
    return out


def test_every_assigned_label_has_evidence_from_its_own_complaint(loaded, unseen):
    coded = classify_frame(loaded, unseen[["id", "text"]])
    assert "evidence" in coded.columns
    assigned_total = 0
    for i, row in coded.iterrows():
        labels = [c for col in ("causes", "pillars") for c in row[col].split(";") if c]
        assigned_total += len(labels)
        entries = _entries(row["evidence"])
        assert {label for label, _ in entries} == set(labels)
        own = " ".join(unseen.loc[i, "text"].split())
        others = [" ".join(t.split()) for j, t in enumerate(unseen["text"]) if j != i]
        for _, sentence in entries:
            fragment = sentence.rstrip("…")
            assert fragment and fragment in own
            assert not any(fragment in other for other in others if len(fragment) > 40)
    assert assigned_total > 20


def test_spans_point_into_the_text_and_follow_the_model(loaded):
    model = loaded.models["causes"]
    leaves = loaded.schemes["causes"].leaves
    text = (
        "I am writing about my son.\n"
        "Nobody from the council has returned my calls or answered my emails for six weeks. "
        "The weather has been bad."
    )
    label = "communication.no_response" if "communication.no_response" in leaves else leaves[0]
    items = find_evidence(loaded, [text], {"causes": [[label]]})[0]
    assert items and all(isinstance(e, Evidence) for e in items)
    assert all(text[e.start : e.end] == e.text for e in items)
    # The chosen sentence is the one whose own features add most to the label's decision value.
    spans = sentence_spans(text)
    j = leaves.index(label)
    alone = [float(model.contributions([text[s:e]], j)[0].sum()) for s, e in spans]
    best = spans[int(np.argmax(alone))]
    assert (best[0], best[1]) in {(e.start, e.end) for e in items}
    assert max(e.contribution for e in items) == pytest.approx(max(alone), rel=1e-4)


def test_classify_tokenises_once_and_schemes_share_one_transform(loaded, unseen, monkeypatch):
    """Evidence reuses classify's tokenising pass; the sentences of a whole batch go through one
    feature transform, shared by schemes whose features are identical."""
    import themes.text

    models = list(loaded.models.values())
    assert models[0].same_features(models[1])
    passes: list[int] = []
    transforms: list[tuple[str, int]] = []
    original_pass = themes.text.spacy_arrays

    def counting_pass(texts, **kwargs):  # noqa: ANN001, ANN202, ANN003
        passes.append(len(texts))
        return original_pass(texts, **kwargs)

    monkeypatch.setattr(themes.text, "spacy_arrays", counting_pass)
    for model in models:
        for method in ("features_from_tokens", "features_from_arrays"):
            original = getattr(model, method)

            def counting(batch, _original=original, _name=method):  # noqa: ANN001, ANN202
                transforms.append((_name, len(batch.bounds) - 1 if _name.endswith("arrays") else len(batch.texts)))
                return _original(batch)

            monkeypatch.setattr(model, method, counting)
    coded = classify_frame(loaded, unseen[["id", "text"]])
    assert passes == [len(unseen)]
    # The complaints once, then all their sentences once, for both schemes.
    assert [name for name, _ in transforms] == ["features_from_tokens", "features_from_arrays"]
    assert transforms[1][1] > transforms[0][1] == len(unseen)
    assert coded["evidence"].str.len().gt(0).sum() > 0


def test_rows_without_labels_or_text_get_no_evidence(loaded):
    items = find_evidence(loaded, ["", "   ", "Something happened."], {"causes": [[], [], []]})
    assert items == [[], [], []]
    frame = pd.DataFrame({"text": ["", "[bold]ok[/bold]"]})
    coded = classify_frame(loaded, frame)
    assert coded.loc[0, "evidence"] == ""


def test_format_and_shorten():
    long = "word " * 100
    assert len(shorten(long)) == 200 and shorten(long).endswith("…")
    assert shorten("two\nlines") == "two lines"
    items = [Evidence("causes", "a.b", 0, 3, "One.", 1.0), Evidence("pillars", "planning", 4, 8, "Two [bold].", 0.5)]
    assert format_evidence(items) == 'a.b: "One." | planning: "Two [bold]."'


def test_classify_cli_writes_evidence_and_can_leave_it_out(runner, small_bundle, tmp_path, unseen):
    source = write_csv(tmp_path / "in.csv", unseen.head(6)[["id", "text"]].to_dict("records"))
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["classify", str(source), "--out", str(out), "--model", str(small_bundle)])
    assert result.exit_code == 0, result.output
    coded = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(coded.columns).index("evidence") == list(coded.columns).index("review_reason") + 1
    has_label = (coded["causes"] != "") | (coded["pillars"] != "")
    assert has_label.any()
    assert ((coded["evidence"] != "") == has_label).all()
    bare = tmp_path / "bare.csv"
    result = runner.invoke(app, ["classify", str(source), "--out", str(bare), "--model", str(small_bundle), "--no-evidence"])
    assert result.exit_code == 0, result.output
    assert "evidence" not in pd.read_csv(bare, dtype=str, encoding="utf-8-sig").columns


def test_best_two_is_a_stable_ranking_within_each_row():
    from themes.evidence import _best_two

    rng = np.random.default_rng(5)
    sizes = [1, 3, 0, 4, 2, 6]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    values = rng.integers(-2, 3, size=(bounds[-1], 5)).astype(float)  # small integers: many ties
    best, second = _best_two(values, bounds)
    for k, size in enumerate(sizes):
        for j in range(5):
            if size == 0:
                assert best[k, j] == second[k, j] == -1
                continue
            order = bounds[k] + np.argsort(-values[bounds[k] : bounds[k + 1], j], kind="stable")
            assert best[k, j] == order[0]
            assert second[k, j] == (order[1] if size > 1 else -1)
