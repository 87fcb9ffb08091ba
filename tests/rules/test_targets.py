"""Parsing of targets (年度指标值) and actuals (实际完成值): domain.md §1."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfxl
from perfxl.model import ProjectFile
from perfxl.rules.targets import (
    Achievement,
    Target,
    format_actual,
    format_target,
    has_comparator,
    normalize_unit,
    parse_actual,
    parse_level,
    parse_target,
    percent_spelling,
    same_unit,
)

from perfxl.demo import seed_dir
from tests.strategies import damaged_target_texts, target_texts

SEEDS = seed_dir()
D = Decimal


def test_public_entry_point():
    t = perfxl.parse_target("≥9.00(人)")
    assert (t.comparator, t.value, t.unit, t.qualitative) == ("≥", D("9.00"), "人", None)
    assert t.quantitative


@pytest.mark.parametrize(
    "text, comparator, value, unit",
    [
        ("≥9.00(人)", "≥", "9.00", "人"),
        ("=24.00(小时)", "=", "24", "小时"),
        ("≤187.92(万元)", "≤", "187.92", "万元"),
        ("=17520.00(小时)", "=", "17520", "小时"),
        ("≥85.00(%)", "≥", "85", "%"),
        ("≥90.00(百分比)", "≥", "90", "%"),
        ("≤30.00(元/小时)", "≤", "30", "元/小时"),
        ("=24.00(小时/天)", "=", "24", "小时/天"),
        (">=90%", "≥", "90", "%"),
        ("<=5(天)", "≤", "5", "天"),
        ("≥50个", "≥", "50", "个"),
        ("≥100百分比", "≥", "100", "%"),
        ("≥11000(件)", "≥", "11000", "件"),
        ("≥11000（件）", "≥", "11000", "件"),
        ("≤40.00(元/份 (册))", "≤", "40", "元/份(册)"),
        ("≤40.00（元/份（册））", "≤", "40", "元/份(册)"),
        ("≥5400.00(份(册))", "≥", "5400", "份(册)"),
        ("＞＝５０％", "≥", "50", "%"),
        ("＞3(次)", ">", "3", "次"),
        ("＜2(%)", "<", "2", "%"),
        ("＝1(份)", "=", "1", "份"),
        ("≧8(人)", "≥", "8", "人"),
        ("≦0.01(百分比)", "≤", "0.01", "%"),
        ("> 3 次", ">", "3", "次"),
        ("≥90.00", "≥", "90", None),
        ("≥ 1,813,200.00 (元)", "≥", "1813200", "元"),
        ("不少于12次", "≥", "12", "次"),
        ("不超过2%", "≤", "2", "%"),
        ("12次以上", "≥", "12", "次"),
        ("5天以内", "≤", "5", "天"),
        ("≥-5(%)", "≥", "-5", "%"),
    ],
)
def test_quantitative_forms(text, comparator, value, unit):
    t = parse_target(text)
    assert t.text == text
    assert t.comparator == comparator
    assert t.value == D(value)
    assert t.unit == unit
    assert t.qualitative is None and t.quantitative


def test_value_keeps_its_decimals():
    assert str(parse_target("≥9.00(人)").value) == "9.00"
    assert str(parse_target("≥11000(件)").value) == "11000"


@pytest.mark.parametrize(
    "text",
    ["及时", "健全", "有效保障", "可持续", "提高", "提升", "严格执行相关制度规定", "达到预期",
     " 及时 ", "高于同期水平"],
)
def test_qualitative(text):
    t = parse_target(text)
    assert t.qualitative == text.strip()
    assert t.comparator is None and t.value is None and t.unit is None
    assert not t.quantitative
    assert format_target(t) == text.strip()


def test_bare_number_is_read_as_equal():
    t = parse_target("100(%)")
    assert (t.comparator, t.value, t.unit) == ("=", D(100), "%")
    assert not has_comparator("100(%)")
    assert has_comparator("≥100(%)") and has_comparator("12次以上")


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "为空"),
        ("   ", "为空"),
        ("≥(人)", "比较符“≥”后缺少数值"),
        ("≥", "比较符“≥”后缺少数值"),
        ("<=", "比较符“≤”后缺少数值"),
        ("≥9.00(人)左右", "不是单位"),
        ("≥9abc!!", "不是单位"),
        ("≥5.0.0", "不是单位"),
        ("≥9.00()", "括号内缺少单位"),
        ("≥50(份)(册)", "不是单位"),
        ("≥9.00(人", "不是单位"),
        ("全年12次", "不以比较符或数值开头"),
        ("--", "无法识别"),
    ],
)
def test_unreadable_target_says_what_was_expected(text, says):
    with pytest.raises(ValueError) as e:
        parse_target(text)
    msg = str(e.value)
    assert says in msg
    assert "比较符+数值+单位" in msg and "≥9.00(人)" in msg and "及时" in msg


def test_unreadable_message_quotes_the_text():
    with pytest.raises(ValueError, match="无法识别指标值“≥\\(人\\)”"):
        parse_target("≥(人)")


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("≥9(人)", "≥9.00(人)"),
        (">=90%", "≥90.00(%)"),
        ("≥100百分比", "≥100.00(%)"),
        ("≤40.00(元/份 (册))", "≤40.00(元/份(册))"),
        ("≥90.00", "≥90.00"),
        ("≤0.005(%)", "≤0.005(%)"),
        ("及时", "及时"),
    ],
)
def test_format_target(text, canonical):
    assert format_target(parse_target(text)) == canonical
    assert str(parse_target(text)) == canonical


# --- achievement levels -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, level",
    [
        ("达成年度指标", Achievement.MET),
        ("达成指标", Achievement.MET),
        ("达成预期指标", Achievement.MET),
        ("达成", Achievement.MET),
        ("已达成年度指标。", Achievement.MET),
        ("部分达成年度指标并具有一定效果", Achievement.PARTIAL),
        ("部分达成指标并具有一定效果", Achievement.PARTIAL),
        ("部分达成预期指标并具有一定效果", Achievement.PARTIAL),
        ("部分达成预期指标", Achievement.PARTIAL),
        ("部分达成", Achievement.PARTIAL),
        ("未达成年度指标且效果较差", Achievement.NOT_MET),
        ("未达成指标且效果较差", Achievement.NOT_MET),
        ("未达成预期指标且效果较差", Achievement.NOT_MET),
        ("未达成预期指标", Achievement.NOT_MET),
        ("未达成", Achievement.NOT_MET),
        (" 部分达成指标 并具有一定效果 ", Achievement.PARTIAL),
    ],
)
def test_levels_national_shanghai_anhui(text, level):
    assert parse_level(text) is level
    a = parse_actual(text)
    assert a.level is level and a.value is None and a.unit is None


def test_negative_levels_are_never_read_as_met():
    # the suffix 达成…指标 appears inside both negative phrases
    for text in ("未达成年度指标且效果较差", "部分达成年度指标并具有一定效果", "未达成指标且效果较差",
                 "部分达成指标并具有一定效果", "未达成预期指标", "部分达成预期指标"):
        assert parse_level(text) is not Achievement.MET


@pytest.mark.parametrize("text", ["基本完成", "基本达成但有不足", "达成指标，效果很好", "完成率高", ""])
def test_not_a_level(text):
    assert parse_level(text) is None


def test_level_phrase_and_labels():
    assert Achievement.MET.value == "达成"
    assert Achievement.PARTIAL.phrase == "部分达成年度指标并具有一定效果"
    assert format_actual(parse_actual("部分达成指标并具有一定效果")) == "部分达成年度指标并具有一定效果"


# --- actual values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value, unit",
    [
        ("8.00(人)", "8", "人"),
        ("88.38(%)", "88.38", "%"),
        ("96.70(百分比)", "96.70", "%"),
        ("0.00(百分比)", "0", "%"),
        ("24582.00(件)", "24582", "件"),
        ("8", "8", None),
        ("93%", "93", "%"),
        ("=24.00(小时)", "24", "小时"),
        ("1,813,200.00(元)", "1813200", "元"),
        ("120.00(本)", "120", "本"),
    ],
)
def test_actual_numbers(text, value, unit):
    a = parse_actual(text)
    assert (a.value, a.unit, a.level) == (D(value), unit, None)
    assert a.quantitative


@pytest.mark.parametrize("text, says", [("", "为空"), ("基本完成", "缺少数值"),
                                         ("8人左右(人)", "不是单位")])
def test_unreadable_actual(text, says):
    with pytest.raises(ValueError) as e:
        parse_actual(text)
    assert says in str(e.value)
    assert "8.00(人)" in str(e.value) and "达成年度指标" in str(e.value)


# --- units ----------------------------------------------------------------------------------------


def test_same_unit():
    assert same_unit("%", "百分比")
    assert same_unit("％", "(百分比)")
    assert same_unit("（件）", "件")
    assert same_unit("元/份 (册)", "元/份(册)")
    assert same_unit(None, None)
    assert not same_unit("件", "次")
    assert not same_unit("%", None)
    assert normalize_unit("（%）") == "%"
    assert normalize_unit("") is None


def test_percent_spelling():
    assert percent_spelling("≥90.00(百分比)") == "百分比"
    assert percent_spelling("≥85.00(％)") == "%"
    assert percent_spelling("≥9.00(人)") is None
    assert percent_spelling(None) is None


# --- every target and actual in the seeds ----------------------------------------------------------


def _seed_indicators():
    for name in ("self_evaluation_2023.json", "declaration_2026.json"):
        pf = ProjectFile.model_validate_json((SEEDS / name).read_text(encoding="utf-8"))
        for p in pf.projects:
            yield from p.indicators


def test_every_seed_text_parses_and_round_trips():
    n = 0
    for ind in _seed_indicators():
        t = parse_target(ind.target)
        again = parse_target(format_target(t))
        assert (again.comparator, again.value, again.unit, again.qualitative) == (
            t.comparator, t.value, t.unit, t.qualitative)
        if ind.actual is not None:
            a = parse_actual(ind.actual)
            b = parse_actual(format_actual(a))
            assert (a.value, a.unit, a.level) == (b.value, b.unit, b.level)
            if t.quantitative:
                assert a.value is not None and same_unit(a.unit, t.unit), ind.name
            else:
                assert a.level is not None, ind.name
        n += 1
    assert n == 56 + 77  # 2023: 13+20+17+6; 2026: 23+23+15+16


# --- properties -----------------------------------------------------------------------------------

@given(target_texts())
def test_property_parse_any_spelling(case):
    text, comp, value, unit = case
    t = parse_target(text)
    assert (t.comparator, t.value, t.unit) == (comp, value, unit)


@given(target_texts())
def test_property_parse_format_parse_is_stable(case):
    t = parse_target(case[0])
    s = format_target(t)
    t2 = parse_target(s)
    assert (t2.comparator, t2.value, t2.unit, t2.qualitative) == (
        t.comparator, t.value, t.unit, t.qualitative)
    assert format_target(t2) == s


@given(st.text(alphabet="及时健全有效保障可持续提高提升严格执行相关制度规定", min_size=1, max_size=20))
def test_property_qualitative_round_trip(word):
    t = parse_target(word)
    assert t.qualitative == word
    assert parse_target(format_target(t)) == Target(word, None, None, None, word)


@given(damaged_target_texts())
def test_property_damaged_targets_are_refused_with_the_text_quoted(case):
    text, kind = case
    with pytest.raises(ValueError) as e:
        parse_target(text)
    message = str(e.value)
    assert f"无法识别指标值“{text}”" in message, (kind, message)
    assert "应为 比较符+数值+单位" in message, (kind, message)


# --- issue 15: what other offices write ----------------------------------------------------------


@pytest.mark.parametrize("word", ["及时", "完成", "已完成", "合格", "是", "达标", "按时", "有效", "良好",
                                  " 达标。"])
def test_plain_words_that_mean_met(word):
    assert parse_level(word) is Achievement.MET
    assert parse_actual(word).level is Achievement.MET


@pytest.mark.parametrize("word", ["未完成", "部分完成", "不合格", "否"])
def test_negative_words_are_not_met(word):
    assert parse_level(word) is not Achievement.MET


def test_actual_with_a_comparator_reads_its_number():
    a = parse_actual("≥266米")
    assert (a.value, a.unit, a.comparator) == (Decimal("266"), "米", "≥")
    assert parse_actual("＞8.00（人）").comparator == ">"
    assert parse_actual("=8.00(人)").comparator is None
    assert parse_actual("8.00(人)").comparator is None


@pytest.mark.parametrize("text, comparator, value", [
    ("＞90.00(%)", ">", "90.00"), ("＜5(天)", "<", "5"), ("＝24.00(小时)", "=", "24.00"),
    ("≧95%", "≥", "95"), ("≦187.92(万元)", "≤", "187.92"), ("═24.00(小时)", "=", "24.00"),
    ("大于等于90%", "≥", "90"), ("不低于95%", "≥", "95"), ("不超过30(元/小时)", "≤", "30"),
    ("12次以上", "≥", "12"), ("5天以内", "≤", "5"), ("不少于9人", "≥", "9"),
    ("小于等于3(天)", "≤", "3"),
])
def test_comparator_look_alikes(text, comparator, value):
    t = parse_target(text)
    assert (t.comparator, t.value) == (comparator, Decimal(value))
