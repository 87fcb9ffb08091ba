"""Carry forward: declaration → self-evaluation → next year's declaration.

Pure model tests first (R1 weights, funds in 万元, identity), then the seed check:
each 2026 seed declaration carried and filled with the 2023 actuals of the same project (where
indicator names match) scores what the rules give by hand; then the workbook round trip.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from perfxl.carry import (
    HINT_HEADER,
    actual_hints,
    carry_file,
    propose_weights,
    split_evenly,
    to_next_declaration,
    to_self_evaluation,
    yuan_to_unit,
)
from perfxl.model import Declaration, Indicator, SelfEvaluation, Settings
from tests.conftest import load_seed

D = Decimal

# 2026 declaration name -> 2023 self-evaluation name (same four projects; one was renamed).
SAME_PROJECT = {
    "行业信访、安全及保障稳定的应急工作专项": "行业信访、安全及保障稳定的应急工作专项",
    "绿化市容行政服务工作": "绿化市容行政服务工作经费",
    "热线服务保障经费": "热线服务保障经费",
    "全市绿化、市容、环卫、林业诉求处置督查督办": "全市绿化、市容、环卫、林业诉求处置督查督办",
}


def _ind(level1: str, name: str = "x") -> Indicator:
    return Indicator(level1=level1, level2="二级", name=name, target="≥1.00(件)")


# --- pure model logic --------------------------------------------------------------------------


def test_split_evenly_is_exact_at_two_decimals():
    parts = split_evenly(D("50"), 22)
    assert sum(parts) == D("50")
    assert parts.count(D("2.28")) == 6 and parts.count(D("2.27")) == 16
    assert split_evenly(D("30"), 4) == [D("7.50")] * 4
    assert split_evenly(D("10"), 3) == [D("3.34"), D("3.33"), D("3.33")]
    assert split_evenly(D("10"), 0) == []


def test_r1_weights_cost_shares_the_output_fifty():
    inds = [_ind("成本指标"), _ind("成本指标"), _ind("产出指标"), _ind("产出指标"),
            _ind("效益指标"), _ind("效益指标"), _ind("效益指标"), _ind("满意度指标")]
    w = propose_weights(inds)
    assert w == [D("12.50")] * 4 + [D("10.00")] * 3 + [D("10.00")]
    assert sum(w) + D(10) == 100


def test_r1_missing_satisfaction_goes_to_benefit():
    # The seed project 绿化市容行政服务工作经费 has no 满意度 and 效益 40.
    inds = [_ind("产出指标"), _ind("效益指标"), _ind("效益指标")]
    assert propose_weights(inds) == [D("50.00"), D("20.00"), D("20.00")]
    assert propose_weights([_ind("满意度指标")]) == [D("90.00")]
    assert propose_weights([]) == []


def test_money_unit_conversion():
    assert yuan_to_unit(D("991823.00"), "万元") == D("99.18")
    assert yuan_to_unit(D("1813200"), "万元") == D("181.32")
    assert yuan_to_unit(D("991823.00"), "元") == D("991823.00")
    assert yuan_to_unit(None, "万元") is None


def test_each_seed_declaration_carries_to_a_self_evaluation(declarations):
    expected_initial = {  # 年度资金申请总额 (元) → 年初预算数 (万元)
        "行业信访、安全及保障稳定的应急工作专项": D("99.18"),
        "绿化市容行政服务工作": D("97.50"),
        "热线服务保障经费": D("181.32"),
        "全市绿化、市容、环卫、林业诉求处置督查督办": D("35.00"),
    }
    for decl in declarations.projects:
        se = to_self_evaluation(decl, declarations.settings)
        assert isinstance(se, SelfEvaluation)
        # identity, for later summaries
        assert (se.name, se.year, se.department, se.unit) == (
            decl.name, decl.year, decl.department, decl.unit)
        assert [(i.level1, i.level2, i.name, i.target) for i in se.indicators] == [
            (i.level1, i.level2, i.name, i.target) for i in decl.indicators]
        assert all(i.actual is None and i.score is None and i.reason is None for i in se.indicators)
        weights = [i.weight for i in se.indicators]
        assert all(w is not None and w == w.quantize(D("0.01")) for w in weights)
        assert se.funds.weight + sum(weights) == D(100)
        assert se.funds.total.initial_budget == expected_initial[decl.name]
        assert se.funds.fiscal.initial_budget == expected_initial[decl.name]
        assert se.funds.carryover.initial_budget == D(0)
        assert se.funds.total.budget is None and se.funds.total.executed is None
        assert se.expected_goal == decl.annual_goal
    # 热线: 10 产出/成本 indicators share 50, 4 效益 share 30, 1 满意度 10.
    hot = to_self_evaluation(declarations.projects[2], declarations.settings)
    assert [i.weight for i in hot.indicators] == [D("5.00")] * 10 + [D("7.50")] * 4 + [D("10.00")]


def test_money_unit_yuan_keeps_yuan(declarations):
    se = to_self_evaluation(declarations.projects[0], Settings(money_unit="元"))
    assert se.funds.total.initial_budget == D("991823.00")


def test_next_year_declaration_keeps_targets_and_hints_actuals(self_evaluations):
    for se in self_evaluations.projects:
        decl = to_next_declaration(se)
        assert isinstance(decl, Declaration) and decl.year == 2024
        assert (decl.name, decl.department, decl.unit) == (se.name, se.department, se.unit)
        assert [(i.name, i.target) for i in decl.indicators] == [
            (i.name, i.target) for i in se.indicators]
        assert all(i.actual is None and i.weight is None for i in decl.indicators)
        assert actual_hints(se) == [i.actual for i in se.indicators]
    hot = to_next_declaration(self_evaluations.projects[0])
    cost = [i for i in hot.indicators if i.name == "热线服务保障经费成本控制情况"][0]
    # the older 产出指标/成本指标 moves to the 2021 guide's first-level 成本指标
    assert (cost.level1, cost.level2) == ("成本指标", "经济成本指标")
    assert actual_hints(self_evaluations.projects[0])[0] == "8.00(人)"


def test_carry_file_picks_the_right_form(declarations, self_evaluations):
    forward, hints = carry_file(declarations)
    assert [p.form.value for p in forward.projects] == ["self_evaluation"] * 4
    assert hints == [[], [], [], []]
    assert carry_file(declarations, next_year=True)[0].projects == []
    back, hints = carry_file(self_evaluations, next_year=True)
    assert [p.year for p in back.projects] == [2024] * 4
    assert hints[0][2] == "34487.00(件)"
    assert HINT_HEADER == "上年实际完成值（参考）"


# --- the seed check: scores like the core ----------------------------------------------


def _filled(decl: Declaration, settings: Settings, last: SelfEvaluation) -> SelfEvaluation:
    """The carried self-evaluation filled with last year's actuals where the names match."""
    from perfxl.rules.targets import parse_target

    se = to_self_evaluation(decl, settings)
    for ind in se.indicators:
        # by name; a name used twice (测评数据差异化归集: 件 and 万元 in 2023) by name and unit
        same = [i for i in last.indicators if i.name == ind.name]
        unit = parse_target(ind.target).unit
        same = [i for i in same if parse_target(i.target).unit == unit] or same
        if same:
            ind.actual = same[0].actual
    se.funds.total.budget = last.funds.total.budget
    se.funds.total.executed = last.funds.total.executed
    return se


