"""The whole self-evaluation sheet for a project: labels, inputs, merges, then the formulas,
names, drop-downs and conditional formats (laid out by their own modules), then print setup."""

from __future__ import annotations

from decimal import Decimal

from openpyxl.utils import get_column_letter as L

from perfxl.forms import printing
from perfxl.forms.grid import decimal_format
from perfxl.forms.layout import (
    SheetCells, fit_level2_labels, groups, merge_categories, row_height, with_helper_widths,
)
from perfxl.forms.self_evaluation.formulas import formulas_patch, names_patch
from perfxl.forms.self_evaluation.spec import (
    C_ACTUAL, C_AU, C_CMP, C_L1, C_L2, C_NAME, C_REASON, C_REASON2, C_SCORE, C_TU, C_TV, C_TYPED,
    C_WEIGHT, FUND_HEADERS, FUND_KEYS, FUND_LABELS, FUND_SPAN, HELPER_KEYS, HELPER_WIDTH,
    IND_HEADERS, LAST_PRINT_COL, OFF_PRINT_HEADERS, ROW_DEPT, ROW_FUNDS_HDR, ROW_NAME, ROW_TITLE,
    ROW_YEAR, SUB_HEADERS, TITLE, WIDTHS, SheetMap, fresh_map,
)
from perfxl.forms.self_evaluation.validation import conditional_patch, validations_patch
from perfxl.model import FundRow, SelfEvaluation, Settings
from perfxl.patch import Patch
from perfxl.rules.targets import split_target, structured_actual


def _num(value: Decimal | None) -> tuple[Decimal | None, str | None]:
    if value is None:
        return None, None
    return value, decimal_format(value)


def layout(project: SelfEvaluation, sheet: str, settings: Settings) -> tuple[Patch, SheetMap]:
    """The whole sheet for ``project``: labels, inputs, merges, formulas, validations, print."""
    m = fresh_map(project, sheet)
    p = Patch()
    cells = SheetCells(p, sheet)
    box = cells.box
    _header(cells, project)
    _funds(cells, m, project, settings)
    g = ROW_FUNDS_HDR + 5  # goals
    box(g, 1, g + 1, 1, "年度总体目标", "label")
    box(g, 2, g, C_ACTUAL - 1, "预期目标", "label")
    box(g, C_ACTUAL, g, LAST_PRINT_COL, "实际完成情况", "label")
    box(g + 1, 2, g + 1, C_ACTUAL - 1, project.expected_goal, "longtext")
    box(g + 1, C_ACTUAL, g + 1, LAST_PRINT_COL, project.achieved_goal, "longtext")
    _indicator_table(cells, m, project)
    t, gr = m.total_row, m.grade_row
    box(t, 1, t, C_AU, "总分", "label")
    box(t, C_REASON, t, C_REASON2, None, "blank")
    box(gr, 1, gr, C_AU, "评分等级", "label")
    box(gr, C_WEIGHT, gr, LAST_PRINT_COL, None, "grade")

    p.extend(formulas_patch(m, project))
    p.extend(names_patch(m))
    p.extend(validations_patch(m))
    p.extend(conditional_patch(m))
    _page_setup(cells, m, project)
    return p, m


def _header(cells: SheetCells, project: SelfEvaluation) -> None:
    put, box = cells.put, cells.box
    box(ROW_TITLE, 1, ROW_TITLE, LAST_PRINT_COL, TITLE, "title")
    box(ROW_YEAR, 1, ROW_YEAR, LAST_PRINT_COL, f"（{project.year}年度）", "subtitle")
    put(ROW_NAME, 1, "项目名称", "label")
    box(ROW_NAME, 2, ROW_NAME, LAST_PRINT_COL, project.name, "text")
    put(ROW_DEPT, 1, "主管部门", "label")
    box(ROW_DEPT, 2, ROW_DEPT, C_ACTUAL - 1, project.department, "text")
    put(ROW_DEPT, C_ACTUAL, "实施单位", "label")  # one cell: its value is the cell to its right
    box(ROW_DEPT, C_ACTUAL + 1, ROW_DEPT, LAST_PRINT_COL, project.unit, "text")


def _funds(cells: SheetCells, m: SheetMap, project: SelfEvaluation, settings: Settings) -> None:
    put, box = cells.put, cells.box
    h = ROW_FUNDS_HDR
    box(h, 1, h + 4, 1, f"项目资金\n（{settings.money_unit}）", "label")
    box(h, 2, h, 3, None, "label")

    def fund_cell(r: int, key: str, value, role: str, fmt: str | None = None) -> None:
        c = m.funds_cols[key]
        box(r, c, r, c + FUND_SPAN.get(key, 1) - 1, value, role, fmt)

    for key in m.funds_cols:
        fund_cell(h, key, FUND_HEADERS[key], "label")
    funds = project.funds
    for key in FUND_KEYS:
        r = m.funds_rows[key]
        box(r, 2, r, 3, FUND_LABELS[key], "label")
        row: FundRow = getattr(funds, key)
        for fkey in ("initial_budget", "budget", "executed"):
            v, fmt = _num(getattr(row, fkey))
            fund_cell(r, fkey, v, "money", fmt or "0.00")
        if key == "total":
            v, fmt = _num(funds.weight)
            put(r, m.funds_cols["weight"], v, "number", fmt)
        else:
            put(r, m.funds_cols["weight"], "-", "dash")
            put(r, m.funds_cols["score"], "-", "dash")


