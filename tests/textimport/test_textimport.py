"""Reading the published forms' tab-separated text (perfxl.textimport)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfxl.findings import RULES, Severity
from perfxl.model import Declaration, ProjectFile, SelfEvaluation
from perfxl.textimport import read_text, read_text_full
from perfxl.demo import seed_dir

FIXTURES = seed_dir()
SELF_TXT = "published_self_evaluation_2023.txt"
DECL_TXT = "published_declaration_2026.txt"


def seed_text(name: str) -> Path:
    """The published seed texts ship as package data (perfxl/data/seeds)."""
    return FIXTURES / name


def codes(findings, code=None):
    return [(f.code, f.cell) for f in findings if code is None or f.code == code]


# --- the seeds against the hand-transcribed fixtures ------------------------------------------


def _diff(expected, actual, path="") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual), key=str):
            if key not in actual:
                out.append(f"{path}.{key}: missing (expected {expected[key]!r})")
            elif key not in expected:
                out.append(f"{path}.{key}: unexpected {actual[key]!r}")
            else:
                out += _diff(expected[key], actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = [f"{path}: {len(actual)} items, expected {len(expected)}"] if len(
            expected
        ) != len(actual) else []
        for i, (e, a) in enumerate(zip(expected, actual)):
            out += _diff(e, a, f"{path}[{i}]")
        return out
    return [] if expected == actual else [f"{path}: got {actual!r}, expected {expected!r}"]


@pytest.mark.parametrize(
    ("text", "fixture"),
    [(SELF_TXT, "self_evaluation_2023.json"), (DECL_TXT, "declaration_2026.json")],
)
def test_seed_text_equals_fixture(text, fixture):
    expected = ProjectFile.model_validate_json((FIXTURES / fixture).read_text(encoding="utf-8"))
    got, findings = read_text(seed_text(text))
    assert not [f for f in findings if f.severity is not Severity.INFO], findings
    assert [p.name for p in got.projects] == [p.name for p in expected.projects]
    problems = _diff(expected.settings.model_dump(mode="json"), got.settings.model_dump(mode="json"),
                     "settings")
    for n, (e, a) in enumerate(zip(expected.projects, got.projects)):
        problems += _diff(e.model_dump(mode="json"), a.model_dump(mode="json"), f"projects[{n}]")
    assert not problems, "\n".join(problems)
    assert got.model_dump() == expected.model_dump()


def test_self_evaluation_seed_values():
    pf, findings = read_text(seed_text(SELF_TXT))
    assert [type(p) for p in pf.projects] == [SelfEvaluation] * 4
    hotline = pf.projects[0]
    assert (hotline.name, hotline.year) == ("热线服务保障经费", 2023)
    assert hotline.funds.total.budget == Decimal("187.92")
    assert hotline.funds.total.executed == Decimal("187.63")
    assert str(hotline.funds.weight) == "10.00"
    first = hotline.indicators[0]
    assert (first.level1, first.level2, first.name) == ("产出指标", "数量指标", "热线派遣人员数量")
    assert (first.target, first.actual) == ("≥9.00(人)", "8.00(人)")
    assert (str(first.weight), str(first.score)) == ("6.00", "5.00")
    assert first.reason.startswith("偏差原因：一是服务项目人员有进出")
    # older layout: 成本指标 under 产出指标
    cost = hotline.indicators[7]
    assert (cost.level1, cost.level2, cost.target) == ("产出指标", "成本指标", "≤187.92(万元)")
    # line 25: 社会效益指标 printed in the level1 column, 效益指标 only at line 28
    social = hotline.indicators[8]
    assert (social.level1, social.level2, social.name) == ("效益指标", "社会效益指标", "对热线诉求处置的作用")
    assert (social.actual, social.reason[:5]) == ("部分达成指标并具有一定效果", "偏差原因：")
    complaint = hotline.indicators[9]
    assert (complaint.level2, complaint.name, complaint.reason) == ("社会效益指标", "有责投诉率", None)
    i903 = [f for f in findings if f.code == "I903"]
    assert [f.cell for f in i903] == ["第25行"]
    assert i903[0].message == "第25行：“社会效益指标”按二级指标处理，一级指标推断为“效益指标”"
    assert i903[0].sheet == SELF_TXT
    # the 应急 project keeps its cost row under 时效指标 (a real problem the checks report)
    emergency = pf.projects[2]
    assert emergency.indicators[11].level2 == "时效指标"
    assert emergency.indicators[11].target == "≤37.50(万元)"
    # HTML paragraphs joined with a newline
    assert emergency.expected_goal.count("\n") == 3
    assert "<p>" not in pf.projects[1].expected_goal
    # line 68 shifted right by one column; reason empty
    last = pf.projects[1].indicators[-1]
    assert (last.level1, last.name, str(last.score), last.reason) == (
        "满意度指标", "行业市民满意度", "10.00", None)
    assert ("I901", "第68行") in codes(findings)


def test_printed_totals_cross_check():
    """R6r: the printed total is the plain sum of the displayed scores (domain.md §4)."""
    result = read_text_full(seed_text(SELF_TXT))
    totals = []
    for project, printed in zip(result.project_file.projects, result.printed):
        weights = sum(i.weight for i in project.indicators) + project.funds.weight
        scores = sum(i.score for i in project.indicators) + printed.fund_score
        assert weights == printed.total_weight == 100
        assert scores == printed.total_score
        assert printed.grade == "优"
        totals.append(str(printed.total_score))
    assert totals == ["90.98", "92", "90.91", "92"]
    published = json.loads((FIXTURES / "published_2023.json").read_text(encoding="utf-8"))
    assert [
        {"name": p.name, "execution_rate": str(p.fund_rates["total"]),
         "execution_score": str(p.fund_score), "total": str(p.total_score), "grade": p.grade}
        for p in result.printed
    ] == published


def test_declaration_seed_values():
    pf, findings = read_text(seed_text(DECL_TXT))
    assert [type(p) for p in pf.projects] == [Declaration] * 4
    assert [p.year for p in pf.projects] == [2026] * 4
    hotline = pf.projects[2]
    assert hotline.funds.annual_total == Decimal("1813200.00")
    assert str(hotline.funds.annual_total) == "1813200.00"
    assert hotline.funds.project_total is None
    assert hotline.start_date.isoformat() == "2026-01-01"
    # 2021+ layout: 成本指标 is a level1; the split cells of lines 91/93 joined
    first = hotline.indicators[0]
    assert (first.level1, first.level2, first.name, first.target) == (
        "成本指标", "经济成本指标", "前端诉件受理、甄别分类、对口移送成本控制情况", "≤72.00(万元)")
    assert ("I902", "第93行") in codes(findings)
    assert sum(Decimal(i.target[1:-4]) for i in hotline.indicators[:3]) == Decimal("181.32")
    # spaced labels: "服务对象 满意度指 标", "社会效益 指标"
    admin = pf.projects[1]
    assert admin.indicators[-1].level2 == "服务对象满意度指标"
    assert admin.indicators[-2].level2 == "社会效益指标"
    # line 73: the name sits in the level1 column; 产出/时效 carried forward
    late = admin.indicators[18]
    assert (late.level1, late.level2, late.name, late.target) == (
        "产出指标", "时效指标", "及时响应、完成各类突发性、临时性工作", "≤24.00(小时)")
    assert ("I901", "第73行") in codes(findings)
    # published typo kept
    assert pf.projects[0].indicators[18].name == "信访安全、防汛防汛、值班应急保障按计划时间及时完成"
    assert pf.projects[0].annual_goal.startswith("为深入贯彻落实")
    assert pf.projects[0].overall_goal == ""
    assert all(f.severity is Severity.INFO for f in findings)


def test_rules_registered():
    for code in ("I901", "I902", "I903", "I904", "I905", "I906", "I907", "I908", "I910",
                 "I911", "I912", "I913"):
        rule = RULES[code]
        assert rule.title and rule.rationale and rule.source
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.title)


# --- synthetic variations ----------------------------------------------------------------------

SELF = """# 财政项目支出绩效自评表
(2024年度)
项目名称\t示例项目
主管部门\t某局\t\t实施单位\t某中心
项目资金 (万元)\t\t年初预算数\t全年预算数\t全年执行数\t分数\t执行率(%)\t得分
\t年度资金总额\t1,200.00\t1,100.00\t990.00\t10.00\t90.00\t9.00
\t其中：当年财政拨款\t1,200.00\t1,100.00\t990.00\t-\t90.00\t-
\t上年结转资金\t0.00\t0.00\t0.00\t-\t0.00\t-
\t其他资金\t0.00\t0.00\t0.00\t-\t0.00\t-
年度 总体 目标\t预期目标\t\t\t实际完成情况
\t<p>第一段</p> <p>第二段</p>\t\t\t<b>已完成</b>
一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析
产出指标\t数量指标\t培训人数\t≥100(人)\t120.00(人)\t30.00\t30.00\t
\t质量指标\t合格率\t≥90.00(%)\t95.00(%)\t20.00\t20.00\t
效益指标\t社会效益指标\t服务作用\t有效保障\t达成指标\t30.00\t27.00\t尚有提升空间
满意度指标\t服务对象满意度指标\t满意度\t≥85.00(%)\t90.00(%)\t10.00\t10.00\t
\t\t\t\t100\t96.00
评分等级\t优
"""

DECL = """财政项目支出绩效目标申报表\t\t\t
(2026 年度)\t\t\t
项目名称\t示例项目\t项目性质\t经常性专项业务费\t项目类别\t特定目标类
主管部门\t某局\t实施单位\t某中心
计划开始日期\t2026-01-01\t计划完成日期\t2026-12-31
项目资金 (元)\t项目资金总额:\t\t年度资金申请总额:\t1,813,200.00
\t其中: 财政资金\t\t其中: 当年财政拨款\t1,813,200.00
\t\t\t上年结转资金\t0.00
\t其他资金\t\t其他资金\t0.00
项目 绩效 目标\t项目总目标\t\t年度总体目标
\t\t\t年度目标文字
\t一级指标\t二级指标\t三级指标\t年度(/项目)指标值
绩效 指标\t成本指标\t经济成本 指标\t服务成本控制情况\t≤181.32(万元)
\t产出指标\t数量指标\t受理诉件\t≥30000.00(件)
\t\t质量指标\t准确率\t≥90.00(百分比)
\t效益指标\t社会效益指标\t有责投诉率\t≤0.01(百分比)
\t满意度指标\t服务对象满意度指标\t市民满意度评分\t≥85.00(百分比)
"""


def _line_of(text: str, needle: str) -> str:
    for no, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return f"第{no}行"
    raise AssertionError(needle)


def test_synthetic_baseline_has_no_guesses():
    for text in (SELF, DECL):
        pf, findings = read_text(text)
        assert findings == []
        assert len(pf.projects) == 1
    pf, _ = read_text(SELF)
    p = pf.projects[0]
    assert p.expected_goal == "第一段\n第二段" and p.achieved_goal == "已完成"
    assert p.funds.total.initial_budget == Decimal("1200.00")
    assert [i.level2 for i in p.indicators] == ["数量指标", "质量指标", "社会效益指标", "服务对象满意度指标"]
    d = read_text(DECL)[0].projects[0]
    assert d.funds.annual_total == Decimal("1813200.00") and d.funds.project_total is None
    assert d.annual_goal == "年度目标文字" and d.overall_goal == ""
    assert d.indicators[0].level2 == "经济成本指标"


def test_shifted_row_is_read_and_reported():
    shifted = SELF.replace("\t质量指标\t合格率", "质量指标\t合格率")  # one column to the left
    shifted = shifted.replace("效益指标\t社会效益指标\t服务作用", "\t\t效益指标\t社会效益指标\t服务作用")
    pf, findings = read_text(shifted)
    base = read_text(SELF)[0]
    assert pf.model_dump() == base.model_dump()
    assert codes(findings, "I901") == [
        ("I901", _line_of(shifted, "合格率")),
        ("I901", _line_of(shifted, "服务作用")),
    ]
    assert "左移1列" in findings[0].message and "右移2列" in findings[1].message


def test_collapsed_actual_cell_reported():
    text = SELF.replace("≥100(人)\t120.00(人)\t", "≥100(人)\t\t")
    pf, findings = read_text(text)
    ind = pf.projects[0].indicators[0]
    assert (ind.target, ind.actual, str(ind.weight)) == ("≥100(人)", None, "30.00")
    assert ("I911", _line_of(text, "培训人数")) in codes(findings)


def test_split_name_is_joined_and_reported():
    text = DECL.replace("\t\t质量指标\t准确率\t", "\t\t质量指标\t准确\t").replace(
        "\t效益指标\t社会效益指标", "\t\t\t率\t\n\t效益指标\t社会效益指标"
    )
    pf, findings = read_text(text)
    assert pf.projects[0].indicators[2].name == "准确率"
    assert len(pf.projects[0].indicators) == 5
    assert codes(findings, "I902") == [("I902", _line_of(text, "\t\t\t率"))]
    # a split label ("经济成本" / "指标") and a split table label ("绩效" / "指标")
    text = DECL.replace("绩效 指标\t成本指标\t经济成本 指标\t服务成本控制情况\t≤181.32(万元)",
                        "绩效\t成本指标\t经济成本\t服务成本\t≤181.32(万元)\n\n指标\t指标\t控制情况\t")
    pf, findings = read_text(text)
    first = pf.projects[0].indicators[0]
    assert (first.level1, first.level2, first.name) == ("成本指标", "经济成本指标", "服务成本控制情况")
    assert codes(findings) == [("I902", _line_of(text, "控制情况"))]
    assert "“经济成本”+“指标”→“经济成本指标”" in findings[0].message


def test_split_reason_goes_to_reason():
    text = SELF.replace("尚有提升空间\n", "尚有提升\n\t\t\t\t\t\t\t空间\n")
    pf, findings = read_text(text)
    ind = pf.projects[0].indicators[2]
    assert (ind.name, ind.reason) == ("服务作用", "尚有提升空间")
    assert codes(findings) == [("I902", _line_of(text, "\t空间"))]


def test_missing_categories_are_inferred_and_reported():
    # no level1 on the first row: inferred from 数量指标
    text = SELF.replace("产出指标\t数量指标\t培训人数", "\t数量指标\t培训人数")
    pf, findings = read_text(text)
    assert pf.projects[0].indicators[0].level1 == "产出指标"
    assert codes(findings) == [("I903", _line_of(text, "培训人数"))]
    # 满意度指标 without its level2: the only one is 服务对象满意度指标
    text = SELF.replace("满意度指标\t服务对象满意度指标\t满意度", "满意度指标\t\t满意度")
    pf, findings = read_text(text)
    assert pf.projects[0].indicators[3].level2 == "服务对象满意度指标"
    assert codes(findings) == [("I904", _line_of(text, "\t满意度\t"))]
    # a level2 in the level1 column, its level1 printed further down (merged cell)
    text = SELF.replace("效益指标\t社会效益指标\t服务作用", "社会效益指标\t服务作用")
    pf, findings = read_text(text)
    ind = pf.projects[0].indicators[2]
    assert (ind.level1, ind.level2) == ("效益指标", "社会效益指标")
    assert ("I903", _line_of(text, "服务作用")) in codes(findings)
    # a new level1 whose level2 appears on the group's second row: back-filled
    text = DECL.replace("\t效益指标\t社会效益指标\t有责投诉率\t≤0.01(百分比)",
                        "\t效益指标\t\t有责投诉率\t≤0.01(百分比)\n\t\t社会效益指标\t处置率\t=100.00(百分比)")
    pf, findings = read_text(text)
    assert [i.level2 for i in pf.projects[0].indicators[3:5]] == ["社会效益指标"] * 2
    assert codes(findings) == [("I904", _line_of(text, "有责投诉率"))]


def test_year_missing_is_inferred():
    text = DECL.replace("(2026 年度)\t\t\t\n", "")
    pf, findings = read_text(text)
    assert pf.projects[0].year == 2026
    assert codes(findings) == [("I905", "第1行")]
    # two forms: the second without year takes the first's year
    text = SELF + "\n" + SELF.replace("(2024年度)\n", "")
    pf, findings = read_text(text)
    assert [p.year for p in pf.projects] == [2024, 2024]
    assert [f.code for f in findings] == ["I905"]


def test_unreadable_text_never_raises():
    pf, findings = read_text("这不是绩效表\n随便的文字")
    assert pf.projects == []
    assert [(f.code, f.severity) for f in findings] == [("I913", Severity.ERROR)]
    text = SELF.replace("主管部门\t某局", "乱码行\t???\n主管部门\t某局")
    pf, findings = read_text(text)
    assert len(pf.projects) == 1
    assert codes(findings) == [("I910", _line_of(text, "乱码行"))]
    assert findings[0].severity is Severity.WARNING
    text = SELF.replace("30.00\t27.00", "30.00\t二十七")
    pf, findings = read_text(text)
    ind = pf.projects[0].indicators[2]
    assert (ind.score, str(ind.weight), ind.reason) == (None, "30.00", "尚有提升空间")
    # the printed 总分 96.00 counted the 27 perfxl could not read (it suggests 30): S210
    assert codes(findings) == [("I912", _line_of(text, "服务作用")), ("S210", "第1行")]
    assert "得分“二十七”无法读取" in findings[0].message
    assert "表中总分为 96.00" in findings[1].message


def test_money_unit_from_the_form():
    pf, findings = read_text(SELF.replace("项目资金 (万元)", "项目资金（元）"))
    assert pf.settings.money_unit == "元" and findings == []
    assert read_text(SELF)[0].settings.money_unit == "万元"


def test_path_bytes_and_text_agree(tmp_path):
    path = tmp_path / "forms.txt"
    path.write_bytes(SELF.encode("gb18030"))
    by_path, findings = read_text(path)
    assert by_path.model_dump() == read_text(SELF)[0].model_dump()
    assert findings == []
    by_str, _ = read_text(str(path))
    assert by_str.model_dump() == by_path.model_dump()
    by_bytes = read_text_full(SELF.encode("utf-8")).project_file
    assert by_bytes.model_dump() == by_path.model_dump()
    missing, findings = read_text(str(tmp_path / "nope.txt"))
    assert missing.projects == [] and [f.code for f in findings] == ["I913"]
    assert "找不到文件" in findings[0].message
    crlf, _ = read_text(SELF.replace("\n", "\r\n"))
    assert crlf.model_dump() == by_path.model_dump()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_text_never_raises(data):
    lines = (SELF + DECL).split("\n")
    for _ in range(data.draw(st.integers(0, 6))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "shift", "cut", "junk"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "shift":
            lines[i] = "\t" + lines[i]
        elif op == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
        else:
            lines[i] = data.draw(st.text(max_size=20))
        if not lines:
            break
    pf, findings = read_text("\n".join(lines))
    assert isinstance(pf, ProjectFile)
    assert all(f.cell == "" or f.cell.startswith("第") for f in findings)
    assert not any("读取文本时出错" in f.message for f in findings)  # no internal exception