# Carried indicators that have a 2023 actual, with the score worked out by hand from
# domain.md's rules (weight as carried: R1 shares of 50/30/10 over the 2026 indicator count).
HAND_SCORED = {
    "行业信访、安全及保障稳定的应急工作专项": {
        # R3 overrun, linear: 2.64 × (1 − (37.51 − 27.18) / 27.18) = 1.6366 → R6r 1.63
        "信访安全、防台防汛、值班应急保障经费成本控制情况": ("2.64", "1.63"),
        # R3: 15.94 ≤ 28.00 → full weight
        "综合服务保障应急专项事务服务保障费成本控制情况": ("2.64", "2.64"),
    },
    "绿化市容行政服务工作": {},
    "热线服务保障经费": {
        # R2e: 5 × 24 / 17520 = 0.0068 → 0.00
        "热线受理值班时长": ("5.00", "0.00"),
        # R3: actual 0 → full weight
        "有责投诉率": ("7.50", "7.50"),
        # R5 部分达成, band [4.5, 6): largest whole score inside → 5
        "长效管理机制健全性": ("7.50", "5.00"),
        # R2: 88.38 ≥ 85 → full weight
        "市民满意度评分": ("10.00", "10.00"),
    },
    "全市绿化、市容、环卫、林业诉求处置督查督办": {
        # R3: 4.17 × (1 − 9 / 13) = 1.2830 → 1.28
        "行业诉求处置录音回放测评成本控制情况": ("4.17", "1.28"),
        # R3: 4.17 × (1 − 5 / 13.2) = 2.5904 → 2.59
        "热线诉求回访满意度补救成本控制情况": ("4.17", "2.59"),
        "数据统计汇总成本控制情况": ("4.17", "4.17"),  # 3.80 ≤ 6.00
        "行业诉求处置录音回放测评（先行联系、办理答复）": ("4.17", "4.17"),  # 11181 ≥ 6500
        "热线诉求回访满意度补救": ("4.17", "4.17"),  # 7100 ≥ 6000
        "数据统计汇总": ("4.17", "3.39"),  # R2: 4.17 × 35 / 43 = 3.3941 → 3.39
        "测评数据差异化归集": ("4.17", "4.17"),  # 2680 ≥ 1400
        "大数据集成数据反馈": ("4.16", "4.16"),  # R2e: 100 = 100
        # R5 部分达成, band [2.496, 3.328): 3
        "项目按计划时间及时完成": ("4.16", "3.00"),
        "“12345”诉求预审机制健全性": ("10.00", "10.00"),  # R5 达成 → full weight
        "行业市民满意度": ("10.00", "10.00"),  # 88.38 ≥ 85
    },
}
# execution score (R6) + the hand scores above
HAND_TOTALS = {
    "行业信访、安全及保障稳定的应急工作专项": "12.18",  # 7.91 + 1.63 + 2.64
    "绿化市容行政服务工作": "10.00",
    "热线服务保障经费": "32.48",  # 9.98 + 0 + 7.50 + 5 + 10
    "全市绿化、市容、环卫、林业诉求处置督查督办": "61.10",
}


