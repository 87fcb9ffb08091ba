"""Issue 20 item 3: finalized workbooks carry every formula's result as a stored value equal to
Python's (openpyxl ``data_only=True``, previews and import tools read numbers), and locking is
consistent: computed cells locked, inputs unlocked — 得分 too when it shows the suggestion."""

from __future__ import annotations

import shutil
import zipfile
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from perfxl.finalize import finalize
from perfxl.forms.workbook import read_workbook, write_projects
from tests.conftest import load_seed
from tests.forms_helpers import compare_self_evaluation

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
needs_lo = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


def _seed_with_untyped_scores():
    pf = load_seed("self_evaluation_2023.json")
    for project in pf.projects:  # two scores per project left to the suggestion formula
        project.indicators[0].score = None
        project.indicators[-1].score = None
    return pf


@pytest.fixture(scope="module")
def finalized(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stored")
    out = {}
    for key, pf in (("self", _seed_with_untyped_scores()), ("decl", load_seed("declaration_2026.json"))):
        src = write_projects(pf, tmp / f"{key}.xlsx")
        out[key] = finalize(src, tmp / "out", force=True)
    return out


def _formula_cells_without_value(path):
    """Formula cells whose XML has no <v> (no stored result), as "part!A1"."""
    missing = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                for c in ET.fromstring(z.read(name)).iter(f"{MAIN}c"):
                    if c.find(f"{MAIN}f") is not None and c.find(f"{MAIN}v") is None:
                        missing.append(f"{name}!{c.get('r')}")
    return missing


@needs_lo
@pytest.mark.parametrize("key", ["self", "decl"])
def test_every_formula_cell_has_a_stored_result(finalized, key):
    result = finalized[key]
    assert _formula_cells_without_value(result.xlsx) == []
    assert "LibreOffice" in result.stored and not any("未找到 LibreOffice" in n for n in result.notes)
    formulas = load_workbook(result.xlsx)
    values = load_workbook(result.xlsx, data_only=True)
    numbers = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    numbers += isinstance(values[ws.title][c.coordinate].value, (int, float))
    assert numbers > (100 if key == "self" else 10)  # v2 declarations: 3 formula cells a row


@needs_lo
def test_stored_results_equal_python(finalized):
    result = finalized["self"]
    values = load_workbook(result.xlsx, data_only=True)
    pf, _, maps = read_workbook(load_workbook(result.xlsx))
    assert len(maps) == 4
    for project, smap in maps:
        assert compare_self_evaluation(values[smap.sheet], project, smap, pf.settings) == []
    # the published totals and grades (domain.md §4), read without recalculating
    totals = [values[m.sheet].cell(*m.total).value for _, m in maps]
    assert [values[m.sheet].cell(*m.grade).value for _, m in maps] == ["优"] * 4
    assert all(isinstance(t, (int, float)) for t in totals)


def test_without_libreoffice_python_results_are_stored_and_said(tmp_path, monkeypatch):
    import perfxl.libreoffice

    monkeypatch.setattr(perfxl.libreoffice, "soffice_path", lambda: None)
    pf = _seed_with_untyped_scores()
    src = write_projects(pf, tmp_path / "self.xlsx")
    result = finalize(src, tmp_path / "out", force=True)
    assert any("未找到 LibreOffice" in n for n in result.notes)
    values = load_workbook(result.xlsx, data_only=True)
    back, _, maps = read_workbook(load_workbook(result.xlsx))
    from perfxl.rules.scoring import score_project

    for project, m in maps:
        ps = score_project(project, back.settings)
        ws = values[m.sheet]
        assert str(ws.cell(*m.total).value) == format(ps.total.normalize(), "f")
        assert ws.cell(*m.grade).value == ps.grade
        rate = ws.cell(m.funds_rows["total"], m.funds_cols["rate"]).value
        assert str(rate) == format(ps.execution_rate.normalize(), "f")
        first = ws.cell(m.rows[0], m.cols["score"]).value  # the suggestion formula's result
        assert str(first) == format(ps.indicators[0].effective.normalize(), "f")


@needs_lo
def test_locking_computed_locked_inputs_unlocked_typed_or_not(finalized):
    result = finalized["self"]
    wb = load_workbook(result.xlsx)
    pf, _, maps = read_workbook(wb)
    scores = set()
    for project, _m in maps:
        for ind in project.indicators:
            sheet, cell = ind._cells["score"]
            scores.add((sheet, cell))
            assert not wb[sheet][cell].protection.locked, (sheet, cell)
    formula_scores = {(s, c) for s, c in scores if wb[s][c].data_type == "f"}
    assert len(formula_scores) == 8  # the untyped ones hold the suggestion formula: still inputs
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" and (ws.title, c.coordinate) not in formula_scores:
                    assert c.protection.locked, (ws.title, c.coordinate)
