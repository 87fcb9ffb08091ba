"""The committed templates are what the code generates (a structural snapshot, not zip bytes),
and the formula lookup tables mirror perfxl.rules.targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfxl.forms import settings_sheet
from perfxl.forms.workbook import TEMPLATE_FILES, build_templates, snapshot
from perfxl.rules.targets import Achievement, parse_level

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


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


CODES = {1: Achievement.MET, 2: Achievement.PARTIAL, 3: Achievement.NOT_MET}


def test_level_phrase_table_mirrors_parse_level():
    # the template's table and parse_level come from the same spellings: each phrase parses to
    # its level, none repeats, and every pattern's language is covered
    phrases = settings_sheet.level_phrases()
    from perfxl.rules.targets import MET_WORDS

    assert len(phrases) == len({p for p, _ in phrases}) == 286 + len(MET_WORDS)
    for phrase, code in phrases:
        assert parse_level(phrase) is CODES[code], phrase


@pytest.mark.parametrize("table", [settings_sheet.comparator_spellings(), settings_sheet.suffix_spellings()])
def test_lookup_tables_have_no_excel_wildcards(table):
    # MATCH(…,0) treats * ? ~ as wildcards
    for spelling, _norm in table:
        assert not set(spelling) & set("*?~"), spelling