def test_carried_seed_scores_by_hand(declarations, self_evaluations, published):
    """Each 2026 declaration carried to a self-evaluation and filled with the 2023 actuals of the
    same indicators scores what the rules give by hand, and keeps the published 2023 execution
    score (same budget, same execution: R6)."""
    from perfxl.rules.scoring import score_project

    last_by_name = {p.name: p for p in self_evaluations.projects}
    published_execution = {p["name"]: p["execution_score"] for p in published}
    settings = declarations.settings
    for decl in declarations.projects:
        last = last_by_name[SAME_PROJECT[decl.name]]
        scored = score_project(_filled(decl, settings, last), settings)
        assert str(scored.execution_score) == published_execution[last.name]
        got = {s.indicator.name: (str(s.weight), str(s.suggested))
               for s in scored.indicators if s.indicator.actual is not None}
        assert got == HAND_SCORED[decl.name], decl.name
        assert str(scored.total) == HAND_TOTALS[decl.name]


# --- workbooks (the forms module writes and reads them) -----------------------------------------


@pytest.fixture(scope="module")
def workbook_api():
    from perfxl.forms import workbook

    return workbook


def test_carry_workbook_declaration_to_self_evaluation(workbook_api, tmp_path):
    from perfxl.carry import carry_workbook

    declarations = load_seed("declaration_2026.json")
    src = tmp_path / "decl.xlsx"
    workbook_api.write_projects(declarations, src)
    out = tmp_path / "self.xlsx"
    carry_workbook(src, out)
    back, _ = workbook_api.read_projects(out)
    declarations, _ = workbook_api.read_projects(src)  # targets as the v2 cells spell them
    assert [p.form.value for p in back.projects] == ["self_evaluation"] * 4
    for decl, se in zip(declarations.projects, back.projects):
        assert (se.name, se.department, se.unit, se.year) == (
            decl.name, decl.department, decl.unit, decl.year)
        assert [i.target for i in se.indicators] == [i.target for i in decl.indicators]
        assert se.funds.weight + sum(i.weight for i in se.indicators) == D(100)
        assert all(i.actual is None for i in se.indicators)


