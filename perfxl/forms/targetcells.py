"""The structured target cells of template v2 (比较符 | 指标值 | 单位), shared by both forms.

A v2 sheet names the three cells in the row below its header; what they spell
(:func:`perfxl.rules.targets.compose_target`) is read by the one parser of
:mod:`perfxl.rules.targets`. A v1 sheet (one text cell) is still read, with W750.
"""

from __future__ import annotations

from decimal import Decimal

from perfxl.findings import Finding, finding
from perfxl.forms.grid import CellError, Grid, is_error, is_percent_format, ref, to_decimal, typed_text
from perfxl.rules.targets import (
    QUALITATIVE, compose_target, format_number, has_comparator, read_actual, read_target, same_unit,
)

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


def value_cell(g: Grid, sheet: str, r: int, c: int, label: str) -> tuple[str | None, list[Finding]]:
    """The v2 指标值 or 实际完成值 cell (``label`` names it) as :func:`value_text` spells it. A
    formula there (``=24.00`` typed: Calc and Excel make it a formula) is read by the result the
    office suite stored, as the row's formulas read it, with W707; a formula error (Err:509,
    #NAME?) or a formula without a stored result is no value, with W707. A number stored as text
    (``'88.38%``) is read, with W702: the row's formulas do not compute text."""
    raw = g.raw(r, c)
    where = ref(r, c)
    if g.is_formula(r, c) or is_error(raw):
        shown = g.result(r, c)
        if shown is not None:
            text = value_text(shown, g.number_format(r, c))
            return text, [finding("W707", sheet, where,
                                  f"{label}单元格中是公式，已按其显示的结果 {text} 读取；请直接填写数值"
                                  "（不要以“=”开头）")]
        return None, [finding("W707", sheet, where,
                              f"{label}单元格中是公式或公式的错误值（如以“=”开头输入的 =24.00(小时)，显示 "
                              "Err:509 或 #NAME?），无法读取；请直接填写数值（不要以“=”开头），单位填在单位格")]
    text = value_text(raw, g.number_format(r, c))
    if isinstance(raw, str) and text:
        actual, _error = read_actual(text)
        if actual is not None and actual.quantitative and actual.comparator is None \
                and (actual.unit is None or actual.unit == "%"):
            return text, [finding("W702", sheet, where,
                                  f"{label}是以文本形式存储的数字“{text}”，已按 {format_number(actual.value)}"
                                  f"{'(%)' if actual.unit else ''} 读取；请改为数值（去掉开头的 ' ），否则表内公式不计算它")]
    return text, []


def structured_target(g: Grid, sheet: str, r: int, cols: dict[str, int], cell_text,
                      name: str = "") -> tuple[str, list[Finding]]:
    """The 年度指标值 the v2 cells of row ``r`` spell (比较符 ``cmp``, 指标值 ``tv``, 单位 ``tu``;
    ``cell_text(key)`` reads the text cells), read by the one parser afterwards. A whole target
    typed into the 指标值 cell (``不低于28000件``, ``20000件以上``, ``≥95%``) is read through
    :func:`perfxl.rules.targets.read_target`: its comparator and unit are the typed ones (the unit
    cell's where both say the same), with W780 at the cell saying how to fill the three cells —
    the row's formulas compare numbers only and cannot score it until then."""
    cmp_, tu = cell_text("cmp"), cell_text("tu")
    c = cols.get("tv")
    if c is None:
        return compose_target(cmp_, None, tu), []
    raw = g.raw(r, c)
    typed = raw.strip() if isinstance(raw, str) and not g.is_formula(r, c) else ""
    whole = read_target(typed)[0] if typed and (cmp_ or "").strip() != QUALITATIVE else None
    written = bool(whole) and has_comparator(typed)  # a bare number reads as "=" (R2e): not written
    if whole is None or not whole.quantitative or not (written or whole.unit):
        tv, findings = value_cell(g, sheet, r, c, "年度指标值的指标值")
        return compose_target(cmp_, tv, tu), findings
    comparator = whole.comparator if written else (cmp_ or "").strip() or "="
    unit = tu if tu and (whole.unit is None or same_unit(whole.unit, tu)) else whole.unit
    text = compose_target(comparator, format_number(whole.value), unit)
    cells = f"比较符 {comparator}、指标值 {format(whole.value.normalize(), 'f')}" + (f"、单位 {unit}" if unit else "")
    differs = (f"（比较符格原为“{cmp_}”，以指标值中写的“{comparator}”为准）"
               if cmp_ and cmp_.strip() != comparator else "")
    return text, [finding("W780", sheet, ref(r, c),
                          f"“{name}”的指标值单元格填了整条指标值“{typed}”，已按 {text} 读取{differs}；"
                          f"请分格填写：{cells}。指标值格只填数字，表内公式才能计算建议得分")]


def v1_finding(sheet: str, cell: str) -> Finding:
    """W750: a v1 form (年度指标值 as one text cell): read, checked and scored, but its formulas
    parse text; ``perfxl upgrade`` rewrites it in the v2 layout."""
    return finding("W750", sheet, cell, "本表为旧版模板（年度指标值为一格文字），仍可读取、检查和评分；"
                   "运行 perfxl upgrade 旧文件.xlsx -o 新文件.xlsx 升级为新版（比较符、指标值、单位分格填写）")
