"""Pydantic models of the two official forms and of perfxl's settings.

The models hold what a person types on the form (inputs) — never a derived number such as an
execution rate, a total or a grade: those are computed by :mod:`perfxl.rules` (and, in the
workbook, by native formulas). Money and scores are ``Decimal``.

Every model object can remember where its fields live in a workbook (sheet and cell) through
:func:`locate`/:func:`set_location`; the locations are not part of the JSON.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_serializer, field_validator

SCHEMA_VERSION = 1


class Form(str, Enum):
    """The two official forms."""

    DECLARATION = "declaration"  # 绩效目标申报表
    SELF_EVALUATION = "self_evaluation"  # 绩效自评表

    @property
    def title(self) -> str:
        return {"declaration": "绩效目标申报表", "self_evaluation": "绩效自评表"}[self.value]


class Rounding(str, Enum):
    """domain.md R6r: how execution rates and scores are cut to 2 decimals."""

    TRUNCATE = "truncate"
    HALF_UP = "half_up"


class OverrunFormula(str, Enum):
    """domain.md R3: how a lower-is-better indicator that overran its target is scored."""

    LINEAR = "linear"  # weight × (1 − (actual − target) / target), 0 at twice the target
    RATIO = "ratio"  # weight × target / actual


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def model_post_init(self, context: Any, /) -> None:
        # Where fields of this object live in a workbook: field name -> (sheet, cell). Kept in
        # pydantic's private-attribute slot (pickled, copied and compared with the model) but set
        # here directly: a declared PrivateAttr costs twice the rest of a model's construction,
        # and a workbook's read builds a model per indicator.
        object.__setattr__(self, "__pydantic_private__", {"_cells": {}})

    @property
    def _cells(self) -> dict[str, tuple[str, str]]:
        return self.__pydantic_private__["_cells"]


def _decimal_str(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _typed_number(value: Any) -> Any:
    """A number written as a workbook cell accepts it: ``"215,457.6"``, full-width ``"１２３"``
    (:func:`perfxl.cellvalues.read_number`); a blank or dash string is ``None``. Non-strings
    pass through to pydantic's own validation."""
    if not isinstance(value, str):
        return value
    from perfxl.cellvalues import read_number

    return read_number(value).value  # CellValueError is a ValueError: a Chinese message


Number = Annotated[Decimal, BeforeValidator(_typed_number)]
Money = Annotated[Decimal, BeforeValidator(_typed_number), Field(ge=0)]


class Settings(_Model):
    """Choices the national text leaves open (domain.md), with their defaults."""

    rounding: Rounding = Field(Rounding.TRUNCATE, description="R6r 执行率与得分的舍入方式")
    over_achievement_flag: Decimal = Field(
        Decimal("1.20"), description="R4 超额完成提示阈值（实际/目标）"
    )
    over_achievement_reason_required: Decimal = Field(
        Decimal("1.30"), description="R4 超额完成必须说明原因的阈值（实际/目标）"
    )
    overrun_formula: OverrunFormula = Field(
        OverrunFormula.LINEAR, description="R3 反向指标超出目标时的计分公式"
    )
    money_unit: Literal["元", "万元"] = Field("万元", description="自评表项目资金的单位")
    execution_reason_below: Decimal = Field(
        Decimal("0.90"), description="R7 预算执行率低于此值须说明原因"
    )

    @field_serializer(
        "over_achievement_flag", "over_achievement_reason_required", "execution_reason_below"
    )
    def _ser_dec(self, v: Decimal) -> str:
        return format(v, "f")


class Indicator(_Model):
    """One row of the indicator table (绩效指标)."""

    level1: str = Field(description="一级指标")
    level2: str = Field(description="二级指标")
    name: str = Field(description="三级指标")
    target: str = Field(description="年度指标值，按表上原文")
    actual: str | None = Field(None, description="实际完成值（自评表），按表上原文")
    weight: Annotated[Decimal | None, BeforeValidator(_typed_number)] = Field(
        None, ge=0, description="分值（自评表）")
    score: Annotated[Decimal | None, BeforeValidator(_typed_number)] = Field(
        None, description="得分：评价人填写的分数（自评表）")
    reason: str | None = Field(None, description="偏差原因分析（自评表）")

    @field_validator("level1", "level2", "name", "target", mode="before")
    @classmethod
    def _blank_text(cls, v: Any) -> Any:
        # ``null`` in JSON is a blank cell: a finding at its place (X508/X509), not a refusal
        return "" if v is None else v

    @field_serializer("weight", "score")
    def _ser_dec(self, v: Decimal | None) -> str | None:
        return _decimal_str(v)


class FundRow(_Model):
    """One row of the self-evaluation funds block."""

    initial_budget: Money | None = Field(None, description="年初预算数")
    budget: Money | None = Field(None, description="全年预算数")
    executed: Money | None = Field(None, description="全年执行数")

    @field_serializer("initial_budget", "budget", "executed")
    def _ser_dec(self, v: Decimal | None) -> str | None:
        return _decimal_str(v)


class SelfEvaluationFunds(_Model):
    """项目资金 of the 绩效自评表: four rows; only 年度资金总额 is scored (R6)."""

    total: FundRow = Field(default_factory=FundRow, description="年度资金总额")
    fiscal: FundRow = Field(default_factory=FundRow, description="其中：当年财政拨款")
    carryover: FundRow = Field(default_factory=FundRow, description="上年结转资金")
    other: FundRow = Field(default_factory=FundRow, description="其他资金")
    weight: Number = Field(Decimal("10"), ge=0, description="预算执行率分值（分数）")

    @field_serializer("weight")
    def _ser_dec(self, v: Decimal) -> str:
        return format(v, "f")


