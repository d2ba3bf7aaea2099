"""train -> classify -> evaluate -> info, end to end through the CLI."""

import json
from pathlib import Path

import pandas as pd
import pytest

from themes.cli import app

from .conftest import write_csv

CONTRACT = ["causes", "cause_categories", "pillars", "confidence", "needs_review"]


@pytest.fixture
def export(tmp_path):
    rows = [
        {"Complaint Ref": "X1", "Date Received": "2023-05-01", "Team": "Fostering",
         "Description": "My fostering allowance has not been paid for three months and nobody answers my emails."},
        {"Complaint Ref": "X2", "Date Received": "2023-06-11", "Team": "Child Protection", "Description": ""},
        {"Complaint Ref": "X3", "Date Received": "2024-01-20", "Team": "Leaving Care",
         "Description": "My personal adviser keeps changing and I was moved with one day's notice. Nobody asked what I wanted."},
        {"Complaint Ref": "X4", "Date Received": "2024-02-02", "Team": "Assessment", "Description": "None"},
    ]
    return write_csv(tmp_path / "export.csv", rows)


def test_classify_output_contract_csv(runner, small_bundle, export, tmp_path):
    out = tmp_path / "coded.csv"
    result = runner.invoke(app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle), "--scores"])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    coded = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    original = pd.read_csv(export, dtype=str, keep_default_na=False)
    assert list(coded.columns[: len(original.columns)]) == list(original.columns)
    pd.testing.assert_frame_equal(coded[original.columns], original)
    assert set(CONTRACT) <= set(coded.columns)
    assert any(c.startswith("score:communication.") for c in coded.columns)
    assert coded.loc[1, "needs_review"] == "true" and coded.loc[1, "causes"] == ""
    assert coded.loc[1, "review_reason"] == "empty text"
    for reasons, cats in zip(coded.causes, coded.cause_categories):
        expected = {r.split(".")[0] for r in reasons.split(";") if r}
        assert set(filter(None, cats.split(";"))) == expected
    assert all(0 <= float(c) <= 1 for c in coded.confidence)


def test_classify_xlsx_and_refusals(runner, small_bundle, export, tmp_path):
    out = tmp_path / "coded.xlsx"
    assert runner.invoke(app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle)]).exit_code == 0
    coded = pd.read_excel(out, dtype=str, keep_default_na=False)
    assert len(coded) == 4 and set(CONTRACT) <= set(coded.columns)
    again = runner.invoke(app, ["classify", str(export), "--out", str(out), "--model", str(small_bundle)])
    assert again.exit_code == 2 and "--overwrite" in again.output
    same = runner.invoke(app, ["classify", str(export), "--out", str(export), "--model", str(small_bundle), "--overwrite"])
    assert same.exit_code == 2 and "also an input" in same.output
    nocol = write_csv(tmp_path / "nocol.csv", [{"Ref": "1", "Words": "x"}])
    missing = runner.invoke(app, ["classify", str(nocol), "--out", str(tmp_path / "o.csv"), "--model", str(small_bundle)])
    assert missing.exit_code == 2 and "'Words'" in missing.output and "--text-column" in missing.output
    ok = runner.invoke(app, ["classify", str(nocol), "--out", str(tmp_path / "o.csv"), "--model", str(small_bundle), "--text-column", "Words"])
    assert ok.exit_code == 0


