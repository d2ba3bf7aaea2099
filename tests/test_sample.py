"""Dip samples: reproducible whatever the row order, proportional strata, honest manifests."""

import hashlib
import json

import pandas as pd
import pytest

from themes.breakdown import coded_from_frame
from themes.cli import app
from themes.errors import DataError, UsageError
from themes.sample import allocate, dip_sample, sample_size, write_review_workbook

from .conftest import TRAINING, write_csv

PILLARS = ["planning", "planning;recording", "partnership_working", "", "voice_of_child", "assessments;planning"]
TEAMS = ["Fostering", "Children in Care", "Assessment"]


def population(n_upheld: int = 39, n_other: int = 21) -> pd.DataFrame:
    rows = []
    for i in range(n_upheld + n_other):
        rows.append({
            "Complaint Ref": f"CSC-{i + 1:04d}",
            "Date Received": f"2023-{i % 12 + 1:02d}-15",
            "Team": TEAMS[i % 3],
            "Outcome": "Upheld" if i < n_upheld else "Not upheld",
            "Description": f"Complaint number {i + 1} about the service.",
            "causes": "communication.no_notice" if i % 2 else "quality.errors_in_records",
            "pillars": PILLARS[i % len(PILLARS)],
        })
    return pd.DataFrame(rows)


def draw(frame, **kwargs):
    return dip_sample(coded_from_frame(frame, name="coded.csv"), **kwargs)


def test_size_rounds_as_people_expect():
    assert sample_size(39, fraction=0.3) == (12, "30% of 39 complaints is 11.7, rounded to 12")
    assert sample_size(10, fraction=0.25)[0] == 3  # 2.5 rounds up
    assert sample_size(3, fraction=0.1)[0] == 1
    assert sample_size(39, size=39)[0] == 39
    with pytest.raises(UsageError, match="more than the 39"):
        sample_size(39, size=40)
    with pytest.raises(UsageError, match="not both or neither"):
        sample_size(39, fraction=0.3, size=3)
    with pytest.raises(UsageError, match="at most 1"):
        sample_size(39, fraction=30)
    with pytest.raises(DataError, match="nothing to sample"):
        sample_size(0, size=1)


def test_allocation_is_proportional_and_represents_every_stratum():
    assert allocate({"a": 30, "b": 5, "c": 4}, 12) == {"a": 9, "b": 2, "c": 1}
    small = allocate({"a": 100, "b": 1, "c": 1}, 5)
    assert small == {"a": 3, "b": 1, "c": 1}
    tiny = allocate({"a": 10, "b": 5, "c": 1}, 2)
    assert sum(tiny.values()) == 2 and tiny["c"] == 0
    assert allocate({"a": 2, "b": 2}, 4) == {"a": 2, "b": 2}


def test_same_ids_whatever_the_row_order_and_new_ids_with_a_new_seed():
    frame = population()
    args = dict(fraction=0.3, where="outcome = Upheld", stratify="pillars", seed=11)
    first = draw(frame, **args)
    shuffled = draw(frame.sample(frac=1, random_state=3).reset_index(drop=True), **args)
    assert first.ids == shuffled.ids
    assert first.manifest["sample_ids_sha256"] == shuffled.manifest["sample_ids_sha256"]
    other = draw(frame, **{**args, "seed": 12})
    assert other.ids != first.ids and len(other.ids) == len(first.ids)


def test_manifest_states_size_strata_and_hashes_that_check_out():
    frame = population()
    sample = draw(frame, fraction=0.3, where="outcome = Upheld", stratify="pillars", seed=5)
    m = sample.manifest
    assert (m["population"], m["sample_size"], m["seed"]) == (39, 12, 5)
    assert m["filter"] == "outcome = Upheld" and "11.7, rounded to 12" in m["size_rule"]
    assert len(sample.sheet) == 12
    strata = {s["stratum"]: s for s in m["strata"]}
    assert sum(s["population"] for s in strata.values()) == 39
    assert all(s["sampled"] >= 1 for s in strata.values())
    assert sample.sheet["Stratum"].value_counts().to_dict() == {k: s["sampled"] for k, s in strata.items()}
    expected = hashlib.sha256("\n".join(sorted(sample.ids)).encode()).hexdigest()
    assert m["sample_ids_sha256"] == expected
    upheld = frame[frame["Outcome"] == "Upheld"]["Complaint Ref"].tolist()
    assert m["population_ids_sha256"] == hashlib.sha256("\n".join(sorted(upheld)).encode()).hexdigest()
    assert set(sample.ids) <= set(upheld)


def test_strata_by_column_are_proportional():
    sample = draw(population(), size=20, stratify="team", seed=1)
    counts = sample.sheet["Stratum"].value_counts().to_dict()
    # 20 of three equal strata: 6.67 each; ties for the extra two go by name.
    assert counts == {"Assessment": 7, "Children in Care": 7, "Fostering": 6}


def test_a_complaint_with_several_pillars_goes_to_its_rarest():
    frame = population(12, 0)
    sample = draw(frame, size=12, stratify="pillars", seed=1)
    by_id = dict(zip(sample.sheet["Complaint id"], sample.sheet["Stratum"]))
    assert by_id["CSC-0002"] == "Recording"  # planning;recording: recording is rarer
    assert by_id["CSC-0004"] == "(no pillar)"


def test_sample_needs_unique_ids():
    frame = population()
    frame.loc[5, "Complaint Ref"] = frame.loc[4, "Complaint Ref"]
    with pytest.raises(DataError, match="repeats ids at rows 6, 7"):
        draw(frame, size=3, seed=1)
    with pytest.raises(DataError, match="--id-column"):
        draw(frame.drop(columns=["Complaint Ref"]), size=3, seed=1)


