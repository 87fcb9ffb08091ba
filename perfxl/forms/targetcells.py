"""The structured target cells of template v2 (比较符 | 指标值 | 单位), shared by both forms.

A v2 sheet names the three cells in the row below its header; what they spell
(:func:`perfxl.rules.targets.compose_target`) is read by the one parser of
:mod:`perfxl.rules.targets`. A v1 sheet (one text cell) is still read, with W750.
"""

from __future__ import annotations

from decimal import Decimal

from perfxl.findings import Finding, finding
from perfxl.forms.grid import CellError, is_percent_format, to_decimal, typed_text
from perfxl.rules.targets import format_number

TARGET_SUB_HEADERS = {"cmp": "比较符", "tv": "指标值", "tu": "单位"}


def value_text(raw, number_format: str | None) -> str | None:
    """The 指标值 (or 实际完成值) cell as the printed form spells it: a number with at least two
    decimals (the cell's format shows ``9`` as ``9.00``), a word as typed. A number in a percent
    format is its percentage (``88.5%`` typed in Excel is stored as 0.885): the unit cell says %,
    and the row's formulas read it the same way (formulas ``an``)."""
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        try:
            d = to_decimal(raw)
        except CellError:
            d = None
        if d is not None:
            return format_number((d * 100).normalize() if is_percent_format(number_format) else d)
    return typed_text(raw, number_format)


def v1_finding(sheet: str, cell: str) -> Finding:
    """W750: a v1 form (年度指标值 as one text cell): read, checked and scored, but its formulas
    parse text; ``perfxl upgrade`` rewrites it in the v2 layout."""
    return finding("W750", sheet, cell, "本表为旧版模板（年度指标值为一格文字），仍可读取、检查和评分；"
                   "运行 perfxl upgrade 旧文件.xlsx -o 新文件.xlsx 升级为新版（比较符、指标值、单位分格填写）")
