"""classify --keep-coded: people's codes kept byte for byte, blanks coded by the model."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from themes.cli import app
from themes.coded import DEFAULT_BLANK_VALUES, coded_column_of, merge_person_codes, person_codes
from themes.errors import DataError
from themes.scheme import load

from .conftest import TRAINING, write_csv

# Person cells written the way people write them: odd spacing, a category alone, a placeholder
# beside a code. They must come back exactly as written.
PERSON = {
    0: " communication.delay_in_response ;delay.service_too_slow",
    2: "staff_attitude",
    4: "decision.other; Not recorded",
    6: "cost.payments_not_received",
}
BLANK = {1: "", 3: "Not recorded", 5: "no cause RECORDED", 7: "N/A", 8: "-", 9: "Unknown", 10: "None recorded"}


def _raw_rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def partly_coded(tmp_path):
    texts = pd.read_csv(TRAINING, dtype=str, keep_default_na=False)["text"].head(11).tolist()
    rows = []
    for i, text in enumerate(texts):
        rows.append({
            "Ref": f"R{i:02d}",
            "Description": text,
            "causes": PERSON.get(i, BLANK.get(i, "")),
            "pillars": "planning;recording" if i == 0 else "",
        })
    return write_csv(tmp_path / "partly.csv", rows)


def test_keep_coded_keeps_person_cells_byte_identical_and_codes_blanks(runner, small_bundle, partly_coded, tmp_path):
    out = tmp_path / "kept.csv"
    result = runner.invoke(app, ["classify", str(partly_coded), "--out", str(out), "--model", str(small_bundle), "--keep-coded", "--suggest"])
    assert result.exit_code == 0, result.output
    assert "people recorded on 4 rows" in result.output and "model coded 7" in result.output
    source, written = _raw_rows(partly_coded), _raw_rows(out)
    assert len(written) == len(source)
    # Every input column is still there, in order, with the person columns in place.
    header = list(written[0])
    assert header[:4] == ["Ref", "Description", "causes", "pillars"]
    assert header[-2:] == ["coded_by", "suggested_causes"]

    plain = tmp_path / "plain.csv"
    stripped = pd.read_csv(partly_coded, dtype=str, keep_default_na=False).drop(columns=["causes", "pillars"])
    stripped.to_csv(tmp_path / "stripped.csv", index=False)
    assert runner.invoke(app, ["classify", str(tmp_path / "stripped.csv"), "--out", str(plain), "--model", str(small_bundle)]).exit_code == 0
    model = _raw_rows(plain)

    scheme = load("causes")
    for i, (before, after) in enumerate(zip(source, written, strict=True)):
        assert after["Description"] == before["Description"]
        if i in PERSON:
            assert after["coded_by"] == "person"
            assert after["causes"] == before["causes"]  # byte-identical, spacing and all
            assert after["pillars"] == before["pillars"]
            assert after["needs_review"] == "false" and after["confidence"] == ""
            given = set(person_codes(before["causes"], DEFAULT_BLANK_VALUES))
            assert not given & set(filter(None, after["suggested_causes"].split(";")))
        else:
            assert after["coded_by"] == "model"
            assert after["causes"] == model[i]["causes"] and after["pillars"] == model[i]["pillars"]
            if before["causes"]:
                assert after["causes"] != before["causes"]  # the placeholder is gone
            assert after["causes"] or after["needs_review"] == "true"
            assert after["suggested_causes"] == ""
        codes = person_codes(after["causes"], DEFAULT_BLANK_VALUES)
        assert not scheme.unknown_codes(codes)
        # Categories always agree with the reasons (or a category given alone).
        expected = {c if c in scheme.categories else scheme.category_of(c) for c in codes}
        assert set(filter(None, after["cause_categories"].split(";"))) == expected
    assert written[2]["cause_categories"] == "staff_attitude"
    assert sum(row["causes"] != "" for i, row in enumerate(written) if i not in PERSON) >= 5


def test_keep_coded_in_chunks_matches_the_whole_file(runner, small_bundle, partly_coded, tmp_path):
    whole, chunked = tmp_path / "whole.csv", tmp_path / "chunked.csv"
    base = ["classify", str(partly_coded), "--model", str(small_bundle), "--keep-coded", "--no-evidence"]
    assert runner.invoke(app, [*base, "--out", str(whole)]).exit_code == 0
    result = runner.invoke(app, [*base, "--out", str(chunked), "--chunk-size", "3"])
    assert result.exit_code == 0, result.output
    assert chunked.read_bytes() == whole.read_bytes()
    assert "people recorded on 4 rows" in result.output
    assert "evidence" not in _raw_rows(whole)[0]


def test_keep_coded_with_a_primary_cause_column(runner, small_bundle, tmp_path):
    texts = pd.read_csv(TRAINING, dtype=str, keep_default_na=False)["text"].head(3).tolist()
    path = write_csv(tmp_path / "in.csv", [
        {"Description": texts[0], "Primary cause": "cost.inappropriate_charge"},
        {"Description": texts[1], "Primary cause": "TBC"},
        {"Description": texts[2], "Primary cause": "Not recorded"},
    ])
    out = tmp_path / "out.csv"
    result = runner.invoke(app, [
        "classify", str(path), "--out", str(out), "--model", str(small_bundle), "--keep-coded",
        "--blank-values", "TBC, Not recorded",
    ])
    assert result.exit_code == 0, result.output
    rows = _raw_rows(out)
    assert [r["Primary cause"] for r in rows] == ["cost.inappropriate_charge", "TBC", "Not recorded"]
    assert [r["coded_by"] for r in rows] == ["person", "model", "model"]
    assert rows[0]["causes"] == "cost.inappropriate_charge" and rows[0]["cause_categories"] == "cost"
    assert "suggested_causes" not in rows[0]


def test_keep_coded_refusals(runner, small_bundle, partly_coded, tmp_path):
    out = str(tmp_path / "o.csv")
    plain = runner.invoke(app, ["classify", str(partly_coded), "--out", out, "--model", str(small_bundle)])
    assert plain.exit_code == 2 and "'causes'" in plain.output
    alone = runner.invoke(app, ["classify", str(partly_coded), "--out", out, "--model", str(small_bundle), "--suggest"])
    assert alone.exit_code == 2 and "--keep-coded" in alone.output
    bad = write_csv(tmp_path / "bad.csv", [
        {"Description": "a b c d", "causes": ""},
        {"Description": "a b c d", "causes": "cost"},
        {"Description": "x y z w", "causes": "Financial issues"},
    ])
    result = runner.invoke(app, ["classify", str(bad), "--out", out, "--model", str(small_bundle), "--keep-coded", "--chunk-size", "1"])
    assert result.exit_code == 2
    # The file's row number, even when the file is coded a row at a time.
    assert "at row 4" in result.output and "themes crosswalk" in result.output
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(DataError, match="--coded-column"):
        coded_column_of(pd.DataFrame({"Description": ["x y z w"]}), None)


def _predictions(n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "causes": ["delay.service_too_slow;communication.no_notice"] * n,
        "cause_categories": ["delay;communication"] * n,
        "confidence": [0.7] * n,
        "needs_review": ["true"] * n,
        "review_reason": ["causes label near threshold"] * n,
    })


def test_merge_person_codes_library():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "Reason": ["communication;delay.service_too_slow", "", "TBC"]})
    merged = merge_person_codes(
        frame, _predictions(3), scheme=load("causes"), column="Reason", blank_values=("TBC",), suggest=True,
    )
    assert merged["coded_by"].tolist() == ["person", "model", "model"]
    assert merged.loc[0, "causes"] == "communication;delay.service_too_slow"
    assert merged.loc[0, "cause_categories"] == "communication;delay"
    assert merged.loc[0, "suggested_causes"] == "communication.no_notice"
    assert pd.isna(merged.loc[0, "confidence"]) and merged.loc[1, "confidence"] == 0.7
    assert merged.loc[0, "needs_review"] == "false" and merged.loc[2, "needs_review"] == "true"
    assert merged["Reason"].tolist() == frame["Reason"].tolist()
    with pytest.raises(DataError, match="rows 2, 3"):
        merge_person_codes(
            pd.DataFrame({"text": ["a", "b"], "Reason": ["nonsense", "nonsense"]}), _predictions(2),
            scheme=load("causes"), column="Reason",
        )
    with pytest.raises(DataError, match="3 rows"):
        merge_person_codes(frame, _predictions(2), scheme=load("causes"), column="Reason")


def test_breakdown_splits_by_coded_by():
    from themes.breakdown import breakdown, coded_from_frame

    frame = pd.DataFrame({"text": ["a", "b", "c", "d"], "Reason": ["cost.money_wasted", "", "", "decision.other"]})
    merged = merge_person_codes(frame, _predictions(4), scheme=load("causes"), column="Reason")
    table = breakdown(coded_from_frame(merged), "causes", by="coded_by")
    assert table.totals == {"model": 2, "person": 2, "All": 4}
    counts = table.counts
    pd.testing.assert_series_equal(counts["model"] + counts["person"], counts["All"], check_names=False)
    ids = table.rows["id"].tolist()
    assert counts.loc[ids.index("delay.service_too_slow"), "model"] == 2
    assert counts.loc[ids.index("cost.money_wasted"), "person"] == 1
