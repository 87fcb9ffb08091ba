"""Carry forward (issue 6): declaration → self-evaluation → next year's declaration.

Pure model tests first (R1 weights, funds in 万元, identity), then the seed check of the issue:
each 2026 seed declaration carried and filled with the 2023 actuals of the same project (where
indicator names match) scores like the core; then the workbook round trip.
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


def test_carried_seed_scores_like_the_core(declarations, self_evaluations):
    scoring = pytest.importorskip("perfxl.rules.scoring")
    last_by_name = {p.name: p for p in self_evaluations.projects}
    settings = declarations.settings
    matched_total = 0
    for decl in declarations.projects:
        last = last_by_name[SAME_PROJECT[decl.name]]
        se = _filled(decl, settings, last)
        scored = scoring.score_project(se, settings)
        core_last = {s.indicator.name: s for s in scoring.score_project(last, settings).indicators}
        # the execution score is last year's: same budget, same execution (R6)
        assert scored.execution_score == scoring.score_project(last, settings).execution_score
        for s in scored.indicators:
            assert s.weight == s.indicator.weight
            if s.indicator.actual is None:
                continue
            assert s.suggested is not None and D(0) <= s.suggested <= s.weight
            prev = core_last[s.indicator.name]
            if s.indicator.target == prev.indicator.target and prev.suggested is not None:
                matched_total += 1
                if s.target.quantitative and s.actual.level is None:
                    # same target, same actual: the same fraction of the weight (R2/R3, up to
                    # R6r's cent)
                    mine, theirs = s.suggested / s.weight, prev.suggested / prev.weight
                    assert abs(mine - theirs) <= D("0.01") / min(s.weight, prev.weight) + D("1e-9")
                else:  # R5: the same achievement level, inside its band
                    assert s.actual.level == prev.actual.level
                    assert scoring.in_band(s.suggested, s.weight, s.actual.level)
        assert scored.total == (scored.execution_score or 0) + sum(
            s.suggested for s in scored.indicators if s.suggested is not None)
        assert D(0) < scored.total <= D(100)
    assert matched_total >= 5, matched_total  # the seeds share several unchanged indicators


# --- workbooks (the forms module writes and reads them) -----------------------------------------


@pytest.fixture(scope="module")
def workbook_api():
    return pytest.importorskip("perfxl.forms.workbook")


def test_carry_workbook_declaration_to_self_evaluation(workbook_api, tmp_path):
    from perfxl.carry import carry_workbook

    declarations = load_seed("declaration_2026.json")
    src = tmp_path / "decl.xlsx"
    workbook_api.write_projects(declarations, src)
    out = tmp_path / "self.xlsx"
    carry_workbook(src, out)
    back, _ = workbook_api.read_projects(out)
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


def test_carried_and_filled_workbook_recalculates_like_the_core(workbook_api, tmp_path):
    """The carried 2026 self-evaluations, filled with the 2023 actuals, laid out as a workbook and
    recalculated by LibreOffice: every total and grade formula equals score_project."""
    import shutil

    from openpyxl import load_workbook

    from perfxl.libreoffice import recalculate
    from perfxl.model import ProjectFile
    from perfxl.rules.scoring import score_project

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice not installed")
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