def _indicator_table(cells: SheetCells, m: SheetMap, project: SelfEvaluation) -> None:
    """Two header rows (the second names the target's and actual's cells), one row per
    indicator; 一级 and 二级 are merged later, once the page breaks are known."""
    put, box = cells.put, cells.box
    hr, sub = m.header_row, m.header_row + 1
    for key, c in (("level1", C_L1), ("level2", C_L2), ("name", C_NAME), ("weight", C_WEIGHT),
                   ("score", C_SCORE)):
        box(hr, c, sub, c, IND_HEADERS[key], "label")
    box(hr, C_CMP, hr, C_TU, IND_HEADERS["target"], "label")
    box(hr, C_ACTUAL, hr, C_AU, IND_HEADERS["actual"], "label")
    box(hr, C_REASON, sub, C_REASON2, IND_HEADERS["reason"], "label")
    for key, label in SUB_HEADERS.items():
        put(sub, m.cols[key], label, "label")
    for key, label in OFF_PRINT_HEADERS.items():
        put(hr, m.cols[key], label, "helper_header")
    inds = project.indicators
    for ind, r in zip(inds, m.rows):
        put(r, C_NAME, ind.name, "text")
        cmp, value, unit = split_target(ind.target)
        put(r, C_CMP, cmp, "target_cmp")
        put(r, C_TV, value, "target_value", decimal_format(value) if isinstance(value, Decimal) else None)
        put(r, C_TU, unit, "target_unit")
        actual = structured_actual(ind.target, ind.actual)
        put(r, C_ACTUAL, actual, "actual_value",
            decimal_format(actual) if isinstance(actual, Decimal) else None)
        v, fmt = _num(ind.weight)
        put(r, C_WEIGHT, v, "number", fmt)
        v, fmt = _num(ind.score)
        put(r, C_TYPED, v, "typed_score", fmt)
        box(r, C_REASON, r, C_REASON2, ind.reason, "reason")
    if not inds:  # an empty row to type into
        r = m.first_row
        for c, role in ((C_L1, "category"), (C_L2, "category"), (C_NAME, "text"),
                        (C_CMP, "target_cmp"), (C_TV, "target_value"), (C_TU, "target_unit"),
                        (C_ACTUAL, "actual_value"), (C_WEIGHT, "number"), (C_TYPED, "typed_score")):
            put(r, c, None, role)
        box(r, C_REASON, r, C_REASON2, None, "reason")


def _page_setup(cells: SheetCells, m: SheetMap, project: SelfEvaluation) -> None:
    """Row heights for the texts, page breaks that keep merged blocks on one page, the 一级/二级
    merges once per page, widths and print setup."""
    h, g = ROW_FUNDS_HDR, ROW_FUNDS_HDR + 5
    hr, sub, t, gr = m.header_row, m.header_row + 1, m.total_row, m.grade_row
    inds = project.indicators
    heights = {ROW_TITLE: 32.0, ROW_YEAR: 20.0, ROW_NAME: 22.0, ROW_DEPT: 30.0, h: 30.0}
    for r in m.funds_rows.values():
        heights[r] = 20.0
    heights[g] = 20.0
    heights[g + 1] = row_height([(project.expected_goal, sum(WIDTHS[c] for c in "BCDEF"), 1.0),
                                 (project.achieved_goal, sum(WIDTHS[c] for c in "GHIJKL"), 1.0)],
                                minimum=40.0)
    heights[hr] = 22.0
    heights[sub] = 18.0
    for ind, r in zip(inds, m.rows):
        heights[r] = row_height([(ind.name, WIDTHS["C"], 1.0), (ind.target, WIDTHS["E"] + WIDTHS["F"], 1.0),
                                 (ind.actual if not ind.target or not split_target(ind.target)[1] else None,
                                  WIDTHS["G"], 1.0),
                                 (ind.reason, WIDTHS["K"] + WIDTHS["L"], 0.86)], line_pt=13.5)
    fit_level2_labels(heights, inds, m.rows, WIDTHS["B"])
    heights[t] = 22.0
    heights[gr] = 24.0
    helper_letters = [L(m.cols[k]) for k in HELPER_KEYS]
    level2_groups = groups(inds, lambda i: (i.level1, i.level2))
    breaks = printing.page_breaks(heights, gr, (hr, sub), [  # merged blocks stay on one page
        (h, h + 4), (g, g + 1), *((m.rows[a], m.rows[b]) for a, b in level2_groups[:-1]),
        (m.rows[level2_groups[-1][0]] if inds else t, gr)])  # the last group with the total
    merge_categories(cells, inds, m.rows, breaks, C_L1, C_L2)
    cells.patch.add(printing.form_setup(
        cells.sheet, widths=with_helper_widths(WIDTHS, helper_letters, HELPER_WIDTH), heights=heights,
        last_col=L(LAST_PRINT_COL), last_row=gr, title_rows=(hr, sub), breaks=breaks,
        outline_cols=tuple(helper_letters)))
