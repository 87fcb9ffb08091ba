"""Issue 15 (reading): what staff really type into returned workbooks and project JSON.

Each test reproduces a case of the issue's "Why" list that failed on main before this branch:
percentages typed as numbers, word actuals, required inputs left blank, the first row of a group
deleted, float noise in a typed score, no form at all, out-of-range values, S208 noise and the
order of findings. Both read paths (perfxl.reader and openpyxl) are exercised.
"""

from __future__ import annotations

import json
from decimal import Decimal

import openpyxl

from perfxl.cli import main
from perfxl.findings import Severity
from perfxl.forms.workbook import open_workbook, read_projects, read_workbook, write_projects
from perfxl.model import FundRow, Indicator, ProjectFile, SelfEvaluation, SelfEvaluationFunds
from perfxl.rules.checks import check_file
from perfxl.rules.scoring import score_project
from tests.paths import DATA

D = Decimal
HEADER = 12  # the indicator header row of a freshly written self-evaluation


def project(*indicators: Indicator, budget="100", executed="100", **kw) -> SelfEvaluation:
    return SelfEvaluation(
        name=kw.pop("name", "测试项目"), year=2024, department=kw.pop("department", "测试局"),
        unit=kw.pop("unit", "测试中心"), achieved_goal=kw.pop("achieved_goal", "按计划完成"),
        funds=SelfEvaluationFunds(total=FundRow(budget=D(budget) if budget else None,
                                                executed=D(executed) if executed else None)),
        indicators=list(indicators), **kw)


def ind(name, target, actual, weight, score=None, level1="产出指标", level2="数量指标", reason=None):
    return Indicator(level1=level1, level2=level2, name=name, target=target, actual=actual,
                     weight=D(weight), score=None if score is None else D(score), reason=reason)


def standard(*extra: Indicator) -> SelfEvaluation:
    """A complete self-evaluation: execution 10 + 产出 50 + 效益 30 + 满意度 10."""
    return project(
        ind("人数", "≥9.00(人)", "9.00(人)", "50", "50"),
        ind("及时性", "及时", "达成指标", "30", "30", "效益指标", "社会效益指标"),
        ind("满意度", "≥85.00(百分比)", "90.00(百分比)", "10", "10", "满意度指标", "服务对象满意度指标"),
        *extra)


def workbook(tmp_path, p: SelfEvaluation, name="wb.xlsx"):
    return write_projects(ProjectFile(projects=[p]), tmp_path / name)


def read_both(path):
    """(ProjectFile, findings) through perfxl.reader and through openpyxl; they must agree."""
    fast = read_projects(path)
    slow = read_workbook(open_workbook(path))[:2]
    assert [f.as_json() for f in fast[1]] == [f.as_json() for f in slow[1]]
    assert fast[0].model_dump() == slow[0].model_dump()
    return fast


def all_findings(path):
    pf, findings = read_both(path)
    return pf, [*findings, *check_file(pf)]


def edit(path, **cells):
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for ref, value in cells.items():
        if isinstance(value, tuple):
            ws[ref].value, ws[ref].number_format = value
        else:
            ws[ref].value = value
    wb.save(path)


# --- 3. cell formats ------------------------------------------------------------------------------


def test_percent_formatted_actual_is_the_number_the_formulas_see(tmp_path):
    # v2: 88.5% typed into a value cell is stored as 0.885 with the format 0.00%; Python reads its
    # percentage, as the formulas do (CELL("format")): 88.5 against ≥85(百分比) is met (README 模板 v2)
    path = workbook(tmp_path, standard())
    edit(path, G16=(0.885, "0.00%"))
    pf, _findings = all_findings(path)
    assert pf.projects[0].indicators[2].actual == "88.50(百分比)"
    s = score_project(pf.projects[0], pf.settings).indicators[2]
    assert s.suggested == D("10")  # R2: 88.5 ≥ 85, the whole weight


def test_bare_fraction_against_a_percentage_target_says_what_was_meant(tmp_path):
    path = workbook(tmp_path, standard())
    edit(path, G16="0.885")  # typed as text: no unit
    pf, findings = all_findings(path)
    t109 = [f for f in findings if f.code == "T109"]
    assert [(f.sheet, f.cell, f.severity) for f in t109] == [("测试项目", "G16", Severity.WARNING)]
    assert "88.50%" in t109[0].message


