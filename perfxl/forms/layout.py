"""Shared layout helpers: sheet names, the writes of one sheet, row heights, merged groups,
defined names, drop-downs."""

from __future__ import annotations

import math
import re
import unicodedata

from perfxl.forms import printing
from perfxl.forms.grid import ref
from perfxl.forms.settings_sheet import LIST_NAMES
from perfxl.model import Form, Indicator
from perfxl.patch import ConditionalFormat, DefineName, Patch, Validation
from perfxl.rules.targets import QUALITATIVE

# Marks a conditional format as perfxl's own, so scoring replaces only its own rules: CF_MARK for
# the screen-only check colours (finalize removes them for paper), CF_PRINT_MARK for how the
# form reads on paper (kept).
CF_MARK = 'N("perfxl")=0'
CF_PRINT_MARK = 'N("perfxl-print")=0'
CF_MARKS = ('N("perfxl")', 'N("perfxl-print")')


def qualitative_word_patch(sheet: str, cmp_range: str, first_cmp_cell: str) -> Patch:
    """The 比较符 cell of a qualitative target (定性) shows nothing, so that the three target
    cells read as the printed form does: ``有效保障``, not ``定性 有效保障``."""
    p = Patch()
    p.add(ConditionalFormat(sheet, cmp_range, f'AND({CF_PRINT_MARK},{first_cmp_cell}="{QUALITATIVE}")',
                            "hidden_text"))
    return p

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET = 31


def sheet_title(name: str, taken: set[str], suffix: str = "") -> str:
    """A valid, unique sheet name from a project name: no []:*?/\\, ≤ 31 characters, not empty,
    not starting/ending with an apostrophe; ``(2)``, ``(3)``… added when taken (case-blind)."""
    base = _BAD_SHEET_CHARS.sub("_", name or "").strip().strip("'").strip() or "项目"
    base = base.replace("\n", " ").replace("\r", " ")
    lower = {t.lower() for t in taken}
    n = 1
    while True:
        tail = suffix + ("" if n == 1 else f"({n})")
        title = base[: MAX_SHEET - len(tail)].rstrip().rstrip("'") + tail
        if title.lower() not in lower and title.lower() not in ("history",):
            return title
        n += 1


def text_width(text: str) -> float:
    """Approximate display width in Excel column units (a CJK character ≈ 2)."""
    w = 0.0
    for ch in text:
        w += 2.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 1.05
    return w


def lines_needed(text: str | None, width_units: float, font_scale: float = 1.0) -> int:
    if not text:
        return 1
    usable = max(width_units - 1.0, 1.0) / font_scale
    total = 0
    for part in str(text).split("\n"):
        total += max(1, math.ceil(text_width(part) / usable))
    return total


def row_height(cells: list[tuple[str | None, float, float]], line_pt: float = 14.0,
               minimum: float = 20.0) -> float:
    """Height for a row whose cells hold (text, column width, font scale)."""
    lines = max((lines_needed(t, w, s) for t, w, s in cells), default=1)
    return max(minimum, round(lines * line_pt + 4, 1))


class SheetCells:
    """The writes of one sheet into ``patch``, by 1-based row and column: ``put`` one cell,
    ``box`` a merged range (its value in the top-left cell)."""

    def __init__(self, patch: Patch, sheet: str) -> None:
        self.patch, self.sheet = patch, sheet

    def put(self, r: int, c: int, value, role: str, fmt: str | None = None) -> None:
        self.patch.write(self.sheet, ref(r, c), value, role, fmt)

    def box(self, r1: int, c1: int, r2: int, c2: int, value, role: str, fmt: str | None = None) -> None:
        self.patch.merged(self.sheet, ref(r1, c1), ref(r2, c2), value, role, fmt)


def fit_level2_labels(heights: dict[int, float], indicators: list[Indicator], rows: list[int],
                      width: float) -> None:
    """Make each group's rows tall enough for its merged 二级 label (``width``: its column's):
    the group's last row takes what is missing."""
    for (a, b) in groups(indicators, lambda i: (i.level1, i.level2)):
        need = row_height([(indicators[a].level2, width, 1.0)], line_pt=13.5)
        have = sum(heights[rows[i]] for i in range(a, b + 1))
        if need > have:
            heights[rows[b]] += need - have