def test_review_sheet_columns():
    sheet = draw(population(), size=4, seed=1).sheet
    columns = list(sheet.columns)
    assert columns[:4] == ["Complaint id", "Team", "Received", "Outcome"]
    assert {"Reasons (as coded)", "Pillars (as coded)", "Complaint text"} <= set(columns)
    assert "Planning: finding (yes/no)" in columns and "Planning: note" in columns
    assert columns[-2:] == ["Overall learning", "Actions"]
    assert sheet["Planning: finding (yes/no)"].eq("").all()


def test_review_sheet_carries_classify_evidence():
    frame = population()
    frame["evidence"] = [f'quality.errors_in_records: "Complaint number {i + 1}." | planning: "x"' for i in range(len(frame))]
    sample = draw(frame, size=5, seed=2)
    sheet = sample.sheet
    assert "Evidence (sentences behind the codes)" in sheet.columns
    by_id = dict(zip(frame["Complaint Ref"], frame["evidence"]))
    for ref, shown in zip(sheet["Complaint id"], sheet["Evidence (sentences behind the codes)"]):
        assert shown == by_id[ref].replace(" | ", "\n")
    assert "Evidence (sentences behind the codes)" not in draw(population(), size=5, seed=2).sheet.columns


def test_workbook_opens_cleanly_with_widths_wrapping_and_yes_no(tmp_path):
    from openpyxl import load_workbook

    sample = draw(population(), fraction=0.3, where="outcome = Upheld", stratify="pillars", seed=5)
    path = tmp_path / "sample.xlsx"
    write_review_workbook(sample, path)
    book = load_workbook(path)
    assert book.sheetnames == ["Review", "Strata", "Manifest"]
    ws = book["Review"]
    header = [c.value for c in ws[5]]
    assert header[0] == "Complaint id" and ws.freeze_panes == "A6"
    assert "12 from 39 complaints" in ws["A1"].value and "Seed 5" in ws["A1"].value
    text_col = header.index("Complaint text") + 1
    assert ws.cell(row=6, column=text_col).alignment.wrap_text
    from openpyxl.utils import get_column_letter

    assert ws.column_dimensions[get_column_letter(text_col)].width == 80
    ranges = [str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges]
    finding_col = get_column_letter(header.index("Planning: finding (yes/no)") + 1)
    assert f"{finding_col}6:{finding_col}17" in ranges
    back = pd.read_excel(path, sheet_name="Review", header=4, dtype=str)
    assert back["Complaint id"].tolist() == sample.ids


def test_command_writes_sheet_and_manifest(runner, tmp_path):
    source = write_csv(tmp_path / "coded.csv", population().to_dict("records"))
    out = tmp_path / "sample.xlsx"
    args = ["dip-sample", str(source), "--fraction", "0.3", "--where", "outcome in (Upheld)",
            "--stratify", "pillars", "--seed", "7", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Drew 12 of 39" in result.output and "11.7, rounded to 12" in result.output
    manifest = json.loads((tmp_path / "sample.manifest.json").read_text())
    assert manifest["sample_size"] == 12 and manifest["seed"] == 7
    assert manifest["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    shuffled = write_csv(tmp_path / "shuffled.csv", population().sample(frac=1, random_state=9).to_dict("records"))
    out2 = tmp_path / "sample2.xlsx"
    assert runner.invoke(app, [*args[:1], str(shuffled), *args[2:-1], str(out2)]).exit_code == 0
    manifest2 = json.loads((tmp_path / "sample2.manifest.json").read_text())
    assert manifest2["sample_ids_sha256"] == manifest["sample_ids_sha256"]


def test_command_without_seed_reports_the_one_used(runner, tmp_path):
    source = write_csv(tmp_path / "coded.csv", population().to_dict("records"))
    result = runner.invoke(app, ["dip-sample", str(source), "--size", "3", "--out", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 0, result.output
    seed = json.loads((tmp_path / "s.manifest.json").read_text())["seed"]
    assert f"--seed {seed}" in result.output


def test_command_on_person_coded_training_data(runner, tmp_path):
    out = tmp_path / "sample.xlsx"
    result = runner.invoke(app, [
        "dip-sample", str(TRAINING), "--fraction", "0.1", "--where",
        "outcome in (Upheld, Partially upheld) and period = 2023/24", "--stratify", "team",
        "--seed", "3", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "sample.manifest.json").read_text())
    raw = pd.read_csv(TRAINING, dtype=str, keep_default_na=False)
    dates = pd.to_datetime(raw["received"])
    mask = raw["outcome"].isin(["Upheld", "Partially upheld"]) & (dates >= "2023-04-01") & (dates < "2024-04-01")
    assert manifest["population"] == int(mask.sum())
    assert sum(s["sampled"] for s in manifest["strata"]) == manifest["sample_size"]


def test_command_redacts_the_sheet(runner, tmp_path):
    frame = population()
    frame.loc[:, "Description"] = [f"Mrs Abigail Thornquist called on 07700 900{i:03d} about case {i}." for i in range(len(frame))]
    source = tmp_path / "coded.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "sample.xlsx"
    result = runner.invoke(app, ["dip-sample", str(source), "--size", "6", "--seed", "3", "--out", str(out), "--redact"])
    assert result.exit_code == 0, result.output
    sheet = pd.read_excel(out, sheet_name="Review", header=None, dtype=str).fillna("")
    text = " ".join(sheet.to_numpy().ravel())
    assert "Thornquist" not in text and "07700" not in text
    assert "[NAME]" in text and "[PHONE]" in text
