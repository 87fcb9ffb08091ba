"""The reading steps both forms share (perfxl/forms/reading.py), on small hand-made sheets."""

from __future__ import annotations

from decimal import Decimal

import openpyxl

from perfxl.forms.grid import Grid
from perfxl.forms.reading import SheetReader, TableMap, find_target_cells, number_cell, title_in_top_rows
from perfxl.forms.targetcells import TARGET_SUB_HEADERS


def _sheet(cells: dict[str, object]):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    for where, value in cells.items():
        ws[where] = value
    return ws


def test_number_cell_reads_numbers_text_and_refuses_words():
    d, fnd = number_cell(6.0, "0.00", "表", "B2", "分值")  # the decimals the cell displays
    assert str(d) == "6.00" and fnd == []
    d, fnd = number_cell("8.5", None, "表", "B2", "分值", "；请改为数值格式")
    assert d == Decimal("8.5") and [(f.code, f.cell) for f in fnd] == [("W702", "B2")]
    assert fnd[0].message == "分值是以文本形式存储的数字“8.5”，已按 8.5 读取；请改为数值格式"
    d, fnd = number_cell("很多", None, "表", "C3", "金额")
    assert d is None and [(f.code, f.cell) for f in fnd] == [("W701", "C3")]
    assert fnd[0].message.startswith("金额：")


def test_a_form_is_recognised_by_its_title_in_the_first_six_rows_only():
    assert title_in_top_rows(Grid(_sheet({"A6": "2023年财政项目支出绩效自评表"})), "绩效自评表")
    assert not title_in_top_rows(Grid(_sheet({"A7": "财政项目支出绩效自评表"})), "绩效自评表")


def test_target_cells_are_found_on_a_v2_sheet_and_not_on_a_v1_sheet():
    v2 = _sheet({"D12": "年度指标值", "D13": "比较符", "E13": "指标值", "F13": "单位"})
    m = TableMap("表", header_row=12, cols={"target": 4})
    assert find_target_cells(Grid(v2), m, TARGET_SUB_HEADERS)
    assert m.v2 and m.cols == {"target": 5, "cmp": 4, "tv": 5, "tu": 6} and m.first_row == 14
    v1 = _sheet({"D12": "年度指标值", "D13": "≥95%"})
    m = TableMap("表", header_row=12, cols={"target": 4})
    assert not find_target_cells(Grid(v1), m, TARGET_SUB_HEADERS)
    assert not m.v2 and m.cols == {"target": 4} and m.first_row is None


def test_a_row_without_its_level1_takes_it_from_its_level2_with_x512():
    ws = _sheet({"A14": None, "B14": "数量指标", "C14": "=1+1"})
    rd = SheetReader(Grid(ws), "表")
    row = rd.row(14, {"level1": 1, "level2": 2, "name": 3}, {"level1": "一级指标", "level2": "二级指标",
                                                            "name": "三级指标"})
    assert row.levels("效益指标", "社会效益指标") == ("产出指标", "数量指标")
    assert row.text("name") is None  # a formula where text is typed
    assert [(f.code, f.cell) for f in rd.findings] == [("X512", "A14"), ("W707", "C14")]
    assert "三级指标应为文字" in rd.findings[1].message
