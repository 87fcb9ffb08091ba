"""Worksheet functions (``@xw.func``): thin wrappers over :mod:`perfxl.rules`.

They give, in a user's own cells, the numbers the template's native formulas compute
(design.md §2): a suggested score, a completion ratio, a grade, and a parsed target. Every
argument may be a single cell or a whole column (or block): the result has the broadcast shape,
so a column of 200 indicators is one call from Excel, not 200.

A result that does not apply (no actual yet, unreadable text, different units) is an empty
string, as the template's formulas show it. Workbooks that are sent to others must not depend
on these functions (people without perfxl would see ``#NAME?``): 定稿 turns them into values.

The functions import no Excel-only module, so they can be called from Python and tested on
any system; ``xlwings`` registers them when the add-in imports this module (``UDF_MODULES``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from itertools import product
from typing import Any, Callable

import xlwings as xw

from perfxl.model import OverrunFormula, Rounding, Settings
from perfxl.rules.scoring import completion_ratio, grade, read_actual_for, suggest_score
from perfxl.rules.targets import parse_target

Grid = list[list[Any]]
EMPTY = ""


# --- broadcasting ------------------------------------------------------------------------------


def _grid(value: Any) -> Grid:
    """Any argument as a 2-D list (a scalar is 1×1, a row/column list is 1×n)."""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(row, (list, tuple)) for row in value):
            return [list(row) for row in value]
        return [list(value)]
    return [[value]]


def broadcast(func: Callable[..., Any], *args: Any) -> Any:
    """Apply ``func`` cell by cell over arguments of broadcastable shapes (1 or n per axis).

    All-scalar arguments give a scalar, so a single-cell formula returns a value, not a 1×1 array.
    """
    if not any(isinstance(a, (list, tuple)) for a in args):
        return func(*args)
    grids = [_grid(a) for a in args]
    rows = max(len(g) for g in grids)
    cols = max(max((len(r) for r in g), default=0) for g in grids)
    for g in grids:
        if len(g) not in (1, rows) or any(len(r) not in (1, cols) for r in g):
            raise ValueError("参数的行列数不一致：每个参数应为单个单元格或同样大小的区域")

    def pick(g: Grid, i: int, j: int) -> Any:
        row = g[i if len(g) > 1 else 0]
        return row[j if len(row) > 1 else 0]

    out = [[None] * cols for _ in range(rows)]
    for i, j in product(range(rows), range(cols)):
        out[i][j] = func(*(pick(g, i, j) for g in grids))
    return out


# --- cell values -> core types ----------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A cell as the text the rules parse: numbers as typed (8.0 → "8"), blanks → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _number(value: Decimal | None) -> float | str:
    return EMPTY if value is None else float(value)


def _settings(rounding: Any, overrun: Any) -> Settings:
    return Settings(
        rounding=Rounding(str(rounding or Rounding.TRUNCATE.value)),
        overrun_formula=OverrunFormula(str(overrun or OverrunFormula.LINEAR.value)),
    )


# --- the core of each function (one cell) -----------------------------------------------------


def _read_pair(target_text: str, actual_text: str):
    """(target, actual) as the sheet's scoring reads them, or (None, None) when either is
    unreadable."""
    try:
        t = parse_target(target_text)
    except ValueError:
        return None, None
    a, error = read_actual_for(t, actual_text)
    return (t, a) if error is None else (None, None)


def suggested_score_cell(
    target: Any, actual: Any, weight: Any, rounding: Any = None, overrun: Any = None
) -> float | str:
    """The suggested score of one indicator (R2–R5, R6r); ``""`` when it cannot be given."""
    target_text, actual_text, w = _text(target), _text(actual), _decimal(weight)
    if target_text is None or actual_text is None or w is None:
        return EMPTY
    t, a = _read_pair(target_text, actual_text)
    if a is None:
        return EMPTY
    return _number(suggest_score(t, a, w, _settings(rounding, overrun)))


def completion_ratio_cell(target: Any, actual: Any) -> float | str:
    """actual / target of one quantitative indicator (R2, R4), unrounded; ``""`` otherwise."""
    target_text, actual_text = _text(target), _text(actual)
    if target_text is None or actual_text is None:
        return EMPTY
    t, a = _read_pair(target_text, actual_text)
    if a is None:
        return EMPTY
    return _number(completion_ratio(t, a))


def grade_cell(total: Any) -> str:
    """评分等级 (R8) of a total; ``""`` for a blank or non-numeric cell."""
    value = _decimal(total)
    return EMPTY if value is None else (grade(value) or EMPTY)


def parse_target_cell(text: Any) -> list[Any]:
    """A target as [比较符, 数值, 单位, 定性词]; an unreadable one as ["", "", "", 错误说明]."""
    target_text = _text(text)
    if target_text is None:
        return [EMPTY, EMPTY, EMPTY, EMPTY]
    try:
        t = parse_target(target_text)
    except ValueError as exc:
        return [EMPTY, EMPTY, EMPTY, str(exc)]
    return [
        t.comparator or EMPTY,
        _number(t.value),
        t.unit or EMPTY,
        t.qualitative or EMPTY,
    ]


# --- the worksheet functions ------------------------------------------------------------------


@xw.func
@xw.arg("target", ndim=2)
@xw.arg("actual", ndim=2)
@xw.arg("weight", ndim=2)
def PERFXL_SCORE(target, actual, weight, rounding=None, overrun=None):
    """建议得分：由年度指标值、实际完成值与分值计算（R2–R5）。可传入整列。"""
    return _unwrap(broadcast(
        lambda t, a, w: suggested_score_cell(t, a, w, rounding, overrun), target, actual, weight
    ))


@xw.func
@xw.arg("target", ndim=2)
@xw.arg("actual", ndim=2)
def PERFXL_RATIO(target, actual):
    """完成比例：实际完成值 / 年度指标值（定量指标）。可传入整列。"""
    return _unwrap(broadcast(completion_ratio_cell, target, actual))


@xw.func
@xw.arg("total", ndim=2)
def PERFXL_GRADE(total):
    """评分等级：优 ≥ 90，良 ≥ 80，中 ≥ 60，差 < 60（R8）。可传入整列。"""
    return _unwrap(broadcast(grade_cell, total))


@xw.func
@xw.arg("text", ndim=2)
def PERFXL_TARGET(text):
    """解析年度指标值：返回 比较符、数值、单位、定性词 四列（每个指标一行）。"""
    rows = [parse_target_cell(cell) for row in _grid(text) for cell in row]
    return rows


def _unwrap(result: Any) -> Any:
    """A 1×1 result as a scalar (a single-cell formula shows a value, not an array)."""
    if isinstance(result, list) and len(result) == 1 and len(result[0]) == 1:
        return result[0][0]
    return result
