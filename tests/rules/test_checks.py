"""Checks (domain.md §3, issue 2 part 5): codes, severities, locations and messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perfxl.findings import RULES, Severity, has_errors
from perfxl.model import (
    Declaration,
    DeclarationFunds,
    FundRow,
    Indicator,
    ProjectFile,
    SelfEvaluation,
    SelfEvaluationFunds,
    Settings,
    set_location,
    set_sheet,
)
from perfxl.rules.checks import CHECKS, check_file, check_project, check_years
from perfxl.rules.scoring import score_project
from perfxl.rules.checks import check_scored
from perfxl.demo import seed_dir

SEEDS = seed_dir()
D = Decimal

热线, 督查, 应急, 行政 = (
    "热线服务保障经费",
    "全市绿化、市容、环卫、林业诉求处置督查督办",
    "行业信访、安全及保障稳定的应急工作专项",
    "绿化市容行政服务工作经费",
)


def load(name: str) -> ProjectFile:
    return ProjectFile.model_validate_json((SEEDS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def se2023() -> ProjectFile:
    return load("self_evaluation_2023.json")


@pytest.fixture(scope="module")
def dc2026() -> ProjectFile:
    return load("declaration_2026.json")


@pytest.fixture(scope="module")
def findings2023(se2023):
    return check_file(se2023)


@pytest.fixture(scope="module")
def findings2026(dc2026):
    return check_file(dc2026)


def keyed(findings, severity=None):
    return {(f.code, f.sheet, f.cell) for f in findings if severity is None or f.severity is severity}


def one(findings, code, sheet, cell):
    hits = [f for f in findings if (f.code, f.sheet, f.cell) == (code, sheet, cell)]
    assert len(hits) == 1, (code, sheet, cell, [str(f) for f in findings])
    return hits[0]


# --- the seeds: what domain.md §4 says they contain ----------------------------------------------


def test_seed_2023_退单_without_reason(findings2023):
    f = one(findings2023, "D301", 热线, "indicators[3].reason")
    assert f.severity is Severity.ERROR
    assert f.message == "“退单”得分 5.00 低于分值 6.00，但未填写偏差原因分析（R7）"


def test_seed_2023_项目的可持续性_without_reason(findings2023):
    f = one(findings2023, "D301", 行政, "indicators[4].reason")
    assert "项目的可持续性" in f.message and "13.00" in f.message and "15.00" in f.message


def test_seed_2023_部分达成_scored_exactly_80_percent(findings2023):
    f = one(findings2023, "S205", 行政, "indicators[5].score")
    assert f.severity is Severity.ERROR
    assert "长效管理机制健全性" in f.message and "部分达成" in f.message
    assert "8.00" in f.message and "80" in f.message and "[6.00, 8.00)" in f.message


def test_seed_2023_unexplained_over_achievement(findings2023):
    f = one(findings2023, "S209", 热线, "indicators[1].actual")
    assert f.severity is Severity.WARNING and "122.9%" in f.message and "24582.00" in f.message
    assert "123.2%" in one(findings2023, "S209", 热线, "indicators[2].actual").message
    assert "167.5%" in one(findings2023, "S209", 督查, "indicators[3].actual").message
    # ≥ 130 %: the reason is mandatory
    f = one(findings2023, "D303", 督查, "indicators[3].reason")
    assert f.severity is Severity.ERROR and "测评数据差异化归集" in f.message
    assert "2680.00" in f.message and "1600.00" in f.message
    # 122.9 % and 123.2 % are below 130 %: no reason required
    assert not [f for f in findings2023 if f.code == "D303" and f.sheet == 热线]


def test_seed_2023_应急_cost_ceilings_exceed_budget(findings2023):
    f = one(findings2023, "F403", 应急, "funds.total.initial_budget")
    assert f.severity is Severity.ERROR
    assert "37.50 + 58.00 + 20.00 = 115.50" in f.message and "115.34" in f.message


def test_seed_2023_cost_row_under_时效指标(findings2023):
    f = one(findings2023, "X505", 应急, "indicators[11].level2")
    assert f.severity is Severity.ERROR and "安全生产检查和咨询服务经费成本控制情况" in f.message


def test_seed_2023_low_execution_unexplained(findings2023):
    f = one(findings2023, "D304", 应急, "funds.total.executed")
    assert "79.18" in f.message and f.severity is Severity.WARNING


def test_seed_2023_errors_are_exactly_the_real_problems(findings2023):
    assert keyed(findings2023, Severity.ERROR) == {
        ("D301", 热线, "indicators[3].reason"),
        ("D303", 督查, "indicators[3].reason"),
        ("F403", 应急, "funds.total.initial_budget"),
        ("X505", 应急, "indicators[11].level2"),
        ("S205", 行政, "indicators[5].score"),
        ("D301", 行政, "indicators[4].reason"),
    }


def test_seed_2023_warnings(findings2023):
    assert keyed(findings2023, Severity.WARNING) == {
        ("T105", 热线, "indicators[12].target"),  # ≥85.00(%) among 百分比
        ("S209", 热线, "indicators[1].actual"),
        ("S209", 热线, "indicators[2].actual"),
        ("S209", 督查, "indicators[3].actual"),
        ("X507", 督查, "indicators[13].name"),  # 测评数据差异化归集 as 数量 and as 成本
        ("D304", 应急, "funds.total.executed"),
        ("X502", 行政, "indicators"),  # no 满意度指标
    }


def test_seed_2023_infos(findings2023):
    infos = keyed(findings2023, Severity.INFO)
    assert ("S203", 行政, "funds.weight") in infos  # 效益 40, no 满意度
    missing_decimals = {c for code, s, c in infos if code == "T104"}
    assert missing_decimals == {f"indicators[{i}].target" for i in (0, 1, 3, 4, 5, 6, 7, 8, 14, 15, 19)}
    assert all(s == 督查 for code, s, c in infos if code == "T104")


def test_seed_2026_no_errors_cost_ceilings_agree(findings2026):
    assert not has_errors(findings2026), [str(f) for f in findings2026 if f.severity is Severity.ERROR]
    assert not [f for f in findings2026 if f.code in ("F403", "F404", "F405")]


def test_seed_2026_防汛防汛(findings2026):
    f = one(findings2026, "N801", 应急, "indicators[18].name")
    assert "防汛防汛" in f.message
    # the only repeated text in all seed texts (goals, names, reasons, targets)
    assert [f for f in findings2026 if f.code == "N801"] == [f]


def test_seed_2026_all_findings(findings2026):
    assert keyed(findings2026) == {
        ("N801", 应急, "indicators[18].name"),
        ("T105", 应急, "indicators[20].target"),  # =100.00(百分比) among %
        ("T104", "绿化市容行政服务工作", "indicators[21].target"),
        ("T104", 督查, "indicators[8].target"),
        ("T104", 督查, "indicators[9].target"),
        ("T104", 督查, "indicators[15].target"),
    }


def test_no_n801_in_2023(findings2023):
    assert not [f for f in findings2023 if f.code == "N801"]


def test_seed_cross_year():
    prev = {p.name: p for p in load("self_evaluation_2023.json").projects}
    cur = {p.name: p for p in load("declaration_2026.json").projects}
    f = check_years(prev[热线], cur[热线])
    assert keyed(f) == {("Y601", 热线, "indicators[3].target"), ("Y601", 热线, "indicators[14].target")}
    msg = one(f, "Y601", 热线, "indicators[3].target").message
    assert "≥30000.00(件)" in msg and "34487.00(件)" in msg and "对口移送" in msg
    f = check_years(prev[督查], cur[督查])
    assert {c for _, _, c in keyed(f)} == {
        "indicators[4].target", "indicators[5].target", "indicators[7].target", "indicators[15].target"}
    # cost ceilings (≤) and higher targets are not reported; 应急's equal targets match
    assert check_years(prev[应急], cur[应急]) == []
    assert all(f.severity is Severity.WARNING for f in check_years(prev[行政], cur["绿化市容行政服务工作"]))


# --- small projects, one rule at a time ---------------------------------------------------------


def ind(name="甲", target="≥10.00(件)", actual="10.00(件)", weight="10", score="10", reason=None,
        level1="产出指标", level2="数量指标"):
    return Indicator(level1=level1, level2=level2, name=name, target=target, actual=actual,
                     weight=None if weight is None else D(weight),
                     score=None if score is None else D(score), reason=reason)


def complete(*extra, exec_weight="10"):
    """A self-evaluation whose weights add to 100 and that has all three categories."""
    base = [
        ind("产出一", weight="50", score="50"),
        ind("效益一", target="及时", actual="达成指标", weight="30", score="30",
            level1="效益指标", level2="社会效益指标"),
        ind("满意度", target="≥85.00(%)", actual="90.00(%)", weight="10", score="10",
            level1="满意度指标", level2="服务对象满意度指标"),
    ]
    return SelfEvaluation(
        name="测试项目", year=2024, department="测试局", unit="测试中心",
        achieved_goal="全部完成",
        funds=SelfEvaluationFunds(
            total=FundRow(initial_budget=D(100), budget=D(100), executed=D(100)),
            fiscal=FundRow(initial_budget=D(100), budget=D(100), executed=D(100)),
            weight=D(exec_weight)),
        indicators=base + list(extra),
    )


def codes(project, settings=None):
    return sorted((f.code, f.cell) for f in check_project(project, settings or Settings()))


def test_clean_project_has_no_findings():
    assert codes(complete()) == []


def test_weights_total_and_typed_score_range():
    p = complete(ind("多余", weight="5", score="6"))
    assert ("S201", "funds.weight") in codes(p)
    assert ("S204", "indicators[3].score") in codes(p)
    msg = [f.message for f in check_project(p) if f.code == "S201"][0]
    assert "105.00" in msg and "应为 100" in msg


def test_weight_and_score_missing():
    p = complete()
    p.indicators[0].weight = None
    p.indicators[1].score = None
    c = codes(p)
    assert ("S207", "indicators[0].weight") in c
    assert ("S208", "indicators[1].score") in c
    assert not [x for x in c if x[0] == "S201"]  # not summed while a weight is missing


def test_parent_weight_in_level_name():
    p = complete()
    p.indicators[0].level1 = "产出指标（40分）"
    assert ("S202", "indicators[0].level1") in codes(p)
    msg = [f.message for f in check_project(p) if f.code == "S202"][0]
    assert "40.00 分" in msg and "50.00" in msg
    p.indicators[0].level1 = "产出指标(50分)"
    assert not [x for x in codes(p) if x[0] in ("S202", "X504")]
    p.indicators[0].level2 = "数量指标（45分）"
    assert ("S202", "indicators[0].level2") in codes(p)


def test_r1_default_split_is_info_only():
    p = complete()
    assert codes(p) == []
    p.indicators[0].weight, p.indicators[1].weight = D(40), D(40)
    p.indicators[0].score, p.indicators[1].score = D(40), D(40)
    f = [f for f in check_project(p) if f.code == "S203"][0]
    assert f.severity is Severity.INFO


@pytest.mark.parametrize(
    "actual, score, code",
    [
        ("达成指标", "7.99", "S205"),  # below 80 %
        ("达成指标", "8", None),  # exactly 80 % is 达成
        ("部分达成指标并具有一定效果", "8", "S205"),  # exactly 80 % is not 部分达成
        ("部分达成指标并具有一定效果", "6", None),  # exactly 60 % is 部分达成
        ("部分达成指标并具有一定效果", "5.99", "S205"),
        ("未达成指标且效果较差", "6", "S205"),
        ("未达成指标且效果较差", "0", None),
    ],
)
def test_r5_band_check(actual, score, code):
    p = complete(ind("定性", target="健全", actual=actual, weight="10", score=score,
                     reason="有原因", level1="效益指标", level2="可持续影响指标"))
    got = [c for c, cell in codes(p) if cell == "indicators[3].score"]
    assert got == ([code] if code else [])


def test_reason_rules_one_finding_per_indicator():
    s = Settings()
    p = complete(
        ind("低分", weight="0", score="0"),
    )
    p.indicators[0].score = D(30)  # below weight 50, no reason → D301
    p.indicators[2].actual = "80.00(%)"  # missed 85 %, full score typed, no reason → D302
    c = codes(p, s)
    assert ("D301", "indicators[0].reason") in c
    assert ("D302", "indicators[2].reason") in c
    assert ("S206", "indicators[2].score") in c  # 10 typed, rule gives 9.41
    assert len([x for x in c if x[1] == "indicators[0].reason"]) == 1
    p.indicators[0].reason = "原因：人员变动。"
    p.indicators[2].reason = "—"  # a dash is not a reason
    c = codes(p, s)
    assert ("D301", "indicators[0].reason") not in c
    assert ("D302", "indicators[2].reason") in c


def test_over_achievement_thresholds_are_settings():
    p = complete()
    p.indicators[0].actual = "12.50(件)"  # 125 %
    assert ("S209", "indicators[0].actual") in codes(p)
    assert not [x for x in codes(p) if x[0] == "D303"]
    strict = Settings(over_achievement_reason_required=D("1.25"))
    assert ("D303", "indicators[0].reason") in codes(p, strict)
    lax = Settings(over_achievement_flag=D("1.30"))
    assert not [x for x in codes(p, lax) if x[0] == "S209"]
    p.indicators[0].reason = "超额原因：需求增加。"
    assert ("S209", "indicators[0].actual") in codes(p)  # the flag stays: target may be low
    assert not [x for x in codes(p, strict) if x[0] == "D303"]


def test_over_achievement_not_for_lower_is_better():
    p = complete()
    p.indicators[0].target = "≤10.00(万元)"
    p.indicators[0].actual = "5.00(万元)"
    assert not [x for x in codes(p) if x[0] in ("S209", "D303")]


def test_low_execution_explained_or_not():
    p = complete()
    p.funds.total.executed = D(85)
    p.funds.fiscal.executed = D(85)
    assert ("D304", "funds.total.executed") in codes(p)
    p.achieved_goal = "部分合同尾款下年支付，预算执行率偏低。"
    assert ("D304", "funds.total.executed") not in codes(p)
    assert ("D304", "funds.total.executed") not in codes(p, Settings(execution_reason_below=D("0.80")))


def test_fund_rows_add_up():
    p = complete()
    p.funds.fiscal.budget = D(90)
    p.funds.carryover = FundRow(initial_budget=D(0), budget=D(5), executed=D(0))
    f = [f for f in check_project(p) if f.code == "F401"]
    assert [x.cell for x in f] == ["funds.total.budget"]
    assert "95.00" in f[0].message and "100.00" in f[0].message
    p.funds.other = FundRow(budget=D(5))
    assert not [x for x in check_project(p) if x.code == "F401"]


def test_executed_above_budget_is_a_warning():
    p = complete()
    p.funds.total.executed = D(101)
    p.funds.fiscal.executed = D(101)
    f = [f for f in check_project(p) if f.code == "F402"]
    assert {x.cell for x in f} == {"funds.total.executed", "funds.fiscal.executed"}
    assert all(x.severity is Severity.WARNING for x in f)


def test_negative_money_is_refused_by_the_model():
    with pytest.raises(ValueError):
        FundRow(budget=D(-1))


def declaration(*indicators, annual="1813200", year=2026):
    base = [
        Indicator(level1="产出指标", level2="数量指标", name="数量", target="≥100.00(件)"),
        Indicator(level1="效益指标", level2="社会效益指标", name="效益", target="提高"),
        Indicator(level1="满意度指标", level2="服务对象满意度指标", name="满意", target="≥85.00(%)"),
    ]
    return Declaration(name="申报项目", year=year, department="测试局", unit="测试中心",
                       funds=DeclarationFunds(annual_total=D(annual), annual_fiscal=D(annual),
                                              annual_carryover=D(0), annual_other=D(0)),
                       indicators=list(indicators) + base)


def cost(name, target, level1="成本指标", level2="经济成本指标"):
    return Indicator(level1=level1, level2=level2, name=name, target=target)


@pytest.mark.parametrize(
    "ceilings, annual, code",
    [
        (["≤72.00(万元)", "≤39.24(万元)", "≤70.08(万元)"], "1813200", None),
        (["≤44.00(万元)", "≤27.18(万元)", "≤28.00(万元)"], "991823", None),  # 99.18 at 2 decimals
        (["≤44.00(万元)", "≤27.18(万元)", "≤28.00(万元)"], "991700", "F403"),
        (["≤44.00(万元)", "≤27.18(万元)", "≤28.00(万元)"], "995000", "F404"),
        (["≤440000(元)", "≤271800(元)", "≤280000(元)"], "991823", None),
    ],
)
def test_declaration_cost_ceilings(ceilings, annual, code):
    p = declaration(*[cost(f"成本{i}", t) for i, t in enumerate(ceilings)], annual=annual)
    got = [(f.code, f.cell) for f in check_project(p) if f.code.startswith("F")]
    assert got == ([(code, "funds.annual_total")] if code else [])


def test_unit_costs_checked_only_with_quantities():
    # 2026 行政服务: per-unit costs, some with quantities: 675,000 元 at most → no finding
    p = declaration(
        cost("单价一", "≤30.00(元/件)"),
        cost("单价二", "≤20.00(元/件)"),
        cost("驻场", "≤30.00(元/小时)"),  # no 数量指标 in 小时: left out
        Indicator(level1="产出指标", level2="数量指标", name="受理", target="≥8000.00(件)"),
        Indicator(level1="产出指标", level2="数量指标", name="帮办", target="≥2350.00(件)"),
        Indicator(level1="产出指标", level2="时效指标", name="时长", target="=8.00(小时)"),
        annual="975000")
    assert not [f for f in check_project(p) if f.code.startswith("F")]
    # two costs per 件, three 件 quantities (100 from declaration()): the least it can cost is
    # the cheapest price × the two smallest quantities = 20 × (100 + 2350) = 49,000 元
    p.funds.annual_total = p.funds.annual_fiscal = D(49000)
    assert not [f for f in check_project(p) if f.code == "F405"]
    p.funds.annual_total = p.funds.annual_fiscal = D(48999)
    f = [f for f in check_project(p) if f.code == "F405"]
    assert [x.cell for x in f] == ["funds.annual_total"] and "49000.00" in f[0].message


def test_declaration_fund_sum():
    p = declaration(cost("成本", "≤181.32(万元)"))
    p.funds.annual_fiscal = D(1800000)
    assert [(f.code, f.cell) for f in check_project(p) if f.code == "F401"] == [
        ("F401", "funds.annual_total")]


def test_declaration_structure_requires_cost_from_2021():
    p = declaration()
    assert [(f.code, f.cell) for f in check_project(p) if f.code.startswith("X")] == [
        ("X501", "indicators")]
    assert "成本指标" in [f.message for f in check_project(p) if f.code == "X501"][0]
    assert not [f for f in check_project(declaration(year=2020)) if f.code == "X501"]
    # the older layout (成本指标 as a 二级 under 产出指标) is accepted
    old = declaration(cost("成本", "≤1.00(万元)", level1="产出指标", level2="成本指标"), annual="10000")
    assert not [f for f in check_project(old) if f.code.startswith("X")]


def test_level2_must_belong_to_level1():
    p = declaration(cost("成本", "≤181.32(万元)"),
                    Indicator(level1="效益指标", level2="质量指标", name="错位", target="≥1.00(次)"),
                    Indicator(level1="产出指标", level2="经济效益 指标", name="错位二", target="≥1.00(次)"),
                    Indicator(level1="满意度指标", level2="满意率", name="怪名", target="≥1.00(次)"))
    got = {(f.code, f.cell) for f in check_project(p) if f.code in ("X503", "X504")}
    assert got == {("X503", "indicators[1].level2"), ("X503", "indicators[2].level2"),
                   ("X504", "indicators[3].level2")}
    # whitespace inside names from printed forms is fine: "服务对象 满意度指 标"
    q = declaration(cost("成本", "≤181.32(万元)"))
    q.indicators[-1].level2 = "服务对象 满意度指 标"
    q.indicators[0].level2 = "经济成本 指标"
    assert not [f for f in check_project(q) if f.code.startswith("X")]


def test_cost_under_timeliness_duplicates_and_empty():
    p = declaration(cost("成本", "≤181.32(万元)"),
                    Indicator(level1="产出指标", level2="时效指标", name="经费成本控制", target="≤1.00(万元)"),
                    Indicator(level1="产出指标", level2="时效指标", name="单位成本", target="≤3.00(元/件)"),
                    Indicator(level1="产出指标", level2="时效指标", name="及时完成", target="及时"),
                    Indicator(level1="产出指标", level2="数量指标", name="数量", target="≥1.00(件)"),
                    Indicator(level1="产出指标", level2="数量指标", name="空", target=" "),
                    Indicator(level1="产出指标", level2="质量指标", name="", target="=100.00(%)"))
    got = {(f.code, f.cell) for f in check_project(p) if f.code.startswith("X")}
    assert ("X505", "indicators[1].level2") in got
    assert ("X505", "indicators[2].level2") in got
    assert ("X505", "indicators[3].level2") not in got
    assert ("X506", "indicators[7].name") in got  # "数量" twice under 数量指标
    assert ("X508", "indicators[5].target") in got
    assert ("X509", "indicators[6].name") in got


def test_unreadable_and_mismatched_texts():
    p = complete(
        ind("读不懂", target="≥(件)", weight="0", score="0"),
        ind("单位不同", target="≥10.00(件)", actual="10.00(次)", weight="0", score="0"),
        ind("类型不符", target="及时", actual="10.00(次)", weight="0", score="0"),
        ind("实际读不懂", target="≥1.00(件)", actual="很好", weight="0", score="0"),
        ind("无实际", target="≥1.00(件)", actual=None, weight="0", score="0"),
        ind("无比较符", target="10.00(件)", weight="0", score="0"),
    )
    got = {(f.code, f.cell) for f in check_project(p)}
    assert {("T101", "indicators[3].target"), ("T106", "indicators[4].actual"),
            ("T107", "indicators[5].actual"), ("T102", "indicators[6].actual"),
            ("T108", "indicators[7].actual"), ("T103", "indicators[8].target")} <= got
    msg = [f.message for f in check_project(p) if f.code == "T101"][0]
    assert msg.startswith("“读不懂”：无法识别指标值“≥(件)”") and "≥9.00(人)" in msg


def test_repeated_characters_not_false_positives():
    p = declaration(cost("成本", "≤181.32(万元)"))
    p.annual_goal = "完善机制制度，专项项目，人人参与，天天巡查，研究研究再定。"
    assert not [f for f in check_project(p) if f.code == "N801"]
    p.annual_goal = "加强管理管理工作"
    assert [(f.code, f.cell) for f in check_project(p) if f.code == "N801"] == [("N801", "annual_goal")]


def test_locations_come_from_the_workbook_when_known():
    p = complete()
    p.indicators[0].score = D(30)
    set_sheet(p, "自评表-测试")
    set_location(p.indicators[0], "reason", "自评表-测试", "H15")
    f = [f for f in check_project(p) if f.code == "D301"][0]
    assert (f.sheet, f.cell) == ("自评表-测试", "H15")
    assert str(f).startswith("自评表-测试!H15: D301 [错误]")


def test_file_level_duplicate_projects():
    p = complete()
    pf = ProjectFile(projects=[p, p.model_copy(deep=True), declaration(cost("成本", "≤181.32(万元)"))])
    pf.projects[2].name = p.name  # a declaration of the same name is a different form: fine
    got = [(f.code, f.sheet, f.cell) for f in check_file(pf) if f.code == "X510"]
    assert got == [("X510", "测试项目", "name")]


# --- the catalogue --------------------------------------------------------------------------------


def test_checks_are_plain_data_and_reuse_one_score(se2023):
    assert isinstance(CHECKS, tuple) and all(callable(c) for c in CHECKS)
    p = se2023.projects[0]
    scored = score_project(p, se2023.settings)
    assert check_scored(scored, se2023.settings) == check_project(p, se2023.settings)


def test_every_finding_code_is_registered(findings2023, findings2026):
    for f in findings2023 + findings2026:
        assert RULES[f.code].severity is f.severity


def test_rule_catalogue_is_complete():
    from perfxl.rules import catalog

    own = [r for r in catalog.CATALOG]
    assert len({r.code for r in own}) == len(own)
    for r in own:
        assert RULES[r.code] is r
        assert r.code[0] in "TSDFXNY" and r.code[1:].isdigit()
        assert r.title and r.rationale and r.source and "domain.md" in r.source
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.title)
    sources = " ".join(r.source for r in own)
    assert "财预〔2020〕10号" in sources and "财预〔2021〕101号" in sources
    # the codes the brief asks for are there
    for code in ("T101", "T102", "S201", "S204", "S205", "S209", "D301", "D304", "F401", "F403",
                 "X501", "X503", "X505", "N801", "Y601"):
        assert code in RULES


def test_t105_not_for_a_percent_typed_as_a_number(se2023):
    """issue 15: 96.7% typed in a percent-formatted cell reads as "96.70%"; that is how a
    percentage is typed as a number, not a "%" spelling among 百分比 (T105 stays for written units)."""
    project = next(p for p in se2023.projects if p.name == 热线).model_copy(deep=True)
    i = next(i for i, ind in enumerate(project.indicators) if "百分比" in ind.target)
    project.indicators[i].actual = "96.70%"
    where = f"indicators[{i}].actual"
    assert ("T105", 热线, where) not in keyed(check_project(project, se2023.settings))
    project.indicators[i].actual = "96.70(%)"  # the unit written out: still a mixed spelling
    assert ("T105", 热线, where) in keyed(check_project(project, se2023.settings))
