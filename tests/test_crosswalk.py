"""Crosswalks: shipped legacy schemes convert to causes, label by label, and the result adds up."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from themes import crosswalk as cw
from themes.cli import app
from themes.errors import DataError, SchemeError, UsageError
from themes.scheme import load

from .conftest import write_csv

LEGACY = ("legacy_primary_causes", "legacy_single_reason", "legacy_category_detail")


def _raw_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _variant(text: str, i: int) -> str:
    """The label as people type it: ids and names, in odd case and spacing."""
    return (text.upper(), f"  {text.lower()} ", text.replace(" ", "  "), text)[i % 4]


def test_shipped_crosswalks_cover_every_legacy_label():
    assert sorted(cw.load(p).from_id for p in cw.shipped()) == sorted(LEGACY)
    causes = load("causes")
    for name in LEGACY:
        walk = cw.resolve(name, to="causes")
        scheme = cw.legacy_scheme(name)
        assert walk.from_scheme is not None and walk.from_scheme.id == scheme.id
        for label in scheme.labels:
            by_id, by_name = walk.mapping_for(label.id), walk.mapping_for(label.name)
            assert by_id is not None and by_id is by_name, (name, label.id)
            assert by_id.none != bool(by_id.targets), (name, label.id)
            assert not causes.unknown_codes(list(by_id.targets))
            if by_id.judgement or by_id.none:
                assert by_id.note, f"{name}: {label.id} needs a note saying why"
        assert any(m.judgement for m in walk.mappings)
    assert any(m.none for p in cw.shipped() for m in cw.load(p).mappings)


def test_legacy_schemes_load_by_path_and_are_not_listed_as_builtin(runner):
    for path in cw.legacy_schemes():
        assert load(path).id in LEGACY
    listed = runner.invoke(app, ["scheme", "list"])
    assert listed.exit_code == 0 and "legacy" not in listed.output


@pytest.mark.parametrize("name", LEGACY)
def test_file_coded_in_each_legacy_scheme_converts_and_adds_up(runner, tmp_path, name):
    from themes.breakdown import breakdown, read_coded

    walk = cw.resolve(name)
    scheme = walk.from_scheme
    rows = []
    for i, label in enumerate(scheme.labels):
        given = _variant(label.name if i % 2 else label.id, i)
        rows.append({"Ref": f"L{i}", "Team": "Fostering" if i % 3 else "CIC", "Cause": given})
    rows.append({"Ref": "multi", "Team": "CIC", "Cause": f"{scheme.labels[0].name}; {scheme.labels[-1].id}"})
    rows.append({"Ref": "blank", "Team": "CIC", "Cause": "Not recorded"})
    source = write_csv(tmp_path / f"{name}.csv", rows)
    out = tmp_path / "restated.csv"
    result = runner.invoke(app, ["crosswalk", str(source), "--from", name, "--to", "causes", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = _raw_rows(out)
    assert list(written[0]) == ["Ref", "Team", "Cause", "causes", "crosswalk_judgement"]
    causes = load("causes")
    for row, label in zip(written, scheme.labels, strict=False):
        m = walk.mapping_for(label.id)
        got = [c for c in row["causes"].split(";") if c]
        assert set(got) == set(m.targets), (name, label.id)
        assert row["crosswalk_judgement"] == ("true" if m.judgement else "false")
        assert row["Cause"] == next(r["Cause"] for r in rows if r["Ref"] == row["Ref"])
    assert written[-1]["causes"] == "" and written[-1]["crosswalk_judgement"] == "false"

    # The breakdown of the converted file adds up.
    coded = read_coded(out)
    table = breakdown(coded, "causes", by="Team")
    counts, levels, ids = table.counts, table.rows["level"], table.rows["id"]
    assert table.totals["All"] == len(rows)
    pd.testing.assert_series_equal(counts["CIC"] + counts["Fostering"], counts["All"], check_names=False)
    codes = coded.codes["causes"]
    reasons = levels == "reason"
    assert counts["All"][levels == "codes"].item() == counts["All"][reasons].sum() == sum(len(c) for c in codes)
    assert counts["All"][levels == "uncoded"].item() == sum(not c for c in codes)
    for cat in causes.categories:
        expected = sum(bool({cat, *causes.children[cat]}.intersection(c)) for c in codes)
        assert counts["All"][(levels == "category") & (ids == cat)].item() == expected


def test_unknown_labels_are_listed_with_rows(runner, tmp_path):
    path = write_csv(tmp_path / "old.csv", [
        {"Ref": "1", "Reason": "Financial issues"},
        {"Ref": "2", "Reason": "Parking; Policy"},
        {"Ref": "3", "Reason": "Parking"},
    ])
    result = runner.invoke(app, ["crosswalk", str(path), "--from", "legacy_single_reason", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "a label not in the scheme at rows 3, 4" in result.output and "'Reason'" in result.output
    assert "Parking" not in result.output  # cells are never quoted: they could hold anything
    assert not (tmp_path / "o.csv").exists()


def test_resolve_by_scheme_file_and_refusals(tmp_path):
    scheme_file = next(p for p in cw.legacy_schemes() if p.stem == "legacy_category_detail")
    assert cw.resolve(scheme_file).from_id == "legacy_category_detail"
    with pytest.raises(UsageError, match="legacy_single_reason -> causes"):
        cw.resolve("no_such_scheme")
    with pytest.raises(UsageError, match="not 'pillars'"):
        cw.resolve(cw.shipped()[0], to="pillars")


VERSIONS = """
[from]
id = "causes"
version = "0.9"
scheme = "old.toml"

