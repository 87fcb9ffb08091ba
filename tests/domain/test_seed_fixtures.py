"""Guards for the hand-transcribed seed fixtures (perfxl/data/seeds/*.json).

The arithmetic checks are the transcription's own self-check: domain.md R1 (weights sum to 100)
and the published totals of the 2023 seed (indicator scores + execution score = 总分, R6r).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from perfxl.model import Declaration, Form, ProjectFile, Rounding, SelfEvaluation
from perfxl.demo import seed_dir

SEEDS = seed_dir()


def _load(name: str) -> ProjectFile:
    return ProjectFile.model_validate_json((SEEDS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def se2023() -> ProjectFile:
    return _load("self_evaluation_2023.json")


@pytest.fixture(scope="module")
def de2026() -> ProjectFile:
    return _load("declaration_2026.json")


@pytest.fixture(scope="module")
def published() -> list[dict]:
    return json.loads((SEEDS / "published_2023.json").read_text(encoding="utf-8"))


SE_NAMES = [
    "热线服务保障经费",
    "全市绿化、市容、环卫、林业诉求处置督查督办",
    "行业信访、安全及保障稳定的应急工作专项",
    "绿化市容行政服务工作经费",
]
DE_NAMES = [
    "行业信访、安全及保障稳定的应急工作专项",
    "绿化市容行政服务工作",
    "热线服务保障经费",
    "全市绿化、市容、环卫、林业诉求处置督查督办",
]
LEVELS = {
    "成本指标": {"经济成本指标", "社会成本指标", "生态环境成本指标"},
    "产出指标": {"数量指标", "质量指标", "时效指标", "成本指标"},  # 成本指标: 2023 layout
    "效益指标": {"经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"},
    "满意度指标": {"服务对象满意度指标"},
}


def test_self_evaluation_file(se2023: ProjectFile) -> None:
    assert se2023.settings.money_unit == "万元"
    assert se2023.settings.rounding is Rounding.TRUNCATE
    assert [p.name for p in se2023.projects] == SE_NAMES
    assert all(isinstance(p, SelfEvaluation) and p.form is Form.SELF_EVALUATION for p in se2023.projects)
    assert all(p.year == 2023 for p in se2023.projects)
    assert [len(p.indicators) for p in se2023.projects] == [13, 20, 17, 6]


def test_declaration_file(de2026: ProjectFile) -> None:
    assert [p.name for p in de2026.projects] == DE_NAMES
    assert all(isinstance(p, Declaration) and p.form is Form.DECLARATION for p in de2026.projects)
    assert all(p.year == 2026 for p in de2026.projects)
    assert [len(p.indicators) for p in de2026.projects] == [23, 23, 15, 16]
    assert [p.funds.annual_total for p in de2026.projects] == [
        Decimal("991823"), Decimal("975000"), Decimal("1813200"), Decimal("350000")
    ]
    for p in de2026.projects:
        assert p.funds.annual_fiscal == p.funds.annual_total
        assert p.funds.annual_carryover == 0 and p.funds.annual_other == 0
        assert p.funds.project_total is None
        assert p.overall_goal == "" and p.annual_goal
        assert all(i.actual is None and i.weight is None for i in p.indicators)


def test_levels_are_valid(se2023: ProjectFile, de2026: ProjectFile) -> None:
    for p in [*se2023.projects, *de2026.projects]:
        for i in p.indicators:
            assert i.level2 in LEVELS[i.level1], (p.name, i.name, i.level1, i.level2)
            assert i.target and "<" not in i.name and "<" not in (i.reason or "")
    # the deliberate problem kept from the printed form: a cost row under 时效指标 (应急 2023)
    cost_row = se2023.projects[2].indicators[11]
    assert cost_row.name == "安全生产检查和咨询服务经费成本控制情况"
    assert (cost_row.level1, cost_row.level2, cost_row.target) == ("产出指标", "时效指标", "≤37.50(万元)")


def test_weights_sum_to_100(se2023: ProjectFile) -> None:
    for p in se2023.projects:
        assert p.funds.weight == Decimal("10")
        assert sum(i.weight for i in p.indicators) + p.funds.weight == 100, p.name


def test_scores_sum_to_published_total(se2023: ProjectFile, published: list[dict]) -> None:
    assert [x["name"] for x in published] == SE_NAMES
    assert [x["total"] for x in published] == ["90.98", "92", "90.91", "92"]
    assert {x["grade"] for x in published} == {"优"}
    for p, pub in zip(se2023.projects, published, strict=True):
        typed = sum(i.score for i in p.indicators)
        assert typed + Decimal(pub["execution_score"]) == Decimal(pub["total"]), p.name


def test_published_execution_numbers(se2023: ProjectFile, published: list[dict]) -> None:
    # R6/R6r: 执行率 = 执行数 / 全年预算数, truncated; score = rate × 10 truncated.
    for p, pub in zip(se2023.projects, published, strict=True):
        rate = (p.funds.total.executed / p.funds.total.budget * 100).quantize(
            Decimal("0.01"), rounding="ROUND_DOWN"
        )
        assert rate == Decimal(pub["execution_rate"]), p.name
        score = min(rate / 100 * p.funds.weight, p.funds.weight).quantize(
            Decimal("0.01"), rounding="ROUND_DOWN"
        )
        assert score == Decimal(pub["execution_score"]), p.name
    hot = se2023.projects[0].funds
    assert (hot.total.initial_budget, hot.total.budget, hot.total.executed) == (
        Decimal("187.92"), Decimal("187.92"), Decimal("187.63")
    )
