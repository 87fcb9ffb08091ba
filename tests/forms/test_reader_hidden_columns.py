"""Formula cells in hidden grouped columns — perfxl's helper columns — are left out of a Grid on
both read paths (perfxl.reader for a file, Grid(ws) for an openpyxl workbook being edited). What
else is in those columns, and formulas anywhere else, are read; XML written in any of the ways
below reads the same through both paths."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from perfxl import reader
from perfxl.forms.grid import FORMULA, Grid, hidden_group_columns


def _book(tmp_path):
    """A: inputs; C: a visible formula; E:G hidden grouped (label row 1, formulas below, a typed
    value in F3); H hidden, not grouped; I grouped, not hidden."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    for r in range(1, 6):
        ws.cell(r, 1, f"输入{r}")
        ws.cell(r, 3, f"=A{r}&\"x\"")
        for c in (5, 6, 7, 8, 9):
            ws.cell(r, c, f"=LEN(A{r})+{c}")
    for c, label in ((5, "目标规范"), (6, "比较符"), (7, "数值")):
        ws.cell(1, c, label)
    ws.cell(3, 6, 42)
    ws.cell(7, 7, "=1")  # the sheet's last row holds only a left-out formula
    for letter in "EFG":
        ws.column_dimensions[letter].hidden = True
        ws.column_dimensions[letter].outlineLevel = 1
    ws.column_dimensions["H"].hidden = True
    ws.column_dimensions["I"].outlineLevel = 1
    ws.merge_cells("A6:B6")
    path = tmp_path / "helpers.xlsx"
    wb.save(path)
    return path


def _grids(path):
    wb = openpyxl.load_workbook(path)
    book = reader.read_book(path)
    return [(Grid(ws), book[ws.title].grid) for ws in wb.worksheets]


def _same(a: Grid, b: Grid) -> None:
    for attr in ("max_row", "max_col", "_merged", "_values", "_formulas", "_formats"):
        assert getattr(a, attr) == getattr(b, attr), attr


def test_hidden_grouped_formulas_are_left_out_on_both_paths(tmp_path):
    path = _book(tmp_path)
    assert hidden_group_columns(openpyxl.load_workbook(path).active) == {5, 6, 7}
    (slow, fast), = _grids(path)
    _same(slow, fast)
    g = fast
    assert g.own(2, 5) is None and not g.is_formula(2, 5)  # helper formula: left out
    assert g.own(1, 5) == "目标规范" and g.find("比较符") == (1, 6)  # helper header: kept
    assert g.own(3, 6) == 42  # typed into a helper column: kept
    assert g.is_formula(2, 3) and g.own(2, 3) == FORMULA  # visible formula
    assert g.is_formula(2, 8) and g.is_formula(2, 9)  # hidden only, grouped only: kept
    assert g.max_row == 6 and g.max_col == 9  # row 7 held only a left-out formula


def _with_sheet_xml(path, edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                edited = edit(data.decode()).encode()
                assert edited != data, "the variant changed nothing"
                data = edited
            dst.writestr(info, data)
    return out.getvalue()


VARIANTS = {
    # Excel 365's dynamic-array attribute on a helper formula: still a left-out formula
    "extra attribute": lambda x: x.replace('<c r="E2">', '<c r="E2" cm="1">'),
    # the same beside the helper columns
    "extra attribute, visible": lambda x: x.replace('<c r="C2">', '<c r="C2" cm="1">'),
    # a helper formula as Excel saves it, with its cached value
    "cached value": lambda x: x.replace('<c r="G2"><f>LEN(A2)+7</f><v /></c>',
                                        '<c r="G2" s="0" t="str"><f>LEN(A2)+7</f><v>x&lt;y</v></c>'),
    # a cached value written before the formula
    "value first": lambda x: re.sub(r'<c r="F4"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?',
                                    r'<c r="F4"\1><v>3</v><f>\2</f>', x),
    # a rich-text label in a helper column (its <family> is no formula)
    "rich text": lambda x: re.sub(r'<c r="G1"([^>]*)><is><t>([^<]*)</t></is>',
                                  r'<c r="G1"\1><is><r><rPr><family val="2"/></rPr><t>\2</t></r></is>', x),
    # the helper columns written twice for one min: the last one written wins, as in openpyxl
    "col rewritten": lambda x: x.replace("</cols>", '<col min="5" max="5" width="9"/></cols>'),
    # one col element for the whole block
    "col range": lambda x: re.sub(r'<cols>.*</cols>',
                                  '<cols><col min="5" max="7" hidden="true" outlineLevel="1"/></cols>', x),
    # overlapping merged ranges (Excel refuses them, openpyxl reads them): cells of each range
    # but its top-left one are dropped, the later range is the one a cell shows
    "overlapping merges": lambda x: x.replace('<mergeCell ref="A6:B6" />',
                                              '<mergeCell ref="A6:B6" /><mergeCell ref="A1:A3" />'
                                              '<mergeCell ref="A2:C2" />'),
    # prefixed elements, as some producers write them
    "prefixed": lambda x: re.sub(r"<(/?)(?![?!])([A-Za-z])", r"<\1x:\2", x).replace("xmlns=", "xmlns:x="),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_unusual_xml_reads_as_openpyxl_reads_it(tmp_path, name):
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(_with_sheet_xml(_book(tmp_path), VARIANTS[name]))
    wb = openpyxl.load_workbook(path)
    slow = Grid(wb.active)
    _same(slow, reader.read_book(path)[wb.active.title].grid)
    if name == "col rewritten":
        assert slow.is_formula(2, 5)  # E is no longer hidden: its formulas are read
    if name == "overlapping merges":
        assert slow.own(1, 1) == "输入1" and slow.own(2, 1) is None and slow.own(3, 1) is None
        assert slow.merged(2, 1) == (2, 1, 2, 3) and not slow.is_formula(2, 3)
    if name in ("extra attribute", "cached value"):
        assert not slow.is_formula(2, 5) and not slow.is_formula(2, 7)
