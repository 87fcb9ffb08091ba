"""Workbook writing and reading (no LibreOffice needed): round trip, locations, findings for
unreadable cells, idempotent scoring, and what perfxl must not touch."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import openpyxl
import pytest

from perfxl.forms.layout import sheet_title
from perfxl.forms.workbook import (
    WorkbookReadError, new_workbook, read_projects, snapshot, write_projects,
)
from perfxl.model import Form, ProjectFile, locate
from tests.conftest import load_seed
from tests.forms_helpers import insert_row, score_workbook, user_edits
from tests.paths import PERFXL


def _json(pf: ProjectFile) -> dict:
    return json.loads(pf.model_dump_json())


def _meaning(text: str | None, read) -> tuple | None:
    """What a target or actual text means to the parser (its spelling aside)."""
    if not text:
        return None
    parsed, _error = read(text)
    if parsed is None:
        return ("unreadable", text)
    return tuple(v for k, v in vars(parsed).items() if k not in ("text", "quantitative", "higher_is_better"))


def _same_meaning(a, b) -> None:
    """v2 round trip: every field as written, targets and actuals in the spelling the v2 cells print
    (≥9.00(人), 达成) with the same meaning, and the same scores."""
    from perfxl.rules.scoring import score_project
    from perfxl.rules.targets import read_actual, read_target

    ja, jb = _json(a), _json(b)
    for pa, pb in zip(ja["projects"], jb["projects"]):
        for ia, ib in zip(pa.get("indicators", []), pb.get("indicators", [])):
            assert _meaning(ia.pop("target"), read_target) == _meaning(ib.pop("target"), read_target)
            assert _meaning(ia.pop("actual", None), read_actual) == _meaning(ib.pop("actual", None), read_actual)
    assert ja == jb
    for pa, pb in zip(a.projects, b.projects):
        sa, sb = score_project(pa, a.settings), score_project(pb, b.settings)
        assert [(s.suggested, s.effective) for s in sa.indicators] == [
            (s.suggested, s.effective) for s in sb.indicators]
        assert getattr(sa, "total", None) == getattr(sb, "total", None)


@pytest.mark.parametrize("seed", ["self_evaluation_2023.json", "declaration_2026.json"])
def test_round_trip_gives_back_the_same_json(seed, tmp_path):
    pf = load_seed(seed)
    path = write_projects(pf, tmp_path / "a.xlsx")
    back, findings = read_projects(path)
    assert findings == []
    _same_meaning(back, pf)
    again, _ = read_projects(write_projects(back, tmp_path / "b.xlsx"))
    assert _json(again) == _json(back)  # the v2 spelling is a fixed point


def test_mixed_workbook_and_settings_round_trip(tmp_path):
    se, de = load_seed("self_evaluation_2023.json"), load_seed("declaration_2026.json")
    pf = ProjectFile(projects=[de.projects[0], se.projects[0], de.projects[1], se.projects[2]])
    pf.settings.rounding = "half_up"
    pf.settings.over_achievement_flag = Decimal("1.15")
    pf.settings.money_unit = "元"
    path = write_projects(pf, tmp_path / "mixed.xlsx")
    back, findings = read_projects(path)
    assert findings == []
    _same_meaning(back, pf)
    wb = openpyxl.load_workbook(path)
    assert wb["perfxl设置"].sheet_state == "hidden"
    assert wb.worksheets[1]["A5"].value == "项目资金\n（元）"


def test_sheet_names_unique_valid_and_short():
    taken: set[str] = set()
    names = []
    for name in ["热线服务保障经费", "热线服务保障经费", "a/b:c*d?e[f]g\\h", "x" * 40, "x" * 40, "'引号'", ""]:
        t = sheet_title(name, taken)
        taken.add(t)
        names.append(t)
    assert len(set(n.lower() for n in names)) == len(names)
    for n in names:
        assert 0 < len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) and not n.startswith("'")
    assert names[1] == "热线服务保障经费(2)"
    assert names[4].endswith("(2)") and len(names[4]) == 31


def test_model_locations_point_at_real_cells(tmp_path):
    pf = load_seed("self_evaluation_2023.json")
    path = write_projects(pf, tmp_path / "a.xlsx")
    back, _ = read_projects(path)
    p = back.projects[0]
    sheet = "热线服务保障经费"
    assert locate(p, p, "name") == (sheet, "B3")
    assert locate(p, p.indicators[0], "actual") == (sheet, "G14")
    assert locate(p, p.indicators[0], "target") == (sheet, "E14")  # the value cell
    assert locate(p, p.indicators[0], "score") == (sheet, "N14")  # typed: 填写得分
    assert locate(p, p.indicators[3], "reason") == (sheet, "K17")
    assert locate(p, p.funds.total, "executed") == (sheet, "H6")
    assert locate(p, p.funds, "weight") == (sheet, "J6")
    d, _ = read_projects(write_projects(load_seed("declaration_2026.json"), tmp_path / "d.xlsx"))
    q = d.projects[0]
    assert locate(q, q.funds, "annual_total") == (q.name, "G6")
    assert locate(q, q.indicators[0], "target") == (q.name, "G14")


def test_targets_starting_with_equals_are_text_not_formulas(tmp_path):
    path = write_projects(load_seed("self_evaluation_2023.json"), tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(path)["热线服务保障经费"]
    assert (ws["D20"].value, ws["E20"].value, ws["F20"].value) == ("=", 24, "小时")  # =24.00(小时)
    assert ws["D20"].data_type == "s" and ws["D20"].number_format == "@"
    assert ws["K6"].data_type == "f"  # the execution rate is a formula


def test_typed_scores_kept_formula_scores_read_as_none(tmp_path):
    pf = load_seed("self_evaluation_2023.json")
    pf.projects[0].indicators[1].score = None
    path = write_projects(pf, tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(path)["热线服务保障经费"]
    assert ws["N14"].value == 5  # 填写得分: the evaluator's
    assert ws["N15"].value is None
    assert ws["J14"].value == '=IF(N14<>"",N14,O14)' == ws["J14"].value  # 得分 shows it
    assert ws["J15"].value == '=IF(N15<>"",N15,O15)'  # …or the suggestion
    back, _ = read_projects(path)
    assert back.projects[0].indicators[0].score == Decimal("5.00")
    assert back.projects[0].indicators[1].score is None


def test_unreadable_cells_become_findings_with_sheet_and_cell(tmp_path):
    path = write_projects(load_seed("self_evaluation_2023.json"), tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["热线服务保障经费"]
    ws["I14"] = "六分"  # weight
    ws["F6"] = "1,2x"  # budget
    ws["N15"] = "7"  # a number typed as text
    ws["I16"] = -3
    wb.save(path)
    pf, findings = read_projects(path)
    where = {(f.sheet, f.cell, f.code) for f in findings}
    assert ("热线服务保障经费", "I14", "W701") in where
    assert ("热线服务保障经费", "F6", "W701") in where
    assert ("热线服务保障经费", "N15", "W702") in where
    assert ("热线服务保障经费", "I16", "W701") in where
    p = pf.projects[0]
    assert p.indicators[0].weight is None and p.indicators[1].score == Decimal("7")
    assert all(f.message for f in findings)
    # scoring never overwrites what the user typed, even when it can't be read
    wb = openpyxl.load_workbook(path)
    wb["热线服务保障经费"]["N16"] = "六分"
    wb.save(path)
    score_workbook(path)
    ws = openpyxl.load_workbook(path)["热线服务保障经费"]
    assert (ws["N16"].value, ws["I14"].value, ws["F6"].value) == ("六分", "六分", "1,2x")


def test_declaration_bad_date_and_money(tmp_path):
    path = write_projects(load_seed("declaration_2026.json"), tmp_path / "d.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws["B5"] = "明年一月"
    ws["G6"] = "九十万"
    ws["F5"] = "2026年12月31日"
    wb.save(path)
    pf, findings = read_projects(path)
    where = {(f.cell, f.code) for f in findings}
    assert ("B5", "W701") in where and ("G6", "W701") in where
    assert str(pf.projects[0].end_date) == "2026-12-31"


def test_not_a_workbook_raises_a_clear_error(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(WorkbookReadError, match="无法作为 Excel 工作簿打开"):
        read_projects(bad)


def test_score_twice_equals_once_and_writes_nothing_the_second_time(tmp_path):
    pf = load_seed("self_evaluation_2023.json")
    pf.projects[1].indicators[2].score = None
    path = write_projects(pf, tmp_path / "a.xlsx")
    read_back = _json(read_projects(path)[0])
    once = tmp_path / "once.xlsx"
    score_workbook(path, once)
    s1 = snapshot(once)
    score_workbook(once)
    assert not (tmp_path / "once.bak.xlsx").exists()  # nothing changed: no save, no backup
    assert snapshot(once) == s1
    # scoring does not change what was read
    assert _json(read_projects(once)[0]) == read_back


def test_missing_reason_gets_the_needs_reason_role(tmp_path):
    path = write_projects(load_seed("self_evaluation_2023.json"), tmp_path / "a.xlsx")
    score_workbook(path)
    ws = openpyxl.load_workbook(path)["热线服务保障经费"]
    assert ws["K17"].style == "perfxl-needs_reason"  # 退单 5/6, no reason (domain.md §4)
    assert ws["K14"].style == "perfxl-reason"  # explained
    assert ws["K15"].style == "perfxl-reason"  # 123 % over-achievement: below the 130 % threshold
    ws2 = openpyxl.load_workbook(path)["全市绿化、市容、环卫、林业诉求处置督查督办"]
    assert ws2["K17"].style == "perfxl-needs_reason"  # 2680/1600 = 168 % unexplained (R4, R7)


def test_user_content_survives_scoring(tmp_path):
    path = write_projects(load_seed("self_evaluation_2023.json"), tmp_path / "a.xlsx")
    user_edits(path)
    order = openpyxl.load_workbook(path).sheetnames
    score_workbook(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["热线服务保障经费"]
    assert ws["C14"].comment.text == "请核对件数"
    assert ws["AZ1"].value == "我的备注" and ws["AZ13"].value == "核对：人数少1人"
    assert ws["BA13"].value == '=AZ13&"!"'
    assert ws["A1"].font.name == "楷体"
    assert wb["我的表"]["A1"].value == "自己的统计" and wb["我的表"]["B2"].value == "=SUM(1,2)"
    assert wb.sheetnames == order and order.index("我的表") == 3
    # the inserted row is read in its group, gets its formulas, and is summed
    pf, findings = read_projects(path)
    p = next(x for x in pf.projects if x.name == "热线服务保障经费")
    new = p.indicators[2]
    assert (new.level1, new.level2, new.name, new.weight) == ("产出指标", "数量指标", "新增件数", 0)
    assert len(p.indicators) == 14
    assert ws["O16"].value.startswith("=IF(") and ws["J16"].value == '=IF(N16<>"",N16,O16)'
    assert "ROUND(N(L6)+SUM(J12:INDEX(J:J,ROW()-1)),9)" in ws["J29"].value
    # defined names, validations and conditional formats follow the rows as they are now
    assert ws.defined_names["pxl_total"].attr_text == "'热线服务保障经费'!$J$29"
    cf = [str(c.sqref) for c in ws.conditional_formatting]
    assert "K14:K28" in cf and "J14:J28" in cf
    dv = {dv.promptTitle: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert dv["实际完成值"] == "G14:G28"
    # scoring again changes nothing
    s1 = snapshot(path)
    score_workbook(path)
    assert snapshot(path) == s1


def test_reordered_sheets_and_moved_rows_still_read(tmp_path):
    pf = load_seed("self_evaluation_2023.json")
    path = write_projects(pf, tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.move_sheet(wb.sheetnames[3], offset=-3)
    ws = wb[wb.sheetnames[1]]
    insert_row(ws, 3)  # a blank row under the title: every label moves down
    wb.save(path)
    back, findings = read_projects(path)
    assert findings == []
    assert [p.name for p in back.projects] == [pf.projects[i].name for i in (3, 0, 1, 2)]
    first, _ = read_projects(write_projects(pf, tmp_path / "b.xlsx"))
    assert _json(back.projects[1]) == _json(first.projects[0])


def test_new_workbook_templates(tmp_path):
    for form in (Form.SELF_EVALUATION, Form.DECLARATION):
        path = new_workbook(form, 2025, tmp_path / f"{form.value}.xlsx")
        pf, findings = read_projects(path)
        assert len(pf.projects) == 1 and pf.projects[0].year == 2025
        assert pf.projects[0].form == form
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        assert ws.title == form.title
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows
        assert ws.defined_names["pxl_form"].attr_text == f'"{form.value}"'


# issue 17: no text parsing (FIND, SEARCH, MID, SUBSTITUTE, TRIM, LEFT, RIGHT, LEN, VALUE) left
ALLOWED_FUNCTIONS = {
    "IF", "AND", "OR", "NOT", "ISNUMBER", "IFERROR", "SUM", "ROUND", "TRUNC", "MIN", "MAX",
    "INDEX", "MATCH", "EXACT", "TEXT", "N", "ROW", "CEILING", "COUNT", "ABS", "COUNTIF", "CHOOSE",
    "CELL", "CODE",
}


def test_formulas_use_only_excel_2010_functions(tmp_path):
    pf = ProjectFile(projects=[*load_seed("declaration_2026.json").projects,
                               *load_seed("self_evaluation_2023.json").projects])
    path = write_projects(pf, tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(path)
    used = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    text = re.sub(r'"[^"]*"', "", c.value)
                    assert "_xlfn" not in text and "[@" not in text
                    used |= set(re.findall(r"([A-Z][A-Z0-9.]*)\(", text))
    assert used <= ALLOWED_FUNCTIONS, used - ALLOWED_FUNCTIONS


def test_every_w7xx_code_used_is_registered():
    import perfxl.forms.workbook  # noqa: F401
    from perfxl.findings import RULES

    src = "".join(p.read_text(encoding="utf-8") for p in
                  (PERFXL / "forms").glob("*.py"))
    used = set(re.findall(r'"(W7\d\d)"', src))
    assert used and used <= set(RULES), used - set(RULES)
