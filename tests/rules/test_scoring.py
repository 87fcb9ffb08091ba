"""Scoring rules R1–R8 (domain.md §2) and the published 2023 seed numbers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from perfxl.model import (
    Declaration,
    FundRow,
    Indicator,
    OverrunFormula,
    ProjectFile,
    Rounding,
    SelfEvaluation,
    SelfEvaluationFunds,
    Settings,
)
from perfxl.rules.scoring import (
    band,
    band_top,
    completion_ratio,
    cut2,
    execution_rate,
    execution_score,
    grade,
    in_band,
    score_project,
    suggest_score,
    target_met,
)
from perfxl.rules.targets import Achievement, Target, parse_actual, parse_target
from perfxl.demo import seed_dir

SEEDS = seed_dir()
D = Decimal
TRUNC = Settings()
HALF_UP = Settings(rounding=Rounding.HALF_UP)
RATIO = Settings(overrun_formula=OverrunFormula.RATIO)


def load(name: str) -> ProjectFile:
    return ProjectFile.model_validate_json((SEEDS / name).read_text(encoding="utf-8"))


def funds(budget, executed, weight="10") -> SelfEvaluationFunds:
    row = FundRow(initial_budget=None if budget is None else D(budget),
                  budget=None if budget is None else D(budget),
                  executed=None if executed is None else D(executed))
    return SelfEvaluationFunds(total=row, weight=D(weight))


def suggest(target: str, actual: str | None, weight="10", settings=TRUNC):
    return suggest_score(parse_target(target), None if actual is None else parse_actual(actual),
                         D(weight), settings)


# --- R6r cut2 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, truncate, half_up",
    [
        ("79.187", "79.18", "79.19"),
        ("7.9187", "7.91", "7.92"),
        ("4.517", "4.51", "4.52"),
        ("4.515", "4.51", "4.52"),
        ("28.999999999999996", "29.00", "29.00"),  # float noise is not truncated to 28.99
        ("28.99999", "28.99", "29.00"),
        ("-1.239", "-1.23", "-1.24"),
        ("5", "5.00", "5.00"),
    ],
)
def test_cut2(x, truncate, half_up):
    assert str(cut2(D(x), Rounding.TRUNCATE)) == truncate
    assert str(cut2(D(x), Rounding.HALF_UP)) == half_up
    assert cut2(D(x), "truncate") == D(truncate)


# --- R6 execution ------------------------------------------------------------------------------


def test_execution_seed_numbers():
    f = funds("111.71", "88.46")
    assert execution_rate(f, Rounding.TRUNCATE) == D("79.18")
    assert execution_score(f, Rounding.TRUNCATE) == D("7.91")
    assert execution_rate(f, Rounding.HALF_UP) == D("79.19")
    assert execution_score(f, Rounding.HALF_UP) == D("7.92")
    f = funds("187.92", "187.63")
    assert execution_rate(f, Rounding.TRUNCATE) == D("99.84")
    assert execution_score(f, Rounding.TRUNCATE) == D("9.98")


def test_execution_uses_adjusted_budget_not_initial():
    f = SelfEvaluationFunds(total=FundRow(initial_budget=D("115.34"), budget=D("111.71"),
                                          executed=D("88.46")))
    assert execution_rate(f, Rounding.TRUNCATE) == D("79.18")


def test_execution_score_is_computed_from_the_displayed_rate():
    # 0.79145: rate half_up 79.15 → score 7.915 → 7.92 (from the exact ratio it would be 7.91)
    f = funds("100000", "79145")
    assert execution_rate(f, Rounding.HALF_UP) == D("79.15")
    assert execution_score(f, Rounding.HALF_UP) == D("7.92")


def test_execution_zero_and_missing_budget():
    assert execution_rate(funds("0", "0"), Rounding.TRUNCATE) == D("0")
    assert execution_score(funds("0", "5"), Rounding.TRUNCATE) == D("0")
    assert execution_rate(funds(None, "5"), Rounding.TRUNCATE) is None
    assert execution_score(funds(None, None), Rounding.TRUNCATE) is None
    assert execution_rate(funds("10", None), Rounding.TRUNCATE) is None


def test_execution_score_capped_at_weight_rate_not_capped():
    f = funds("100", "120")
    assert execution_rate(f, Rounding.TRUNCATE) == D("120.00")
    assert execution_score(f, Rounding.TRUNCATE) == D("10.00")
    assert execution_score(funds("100", "50", weight="20"), Rounding.TRUNCATE) == D("10.00")


@given(st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2),
       st.decimals(min_value=D("0"), max_value=D("2000000"), places=2),
       st.sampled_from([D(10), D(20), D(5)]), st.sampled_from(list(Rounding)))
def test_property_execution_score_in_range(budget, executed, weight, rounding):
    f = SelfEvaluationFunds(total=FundRow(budget=budget, executed=executed), weight=weight)
    s = execution_score(f, rounding)
    assert D(0) <= s <= weight
    assert s == s.quantize(D("0.01"))


# --- R2, R2e, R3 ----------------------------------------------------------------------------------


def test_r2_higher_is_better():
    assert suggest("≥9.00(人)", "8.00(人)", "6") == D("5.33")  # 6 × 8/9 = 5.333
    assert suggest("≥12000.00(件)", "10518.00(件)", "6") == D("5.25")  # 6 × 0.8765 = 5.259
    assert suggest("≥12000.00(件)", "10518.00(件)", "6", HALF_UP) == D("5.26")
    assert suggest("≥9.00(人)", "9.00(人)", "6") == D("6")
    assert suggest("≥20000.00(件)", "24582.00(件)", "7") == D("7")  # never above the weight
    assert suggest(">3(次)", "1(次)", "9") == D("3")
    assert suggest("≥90.00(百分比)", "96.70(%)", "7") == D("7")  # % ≡ 百分比
    assert suggest("≥9.00(人)", "8", "6") == D("5.33")  # no unit on the actual: the target's
    assert suggest("≥9.00(人)", "-3(人)", "6") == D("0")


def test_r2e_equal_scored_like_at_least():
    assert suggest("=24.00(小时)", "24.00(小时)", "6") == D("6")
    assert suggest("=24.00(小时)", "12.00(小时)", "6") == D("3")
    assert suggest("=24.00(小时)", "30.00(小时)", "6") == D("6")
    # target 0: actual ≤ 0 full, otherwise 0
    assert suggest("=0(起)", "0(起)", "5") == D("5")
    assert suggest("=0(起)", "1(起)", "5") == D("0")
    assert suggest("≥0(起)", "0(起)", "5") == D("5")


def test_r3_lower_is_better():
    assert suggest("≤187.92(万元)", "187.63(万元)", "6") == D("6")
    assert suggest("≤2.00(百分比)", "0.00(百分比)", "6") == D("6")  # actual 0 → full
    assert suggest("≤0(起)", "0(起)", "6") == D("6")
    assert suggest("≤0(起)", "2(起)", "6") == D("0")  # zero ceiling overrun, no division
    # linear default: weight × (1 − (a − t)/t), 0 at twice the target
    assert suggest("≤100(万元)", "110(万元)", "10") == D("9")
    assert suggest("≤100(万元)", "150(万元)", "10") == D("5")
    assert suggest("≤100(万元)", "200(万元)", "10") == D("0")
    assert suggest("≤100(万元)", "300(万元)", "10") == D("0")
    # alternative: weight × t / a
    assert suggest("≤100(万元)", "200(万元)", "10", RATIO) == D("5")
    assert suggest("≤100(万元)", "300(万元)", "10", RATIO) == D("3.33")
    assert suggest("<2(%)", "3(%)", "6") == D("3")


def test_r5_qualitative_bands():
    assert suggest("及时", "达成指标", "3") == D("3")
    assert suggest("健全", "部分达成指标并具有一定效果", "8") == D("6")
    assert suggest("健全", "部分达成指标并具有一定效果", "10") == D("7")
    assert suggest("健全", "部分达成指标并具有一定效果", "4") == D("3")
    assert suggest("健全", "部分达成指标并具有一定效果", "3") == D("2")
    assert suggest("健全", "未达成年度指标且效果较差", "10") == D("5")
    assert suggest("健全", "未达成年度指标且效果较差", "8") == D("4")
    assert suggest("健全", "部分达成", "1") == D("0.79")
    assert suggest("健全", "未达成", "1") == D("0.59")


def test_unscorable_suggestions_are_none():
    assert suggest("≥9.00(人)", "8.00(次)", "6") is None  # units differ
    assert suggest("及时", "8.00(次)", "6") is None  # a number for a qualitative target
    assert suggest("≥9.00(人)", None, "6") is None
    assert suggest_score(parse_target("≥9(人)"), parse_actual("9(人)"), None, TRUNC) is None


def test_band_edges():
    assert band(Achievement.MET) == (D("0.8"), D("1"))
    assert band(Achievement.PARTIAL) == (D("0.6"), D("0.8"))
    assert band(Achievement.NOT_MET) == (D("0"), D("0.6"))
    w = D(10)
    assert in_band(D(8), w, Achievement.MET) and not in_band(D(8), w, Achievement.PARTIAL)
    assert in_band(D(6), w, Achievement.PARTIAL) and not in_band(D(6), w, Achievement.NOT_MET)
    assert in_band(D("7.99"), w, Achievement.PARTIAL)
    assert in_band(D(10), w, Achievement.MET) and not in_band(D("10.01"), w, Achievement.MET)
    assert in_band(D(0), w, Achievement.NOT_MET)


@given(st.decimals(min_value=D("0.5"), max_value=D(100), places=2), st.sampled_from(list(Achievement)))
def test_property_band_top_is_inside_its_band(weight, level):
    top = band_top(level, weight)
    assert in_band(top, weight, level)
    assert top == top.quantize(D("0.01"))


def test_completion_ratio_and_met():
    assert completion_ratio(parse_target("≥20000.00(件)"), parse_actual("24582.00(件)")) == D("1.2291")
    assert completion_ratio(parse_target("≥20000(件)"), parse_actual("1(次)")) is None
    assert completion_ratio(parse_target("=0(起)"), parse_actual("0(起)")) is None
    assert completion_ratio(parse_target("及时"), parse_actual("达成指标")) is None
    assert target_met(parse_target("≥12000(件)"), parse_actual("10518(件)")) is False
    assert target_met(parse_target("≤2(%)"), parse_actual("0(%)")) is True
    assert target_met(parse_target("及时"), parse_actual("部分达成")) is False
    assert target_met(parse_target("及时"), None) is None


def test_grade_r8():
    assert [grade(D(x)) for x in ("90", "89.99", "80", "79.99", "60", "59.99", "100")] == [
        "优", "良", "良", "中", "中", "差", "优"]
    assert grade(None) is None


# --- properties of suggested scores -----------------------------------------------------------------

_comparators = st.sampled_from(["≥", ">", "=", "≤", "<"])
_amounts = st.decimals(min_value=D("-50"), max_value=D("100000"), places=2)
_weights = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
_settings = st.sampled_from([TRUNC, HALF_UP, RATIO])


def _target(comp: str, value: Decimal) -> Target:
    return Target(f"{comp}{value}(件)", comp, value, "件", None)


def _actual(value: Decimal):
    return parse_actual(f"{value}(件)")


@given(_comparators, _amounts, _amounts, _weights, _settings)
def test_property_score_within_zero_and_weight(comp, t, a, w, settings):
    s = suggest_score(_target(comp, t), _actual(a), w, settings)
    assert s is not None
    assert D(0) <= s <= w
    assert s == s.quantize(D("0.01"))


@given(_comparators, st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2),
       _amounts, _amounts, _weights, _settings)
def test_property_monotone_in_the_direction_of_the_comparator(comp, t, a1, a2, w, settings):
    lo, hi = sorted((a1, a2))
    target = _target(comp, t)
    s_lo = suggest_score(target, _actual(lo), w, settings)
    s_hi = suggest_score(target, _actual(hi), w, settings)
    if comp in ("≥", ">", "="):
        assert s_lo <= s_hi  # R2/R2e: more is never worse
    else:
        assert s_lo >= s_hi or lo <= 0  # R3: more is never better (0 earns the full weight)
        if lo > 0:
            assert s_lo >= s_hi


@given(_comparators, st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2),
       _weights, _settings)
def test_property_meeting_the_target_earns_the_weight(comp, t, w, settings):
    assume(comp not in (">", "<"))
    # weights are drawn with two decimals, so the full weight needs no rounding (R6r)
    assert suggest_score(_target(comp, t), _actual(t), w, settings) == w


@given(_weights, st.sampled_from(list(Achievement)), _settings)
def test_property_level_suggestion_in_band(w, level, settings):
    s = suggest_score(parse_target("及时"), parse_actual(level.phrase), w, settings)
    assert D(0) <= s <= w
    if w >= D("0.05"):
        assert in_band(s, w, level)


# --- the seeds ------------------------------------------------------------------------------------


def test_published_2023_numbers_are_reproduced():
    pf = load("self_evaluation_2023.json")
    published = json.loads((SEEDS / "published_2023.json").read_text(encoding="utf-8"))
    assert [p.name for p in pf.projects] == [p["name"] for p in published]
    for project, pub in zip(pf.projects, published):
        ps = score_project(project, pf.settings)
        assert ps.execution_rate == D(pub["execution_rate"]), project.name
        assert ps.execution_score == D(pub["execution_score"]), project.name
        assert ps.total == D(pub["total"]), project.name
        assert ps.grade == pub["grade"], project.name
        assert str(ps.execution_rate) == pub["execution_rate"]
        assert str(ps.execution_score) == pub["execution_score"]


def test_seed_numbers_literally():
    pf = load("self_evaluation_2023.json")
    got = [score_project(p, pf.settings) for p in pf.projects]
    assert [s.execution_rate for s in got] == [D("99.84"), D("100.00"), D("79.18"), D("100.00")]
    assert [s.execution_score for s in got] == [D("9.98"), D("10.00"), D("7.91"), D("10.00")]
    assert [s.total for s in got] == [D("90.98"), D(92), D("90.91"), D(92)]
    assert {s.grade for s in got} == {"优"}


def test_seed_half_up_third_project():
    pf = load("self_evaluation_2023.json")
    ps = score_project(pf.projects[2], HALF_UP)
    assert (ps.execution_rate, ps.execution_score) == (D("79.19"), D("7.92"))
    assert ps.total == D("90.92")


def test_seed_indicator_scores_keep_typed_and_suggest():
    pf = load("self_evaluation_2023.json")
    ps = score_project(pf.projects[0], pf.settings)
    by = {s.indicator.name: s for s in ps.indicators}
    assert len(ps.indicators) == 13
    t = by["退单"]
    assert (t.weight, t.score, t.suggested, t.effective) == (D(6), D(5), D("5.25"), D(5))
    assert by["热线派遣人员数量"].suggested == D("5.33")
    assert by["对热线诉求处置的作用"].suggested == D(6)  # 部分达成, weight 8 → 6
    assert by["有责投诉率"].suggested == D(6)
    assert by["先行联系和解释安抚"].ratio == D("1.2291")
    assert by["对热线诉求处置的作用"].actual.level is Achievement.PARTIAL
    # 行政服务: 部分达成 weight 10 → suggested 7, typed 8 kept
    s = score_project(pf.projects[3], pf.settings).indicators[5]
    assert (s.score, s.suggested, s.effective) == (D(8), D(7), D(8))


def test_missing_typed_score_uses_the_suggestion_in_the_total():
    p = SelfEvaluation(
        name="测试", year=2024, funds=funds("100", "100"),
        indicators=[
            Indicator(level1="产出指标", level2="数量指标", name="甲", target="≥10(件)",
                      actual="5(件)", weight=D(50)),
            Indicator(level1="效益指标", level2="社会效益指标", name="乙", target="及时",
                      actual="达成指标", weight=D(40), score=D(36)),
        ])
    ps = score_project(p, TRUNC)
    assert [s.effective for s in ps.indicators] == [D(25), D(36)]
    assert ps.total == D(71) and ps.grade == "中"


def test_unreadable_texts_are_kept_with_their_message():
    p = SelfEvaluation(
        name="测试", year=2024,
        indicators=[Indicator(level1="产出指标", level2="数量指标", name="甲", target="≥(件)",
                              actual="很多", weight=D(50), score=D(40))])
    s = score_project(p, TRUNC).indicators[0]
    assert s.target is None and "比较符" in s.target_error
    assert s.actual is None and "实际完成值" in s.actual_error
    assert s.suggested is None and s.effective == D(40)


def test_declaration_has_targets_only():
    pf = load("declaration_2026.json")
    ps = score_project(pf.projects[0], pf.settings)
    assert (ps.execution_rate, ps.execution_score, ps.total, ps.grade) == (None, None, None, None)
    assert len(ps.indicators) == 23
    assert all(s.actual is None and s.suggested is None for s in ps.indicators)
    assert ps.indicators[0].target.value == D("44.00")
    assert isinstance(ps.project, Declaration)


def test_absurd_amounts_do_not_overflow():
    # a number typed into a cell can be huge; cut2's 9-decimal step must not raise
    assert cut2(D("1E+20"), Rounding.TRUNCATE) == D("1E+20")
    assert execution_score(funds("1E+20", "5E+19"), Rounding.TRUNCATE) == D("5.00")
    assert suggest("≥9.00(人)", "8.00(人)", "1E+20") == D("1E+20") * 8 / 9 // D("0.01") * D("0.01")