def test_formula_in_a_value_cell_says_to_type_the_number(tmp_path):
    """v2: the 指标值 and 完成值 cells take numbers, so W707 says to type the number without
    "=" (not to format the cell as text, v1's advice for its text cells)."""
    path = workbook(tmp_path, standard())
    edit(path, E14="=24.00", G15="#NAME?")
    _, findings = all_findings(path)
    w707 = [f for f in findings if f.code == "W707"]
    assert [f.cell for f in w707] == ["E14", "G15"]
    assert "不要以“=”开头" in w707[0].message and "=24.00(小时)" in w707[0].message
    x508 = [f.message for f in findings if f.code == "X508"]
    assert x508 == ["“人数”未填写年度指标值"]


# --- 4. words and spellings ------------------------------------------------------------------------


def test_word_actuals_make_a_clean_form(tmp_path, capsys):
    p = standard()
    p.indicators[1].actual = "及时"  # the target's own word
    p.indicators.append(ind("制度", "健全", "健全", "0", "0", "效益指标", "社会效益指标"))
    path = workbook(tmp_path, p)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "T102" not in out and "未发现问题" in out


def test_actual_with_a_comparator_is_read_with_a_warning():
    p = standard()
    p.indicators[0].actual = "≥9.00(人)"
    findings = check_file(ProjectFile(projects=[p]))
    assert [(f.code, f.cell) for f in findings] == [("T110", "indicators[0].actual")]


def test_null_target_and_actual_in_json_are_findings_at_their_place(tmp_path, capsys):
    doc = json.loads(ProjectFile(projects=[standard()]).model_dump_json())
    doc["projects"][0]["indicators"][0]["target"] = None
    doc["projects"][0]["indicators"][1]["actual"] = None
    doc["projects"][0]["funds"]["total"]["budget"] = "215,457.6"
    doc["projects"][0]["funds"]["total"]["executed"] = "２１５４５７.６"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main(["check", str(path), "--json"]) == 1
    got = {(f["code"], f["cell"]) for f in json.loads(capsys.readouterr().out)["findings"]}
    assert {("X508", "indicators[0].target"), ("T108", "indicators[1].actual")} <= got


def test_json_validation_messages_are_chinese(tmp_path, capsys):
    doc = json.loads(ProjectFile(projects=[standard()]).model_dump_json())
    doc["projects"][0]["year"] = 2101
    doc["projects"][0]["funds"]["total"]["budget"] = "abc"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "year：应不大于 2100（输入为 2101）" in err
    assert "budget：“abc”不是数字" in err
    assert "Input should" not in err


# --- 5. required inputs -------------------------------------------------------------------------------


def test_required_inputs_left_blank_are_findings_at_their_cells(tmp_path):
    p = standard()
    p.department = p.unit = p.achieved_goal = ""
    p.funds.total.budget = None
    path = workbook(tmp_path, p)
    _, findings = all_findings(path)
    got = {(f.code, f.cell) for f in findings if f.code in ("X511", "F407")}
    assert got == {("X511", "B4"), ("X511", "H4"), ("X511", "G11"), ("F407", "F6")}
    assert all(f.severity is Severity.ERROR for f in findings if f.code in ("X511", "F407"))


def test_a_project_without_inputs_gets_no_grade():
    p = project(ind("人数", "≥9.00(人)", None, "50"), budget=None, executed=None)
    s = score_project(p, ProjectFile().settings)
    assert (s.total, s.grade) == (None, None)  # on main: 0 and 差


# --- 6. a deleted first row of a group ----------------------------------------------------------------


