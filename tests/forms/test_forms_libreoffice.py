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

from perfxl.forms.workbook import read_workbook, write_projects
from perfxl.libreoffice import recalculate, to_pdf
from perfxl.model import (
    FundRow, Indicator, OverrunFormula, ProjectFile, Rounding, SelfEvaluation, SelfEvaluationFunds,
    Settings,
)
from tests.forms_helpers import compare_self_evaluation, error_cells, score_workbook, user_edits

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


# (row, actual): a v2 value cell holds a number; typed as 88.5% it is 0.885 in a percent format,
# which the formulas and Python alike take as written (T109 says so)
# (row, target value and format, actual value and format), each against a % target: 88.5%
# typed as an actual, 90% typed as the target, and plain numbers
PERCENT_ROWS = [(14, (85, "0.00"), (0.885, "0.00%")), (15, (0.9, "0%"), (85, "0.00")),
                (16, (85, "0.00"), (90, "General"))]


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
    ws["G14"] = 2  # 安全检查季度分析份数 =4.00(份): half achieved
    ws["N14"] = None  # the typed score cleared: 得分 shows the suggestion
    ws["H8"] = 80  # …and the other-funds execution changes
    wb.save(edited)
    files["edited"] = edited
    # a comparator and a level edited in the workbook, no perfxl run in between (the formulas do it)
    edited2 = d / "edited2.xlsx"
    shutil.copy(files["edge"], edited2)
    wb = openpyxl.load_workbook(edited2)
    ws = wb.worksheets[0]
    ws["D14"] = "≤"  # ≥9.00(人) with 8 → ≤9.00(人) with 8: met, full weight
    ws["G42"] = "未达成"  # 及时 with 达成 → 未达成: R5 band [0, 1.8) of weight 3, top 1
    wb.save(edited2)
    files["edited2"] = edited2
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
    for row, (tv, tfmt), (av, afmt) in PERCENT_ROWS:
        ws[f"E{row}"].value, ws[f"E{row}"].number_format, ws[f"F{row}"].value = tv, tfmt, "%"
        ws[f"G{row}"].value, ws[f"G{row}"].number_format = av, afmt
    wb.save(percent)
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
    totals = [ws[n]["J" + str(ws[n].max_row - 1)].value for n in ws.sheetnames[:4]]
    # domain.md §4: the published totals
    assert [D(repr(t)) for t in totals] == [D("90.98"), D("92"), D("90.91"), D("92")]
    rates = [ws[n]["K6"].value for n in ws.sheetnames[:4]]
    assert rates == [99.84, 100, 79.18, 100]
    assert [ws[n]["L6"].value for n in ws.sheetnames[:4]] == [9.98, 10, 7.91, 10]


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
    assert (ws["C16"].value, ws["O16"].value, ws["J16"].value) == ("新增件数", 0, 0)
    assert (ws["J29"].value, ws["I30"].value) == (90.98, "优")
    assert ws["BA13"].value == "核对：人数少1人!"


def test_percent_formatted_numbers_are_scored_as_written(batch):
    """v2: a number in a percent format is its percentage (88.5% typed in Excel is stored as 0.885
    with a % format), to the formulas (CELL("format")) and to Python alike."""
    original, recalculated = batch["percent"]
    assert _compare(original, recalculated) == []
    ws = openpyxl.load_workbook(recalculated, data_only=True).worksheets[0]
    # ≥85(%) with 88.5%: met, the weight 6; ≥90%(typed as 0.9) with 85: 6 × 85/90 = 5.666… → 5.66
    # (R2, cut R6r); ≥85(%) with 90: the weight 5
    assert [ws[f"O{r}"].value for r in (14, 15, 16)] == [6, 5.66, 5]
    wb = openpyxl.load_workbook(original)
    pf, findings, _ = read_workbook(wb)
    inds = pf.projects[0].indicators
    assert [inds[i].actual for i in range(3)] == ["88.50(%)", "85.00(%)", "90.00(%)"]  # as printed
    assert [inds[i].target for i in range(3)] == ["≥85.00(%)", "≥90.00(%)", "≥85.00(%)"]
    from perfxl.forms.workbook import open_workbook, read_projects

    # the copy LibreOffice saved reads the same through perfxl.reader and the openpyxl path
    for saved in (read_projects(recalculated)[0], read_workbook(open_workbook(recalculated))[0]):
        assert [i.actual for i in saved.projects[0].indicators[:3]] == ["88.50(%)", "85.00(%)", "90.00(%)"]


def test_blank_form_has_no_total_and_no_grade(batch):
    original, recalculated = batch["blank"]
    assert _compare(original, recalculated) == []
    ws = openpyxl.load_workbook(recalculated, data_only=True).worksheets[0]
    t = ws.max_row - 1
    assert ws[f"A{t}"].value == "总分"
    assert ws[f"J{t}"].value in (None, "")
    assert ws[f"I{t + 1}"].value in (None, "")


def test_comparator_is_text_and_numbers_stay_numbers(batch):
    ws = openpyxl.load_workbook(batch["edge"][0]).worksheets[0]
    assert (ws["D13"].value, ws["E13"].value, ws["F13"].value) == ("比较符", "指标值", "单位")
    assert ws["D14"].number_format == "@"  # "=" typed there is a comparator, not a formula
    assert (ws["D14"].value, ws["E14"].value, ws["F14"].value, ws["G14"].value) == ("≥", 9, "人", 8)


def test_half_up_and_ratio_settings_change_numbers(batch):
    a = openpyxl.load_workbook(batch["edge"][1], data_only=True).worksheets[0]
    b = openpyxl.load_workbook(batch["edge_halfup_ratio"][1], data_only=True).worksheets[0]
    assert (a["K6"].value, a["L6"].value) == (79.18, 7.91)  # truncate (R6r)
    assert (b["K6"].value, b["L6"].value) == (79.19, 7.92)  # half_up
    # ≤30 with 33: linear 4×(1−3/30)=3.6; ratio 4×30/33=3.6363… → 3.64 (half up)
    row = 14 + 8
    assert (a[f"O{row}"].value, b[f"O{row}"].value) == (3.6, 3.64)


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
    # =4.00(份) with 2: R2e 4 × 2/4 = 2.00; total 90.91 − 4 + 2 = 88.91 → 良 (R8)
    assert sheet["J14"].value == 2
    assert sheet["O14"].value == 2
    t = sheet.max_row - 1
    assert sheet[f"J{t}"].value == pytest.approx(88.91)
    assert sheet[f"I{t + 1}"].value == "良"
    assert sheet["K8"].value == 0  # zero budget: rate 0 (R6), not an error


def test_editing_a_comparator_and_a_level_changes_score_total_grade(batch):
    """Edited in the workbook only: LibreOffice's recalculation equals the core on the edited
    inputs, and the numbers move as R2/R3/R5 say."""
    before = openpyxl.load_workbook(batch["edge"][1], data_only=True).worksheets[0]
    original, recalculated = batch["edited2"]
    assert _compare(original, recalculated) == []
    after = openpyxl.load_workbook(recalculated, data_only=True).worksheets[0]
    assert (before["J14"].value, after["J14"].value) == (5.33, 6)  # ≥9 with 8: 6×8/9; ≤9: met
    assert (before["J42"].value, after["J42"].value) == (3, 1)  # 达成 → 未达成 (R5 band top)
    t = after.max_row - 1
    assert after[f"J{t}"].value == pytest.approx(before[f"J{t}"].value + 0.67 - 2)


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