[to]
id = "causes"
version = "1.0"

[[mappings]]
from = "money"
name = "Money"
to = ["cost.inappropriate_charge", "cost.payments_not_received"]

[[mappings]]
from = "slow"
name = "Slow"
to = ["delay.service_too_slow"]

[[mappings]]
from = "late"
name = "Late"
to = ["delay.service_too_slow"]
judgement = true
note = "close enough"

[[mappings]]
from = "talk"
name = "Talking"
to = ["communication", "communication.no_notice"]

[[mappings]]
from = "website"
name = "Website"
none = true
"""

OLD = """
id = "causes"
name = "Old causes"
version = "0.9"
[[labels]]
id = "money"
name = "Money"
[[labels]]
id = "slow"
name = "Slow"
[[labels]]
id = "late"
name = "Late"
[[labels]]
id = "talk"
name = "Talking"
[[labels]]
id = "website"
name = "Website"
"""


@pytest.fixture
def versions(tmp_path) -> Path:
    (tmp_path / "old.toml").write_text(OLD, encoding="utf-8")
    path = tmp_path / "old_to_new.toml"
    path.write_text(VERSIONS, encoding="utf-8")
    return path


def test_one_to_many_many_to_one_and_none(versions):
    walk = cw.load(versions)
    frame = pd.DataFrame({"causes": ["money", "Slow;late", "talk", "website; money", "", "n/a"], "x": list("abcdef")})
    out = cw.restate(frame, walk)
    assert list(out.columns) == ["causes (causes)", "x", "causes", "crosswalk_judgement"]
    assert out["causes"].tolist() == [
        "cost.inappropriate_charge;cost.payments_not_received", "delay.service_too_slow",
        "communication.no_notice", "cost.inappropriate_charge;cost.payments_not_received", "", "",
    ]
    assert out["crosswalk_judgement"].tolist() == ["false", "true", "false", "false", "false", "false"]
    figures = cw.judgement_figures(frame, walk).set_index("id")
    # 'Slow;late' reaches the reason through a clear mapping as well, so it does not rest on judgement.
    assert figures.loc["delay.service_too_slow", "judgement"] == 0
    only_late = cw.judgement_figures(pd.DataFrame({"causes": ["late", "slow"]}), walk).set_index("id")
    assert only_late.loc["delay", "complaints"] == 2 and only_late.loc["delay", "judgement"] == 1


def test_crosswalk_problems_are_all_listed(tmp_path, versions):
    bad = VERSIONS.replace('to = ["delay.service_too_slow"]\njudgement', 'to = ["delay.nope"]\njudgement')
    bad = bad.replace('none = true', 'none = true\nto = ["cost"]')
    bad = bad.replace('name = "Talking"', 'name = "Money"')
    bad = bad.replace('[[mappings]]\nfrom = "slow"\nname = "Slow"\nto = ["delay.service_too_slow"]\n', "")
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(SchemeError) as caught:
        cw.load(path)
    message = str(caught.value)
    assert "both 'to' and 'none = true'" in message and "'Money' is already used by mapping 1" in message
    path.write_text(bad.replace('none = true\nto = ["cost"]', "none = true").replace('name = "Money"\nto = ["communication"', 'name = "Talking"\nto = ["communication"'), encoding="utf-8")
    with pytest.raises(SchemeError) as caught:
        cw.load(path)
    message = str(caught.value)
    assert "'delay.nope'" in message and "no mapping for 'slow'" in message


def test_training_uses_converted_rows_at_a_lower_weight(tmp_path, small_training):
    from themes.train import Source, gather

    legacy = write_csv(tmp_path / "legacy.csv", [
        {"Ref": "1", "Description": "They stopped my allowance.", "Reason": "Financial issues"},
        {"Ref": "2", "Description": "The building is cold.", "Reason": "Physical environment issues"},
        {"Ref": "3", "Description": "Nobody replies.", "Reason": "Service standards - communication (failure or poor)"},
        {"Ref": "4", "Description": "No one told me.", "Reason": "Not recorded"},
    ])
    walk = cw.resolve("legacy_category_detail")
    with pytest.raises(DataError, match="a label not in the scheme at rows 2, 3"):
        gather([Source(legacy, 1.0, walk.path)], [load("causes")])
    legacy = write_csv(tmp_path / "legacy.csv", [
        {"Ref": "1", "Description": "They stopped my allowance.", "Reason": "Financial issues"},
        {"Ref": "2", "Description": "The building is cold.", "Reason": "Physical environment issues"},
        {"Ref": "3", "Description": "Nobody will tell me why.", "Reason": "Policy"},
    ])
    sources = cw.with_crosswalk([Source(small_training), Source(legacy)], "legacy_single_reason", weight=0.5)
    assert sources[0].crosswalk is None and sources[1].crosswalk is not None and sources[1].weight == 0.5
    data = gather(sources, [load("causes"), load("pillars")])
    n = len(pd.read_csv(small_training))
    assert len(data.texts) == n + 2  # the row with no equivalent carries no evidence
    assert (data.weights[:n] == 1).all() and (data.weights[n:] == 0.5).all()
    causes = load("causes")
    y = data.targets["causes"][n:]
    leaves = list(causes.leaves)
    # 'Financial issues' -> the cost category alone: its reasons are unknown, not negatives.
    assert (y[0, [leaves.index(k) for k in causes.children["cost"]]] == -1).all()
    assert y[1, leaves.index("eligibility.general")] == 1
    assert (data.targets["pillars"][n:] == -1).all()
    assert data.sources[1]["crosswalk"] == "legacy_single_reason_to_causes.toml"
    with pytest.raises(UsageError, match="already has a 'causes' column"):
        cw.with_crosswalk([Source(small_training)], "legacy_single_reason")


def test_train_and_breakdown_commands_take_a_crosswalk(runner, tmp_path, small_training):
    result = runner.invoke(app, ["train", str(small_training), "--crosswalk", "legacy_single_reason", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2 and "already has a 'causes' column" in result.output
    legacy = write_csv(tmp_path / "2019.csv", [
        {"Ref": "1", "Received": "2019-05-02", "Reason": "Financial issues"},
        {"Ref": "2", "Received": "2019-06-02", "Reason": "Communication"},
        {"Ref": "3", "Received": "2019-07-02", "Reason": "Policy; Communication"},
    ])
    out = tmp_path / "restated.csv"
    result = runner.invoke(app, ["breakdown", str(legacy), "--crosswalk", "legacy_single_reason", "--by", "crosswalk_judgement", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rest on judgement mappings" in result.output and "Cost: 1 of 1 complaints" in result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    total = table[table["Level"] == "complaints"]
    assert total["true: complaints"].item() == "2" and total["false: complaints"].item() == "1"
    assert np.array_equal(table["All: complaints"].astype(int), table["true: complaints"].astype(int) + table["false: complaints"].astype(int))