def test_deleted_first_row_of_a_group_infers_level1_from_level2(tmp_path):
    p = standard(ind("可持续", "可持续", "达成指标", "0", "0", "效益指标", "可持续影响指标"))
    # rows 13 人数 (产出), 14 及时性 (效益, 社会效益), 15 满意度, 16 可持续 (效益): move 可持续 up
    # under 产出 as if the 效益 group's first row (its merged label) had been deleted
    path = workbook(tmp_path, project(p.indicators[0], p.indicators[3], p.indicators[2]))
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws["A14"].value = None  # the 一级 label went with the deleted row
    wb.save(path)
    pf, findings = all_findings(path)
    inds = pf.projects[0].indicators
    assert [i.level1 for i in inds] == ["产出指标", "效益指标", "满意度指标"]
    x512 = [(f.cell, f.severity) for f in findings if f.code == "X512"]
    assert x512 == [("A14", Severity.WARNING)]
    assert not [f for f in findings if f.code in ("X503", "X504")]
    assert all(f.cell and f.cell != "indicators" for f in findings)


def source_workbook(path=None):
    """The workbook tests/data/make_libreoffice_fixtures.py edits in LibreOffice."""
    p = standard()
    p.indicators.insert(1, ind("经济", "提高", "达成指标", "0", "0", "效益指标", "经济效益指标"))
    return write_projects(ProjectFile(projects=[p]),
                          path or DATA / "lo_source.xlsx")


def test_first_row_deleted_in_libreoffice(tmp_path):
    # a real LibreOffice save (tests/data/make_libreoffice_fixtures.py): A14 is empty and unmerged
    path = DATA / "lo_deleted_first_row.xlsx"
    assert openpyxl.load_workbook(path).worksheets[0]["A14"].value is None
    pf, findings = all_findings(path)
    assert [i.level1 for i in pf.projects[0].indicators] == ["产出指标", "效益指标", "满意度指标"]
    # a v1 workbook (saved by LibreOffice): still read, with the suggestion to upgrade (W750)
    assert [(f.code, f.cell) for f in findings] == [("X512", "A14"), ("W750", "D12")]
    assert score_project(pf.projects[0], pf.settings).total == D("100")


def test_structure_findings_point_at_a_cell(tmp_path):
    p = project(ind("人数", "≥9.00(人)", "9.00(人)", "90", "90"))
    path = workbook(tmp_path, p)
    _, findings = all_findings(path)
    x502 = [f.cell for f in findings if f.code == "X502"]
    assert x502 == ["A12"]


# --- 7. float noise ---------------------------------------------------------------------------------


def test_float_noise_in_a_typed_score_totals_as_the_workbook_shows(tmp_path, capsys):
    p = project(
        ind("人数", "≥9.00(人)", "9.00(人)", "50", "50"),
        ind("及时性", "及时", "达成指标", "30", "25.8", "效益指标", "社会效益指标", reason="略有不足"),
        ind("满意度", "≥85.00(%)", "42.00(%)", "10", "4.2", "满意度指标", "服务对象满意度指标",
            reason="满意度低"))
    path = workbook(tmp_path, p)
    edit(path, G15=0.7 * 6)  # =F13*0.7 stored as 4.199999999999999
    assert 0.7 * 6 == 4.199999999999999
    assert main(["score", str(path), "-o", str(tmp_path / "out.xlsx"), "--json"]) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert (doc["projects"][0]["total"], doc["projects"][0]["grade"]) == ("90.00", "优")


# --- 8. no form ------------------------------------------------------------------------------------------


