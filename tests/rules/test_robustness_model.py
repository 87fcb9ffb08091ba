"""Fuzzing the checks with broken projects built in memory from the seeds (no workbook I/O).

Every generated project is a seed project with defects injected at random indicators: malformed
target and actual texts, blank names, absurd weights and scores, duplicated rows and projects.
``check_file`` must never raise, and each injected defect must be reported at its location.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfxl.model import ProjectFile, locate
from tests.conftest import load_seed
from tests.strategies import damaged_target_texts, target_texts

from perfxl.rules import checks, targets

SEEDS = {
    "self": load_seed("self_evaluation_2023.json"),
    "decl": load_seed("declaration_2026.json"),
}


def fuzz(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


_PIECES = ["≥", "≤", ">=", "=", "＞", "9", "9.00", "1,000", "８５", "0", "-3", "(", ")", "（", "）", "人",
           "%", "百分比", "万元", "元/小时", "件", "及时", "提高", "达成年度指标", "部分达成", " ", "\n",
           "左右", "NaN", "1e999", "#DIV/0!", "=cmd|'/C calc'!A0", "@SUM(A1)", "\x00", "约", "—"]
texts = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(_PIECES), max_size=7).map("".join),
    target_texts().map(lambda case: case[0]),  # as staff type them (domain.md §1, §5)
    damaged_target_texts().map(lambda case: case[0]),
)
decimals = st.one_of(
    st.none(),
    st.decimals(min_value=-1000, max_value=1000, places=2),
    st.sampled_from([Decimal(0), Decimal("1E+12"), Decimal("-0.001"), Decimal("100.005")]),
)


@st.composite
def broken_files(draw):
    seed = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    pi = draw(st.integers(0, len(seed.projects) - 1))
    project = seed.projects[pi].model_copy(deep=True)
    pf = ProjectFile(settings=seed.settings, projects=[project])
    defects = []
    for _ in range(draw(st.integers(1, 4))):
        if not project.indicators:
            break
        ii = draw(st.integers(0, len(project.indicators) - 1))
        ind = project.indicators[ii]
        kind = draw(st.sampled_from(["target", "actual", "weight", "score", "reason", "name", "level",
                                     "dup_row", "drop_row", "dup_project", "funds"]))
        if kind == "target":
            ind.target = draw(texts)
            defects.append(("target", ind))
        elif kind == "actual":
            ind.actual = draw(st.one_of(st.none(), texts))
            defects.append(("actual", ind))
        elif kind == "weight":
            w = draw(decimals)
            ind.weight = None if w is None or w < 0 else w
        elif kind == "score":
            ind.score = draw(decimals)
        elif kind == "reason":
            ind.reason = draw(st.one_of(st.none(), texts))
        elif kind == "name":
            ind.name = draw(st.sampled_from(["", " ", "\u3000", ind.name * 2, "=1+1"]))
        elif kind == "level":
            ind.level1 = draw(st.sampled_from(["", "成本指标", "产出指标", "乱写", ind.level2]))
            ind.level2 = draw(st.sampled_from(["", "时效指标", "经济成本指标", "乱写"]))
        elif kind == "dup_row":
            project.indicators.insert(ii, ind.model_copy())
        elif kind == "drop_row":
            del project.indicators[ii]
        elif kind == "dup_project":
            pf.projects.append(project.model_copy(deep=True))
        elif kind == "funds" and hasattr(project.funds, "total"):
            project.funds.total.budget = draw(st.one_of(st.none(), st.decimals(0, 10**9, places=2)))
            project.funds.weight = draw(st.decimals(0, 50, places=1))
    return pf, project, [(k, ind) for k, ind in defects if any(i is ind for i in project.indicators)]


def _target_ok(text: str) -> bool:
    try:
        targets.parse_target(text)
    except ValueError:
        return False
    return True


@fuzz(700)
@given(broken_files())
def test_checks_never_crash_and_report_each_broken_target(case):
    pf, project, defects = case
    findings = checks.check_file(pf)
    assert all(f.code and f.message and f.sheet for f in findings)
    at = {(f.code, f.sheet, f.cell) for f in findings}
    for kind, ind in defects:
        if kind != "target":
            continue
        sheet, cell = locate(project, ind, "target")
        if not ind.target.strip():
            assert ("X508", sheet, cell) in at, (ind.target, findings)
        elif not _target_ok(ind.target):
            assert ("T101", sheet, cell) in at, (ind.target, findings)


@fuzz(300)
@given(broken_files())
def test_unreadable_actuals_reported_at_their_cell(case):
    pf, project, defects = case
    if project.form.value != "self_evaluation":
        return
    findings = checks.check_file(pf)
    at = {(f.code, f.sheet, f.cell) for f in findings}
    for kind, ind in defects:
        if kind != "actual" or ind.actual is None or not ind.actual.strip():
            continue
        try:
            targets.parse_actual(ind.actual)
        except ValueError:
            sheet, cell = locate(project, ind, "actual")
            assert ("T102", sheet, cell) in at or ("T107", sheet, cell) in at, (ind.actual, findings)


def test_blank_projects_are_reported_not_crashed():
    assert checks.check_file(ProjectFile()) == []
    pf = ProjectFile.model_validate(
        {"projects": [{"form": "self_evaluation", "name": "", "year": 2023},
                      {"form": "declaration", "name": "", "year": 2026}]}
    )
    got = {(f.code, f.cell) for f in checks.check_file(pf)}
    # the self-evaluation: weights 10 (execution) + 0 ≠ 100 (R1), and no indicators at all;
    # the declaration: no indicators at all
    assert {("S201", "funds.weight"), ("X502", "indicators"), ("X501", "indicators")} <= got, got


def test_huge_weight_is_reported_in_the_weight_sum():
    project = SEEDS["self"].projects[0].model_copy(deep=True)
    pf = ProjectFile(settings=SEEDS["self"].settings, projects=[project])
    before = {(f.code, f.cell) for f in checks.check_file(pf)}
    assert project.indicators[0].weight == Decimal("6.00")
    project.indicators[0].weight = Decimal("1E+20")
    after = checks.check_file(pf)
    added = {(f.code, f.cell) for f in after} - before
    assert ("S201", "funds.weight") in added, added
    s201 = next(f for f in after if f.code == "S201")
    # 10 (execution) + 1E+20 + the other third-level weights (90 − 6 = 84), in full (R1)
    assert "100000000000000000094.00" in s201.message, s201.message


def test_cell_locations_belong_to_each_model_and_travel_with_it():
    """A model's recorded cells (perfxl.model's private slot, set without a PrivateAttr): one
    dict per instance, kept by pickling (the summary's workers) and by deep copies, never part
    of the JSON."""
    import pickle

    from perfxl.model import Indicator, locations, set_location

    a = Indicator(level1="产出指标", level2="数量指标", name="甲", target="≥1(个)")
    b = Indicator(level1="产出指标", level2="数量指标", name="乙", target="≥1(个)")
    set_location(a, "target", "项目", "D13")
    assert locations(a) == {"target": ("项目", "D13")} and locations(b) == {}
    again = pickle.loads(pickle.dumps(a))
    assert locations(again) == locations(a) and again == a
    deep = a.model_copy(deep=True)
    set_location(deep, "name", "项目", "C13")
    assert locations(a) == {"target": ("项目", "D13")} and a._cells is not deep._cells
    assert "D13" not in a.model_dump_json()
