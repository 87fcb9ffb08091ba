"""Helpers for the workbook tests: LibreOffice recalculation and the Python core's expected values
for every computed cell of a sheet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font

from perfxl.forms.grid import is_error
from perfxl.libreoffice import recalculate
from perfxl.model import FundRow, SelfEvaluation, SelfEvaluationFunds, Settings
from perfxl.rules.scoring import execution_rate, score_project, target_met



def recalc(paths: list[Path], outdir: Path) -> list[Path]:
    """Recalculate every file in one soffice call."""
    return recalculate(paths, outdir)


def error_cells(path: Path) -> list[str]:
    """Every cell of the workbook that shows an Excel error value after recalculation."""
    wb = openpyxl.load_workbook(path, data_only=True)
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if is_error(c.value):
                    bad.append(f"{ws.title}!{c.coordinate}={c.value}")
    return bad


def dec(v) -> Decimal | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise AssertionError(f"unexpected bool {v}")
    if isinstance(v, (int, float)):
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    raise AssertionError(f"expected a number, got {v!r}")


def _plain_number(actual, target) -> bool:
    """An actual the v2 value cell holds as a number (read back with the target's unit)."""
    from perfxl.rules.targets import same_unit

    return (actual is not None and actual.value is not None and actual.comparator is None
            and (actual.unit is None or same_unit(actual.unit, target.unit)))


def expected_flag(s, settings: Settings) -> str:
    """The 提示 text the sheet should show for an IndicatorScore (mirror of the flag formula of
    perfxl.forms.formulas.ROW_FORMULAS): each part followed by a space."""
    from perfxl.forms.settings_sheet import LEVEL_WORDS
    from perfxl.rules.targets import met_by_same_word

    ind = s.indicator
    if s.weight is None:
        return ""
    actual_text = (ind.actual or "").strip()
    parts = []
    if ind.target.strip() and not actual_text:
        parts.append("未填实际值")  # T108
    quant = s.target is not None and s.target.quantitative
    level_ok = actual_text in LEVEL_WORDS or met_by_same_word(s.target, actual_text)
    if actual_text and not (quant and _plain_number(s.actual, s.target)) and not level_ok:
        parts.append("实际值无法计分")
    met = target_met(s.target, s.actual) if s.target is not None else None
    if met is False:
        parts.append("未达成")
    higher = quant and s.target.higher_is_better
    eff = s.effective
    need = (eff is not None and eff < s.weight) or met is False or (
        higher and s.ratio is not None and s.ratio >= settings.over_achievement_reason_required)
    if need and not (ind.reason and ind.reason.strip()):
        parts.append("需说明原因")
    return "".join(p + " " for p in parts)


def row_name(key: str) -> str:
    return {"total": "年度资金总额", "fiscal": "当年财政拨款", "carryover": "上年结转资金",
            "other": "其他资金"}[key]


def compare_self_evaluation(ws, project: SelfEvaluation, smap, settings: Settings) -> list[str]:
    """Every computed cell of a recalculated self-evaluation sheet against the Python core.
    Returns a list of mismatches (empty when all agree)."""
    bad: list[str] = []
    ps = score_project(project, settings)

    def check(cell: str, got, want, exact: bool = True) -> None:
        if isinstance(want, str) or isinstance(got, str) or want is None or isinstance(want, bool):
            g = got if got not in ("",) else None
            w = want if want not in ("",) else None
            if g != w:
                bad.append(f"{ws.title}!{cell}: sheet {got!r} != core {want!r}")
            return
        gd = dec(got)
        if gd is None or (gd != want if exact else abs(gd - want) > Decimal("1e-12")):
            bad.append(f"{ws.title}!{cell}: sheet {got!r} != core {want}")

    from openpyxl.utils import get_column_letter as L

    fc = smap.funds_cols
    for key, r in smap.funds_rows.items():
        row: FundRow = getattr(project.funds, key)
        want = execution_rate(SelfEvaluationFunds(total=row), settings.rounding)
        cell = f"{L(fc['rate'])}{r}"
        check(cell, ws[cell].value, want)
    r = smap.funds_rows["total"]
    cell = f"{L(fc['score'])}{r}"
    check(cell, ws[cell].value, ps.execution_score)
    # 提示 beside the funds rows mirrors the core's F402, F401 and D304 findings
    from perfxl.rules.checks import check_fund_sums

    funds_findings = check_fund_sums(project, ps, settings)
    cols = {"initial_budget": "年初预算数", "budget": "全年预算数", "executed": "全年执行数"}
    for key, r in smap.funds_rows.items():
        row = getattr(project.funds, key)
        parts = []
        if any(f.code == "F402" and f"{row_name(key)}：" in f.message for f in funds_findings):
            parts.append("执行数大于预算数")
        if key == "total":
            for col, label in cols.items():
                if any(f.code == "F401" and f.message.startswith(label) for f in funds_findings):
                    parts.append(f"{label}合计不符")
            rate = execution_rate(project.funds, settings.rounding)
            if rate is not None and rate < settings.execution_reason_below * 100:  # D304's reminder
                parts.append(f"执行率低于{settings.execution_reason_below * 100:f}".rstrip("0").rstrip(".") + "%须说明原因")
        cell = f"{L(smap.cols['flag'])}{r}"
        check(cell, ws[cell].value, "".join(p + " " for p in parts))
    for s, r in zip(ps.indicators, smap.rows):
        c = smap.cols
        cell = f"{L(c['suggested'])}{r}"
        check(cell, ws[cell].value, s.suggested)
        cell = f"{L(c['score'])}{r}"
        check(cell, ws[cell].value, s.effective)
        cell = f"{L(c['flag'])}{r}"
        check(cell, ws[cell].value, expected_flag(s, settings))
    weights = [i.weight for i in project.indicators if i.weight is not None]
    tw = sum(weights, project.funds.weight) if weights else None  # a blank form: blank (issue 17)
    cell = f"{L(smap.total_weight[1])}{smap.total_weight[0]}"
    check(cell, ws[cell].value, tw)
    cell = f"{L(smap.total[1])}{smap.total[0]}"
    check(cell, ws[cell].value, ps.total)
    cell = f"{L(smap.grade[1])}{smap.grade[0]}"
    check(cell, ws[cell].value, ps.grade)
    return bad


def insert_row(ws, at: int) -> None:
    """Insert a row the way Excel does: merged ranges spanning the insertion point grow."""
    ranges = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    for r1, c1, r2, c2 in ranges:
        ws.unmerge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    ws.insert_rows(at)
    for r1, c1, r2, c2 in ranges:
        if r1 >= at:
            r1, r2 = r1 + 1, r2 + 1
        elif r2 >= at:
            r2 += 1
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def user_edits(path: Path) -> None:
    """A user's workbook: a comment, an extra sheet, extra columns, own formatting, an inserted
    indicator row inside the 数量指标 group and an extra blank row."""
    wb = openpyxl.load_workbook(path)
    ws = wb["热线服务保障经费"]
    ws["C14"].comment = Comment("请核对件数", "科员")
    ws["AZ1"] = "我的备注"
    ws["AZ13"] = "核对：人数少1人"
    ws["BA13"] = "=AZ13&\"!\""
    ws["A1"].font = Font(name="楷体", size=20)
    insert_row(ws, 16)  # between 先行联系和解释安抚 and 对口移送
    ws["C16"], ws["D16"], ws["E16"], ws["F16"], ws["G16"], ws["I16"] = "新增件数", "≥", 100, "件", 50, 0
    insert_row(ws, 23)  # a blank row inside the table
    ws["I23"] = None
    mine = wb.create_sheet("我的表")
    mine["A1"] = "自己的统计"
    mine["B2"] = "=SUM(1,2)"
    wb.move_sheet("我的表", offset=-2)
    wb.save(path)


def score_workbook(path: Path, out: Path | None = None) -> Path:
    """``perfxl score`` of the workbook at ``path`` (in place, or to ``out``): the command itself,
    so the tests score as a user does. Returns the scored file."""
    from perfxl.cli import main

    assert main(["score", str(path), *(["-o", str(out)] if out is not None else [])]) in (0, 1)
    return Path(out if out is not None else path)