def test_a_workbook_without_a_form_exits_2_naming_its_sheets(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.create_sheet("其他单位的表")["A1"] = "项目支出情况"
    path = tmp_path / "other.xlsx"
    wb.save(path)
    for command in (["check", str(path)], ["score", str(path)], ["export", str(path), "-o",
                                                                     str(tmp_path / "x.json")]):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert "“封面”、“其他单位的表”" in err and "绩效自评表" in err
    assert not (tmp_path / "other.bak.xlsx").exists()


# --- 9. out of range --------------------------------------------------------------------------------------


def test_year_out_of_range_in_the_title_is_a_finding_not_a_crash(tmp_path, capsys):
    path = workbook(tmp_path, standard())
    edit(path, A2="（2101年度）")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "内部错误" not in err and "2101" in err and "2000–2100" in err


def test_new_with_a_year_out_of_range(tmp_path, capsys):
    assert main(["new", "self-evaluation", "--year", "1999", "-o", str(tmp_path / "n.xlsx")]) == 2
    assert "--year 1999 超出 2000–2100 的范围" in capsys.readouterr().err


# --- 10. S208 and ordering ---------------------------------------------------------------------------------


def test_a_score_formula_showing_the_suggestion_is_filled(tmp_path):
    p = standard()
    for i in p.indicators:
        i.score = None  # written as =建议得分
    path = workbook(tmp_path, p)
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert str(ws["J14"].value).startswith("=") and ws["N14"].value is None
    _, findings = all_findings(path)
    assert not [f for f in findings if f.code == "S208"]
    # a truly empty 得分 is still reported
    edit(path, J15=None)
    _, findings = all_findings(path)
    assert [f.cell for f in findings if f.code == "S208"] == ["J15"]


def test_findings_are_ordered_errors_warnings_info(tmp_path, capsys):
    p = standard()
    p.indicators[2].actual = "80.00(百分比)"  # 9 of 10 typed, no reason: D301 error
    p.indicators[2].score = D("9")
    p.funds.total.executed = D("80")  # D304 warning
    path = workbook(tmp_path, p)
    edit(path, E14="9")  # ≥9(人) typed as text: T104 info
    assert main(["check", str(path)]) == 1
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "[" in ln]
    ranks = [0 if "[错误]" in ln else 1 if "[警告]" in ln else 2 for ln in lines]
    assert ranks == sorted(ranks) and set(ranks) == {0, 1, 2}


# --- 11. printed derived figures ------------------------------------------------------------------------


def test_typed_rate_score_and_total_are_compared_with_the_inputs(tmp_path):
    p = standard()
    p.funds.total.budget, p.funds.total.executed = D("250000"), D("215457.6")
    p.achieved_goal = "预算执行率偏低：部分资金结余"
    path = workbook(tmp_path, p)
    # a published form keeps numbers where the template has formulas: 86.19 % although
    # 215457.6 / 250000 = 86.18 %; 8.62 is 86.18 % × 10 rounded half-up (truncation: 8.61)
    edit(path, K6=86.19, L6=8.62, J17=98.62)
    _, findings = all_findings(path)
    s210 = {f.cell: f.message for f in findings if f.code == "S210"}
    assert set(s210) == {"K6", "L6", "J17"}
    assert "表中预算执行率为 86.19" in s210["K6"] and "按截断为 86.18" in s210["K6"]
    assert "哪种舍入都得不到表中的数" in s210["K6"]
    assert "按四舍五入可得到表中的数" in s210["L6"] and "按截断为 8.61" in s210["L6"]
    assert "按四舍五入可得到表中的数" in s210["J17"]
    # what perfxl wrote itself (formulas) is never compared
    _, findings = all_findings(workbook(tmp_path, p, "clean.xlsx"))
    assert not [f for f in findings if f.code == "S210"]


HALF_UP_TEXT = """财政项目支出绩效自评表
(2024年度)
项目名称\t示例项目
主管部门\t某局\t\t实施单位\t某中心
项目资金 (元)\t\t年初预算数\t全年预算数\t全年执行数\t分数\t执行率(%)\t得分
\t年度资金总额\t250,000.00\t250,000.00\t215,457.60\t10.00\t86.18\t8.62
\t其中：当年财政拨款\t250,000.00\t250,000.00\t215,457.60\t-\t86.18\t-
\t上年结转资金\t0.00\t0.00\t0.00\t-\t0.00\t-
\t其他资金\t0.00\t0.00\t0.00\t-\t0.00\t-
年度 总体 目标\t预期目标\t\t\t实际完成情况
\t按计划完成\t\t\t资金结余，执行率偏低
一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析
产出指标\t数量指标\t培训人数\t≥100(人)\t120.00(人)\t50.00\t50.00\t
效益指标\t社会效益指标\t服务作用\t有效保障\t达成指标\t30.00\t30.00\t
满意度指标\t服务对象满意度指标\t满意度\t≥85.00(%)\t90.00(%)\t10.00\t10.00\t
\t\t\t\t100\t98.62
评分等级\t优
"""