def test_evaluate_model_and_against(runner, small_bundle, small_training, tmp_path):
    result = runner.invoke(app, ["evaluate", str(small_training), "--model", str(small_bundle), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    levels = {r["level"] for r in data["causes"]["summary"]}
    assert levels == {"reason", "category"}
    assert {"precision", "recall", "f1", "support", "kappa"} <= set(data["pillars"]["labels"][0])
    frame = pd.read_csv(small_training, dtype=str, keep_default_na=False)
    other = frame.copy()
    other.loc[:49, "causes"] = "cost.money_wasted"
    other.to_csv(tmp_path / "b.csv", index=False)
    result = runner.invoke(app, ["evaluate", str(small_training), "--against", str(tmp_path / "b.csv"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pillars"]["summary"][0]["micro_f1"] == 1.0
    assert data["causes"]["summary"][0]["micro_f1"] < 1.0


def test_info(runner, small_bundle):
    result = runner.invoke(app, ["info", str(small_bundle)])
    assert result.exit_code == 0 and "Cross-validated" in result.output and "400" in result.output


def test_train_with_own_scheme_on_xlsx(runner, tmp_path):
    scheme = tmp_path / "tone.toml"
    scheme.write_text(
        'id = "tone"\nname = "Tone"\nversion = "0.1"\n'
        '[[labels]]\nid = "angry"\nname = "Angry"\n[[labels]]\nid = "thanks"\nname = "Thanks"\n'
    )
    angry = ["This is a disgrace and I am furious with you", "Absolutely furious, a disgrace", "I am so angry, this is disgraceful"]
    thanks = ["Thank you so much for your help", "Many thanks, you were so helpful", "Thanks for all the help you gave"]
    rows = [{"ref": f"r{i}", "Description": t, "tone": "angry" if t in angry else "thanks"} for i, t in enumerate(angry * 4 + thanks * 4)]
    data = tmp_path / "tone.xlsx"
    from themes.data import write_table
    write_table(pd.DataFrame(rows), data)
    out = tmp_path / "tone_model"
    result = runner.invoke(app, ["train", str(data), "--out", str(out), "--scheme", str(scheme), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "tone" in result.output and (out / "tone.skops").exists()
    fresh = write_csv(tmp_path / "fresh.csv", [{"ref": "n1", "Description": "I am furious, this is a disgrace"}, {"ref": "n2", "Description": "Thank you for your help"}])
    coded = tmp_path / "coded.csv"
    result = runner.invoke(app, ["classify", str(fresh), "--out", str(coded), "--model", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(coded, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert frame["tone"].tolist() == ["angry", "thanks"]
    clash = runner.invoke(app, ["classify", str(data), "--out", str(tmp_path / "c2.csv"), "--model", str(out)])
    assert clash.exit_code == 2 and "'tone'" in clash.output


def _tone_files(tmp_path: Path) -> tuple[Path, Path]:
    """A two-label scheme and sixteen rows coded with it: enough to train in a second."""
    scheme = tmp_path / "tone.toml"
    scheme.write_text(
        'id = "tone"\nname = "Tone"\nversion = "0.1"\n'
        '[[labels]]\nid = "angry"\nname = "Angry"\n[[labels]]\nid = "thanks"\nname = "Thanks"\n'
    )
    texts = ["I am furious, a disgrace", "So angry with you all", "Thank you for the help", "Many thanks, so helpful"] * 4
    data = write_csv(tmp_path / "tone.csv", [
        {"ref": f"r{i}", "Description": t, "tone": "angry" if i % 4 < 2 else "thanks"} for i, t in enumerate(texts)
    ])
    return scheme, data


def test_train_threshold_raise_reaches_the_bundle(runner, tmp_path):
    scheme, data = _tone_files(tmp_path)
    out = tmp_path / "raised"
    args = ["train", str(data), "--out", str(out), "--scheme", str(scheme), "--threshold-raise", "0.1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["params"]["threshold_raise"] == 0.1
    assert min(manifest["metrics"]["cross_validated"]["tone"]["thresholds"].values()) >= 0.1
    assert "raised by 0.1" in (out / "MODEL_CARD.md").read_text()
    too_much = runner.invoke(app, args[:-1] + ["0.5"])
    assert too_much.exit_code == 2


def test_train_category_fill_reaches_the_bundle_and_its_card(runner, tmp_path, small_training):
    out = tmp_path / "filled"
    args = ["train", str(small_training), "--out", str(out), "--scheme", "causes", "--category-fill", "0.4"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["params"]["category_fill"] == 0.4 and manifest["params"]["categories"] is None
    assert "reaches 0.4, the category's reason nearest its threshold is coded too" in (out / "MODEL_CARD.md").read_text()
    assert runner.invoke(app, args[:-1] + ["1.5"]).exit_code == 2


def test_train_scores_every_heldout_file(runner, tmp_path):
    scheme, data = _tone_files(tmp_path)
    first = write_csv(tmp_path / "first.csv", [
        {"ref": "h1", "Description": "furious and angry", "tone": "angry"},
        {"ref": "h2", "Description": "thanks so much", "tone": "thanks"},
    ])
    second = write_csv(tmp_path / "second.csv", [
        {"ref": "s1", "Description": "a disgrace, so angry", "tone": "angry"},
        {"ref": "s2", "Description": "many thanks", "tone": "angry"},
    ])
    out = tmp_path / "m"
    base = ["train", str(data), "--out", str(out), "--scheme", str(scheme)]
    missing = runner.invoke(app, base + ["--heldout", str(first), "--heldout", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "nope.csv does not exist" in missing.output and not out.exists()
    result = runner.invoke(app, base + ["--heldout", str(first), "--heldout", str(second)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "manifest.json").read_text())["metrics"]
    assert metrics["heldout"]["file"] == "first.csv"
    assert [h["file"] for h in metrics["heldout_more"]] == ["second.csv"]
    # The second file's answer key is half wrong, so its scores must differ from the first's.
    assert metrics["heldout"]["tone"]["summary"] != metrics["heldout_more"][0]["tone"]["summary"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "## Held-out evaluation (first.csv)" in card and "## Held-out evaluation (second.csv)" in card
    shown = runner.invoke(app, ["info", str(out)])
    assert "Held-out (first.csv)" in shown.output and "Held-out (second.csv)" in shown.output


def test_train_refuses_bad_labels(runner, tmp_path):
    data = write_csv(tmp_path / "bad.csv", [{"id": "1", "text": "x", "causes": "communication.nope"}])
    result = runner.invoke(app, ["train", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "communication.nope" in result.output and "row 2" in result.output


def test_row_weight_column_multiplies_the_file_weight(tmp_path, small_training):
    from themes.errors import LabelError, UsageError
    from themes.scheme import load
    from themes.train import Source, gather

    frame = pd.read_csv(small_training, dtype=str, keep_default_na=False).head(6).drop(columns="weight", errors="ignore")
    frame["Weight"] = ["2", "", "0.5", "1", "2", "3"]
    weighted = tmp_path / "weighted.csv"
    frame.to_csv(weighted, index=False)
    plain = tmp_path / "plain.csv"
    frame.drop(columns="Weight").head(2).to_csv(plain, index=False)
    schemes = [load("causes"), load("pillars")]
    data = gather([Source(weighted, 3.0), Source(plain, 1.0)], schemes, weight_column="weight")
    assert data.weights.tolist() == [6, 3, 1.5, 3, 6, 9, 1, 1]
    assert data.sources[0]["row_weights"] == {"column": "weight", "counts": {"0.5": 1, "1": 2, "2": 2, "3": 1}}
    assert "row_weights" not in data.sources[1]
    assert gather([Source(weighted)], schemes).weights.tolist() == [1] * 6  # no option, no row weights
    with pytest.raises(UsageError, match="No training file has the weight column 'priority'"):
        gather([Source(weighted)], schemes, weight_column="priority")
    frame["Weight"] = ["2", "two", "0", "-1", "2", "nan"]
    frame.to_csv(weighted, index=False)
    with pytest.raises(LabelError, match=r"numbers above 0 .*rows 3, 4, 5, 7"):
        gather([Source(weighted)], schemes, weight_column="weight")


def test_train_weight_column_reaches_the_card(runner, tmp_path, small_training):
    frame = pd.read_csv(small_training, dtype=str, keep_default_na=False).drop(columns="weight", errors="ignore")
    frame["weight"] = ["2" if i % 4 == 0 else "1" for i in range(len(frame))]
    data = tmp_path / "weighted.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "m"
    result = runner.invoke(app, ["train", str(data), "--out", str(out), "--weight-column", "weight"])
    assert result.exit_code == 0, result.output
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "x column `weight` (300 rows x1, 100 rows x2)" in card
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["training"]["sources"][0]["row_weights"]["counts"] == {"1": 300, "2": 100}
