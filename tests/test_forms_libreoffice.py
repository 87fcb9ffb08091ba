"""The workbook's native formulas, recalculated by LibreOffice, equal the Python core cell by cell
(design.md §2, §4). One soffice call per batch of files."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from perfxl.forms.workbook import read_workbook, score_workbook, write_projects
from perfxl.libreoffice import recalculate, to_pdf
from perfxl.model import (
    FundRow, Indicator, OverrunFormula, ProjectFile, Rounding, SelfEvaluation, SelfEvaluationFunds,
    Settings,
)
from tests.forms_helpers import compare_self_evaluation, error_cells, user_edits

pytestmark = pytest.mark.libreoffice

D = Decimal

# (target, actual, weight, typed score, reason): the spellings domain.md §1 lists and the edge
# cases of R2–R5 (zero targets, overruns, units, levels in three wordings, unreadable text)
EDGE_ROWS = [
    ("≥9.00(人)", "8.00(人)", "6.00", None, None),
    ("≥9(人)", "9", "6", None, None),
    (">=90%", "85%", "5", None, None),
    ("≥50个", "60个", "4", None, None),
    ("≥100百分比", "95(%)", "4", None, None),
    ("≥11000(件)", "11,181.00(件)", "6", None, None),
    ("≥1,000（件）", "1200（件）", "3", None, None),
    ("≥９０％", "９５．５％", "3", None, None),
    ("≤30.00(元/小时)", "33(元/小时)", "4", None, None),
    ("≤30", "70", "4", None, None),
    ("≤187.92(万元)", "187.63(万元)", "6", None, None),
    ("≤2.00(百分比)", "0.00(百分比)", "6", None, None),
    ("<5(次)", "5(次)", "2", None, None),
    (">5(次)", "5(次)", "2", None, None),
    ("=0(次)", "0(次)", "2", None, None),
    ("=0(次)", "1(次)", "2", None, None),
    ("≤0(起)", "2(起)", "2", None, None),
    ("=24.00(小时)", "24.00(小时)", "6", None, None),
    ("=24.00(小时/天)", "23.5(小时/天)", "3", None, None),
    ("=100(百分比)", "100.00(百分比)", "3", None, None),
    ("100(%)", "98(%)", "3", None, None),
    ("12次以上", "10次", "3", None, None),
    ("5天以内", "6天", "3", None, None),
    ("不少于90%", "91%", "3", None, None),
    ("不超过20万元", "25万元", "3", None, None),
    ("≥20000.00(件)", "34487.00(件)", "7", None, None),
    ("≥20000.00(件)", "24582.00(件)", "7", None, "已说明"),
    ("≤40.00(元/份 (册))", "41(元/份(册))", "2", None, None),
    ("及时", "达成年度指标", "3", None, None),
    ("健全", "达成指标", "8", None, None),
    ("有效保障", "达成预期指标", "5", None, None),
    ("可持续", "部分达成年度指标并具有一定效果", "8", None, None),
    ("可持续", "部分达成指标并具有一定效果", "3", None, None),
    ("可持续", "部分达成预期指标并具有一定效果", "1", None, None),
    ("提高", "未达成年度指标且效果较差", "10", None, None),
    ("提升", "未达成指标且效果较差", "2.5", None, None),
    ("严格执行相关制度规定", " 达成年度指标。 ", "4", None, None),
    ("健全", "部分达成指标并具有一定效果", "8", "6.40", "恰好 80%"),
    ("健全", "部分达成指标并具有一定效果", "8", "6", None),
    ("≥9(人)", "达成指标", "6", None, None),
    ("及时", "90(%)", "3", None, None),
    ("≥9(人)", "8(件)", "6", None, None),
    ("≥9(人)", "8.00(人)左右", "6", None, None),
    ("≥(人)", "8(人)", "6", None, None),
    ("≥9(人)", None, "6", None, None),
    ("≥9(人)", "≥8(人)", "6", None, None),
    ("≥9(人)", "8(人)", None, None, None),
    ("≥9(人)", "7(人)", "6", "7", "打分高于分值"),
    ("≥85.00(%)", "88.38(%)", "10", "9.00", "偏差原因"),
    ("达成*", "达成*", "3", None, None),
    # issue 15: words other offices write for "met", the target's own word, look-alike comparators
    ("及时", "及时", "3", None, None),
    ("健全", "健全", "3", None, None),
    ("有效保障", "有效保障。", "3", None, None),
    ("及时", "按时", "3", None, None),
    ("合格", "是", "3", None, None),
    ("健全", "不健全", "3", None, None),
    ("≥266(米)", "≥266米", "3", None, None),
    ("≧95%", "＞96%", "3", None, None),
    ("═24.00(小时)", "20(小时)", "3", None, None),
]


# (row, target, actual): a (value, number format) pair is a number typed with that format
PERCENT_ROWS = [
    (13, "≥85.00(百分比)", (0.885, "0.00%")),
    (14, "≥90.00(%)", (0.8, "0%")),
    (15, (0.95, "0.00%"), (0.96, "0.00%")),
    (16, "≥85.00(百分比)", (0.885, "General")),  # a bare 0.885: scored as written, T109
]


def edge_project(name: str = "边界用例") -> SelfEvaluation:
    inds = []
    for i, (t, a, w, s, r) in enumerate(EDGE_ROWS):
        lvl1, lvl2 = ("产出指标", "数量指标") if i < 28 else ("效益指标", "社会效益指标")
        inds.append(Indicator(level1=lvl1, level2=lvl2, name=f"指标{i + 1}", target=t, actual=a,
                              weight=D(w) if w else None, score=D(s) if s else None, reason=r))
    funds = SelfEvaluationFunds(
        total=FundRow(initial_budget=D("115.34"), budget=D("111.71"), executed=D("88.46")),
        fiscal=FundRow(initial_budget=D("100"), budget=D("0"), executed=D("5")),
        carryover=FundRow(initial_budget=D("0.00"), budget=None, executed=D("0")),
        other=FundRow(initial_budget=D("1"), budget=D("3"), executed=D("4.5")),
    )
    return SelfEvaluation(name=name, year=2023, department="测试局", unit="测试中心",
                          indicators=inds, funds=funds)


def _compare(original: Path, recalculated: Path) -> list[str]:
    wb = openpyxl.load_workbook(original)
    pf, _findings, maps = read_workbook(wb)
    values = openpyxl.load_workbook(recalculated, data_only=True)
    bad = []
    for project, smap in maps:
        if project.form.value == "self_evaluation":
            bad += compare_self_evaluation(values[smap.sheet], project, smap, pf.settings)
    return bad


@pytest.fixture(scope="module")
def batch(tmp_path_factory, request):
    """Every workbook of this module, written then recalculated in ONE soffice call."""
    from tests.conftest import load_seed

    d = tmp_path_factory.mktemp("lo")
    files: dict[str, Path] = {}
    se = load_seed("self_evaluation_2023.json")
    decl = load_seed("declaration_2026.json")
    files["seed_se"] = write_projects(se, d / "seed_se.xlsx")
    files["seed_decl"] = write_projects(decl, d / "seed_decl.xlsx")
    files["mixed"] = write_projects(ProjectFile(projects=[*decl.projects[:2], *se.projects[:2]]),
                                    d / "mixed.xlsx")
    files["edge"] = write_projects(ProjectFile(projects=[edge_project()]), d / "edge.xlsx")
    files["edge_halfup_ratio"] = write_projects(
        ProjectFile(settings=Settings(rounding=Rounding.HALF_UP, overrun_formula=OverrunFormula.RATIO,
                                      over_achievement_flag=D("1.10"),
                                      over_achievement_reason_required=D("1.25")),
                    projects=[edge_project()]), d / "edge_halfup_ratio.xlsx")
    # seeds with every typed score removed: 得分 shows the suggested score (formula default)
    blank = se.model_copy(deep=True)
    for p in blank.projects:
        for i in p.indicators:
            i.score = None
    files["seed_blank_scores"] = write_projects(blank, d / "seed_blank_scores.xlsx")
    # the edited file: a user changes an actual value and clears a typed score in the workbook
    edited = d / "edited.xlsx"
    shutil.copy(files["seed_se"], edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb[wb.sheetnames[2]]  # 应急工作专项 (79.18 % execution)
    ws["E13"] = "2.00(份)"  # 安全检查季度分析份数 =4.00(份): half achieved
    ws["G13"] = None  # score back to the formula default
    ws["F8"] = 80  # …and the other-funds execution changes
    wb.save(edited)
    score_workbook(edited)  # fills the formula default into G13
    files["edited"] = edited
    # a user's workbook with inserted rows, extra columns, a comment and an extra sheet
    inserted = d / "inserted.xlsx"
    shutil.copy(files["seed_se"], inserted)
    user_edits(inserted)
    score_workbook(inserted)
    files["inserted"] = inserted
    # issue 15: percentages typed into cells that are not text-formatted (0.885 shown 88.50%)
    percent = d / "percent.xlsx"
    shutil.copy(files["edge"], percent)
    wb = openpyxl.load_workbook(percent)
    ws = wb.worksheets[0]
    for row, target, actual in PERCENT_ROWS:
        for col, value in (("D", target), ("E", actual)):
            if isinstance(value, tuple):
                ws[f"{col}{row}"].value, ws[f"{col}{row}"].number_format = value
            else:
                ws[f"{col}{row}"].value = value
    wb.save(percent)
    score_workbook(percent)
    files["percent"] = percent
    # a blank form: no total and no grade (not 0.00 / 差)
    from perfxl.forms.workbook import new_workbook

    files["blank"] = new_workbook("self_evaluation", 2025, d / "blank.xlsx")
    outs = recalculate(list(files.values()), d / "out")
    return {k: (v, o) for (k, v), o in zip(files.items(), outs)}


def test_seed_self_evaluations_equal_core(batch):
    original, recalculated = batch["seed_se"]
    assert _compare(original, recalculated) == []
    ws = openpyxl.load_workbook(recalculated, data_only=True)
    totals = [ws[n]["G" + str(ws[n].max_row - 1)].value for n in ws.sheetnames[:4]]
    # domain.md §4: the published totals
    assert [D(repr(t)) for t in totals] == [D("90.98"), D("92"), D("90.91"), D("92")]
    rates = [ws[n]["H6"].value for n in ws.sheetnames[:4]]
    assert rates == [99.84, 100, 79.18, 100]
    assert [ws[n]["I6"].value for n in ws.sheetnames[:4]] == [9.98, 10, 7.91, 10]


def test_no_formula_errors_anywhere(batch):
    for key, (_orig, recalculated) in batch.items():
        assert error_cells(recalculated) == [], key


def test_edge_cases_equal_core(batch):
    for key in ("edge", "edge_halfup_ratio", "seed_blank_scores", "mixed"):
        original, recalculated = batch[key]
        assert _compare(original, recalculated) == [], key


def test_inserted_rows_are_scored_and_summed(batch):
    original, recalculated = batch["inserted"]
    assert _compare(original, recalculated) == []
    ws = openpyxl.load_workbook(recalculated, data_only=True)["热线服务保障经费"]
    # the inserted 新增件数 (weight 0) adds nothing: total and grade as before
    assert (ws["C15"].value, ws["K15"].value, ws["G15"].value) == ("新增件数", 0, 0)
    assert (ws["G28"].value, ws["F29"].value) == (90.98, "优")
    assert ws["BA13"].value == "核对：人数少1人!"


def test_percent_formatted_numbers_read_as_percentages(batch):
    original, recalculated = batch["percent"]
    assert _compare(original, recalculated) == []
    ws = openpyxl.load_workbook(recalculated, data_only=True).worksheets[0]
    # 88.50% against ≥85.00(百分比): met, full weight 6; 80% against ≥90%: 6 × 80/90 = 5.33;
    # 96% against =95%: met (R2e), weight 5; a bare 0.885 against ≥85%: 4 × 0.885/85 = 0.04
    assert [ws[f"K{r}"].value for r in (13, 14, 15, 16)] == [6, 5.33, 5, 0.04]
    wb = openpyxl.load_workbook(original)
    pf, findings, _ = read_workbook(wb)
    inds = pf.projects[0].indicators
    assert [inds[i].actual for i in range(4)] == ["88.50%", "80%", "96.00%", "0.885"]
    assert inds[2].target == "95.00%"
    from perfxl.rules.checks import check_file

    t109 = [f.cell for f in check_file(pf) if f.code == "T109"]
    assert t109 == ["E16"]
    # the copy LibreOffice saved reads the same through both read paths
    from perfxl.forms.workbook import read_projects

    for fast in (True, False):
        saved, _ = read_projects(recalculated, fast=fast)
        assert [i.actual for i in saved.projects[0].indicators[:4]] == [
            "88.50%", "80%", "96.00%", "0.885"], fast


def test_blank_form_has_no_total_and_no_grade(batch):
    original, recalculated = batch["blank"]
    assert _compare(original, recalculated) == []
    ws = openpyxl.load_workbook(recalculated, data_only=True).worksheets[0]
    t = ws.max_row - 1
    assert ws[f"A{t}"].value == "总分"
    assert ws[f"G{t}"].value in (None, "")
    assert ws[f"F{t + 1}"].value in (None, "")


def test_input_cells_are_text_formatted(batch):
    ws = openpyxl.load_workbook(batch["edge"][0]).worksheets[0]
    assert ws["D13"].number_format == "@" and ws["E13"].number_format == "@"


def test_half_up_and_ratio_settings_change_numbers(batch):
    a = openpyxl.load_workbook(batch["edge"][1], data_only=True).worksheets[0]
    b = openpyxl.load_workbook(batch["edge_halfup_ratio"][1], data_only=True).worksheets[0]
    assert (a["H6"].value, a["I6"].value) == (79.18, 7.91)  # truncate (R6r)
    assert (b["H6"].value, b["I6"].value) == (79.19, 7.92)  # half_up
    # ≤30 with 33: linear 4×(1−3/30)=3.6; ratio 4×30/33=3.6363… → 3.64 (half up)
    row = 13 + 8
    assert (a[f"K{row}"].value, b[f"K{row}"].value) == (3.6, 3.64)


def test_declaration_checks(batch):
    original, recalculated = batch["seed_decl"]
    ws = openpyxl.load_workbook(recalculated, data_only=True)
    names = ws.sheetnames
    # domain.md §3: 44.00 + 27.18 + 28.00 = 99.18 万 vs 991,823 元; 72.00+39.24+70.08 = 181.32 万
    first, third = ws[names[0]], ws[names[2]]
    assert first["K9"].value == pytest.approx(99.18)
    assert first["K10"].value == "一致"
    assert third["K9"].value == pytest.approx(181.32)
    assert third["K10"].value == "一致"
    for n in names[:4]:
        assert ws[n]["K7"].value == "一致"  # 年度申请总额 = 拨款 + 结转 + 其他


def test_editing_an_actual_value_changes_score_total_grade(batch):
    original, recalculated = batch["edited"]
    assert _compare(original, recalculated) == []
    ws = openpyxl.load_workbook(recalculated, data_only=True)
    sheet = ws[ws.sheetnames[2]]
    # =4.00(份) with 2.00(份): R2e 4 × 2/4 = 2.00; total 90.91 − 4 + 2 = 88.91 → 良 (R8)
    assert sheet["G13"].value == 2
    assert sheet["K13"].value == 2
    t = sheet.max_row - 1
    assert sheet[f"G{t}"].value == pytest.approx(88.91)
    assert sheet[f"F{t + 1}"].value == "良"
    assert sheet["H8"].value == 0  # zero budget: rate 0 (R6), not an error


def test_pdf_pages_per_project_with_cjk_font(batch, tmp_path):
    if shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils not installed")
    files = [batch["seed_se"][0], batch["seed_decl"][0]]
    pdfs = to_pdf(files, tmp_path)
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        # fitted to the width only (issue 17): the four projects run over more pages than four
        assert pages > 4, pdf
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"(WenQuanYi|WQY|Noto.*CJK|Song|Hei|Fang)", fonts, re.I), fonts
        assert " yes " in fonts  # embedded
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "财政项目支出绩效" in text