def test_text_import_infers_the_rounding_the_printed_figures_decide():
    from perfxl.model import Rounding
    from perfxl.textimport import read_text

    pf, findings = read_text(HALF_UP_TEXT)
    assert pf.settings.rounding is Rounding.HALF_UP  # on main: truncate, 8.61 / 98.61, silent
    assert [(f.code, f.cell) for f in findings] == [("I914", "第1行")]
    s = score_project(pf.projects[0], pf.settings)
    assert (s.execution_score, s.total) == (D("8.62"), D("98.62"))
    # printed figures that no rounding gives are reported at the form
    _, findings = read_text(HALF_UP_TEXT.replace("\t100\t98.62", "\t100\t97.00"))
    assert [f.code for f in findings] == ["I914", "S210"]
    assert "表中总分为 97.00" in findings[1].message


def test_one_order_for_the_findings_sheet_and_the_email():
    from perfxl.email_draft import summary_text
    from perfxl.findings import Finding
    from perfxl.pipeline import check

    p = standard()
    p.indicators[0].target = "≥9(人)"  # T104 info
    p.funds.total.executed = D("80")  # D304 warning
    p.department = ""  # X511 error
    pf = ProjectFile(projects=[p])
    read = [Finding("W702", Severity.WARNING, "测试项目", "E6", "以文本形式存储的数字")]
    checked = check(pf, read, "live")
    got = [f.severity for f in checked.findings]
    assert got == sorted(got, key=[Severity.ERROR, Severity.WARNING, Severity.INFO].index)
    assert got[0] is Severity.ERROR and got[-1] is Severity.INFO
    text = summary_text(checked)
    assert text.index("X511") < text.index("D304")


def test_declaration_reads_the_same_way(tmp_path, capsys):
    from tests.conftest import load_seed

    path = write_projects(ProjectFile(projects=load_seed("declaration_2026.json").projects[:1]),
                          tmp_path / "d.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert (ws["B33"].value, ws["C33"].value) == ("效益指标", "社会效益指标")
    ws.unmerge_cells("B33:B35")
    ws["B33"].value = None  # the 一级 label lost with the group's first row
    wb.save(path)
    pf, findings = all_findings(path)
    assert {i.level1 for i in pf.projects[0].indicators[19:]} == {"效益指标", "满意度指标"}
    assert [(f.code, f.cell) for f in findings if f.code in ("X512", "X503", "X504")] == [
        ("X512", "B33")]
    edit(path, A2="（2101年度）")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "年度 2101 超出 2000–2100 的范围" in err and "内部错误" not in err


def test_unmerged_funds_labels_find_their_amount_and_keep_a_blank_one(tmp_path):
    # staff unmerge 年度资金申请总额 (E6:F6): the amount in G6 is still its amount; a blank amount
    # stays blank rather than taking another cell's number
    from perfxl.demo import seed_projects

    decl = seed_projects("declaration_2026.json")
    path = write_projects(ProjectFile(projects=decl.projects[:1]), tmp_path / "申报.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert (ws["E6"].value, ws["G6"].value) == ("年度资金申请总额", 991823)  # the seed's figure
    ws.unmerge_cells("E6:F6")
    wb.save(path)
    funds = read_projects(path)[0].projects[0].funds
    assert (funds.annual_total, funds._cells["annual_total"][1]) == (Decimal("991823"), "G6")
    ws["G6"] = None
    wb.save(path)
    funds = read_projects(path)[0].projects[0].funds
    assert funds.annual_total is None and funds.annual_fiscal == Decimal("991823")


def test_a_defined_name_without_a_name_is_ignored(tmp_path):
    # a damaged workbook.xml: <definedName> with no name attribute (it crashed the fast reader)
    import zipfile

    src = workbook(tmp_path, standard())
    damaged = tmp_path / "无名称.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                assert b'<definedName name="pxl_form"' in data
                data = data.replace(b'<definedName name="pxl_form"', b"<definedName", 1)
            zout.writestr(info, data)
    assert main(["check", str(damaged)]) in (0, 1)
    pf, _ = read_projects(damaged)
    assert [p.name for p in pf.projects] == [standard().name]