class DeclarationFunds(_Model):
    """项目资金 of the 绩效目标申报表, in 元."""

    project_total: Money | None = Field(None, description="项目资金总额")
    project_fiscal: Money | None = Field(None, description="其中：财政资金")
    project_other: Money | None = Field(None, description="其他资金（项目资金总额中）")
    annual_total: Money | None = Field(None, description="年度资金申请总额")
    annual_fiscal: Money | None = Field(None, description="其中：当年财政拨款")
    annual_carryover: Money | None = Field(None, description="上年结转资金")
    annual_other: Money | None = Field(None, description="其他资金（年度申请中）")

    @field_serializer(
        "project_total",
        "project_fiscal",
        "project_other",
        "annual_total",
        "annual_fiscal",
        "annual_carryover",
        "annual_other",
    )
    def _ser_dec(self, v: Decimal | None) -> str | None:
        return _decimal_str(v)


class _ProjectBase(_Model):
    name: str = Field(description="项目名称")
    year: int = Field(ge=2000, le=2100, description="年度")
    department: str = Field("", description="主管部门")
    unit: str = Field("", description="实施单位")
    indicators: list[Indicator] = Field(default_factory=list, description="绩效指标")


class Declaration(_ProjectBase):
    """财政项目支出绩效目标申报表 — one project, one year."""

    form: Literal[Form.DECLARATION] = Form.DECLARATION
    nature: str = Field("", description="项目性质")
    category: str = Field("", description="项目类别")
    start_date: dt.date | None = Field(None, description="计划开始日期")
    end_date: dt.date | None = Field(None, description="计划完成日期")
    funds: DeclarationFunds = Field(default_factory=DeclarationFunds, description="项目资金（元）")
    overall_goal: str = Field("", description="项目总目标")
    annual_goal: str = Field("", description="年度总体目标")


class SelfEvaluation(_ProjectBase):
    """财政项目支出绩效自评表 — one project, one year."""

    form: Literal[Form.SELF_EVALUATION] = Form.SELF_EVALUATION
    funds: SelfEvaluationFunds = Field(
        default_factory=SelfEvaluationFunds, description="项目资金（单位见设置 money_unit）"
    )
    expected_goal: str = Field("", description="年度总体目标：预期目标")
    achieved_goal: str = Field("", description="年度总体目标：实际完成情况")


Project = Annotated[Union[Declaration, SelfEvaluation], Field(discriminator="form")]


class ProjectFile(_Model):
    """The JSON document perfxl imports and exports (``perfxl schema`` prints its schema)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    settings: Settings = Field(default_factory=Settings)
    projects: list[Project] = Field(default_factory=list)


# --- where a field lives ---------------------------------------------------------------------

_SHEET = "__sheet__"  # key of a project's own sheet among its recorded locations


def _cells_of(obj: _Model) -> dict[str, tuple[str, str]]:
    """``obj._cells`` without the property call (the readers record a few hundred locations
    per workbook)."""
    return obj.__pydantic_private__["_cells"]


def set_location(obj: _Model, field: str, sheet: str, cell: str) -> None:
    """Remember that ``obj.field`` was read from (or is written to) ``sheet!cell``."""
    _cells_of(obj)[field] = (sheet, cell)


def locate(project: _ProjectBase, obj: _Model, field: str) -> tuple[str, str]:
    """Sheet and cell of ``obj.field``, where ``obj`` is ``project`` or one of its parts.

    Without a workbook location (a project read from JSON) the sheet is the project's name and
    the "cell" is the field's JSON path (``indicators[2].actual``), so a finding still says where.
    """
    cells = _cells_of(obj)
    if field in cells:
        return cells[field]
    return sheet_of(project), _json_path(project, obj, field)


def sheet_of(project: _ProjectBase) -> str:
    """The sheet a project was read from; its name when it came from JSON or text."""
    sheet_cell = _cells_of(project).get(_SHEET)
    return sheet_cell[0] if sheet_cell else project.name


def locations(obj: _Model) -> dict[str, tuple[str, str]]:
    """Every workbook cell recorded for ``obj``'s fields: field name -> (sheet, cell)."""
    return {field: where for field, where in _cells_of(obj).items()
            if field != _SHEET and not field.endswith(_COMPUTED)}


_COMPUTED = "#computed"  # key suffix: the field's cell shows a formula's result


def mark_computed(obj: _Model, field: str) -> None:
    """Remember that ``obj.field``'s cell holds a formula (a 得分 showing the suggestion): the
    field is ``None`` in the model, yet the form shows a value there."""
    _cells_of(obj)[field + _COMPUTED] = ("", "")


def is_computed(obj: _Model, field: str) -> bool:
    """Whether :func:`mark_computed` was called for ``obj.field``."""
    return field + _COMPUTED in _cells_of(obj)


def _json_path(project: _ProjectBase, obj: _Model, field: str) -> str:
    if obj is project:
        return field
    for i, ind in enumerate(project.indicators):
        if ind is obj:
            return f"indicators[{i}].{field}"
    funds = project.funds
    if obj is funds:
        return f"funds.{field}"
    for name in type(funds).model_fields:
        if getattr(funds, name) is obj:
            return f"funds.{name}.{field}"
    return field


def set_sheet(project: _ProjectBase, sheet: str) -> None:
    """Remember the sheet a project was read from."""
    _cells_of(project)[_SHEET] = (sheet, "")