def test_carry_workbook_next_year_with_hint_column(workbook_api, tmp_path):
    from openpyxl import load_workbook
    from openpyxl.utils import range_boundaries

    from perfxl.carry import carry_workbook
    from perfxl.model import locate

    ses = load_seed("self_evaluation_2023.json")
    src = tmp_path / "self.xlsx"
    workbook_api.write_projects(ses, src)
    out = tmp_path / "decl.xlsx"
    carry_workbook(src, out, next_year=True)
    back, _ = workbook_api.read_projects(out)
    ses, _ = workbook_api.read_projects(src)  # targets and actuals as the v2 cells spell them
    wb = load_workbook(out)
    for se, decl in zip(ses.projects, back.projects):
        assert decl.form.value == "declaration" and decl.year == 2024
        assert [i.target for i in decl.indicators] == [i.target for i in se.indicators]
        for last, ind in zip(se.indicators, decl.indicators):
            sheet, cell = locate(decl, ind, "target")
            ws = wb[sheet]
            row = ws[cell].row
            hint_cells = [c for c in ws[row] if c.value == last.actual
                          and c.column > ws[cell].column]
            assert hint_cells, (sheet, cell, last.actual)
            col = hint_cells[0].column
            for area in (ws.print_area or "").split(","):
                if area:
                    assert col > range_boundaries(area.split("!")[-1].replace("$", ""))[2]
            header = [ws.cell(row=r, column=col).value for r in range(1, row)]
            assert "上年实际完成值（参考）" in header


@pytest.mark.libreoffice
def test_carried_and_filled_workbook_recalculates_like_the_core(workbook_api, tmp_path):
    """The carried 2026 self-evaluations, filled with the 2023 actuals, laid out as a workbook and
    recalculated by LibreOffice: every total and grade formula equals score_project."""
    from openpyxl import load_workbook

    from perfxl.libreoffice import recalculate
    from perfxl.model import ProjectFile
    from perfxl.rules.scoring import score_project

    declarations = load_seed("declaration_2026.json")
    last = {p.name: p for p in load_seed("self_evaluation_2023.json").projects}
    filled = [_filled(d, declarations.settings, last[SAME_PROJECT[d.name]])
              for d in declarations.projects]
    pf = ProjectFile(settings=declarations.settings, projects=filled)
    src = tmp_path / "carried.xlsx"
    workbook_api.write_projects(pf, src)
    recalced = recalculate([src], tmp_path / "lo")[0]
    values = load_workbook(recalced, data_only=True)
    back, _ = workbook_api.read_projects(recalced)
    for project, read in zip(filled, back.projects):
        core = score_project(project, pf.settings)
        sheet, total_cell = read._cells["total"]
        assert D(str(values[sheet][total_cell].value)).quantize(D("0.01")) == core.total, project.name
        assert values[sheet][read._cells["grade"][1]].value == core.grade
