"""themes scheme diff: labels added, removed, renamed, moved, split and merged between versions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from themes import crosswalk as cw
from themes.cli import app
from themes.scheme import from_toml, load
from themes.scheme_diff import diff

OLD = """
id = "tone"
name = "Tone"
version = "1.0"
[[labels]]
id = "angry"
name = "Angry"
[[labels]]
id = "angry.shouting"
parent = "angry"
name = "Shouting"
[[labels]]
id = "sad"
name = "Sad"
[[labels]]
id = "slow"
name = "Slow service"
[[labels]]
id = "thanks"
name = "Thanks"
[[labels]]
id = "calm"
name = "Calm"
[[labels]]
id = "gone"
name = "Gone"
[[labels]]
id = "rude"
name = "Rude"
[[labels]]
id = "cross"
name = "Cross"
"""

NEW = """
id = "tone"
name = "Tone"
version = "2.0"
[[labels]]
id = "angry"
name = "Angry or upset"
[[labels]]
id = "upset"
name = "Upset"
[[labels]]
id = "angry.shouting"
parent = "upset"
name = "Shouting"
[[labels]]
id = "sad"
name = "Sad"
[[labels]]
id = "sad.low"
parent = "sad"
name = "Low"
[[labels]]
id = "sad.tearful"
parent = "sad"
name = "Tearful"
[[labels]]
id = "slow_start"
name = "Slow to start"
[[labels]]
id = "slow_wait"
name = "Long wait"
[[labels]]
id = "gratitude"
name = "thanks"
[[labels]]
id = "calm"
name = "Calm"
[[labels]]
id = "hostile"
name = "Hostile"
[[labels]]
id = "new_one"
name = "Brand new"
"""


def _changes(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(frame["change"], frame["old_id"], frame["new_id"], strict=True))


def test_diff_infers_changes_from_ids_and_names():
    changes = _changes(diff(from_toml(OLD.encode()), from_toml(NEW.encode())))
    assert changes == {
        ("renamed", "angry", "angry"),  # same id, new name
        ("moved", "angry.shouting", "angry.shouting"),
        ("split", "sad", "sad.low;sad.tearful"),  # a leaf became a category
        ("split", "slow", "slow_start;slow_wait"),  # new ids extend the old one
        ("renamed", "thanks", "gratitude"),  # same name, new id
        ("removed", "gone", ""),
        ("removed", "rude", ""),
        ("removed", "cross", ""),
        ("added", "", "upset"),
        ("added", "", "hostile"),
        ("added", "", "new_one"),
    }


def test_a_crosswalk_between_versions_settles_merges_and_removals(tmp_path: Path):
    (tmp_path / "old.toml").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.toml").write_text(NEW, encoding="utf-8")
    mappings = {
        "angry": ('"Angry"', '["angry"]'), "angry.shouting": ('"Shouting"', '["angry.shouting"]'),
        "sad": ('"Sad"', '["sad.low", "sad.tearful"]'), "slow": ('"Slow service"', '["slow_start", "slow_wait"]'),
        "thanks": ('"Thanks"', '["gratitude"]'), "calm": ('"Calm"', '["calm"]'),
        "rude": ('"Rude"', '["hostile"]'), "cross": ('"Cross"', '["hostile"]'),
    }
    body = "".join(f'\n[[mappings]]\nfrom = "{k}"\nname = {n}\nto = {t}\n' for k, (n, t) in mappings.items())
    body += '\n[[mappings]]\nfrom = "gone"\nname = "Gone"\nnone = true\nnote = "dropped"\n'
    head = '[from]\nid = "tone"\nversion = "1.0"\nscheme = "old.toml"\n[to]\nid = "tone"\nversion = "2.0"\nscheme = "new.toml"\n'
    (tmp_path / "walk.toml").write_text(head + body, encoding="utf-8")
    walk = cw.load(tmp_path / "walk.toml")
    changes = _changes(diff(load(tmp_path / "old.toml"), load(tmp_path / "new.toml"), crosswalk=walk))
    assert ("merged", "rude", "hostile") in changes and ("merged", "cross", "hostile") in changes
    assert ("removed", "gone", "") in changes
    assert ("split", "slow", "slow_start;slow_wait") in changes
    assert ("added", "", "hostile") not in changes and ("added", "", "new_one") in changes
    # The same crosswalk restates data coded in the old version.
    out = cw.restate(pd.DataFrame({"tone": ["Rude;cross", "gone", "thanks"]}), walk)
    assert out["tone"].tolist() == ["hostile", "", "gratitude"]


def test_identical_schemes_have_no_changes():
    assert diff(load("causes"), load("causes")).empty
    for path in cw.legacy_schemes():
        assert diff(load(path), load(path)).empty


def test_scheme_diff_command(runner, tmp_path: Path):
    (tmp_path / "old.toml").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.toml").write_text(NEW, encoding="utf-8")
    out = tmp_path / "diff.csv"
    result = runner.invoke(app, ["scheme", "diff", str(tmp_path / "old.toml"), str(tmp_path / "new.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "tone 1.0 -> tone 2.0" in result.output
    written = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(written.columns) == ["change", "old_id", "old_name", "new_id", "new_name", "detail"]
    assert len(written) == 11
    same = runner.invoke(app, ["scheme", "diff", "causes", "causes"])
    assert same.exit_code == 0 and "No label changes" in same.output
    missing = runner.invoke(app, ["scheme", "diff", "causes", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2


def test_diff_between_a_legacy_scheme_and_causes():
    changes = diff(cw.legacy_scheme("legacy_single_reason"), load("causes"))
    found = _changes(changes)
    # A flat label whose id is a category of causes was split into that category's reasons.
    assert ("split", "communication", ";".join(load("causes").children["communication"])) in found
    assert ("removed", "financial_issues", "") in found and ("added", "", "cost.money_wasted") in found
