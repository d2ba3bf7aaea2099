"""Redaction: measured recall on the invented labelled set, the library, and the commands."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from themes.cli import app
from themes.redact import KINDS, find_spans, load_examples, measure, redact_frame, redact_text

from .conftest import FIXTURES, ROOT, write_csv
from .test_hostile_inputs import quick_load  # noqa: F401 - fixture

PATTERN_KINDS = ("ADDRESS", "POSTCODE", "PHONE", "EMAIL", "DOB", "NHS", "NI", "REF")
SET = FIXTURES / "redaction_set.jsonl"


@pytest.fixture(scope="module")
def examples() -> list[dict]:
    return load_examples(SET)


@pytest.fixture(scope="module")
def scores(examples) -> dict:
    return measure(examples)


def test_labelled_set_is_well_formed(examples):
    assert len(examples) >= 150
    for e in examples:
        for span in e["spans"]:
            assert span["kind"] in KINDS
            assert 0 <= span["start"] < span["end"] <= len(e["text"])
            assert e["text"][span["start"] : span["end"]].strip()
    counted = {k: sum(s["kind"] == k for e in examples for s in e["spans"]) for k in KINDS}
    assert min(counted.values()) >= 15, counted
    assert sum(not e["spans"] for e in examples) >= 30  # sentences with nothing to mask


@pytest.mark.parametrize("kind", PATTERN_KINDS)
def test_pattern_kinds_recall_at_least_0_9(kind, scores):
    assert scores[kind]["recall"] >= 0.9, scores[kind]
    assert scores[kind]["precision"] >= 0.9, scores[kind]


def test_names_recall_at_least_0_7(scores):
    assert scores["NAME"]["recall"] >= 0.7, scores["NAME"]
    assert scores["NAME"]["precision"] >= 0.8, scores["NAME"]


def test_saved_figures_are_current(examples, scores):
    """bench/results/redaction.json is what bench/redaction_recall.py measures today."""
    saved = json.loads((ROOT / "bench" / "results" / "redaction.json").read_text())
    assert saved["sentences"] == len(examples)
    assert saved["all"] == json.loads(json.dumps(scores))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My son Jayden was moved.", "My son [NAME] was moved."),
        ("Ring 07700 900123 or +44 20 7946 0018.", "Ring [PHONE] or [PHONE]."),
        ("We live at 14 Elm Road, LS6 2QT.", "We live at [ADDRESS], [POSTCODE]."),
        ("Email sam.k@example.org today.", "Email [EMAIL] today."),
        ("DOB 03/09/2014, NHS number 999 526 0182.", "DOB [DOB], NHS number [NHS]."),
        ("NI number JT 48 29 13 B and ref CSC-2021-0143.", "NI number [NI] and ref [REF]."),
        ("Mrs Patel said the plan was late.", "[NAME] said the plan was late."),
        ("The meeting on 12/03/2021 was cancelled 3 times.", "The meeting on 12/03/2021 was cancelled 3 times."),
        ("The Leaving Care Team and the Personal Adviser did not reply.", "The Leaving Care Team and the Personal Adviser did not reply."),
    ],
)
def test_redact_text_examples(text, expected):
    assert redact_text(text) == expected


def test_names_from_name_columns_are_masked_even_without_clues():
    assert redact_text("Kacper missed school; kacper's bus pass never came.", names=["Kacper Nowak"]) == (
        "[NAME] missed school; [NAME]'s bus pass never came."
    )
    assert redact_text("I will call.", names=["Will Smith"]) == "I will call."


def test_spans_never_overlap():
    text = "Mr Okafor (DOB 01/02/2010) on 07700 900123 at 4 Rose Lane, L8 0SY, ref CSC/2021/00552."
    spans = find_spans(text)
    assert [s.kind for s in spans] == ["NAME", "DOB", "PHONE", "ADDRESS", "POSTCODE", "REF"]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_redact_frame_masks_text_and_name_columns_only():
    frame = pd.DataFrame({
        "Complaint Ref": ["CSC-1", "CSC-2"],
        "Child name": ["Kacper Nowak", ""],
        "Description": ["Kacper was not visited. Call 07700 900123.", "Nothing personal here."],
        "Team": ["Fostering", "Adoption"],
    })
    out, report = redact_frame(frame, text_columns=["Description"], name_columns=["Child name"])
    assert out["Description"].tolist() == ["[NAME] was not visited. Call [PHONE].", "Nothing personal here."]
    assert out["Child name"].tolist() == ["[NAME]", ""]
    assert out["Complaint Ref"].tolist() == ["CSC-1", "CSC-2"] and out["Team"].tolist() == ["Fostering", "Adoption"]
    assert report.counts["NAME"] == 1 and report.counts["PHONE"] == 1
    assert report.cells == 1 and report.name_cells == 1
    assert frame["Child name"][0] == "Kacper Nowak"  # the input frame is not changed


@pytest.fixture
def export(tmp_path):
    return write_csv(tmp_path / "export.csv", [
        {"Complaint Ref": "CSC-2021-0143", "Child name": "Kacper Nowak", "Team name": "Fostering",
         "Description": "My son Kacper has not had a visit. Ring me on 07700 900123 or email k.nowak@example.org."},
        {"Complaint Ref": "CSC-2021-0144", "Child name": "Ava Jones", "Team name": "Adoption",
         "Description": "Mrs Patel wrote that Ava (DOB 03/09/2014) lives at 14 Elm Road, LS6 2QT."},
    ])


def test_redact_command(runner, export, tmp_path):
    out = tmp_path / "redacted.xlsx"
    result = runner.invoke(app, ["redact", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "masked 3 NAME, 1 ADDRESS, 1 POSTCODE, 1 PHONE, 1 EMAIL, 1 DOB in 2 text cell(s) and 2 name cell(s)" in result.output
    for secret in ("Kacper", "Nowak", "Patel", "07700", "example.org", "Elm Road", "LS6"):
        assert secret not in result.output
    frame = pd.read_excel(out, dtype=str, keep_default_na=False)
    assert frame["Description"][0] == "My son [NAME] has not had a visit. Ring me on [PHONE] or email [EMAIL]."
    assert frame["Team name"].tolist() == ["Fostering", "Adoption"]  # not a person's name
    assert frame["Complaint Ref"].tolist() == ["CSC-2021-0143", "CSC-2021-0144"]
    again = runner.invoke(app, ["redact", str(export), "--out", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output


def test_redact_command_name_columns_option(runner, export, tmp_path):
    result = runner.invoke(app, ["redact", str(export), "--out", str(tmp_path / "r.csv"), "--name-columns", "Child name,Nope"])
    assert result.exit_code == 2 and "No column 'Nope'" in result.output
    result = runner.invoke(app, ["redact", str(export), "--out", str(tmp_path / "r.csv"), "--name-columns", "Team name"])
    assert result.exit_code == 0
    frame = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(frame["Team name"]) == {"[NAME]"} and frame["Child name"][0] == "Kacper Nowak"


def test_classify_redact_codes_the_full_text_and_masks_the_output(runner, small_bundle, quick_load, export, tmp_path):  # noqa: F811
    plain, masked = tmp_path / "plain.csv", tmp_path / "masked.csv"
    assert runner.invoke(app, ["classify", str(export), "--out", str(plain), "--model", str(small_bundle)]).exit_code == 0
    result = runner.invoke(app, ["classify", str(export), "--out", str(masked), "--model", str(small_bundle), "--redact"])
    assert result.exit_code == 0, result.output
    assert "Masked personal details" in result.output
    a = pd.read_csv(plain, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    b = pd.read_csv(masked, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert a["causes"].tolist() == b["causes"].tolist() and a["confidence"].tolist() == b["confidence"].tolist()
    text = b.to_csv()
    for secret in ("Kacper", "Nowak", "Patel", "07700", "example.org", "Elm Road"):
        assert secret in a.to_csv() or secret in export.read_text()
        assert secret not in text
    assert set(b["Child name"]) == {"[NAME]"}