def merge_categories(cells: SheetCells, indicators: list[Indicator], rows: list[int],
                     breaks: list[int], c1: int, c2: int) -> None:
    """一级 (column ``c1``) and 二级 (``c2``) merged over their group's rows, once per printed page."""
    for (a, b) in groups(indicators, lambda i: i.level1):
        for r1, r2 in printing.split_at(rows[a], rows[b], breaks):
            cells.box(r1, c1, r2, c1, indicators[a].level1, "category")
    for (a, b) in groups(indicators, lambda i: (i.level1, i.level2)):
        for r1, r2 in printing.split_at(rows[a], rows[b], breaks):
            cells.box(r1, c2, r2, c2, indicators[a].level2, "category")


def with_helper_widths(widths: dict[str, float], helper_letters: list[str], width: float) -> dict[str, float]:
    """The form's column widths, each helper column (beside the printed area) ``width`` wide."""
    return {**widths, **{letter: width for letter in helper_letters}}


def groups(indicators: list[Indicator], key) -> list[tuple[int, int]]:
    """Runs of consecutive indicators with the same key: (first index, last index)."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(indicators) + 1):
        if i == len(indicators) or key(indicators[i]) != key(indicators[start]):
            out.append((start, i - 1))
            start = i
    return out


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def abs_ref(sheet: str, ref: str) -> str:
    """'Sheet'!$A$1 (or a range) for a defined name."""
    parts = []
    for part in ref.split(":"):
        m = re.fullmatch(r"([A-Z]+)(\d+)", part)
        parts.append(f"${m[1]}${m[2]}" if m else part)
    return f"{quote_sheet(sheet)}!{':'.join(parts)}"


def form_name(sheet: str, form: Form) -> DefineName:
    """``pxl_form``, the sheet-local name that says which form the sheet is (read before its title)."""
    return DefineName("pxl_form", f'"{form.value}"', sheet)


def indicator_header_name(sheet: str, header_row: int, last_col: int) -> DefineName:
    """``pxl_indicator_header``: the indicator table's header row across the printed columns."""
    return DefineName("pxl_indicator_header",
                      abs_ref(sheet, f"{ref(header_row, 1)}:{ref(header_row, last_col)}"), sheet)


def money_validation(sheet: str, cells: str, prompt: str) -> Validation:
    """The 项目资金 amounts: numbers not below 0 (``prompt`` says in which unit)."""
    return Validation(sheet, cells, "decimal", "0", None, "greaterThanOrEqual", strict=True,
                      prompt_title="项目资金", prompt=prompt,
                      error_title="项目资金", error="金额应为不小于 0 的数字")


def column_range(rows: list[int], col: int) -> str:
    """The indicator rows' cells of one column, e.g. ``C13:C25``."""
    return f"{ref(rows[0], col)}:{ref(rows[-1], col)}"


def category_validations(sheet: str, rows: list[int], cols: dict[str, int],
                         level1: str, level2: str, target: str) -> Patch:
    """Drop-downs for 一级/二级指标 and, on a v2 sheet, the 年度指标值's comparator (strict) and
    unit (free entry allowed), with input messages (the text of each message is the form's own)."""
    p = Patch()
    p.add(Validation(sheet, column_range(rows, cols["level1"]), "list", LIST_NAMES["level1"],
                     prompt_title="一级指标", prompt=level1))
    p.add(Validation(sheet, column_range(rows, cols["level2"]), "list", LIST_NAMES["level2"],
                     prompt_title="二级指标", prompt=level2))
    if "cmp" not in cols:  # a v1 sheet: one text cell
        p.add(Validation(sheet, column_range(rows, cols["target"]), "textLength", "0", "200", "between",
                         prompt_title="年度指标值", prompt=target))
        return p
    p.add(Validation(sheet, column_range(rows, cols["cmp"]), "list", LIST_NAMES["comparators"],
                     strict=True, prompt_title="年度指标值",
                     prompt="比较符：≥ ≤ = > <，定性指标选“定性”（指标值一格填定性词，如 及时）",
                     error_title="年度指标值", error="请从下拉列表选择比较符或“定性”"))
    p.add(Validation(sheet, column_range(rows, cols["tv"]), "textLength", "0", "200", "between",
                     prompt_title="年度指标值", prompt=target))
    p.add(Validation(sheet, column_range(rows, cols["tu"]), "list", LIST_NAMES["units"],
                     prompt_title="年度指标值", prompt="度量单位：可下拉选择，也可直接填写（如 元/小时）"))
    return p
