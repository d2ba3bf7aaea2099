import re
from pathlib import Path

import numpy as np
import pytest

from themes.errors import SchemeError
from themes.scheme import load, validate_file

SPEC = Path(__file__).resolve().parents[2] / "shared" / "coding-scheme.md"


def test_default_schemes_have_the_contract_ids():
    causes, pillars = load("causes"), load("pillars")
    assert len(causes.categories) == 9 and len(causes.leaves) == 36
    assert pillars.leaves == (
        "purposeful_visits", "assessments", "planning", "voice_of_child",
        "partnership_working", "recording", "management_oversight",
    )
    if SPEC.exists():  # the spec lives beside the repo in CI and development
        spec_ids = set(re.findall(r"^\| ([a-z_]+\.[a-z_]+) \|", SPEC.read_text(), flags=re.M))
        assert spec_ids == set(causes.leaves)
    assert all(causes.category_of(r) == r.split(".")[0] for r in causes.leaves)


def test_category_alone_makes_its_reasons_unknown():
    causes = load("causes")
    y = causes.target_matrix([["communication"], ["communication", "communication.data_breach"], ["cost.money_wasted"]])
    comm = [j for j, leaf in enumerate(causes.leaves) if leaf.startswith("communication.")]
    assert (y[0, comm] == -1).all() and (np.delete(y[0], comm) == 0).all()
    assert y[1, comm].tolist().count(1) == 1 and -1 not in y[1]
    assert causes.category_matrix([["communication"]])[0].sum() == 1
    assert causes.derive_categories(["cost.money_wasted", "delay.service_too_slow"]) == ["cost", "delay"]


def test_split_codes_keeps_order_and_drops_blanks():
    causes = load("causes")
    assert causes.split_codes(" delay.service_too_slow ;; cost.money_wasted;delay.service_too_slow ") == [
        "delay.service_too_slow", "cost.money_wasted",
    ]
    assert causes.split_codes("") == []


def test_validate_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "x y"\nname = "Bad"\n\n[[labels]]\nid = "a"\nname = "A"\n\n[[labels]]\nid = "a"\nname = "Again"\n\n'
        '[[labels]]\nid = "b"\nparent = "missing"\nname = "B"\n\n[[labels]]\nid = "c"\n'
    )
    problems = validate_file(bad)
    text = "\n".join(problems)
    assert "version" in text and "duplicate" in text and "missing" in text and "no name" in text
    assert len(problems) >= 5
    with pytest.raises(SchemeError, match="duplicate"):
        load(bad)


def test_three_levels_are_refused(tmp_path):
    f = tmp_path / "deep.toml"
    f.write_text(
        'id = "deep"\nname = "D"\nversion = "1"\n[[labels]]\nid = "a"\nname = "A"\n'
        '[[labels]]\nid = "a.b"\nparent = "a"\nname = "B"\n[[labels]]\nid = "a.b.c"\nparent = "a.b"\nname = "C"\n'
    )
    assert any("two levels" in p for p in validate_file(f))


def test_cli_scheme_commands(runner, tmp_path):
    from themes.cli import app

    result = runner.invoke(app, ["scheme", "list"])
    assert result.exit_code == 0 and "causes" in result.output and "pillars" in result.output
    result = runner.invoke(app, ["scheme", "show", "causes"])
    assert result.exit_code == 0 and "communication.data_breach" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n')
    result = runner.invoke(app, ["scheme", "validate", str(bad)])
    assert result.exit_code == 2 and "problem" in result.output
    result = runner.invoke(app, ["scheme", "validate", str(Path(__file__).parents[1] / "themes/schemes/pillars.toml")])
    assert result.exit_code == 0
