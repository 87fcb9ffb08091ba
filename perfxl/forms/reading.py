"""Reading steps both forms share: recognising a form by its title, a number cell, the indicator
table's v2 target cells, and one indicator row's text cells and 一级/二级 levels.

Each form's ``read`` (perfxl/forms/<form>/reader.py) calls these; the messages are the findings'
(W701, W702, W707, X512), so both forms say the same thing about the same cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter

from perfxl.findings import Finding, finding
from perfxl.forms.grid import (
    CellError, Grid, carry_levels, formula_in_text_cell, is_error, quantize_to_format, ref,
    to_decimal, to_text, typed_text,
)
from perfxl.model import Indicator, set_location


def title_in_top_rows(grid: Grid, title: str) -> bool:
    """Whether ``title`` (or a longer text holding it) is in the sheet's first six rows."""
    return grid.find(title, rows=range(1, min(grid.max_row, 6) + 1), exact=False) is not None


def number_cell(value: Any, number_format: str | None, sheet: str, cell: str, what: str,
                advice: str = "") -> tuple[Decimal | None, list[Finding]]:
    """A number cell's value: ``(None, [W701])`` when it is not a number; a number stored as
    text is read, with W702 (``advice`` ends its message); a number is rounded to the decimals
    its format shows (what the sheet displays is what was typed)."""
    try:
        d = to_decimal(value)
    except CellError as e:
        return None, [finding("W701", sheet, cell, f"{what}：{e}")]
    if d is not None and isinstance(value, str):
        return d, [finding("W702", sheet, cell, f"{what}是以文本形式存储的数字“{value}”，已按 {d} 读取{advice}")]
    if d is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        d = quantize_to_format(d, number_format)
    return d, []


@dataclass
class SheetReader:
    """One sheet's cells as a form's reading steps see them, and the findings they make."""

    g: Grid
    sheet: str
    findings: list[Finding] = field(default_factory=list)

    def warn(self, cell: str, message: str, code: str = "W703") -> None:
        self.findings.append(finding(code, self.sheet, cell, message))

    def number(self, r: int, c: int, what: str) -> Decimal | None:
        """The number typed at (r, c) (:func:`number_cell`); None for a blank or a formula."""
        v = self.g.own(r, c)
        if v is None or self.g.is_formula(r, c):  # blank (a formula cell holds the FORMULA marker)
            return None
        d, fnd = number_cell(v, self.g.number_format(r, c), self.sheet, ref(r, c), what,
                             "；请改为数值格式，否则表内公式不计算它")
        self.findings.extend(fnd)
        return d

    def text_at(self, rc: tuple[int, int] | None) -> str | None:
        """The text at ``rc``; None where there is no cell, or a formula."""
        if rc is None or self.g.is_formula(*rc):
            return None
        return to_text(self.g.raw(*rc))

    def row(self, r: int, cols: dict[str, int], labels: dict[str, str]) -> RowReader:
        return RowReader(self.g, self.sheet, r, cols, labels, self.findings)


@dataclass
class TableMap:
    """Where a form's indicator table is (1-based rows and columns); each form's SheetMap adds
    its own fields."""

    sheet: str
    header_row: int | None = None
    first_row: int | None = None  # the first indicator row (below the v2 sub-header)
    cols: dict[str, int] = field(default_factory=dict)  # indicator columns and helpers
    rows: list[int] = field(default_factory=list)  # one per indicator, in order

    def letters(self) -> dict[str, str]:
        return {k: get_column_letter(c) for k, c in self.cols.items()}

    @property
    def v2(self) -> bool:
        """Whether the sheet has the structured target cells (template v2)."""
        return "cmp" in self.cols

    def column_cells(self, key: str) -> str | None:
        """The indicator rows' cells of column ``key`` (``C14:C25``); None without rows or column."""
        if not self.rows or key not in self.cols:
            return None
        c = self.cols[key]
        return f"{ref(self.rows[0], c)}:{ref(self.rows[-1], c)}"


def find_target_cells(g: Grid, m: TableMap, sub_headers: dict[str, str]) -> bool:
    """A v2 sheet: the row below the header names the target's cells (比较符 指标值 单位, and on
    the self-evaluation the actual's 完成值 单位, looked for from the actual's column on). Puts
    their columns in ``m.cols``; False for a v1 sheet (one 年度指标值 text cell)."""
    hr, c = m.header_row, m.cols.get("target")
    if hr is None or c is None or g.own(hr + 1, c) != sub_headers["cmp"]:
        return False
    sub = hr + 1
    for key, label in sub_headers.items():
        start = m.cols["actual"] if key in ("actual", "au") and "actual" in m.cols else c
        hit = g.find(label, rows=[sub], cols=range(start, g.max_col + 1))
        if hit:
            m.cols[key] = hit[1]
    m.cols["target"] = m.cols.get("tv", c)
    m.first_row = sub + 1
    return True


@dataclass
class RowReader:
    """The text cells of one indicator row ``r``: a formula or an error value where text is
    typed is no text, with W707 naming the column (``labels``: column key -> its header)."""

    g: Grid
    sheet: str
    r: int
    cols: dict[str, int]
    labels: dict[str, str]
    findings: list[Finding]

    def text(self, key: str) -> str | None:
        c = self.cols.get(key)
        if c is None:
            return None
        g, r = self.g, self.r
        if g.is_formula(r, c) or is_error(g.raw(r, c)):
            self.findings.append(finding("W707", self.sheet, ref(r, c), formula_in_text_cell(self.labels[key])))
            return None
        return typed_text(g.raw(r, c), g.number_format(r, c))

    def levels(self, lvl1: str, lvl2: str) -> tuple[str, str]:
        """The row's 一级/二级, carried from the row above through merged cells; X512 where the
        一级 is inferred from the 二级 (the group's first row, with its label, was deleted)."""
        l1, l2 = self.text("level1"), self.text("level2")
        lvl1, lvl2, inferred = carry_levels(lvl1, lvl2, l1, l2)
        if inferred:
            r, c1 = self.r, self.cols.get("level1", 1)
            self.findings.append(finding(
                "X512", self.sheet, ref(r, c1),
                f"第 {r} 行没有一级指标（多为删除了该组第一行），按二级指标“{l2}”推断为"
                f"“{inferred}”；请在 {ref(r, c1)} 补上一级指标"))
        return lvl1, lvl2

    def locate(self, ind: Indicator, keys: tuple[str, ...]) -> None:
        """Record the row's cell of each model field in ``keys``, and on a v2 sheet the
        comparator and unit cells (inputs no model field reads from, located so that finalize
        leaves them editable)."""
        for key in keys:
            if key in self.cols:
                set_location(ind, key, self.sheet, ref(self.r, self.cols[key]))
        if "cmp" in self.cols:
            for key, field_name in (("cmp", "target_comparator"), ("tu", "target_unit")):
                if key in self.cols:
                    set_location(ind, field_name, self.sheet, ref(self.r, self.cols[key]))
