"""The hidden settings sheet: perfxl's settings as cells that formulas reference by name.

Column A holds a stable key, B the value, C what it means.  Each value has a workbook-level
defined name (``perfxl_rounding`` …) which the forms' formulas use, so changing the rounding mode
in this sheet (or with perfxl) changes every execution rate and score on recalculation.
The sheet also holds the lists behind the drop-downs (comparators, units, achievement levels,
indicator categories) and nothing else.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


from perfxl.findings import Finding, finding
from perfxl.forms.grid import Grid, decimal_format, quantize_to_format, to_decimal
from perfxl.model import OverrunFormula, Rounding, Settings
from perfxl.patch import AddSheet, DefineName, Patch, SheetSetup
from perfxl.rules.scoring import half_cent_formula
from perfxl.rules.targets import COMPARATOR_CHOICES, Achievement

LEVEL_WORDS = tuple(level.value for level in (Achievement.MET, Achievement.PARTIAL, Achievement.NOT_MET))
from perfxl.rules import categories
from perfxl.rules.categories import CATEGORIES_2021, CATEGORIES_OLDER

SHEET = "perfxl设置"

# key, settings field, Chinese label, defined name
_ROWS: list[tuple[str, str, str]] = [
    ("rounding", "R6r 执行率与得分的舍入方式：truncate＝截断（默认），half_up＝四舍五入", "perfxl_rounding"),
    ("over_achievement_flag", "R4 超额完成提示阈值（实际/目标）", "perfxl_over_flag"),
    ("over_achievement_reason_required", "R4 超额完成必须说明原因的阈值（实际/目标）", "perfxl_over_reason"),
    ("overrun_formula", "R3 反向指标超出目标时的计分：linear＝线性（默认），ratio＝目标/实际", "perfxl_overrun"),
    ("money_unit", "自评表项目资金的单位：万元 或 元", "perfxl_money_unit"),
    ("execution_reason_below", "R7 预算执行率低于此值须说明原因", "perfxl_exec_reason"),
]
FIRST_ROW = 3  # row of the first setting
NAME = {key: name for key, _label, name in _ROWS}
#: a name holding what R6r adds before cutting (scoring.half_cent_formula of the rounding cell),
#: so that each cut in the forms reads it instead of repeating the test of the rounding mode
HALF_CENT = "perfxl_half"

# Lists for the drop-downs: the one place the forms keep words (no parsing tables).
LEVELS = list(LEVEL_WORDS)  # R5 达成 / 部分达成 / 未达成
COMPARATORS = list(COMPARATOR_CHOICES)  # ≥ > = ≤ < and 定性
UNITS = ["件", "个", "人", "人次", "户", "家", "项", "次", "场", "期", "篇", "套", "台", "所",
         "天", "小时", "个工作日", "元", "万元", "元/人", "%", "平方米", "公里", "米", "分"]
# the older layout's 一级 first and 成本指标 last, as the templates have always listed them
LEVEL1 = list(dict.fromkeys(l1 for l1, _ in CATEGORIES_OLDER + CATEGORIES_2021))
LEVEL2 = list(categories.LEVEL2)
LIST_NAMES = {"levels": "perfxl_levels", "level1": "perfxl_level1", "level2": "perfxl_level2",
              "comparators": "perfxl_comparators", "units": "perfxl_units"}


def _value(settings: Settings, key: str):
    v = getattr(settings, key)
    if isinstance(v, (Rounding, OverrunFormula)):
        return v.value
    return v


def _fmt(settings: Settings, key: str) -> str | None:
    v = _value(settings, key)
    if isinstance(v, Decimal):
        return decimal_format(v)
    return None


def layout(settings: Settings) -> Patch:
    """The settings sheet for ``settings`` (added hidden, at the end of the workbook)."""
    p = Patch()
    p.add(AddSheet(SHEET, hidden=True))
    p.write(SHEET, "A1", "perfxl 设置（表格公式引用这些单元格，请勿删除本表）", "setting_value")
    p.write(SHEET, "A2", "键", "helper_header")
    p.write(SHEET, "B2", "值", "helper_header")
    p.write(SHEET, "C2", "说明", "helper_header")
    for i, (key, label, name) in enumerate(_ROWS):
        row = FIRST_ROW + i
        p.write(SHEET, f"A{row}", key, "setting_key")
        p.write(SHEET, f"B{row}", _value(settings, key), "setting_value", _fmt(settings, key))
        p.write(SHEET, f"C{row}", label, "setting_key")
        p.add(DefineName(name, f"'{SHEET}'!$B${row}"))
    p.add(DefineName(HALF_CENT, half_cent_formula(NAME["rounding"])))
    for col, title, items, lname in (
        ("E", "达成等级", LEVELS, "levels"),
        ("F", "一级指标", LEVEL1, "level1"),
        ("G", "二级指标", LEVEL2, "level2"),
        ("I", "比较符", COMPARATORS, "comparators"),
        ("J", "度量单位", UNITS, "units"),
    ):
        p.write(SHEET, f"{col}2", title, "helper_header")
        p.write(SHEET, f"{col}3", [[x] for x in items], "setting_key")
        p.add(DefineName(LIST_NAMES[lname], f"'{SHEET}'!${col}$3:${col}${2 + len(items)}"))
    p.add(SheetSetup(SHEET, col_widths={"A": 34, "B": 12, "C": 60, "E": 28, "F": 14, "G": 20,
                                        "I": 8, "J": 12},
                     fit_width=None, fit_height=None, margins_cm=None))
    return p


def _key_rows(grid: Grid) -> dict[str, int]:
    """key -> row of its first occurrence in column A (within the first 200 rows)."""
    rows: dict[str, int] = {}
    for row in range(1, min(grid.max_row, 200) + 1):
        v = grid.own(row, 1)
        if isinstance(v, str) and v.strip() in NAME:
            rows.setdefault(v.strip(), row)
            if len(rows) == len(NAME):
                break  # every key found: later rows cannot change the result
    return rows


def read(grid: Grid | None) -> tuple[Settings, list[Finding]]:
    """Settings from the settings sheet's Grid; an unreadable value keeps its default and is
    reported."""
    findings: list[Finding] = []
    settings = Settings()
    if grid is None:
        return settings, findings
    rows = _key_rows(grid)
    for key, _label, _name in _ROWS:
        row = rows.get(key)
        if row is None:
            findings.append(finding(
                "W705", SHEET, "",
                f"设置表缺少“{key}”一行，已使用默认值 {_value(settings, key)}",
            ))
            continue
        raw = grid.own(row, 2)
        try:
            if key in ("over_achievement_flag", "over_achievement_reason_required",
                       "execution_reason_below"):
                value = to_decimal(raw)
                if value is None:
                    raise ValueError("empty")
                value = quantize_to_format(value, grid.number_format(row, 2))
            else:
                value = str(raw).strip()
            setattr(settings, key, value)
        except (InvalidOperation, ValueError, TypeError):  # CellError is a ValueError
            findings.append(finding(
                "W705", SHEET, f"B{row}",
                f"设置“{key}”的值“{raw}”无法识别，已使用默认值 {_value(settings, key)}",
            ))
    return settings, findings
