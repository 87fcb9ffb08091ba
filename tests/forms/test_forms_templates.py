"""The committed templates are what the code generates (a structural snapshot, not zip bytes),
and the drop-down lists are the words of perfxl.rules.targets."""

from __future__ import annotations

import pytest

from perfxl.forms import settings_sheet
from perfxl.forms.workbook import TEMPLATE_FILES, build_templates, snapshot
from perfxl.rules.targets import Achievement, parse_level
from tests.paths import ROOT

TEMPLATES = ROOT / "templates"


def test_committed_templates_match_the_code(tmp_path):
    built = build_templates(tmp_path)
    for path in built:
        committed = TEMPLATES / path.name
        assert committed.exists(), f"run `perfxl template build` and commit {committed}"
        assert snapshot(committed) == snapshot(path), (
            f"{committed.name} differs from what the code generates: run `perfxl template build`")
    assert sorted(p.name for p in built) == sorted(TEMPLATE_FILES.values())


def test_snapshot_notices_a_changed_formula(tmp_path):
    import openpyxl

    path = build_templates(tmp_path)[1]
    before = snapshot(path)
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0]["H6"] = "=1"
    wb.save(path)
    assert snapshot(path) != before


def test_drop_down_lists_are_the_parsers_words():
    """The settings sheet keeps only what the drop-downs need (issue 17): the R5 levels, each
    read by parse_level as its level, and the comparators the parser normalises to."""
    from perfxl.rules.targets import COMPARATORS, QUALITATIVE, parse_target

    assert [parse_level(w) for w in settings_sheet.LEVELS] == [
        Achievement.MET, Achievement.PARTIAL, Achievement.NOT_MET]
    assert settings_sheet.COMPARATORS == [*COMPARATORS, QUALITATIVE]
    for c in COMPARATORS:
        assert parse_target(f"{c}9.00(人)").comparator == c
    assert not [u for u in settings_sheet.UNITS if set(u) & set("*?~()")]  # no MATCH wildcards
