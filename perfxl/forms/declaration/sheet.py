"""The whole declaration sheet for a project: labels, inputs, merges, then the formulas,
names, drop-downs and conditional formats (laid out by their own modules), then print setup."""

from __future__ import annotations

from decimal import Decimal

from openpyxl.utils import get_column_letter as L

from perfxl.forms import printing
from perfxl.forms.declaration.formulas import formulas_patch, names_patch
from perfxl.forms.declaration.spec import (
    C_CAT, C_CHECK, C_CHECK_LABEL, C_CMP, C_L1, C_L2, C_NAME, C_NAME2, C_TU, C_TV, HELPER_KEYS,
    HELPER_WIDTH, HELPERS, LAST_PRINT_COL, SUB_HEADERS, TITLE, WIDTHS, SheetMap, fresh_map,
)
from perfxl.forms.declaration.validation import conditional_patch, validations_patch
from perfxl.forms.grid import decimal_format
from perfxl.forms.layout import (
    SheetCells, fit_level2_labels, groups, merge_categories, row_height, with_helper_widths,
)
from perfxl.model import Declaration, Settings
from perfxl.patch import Patch
from perfxl.rules.targets import split_target


def layout(project: Declaration, sheet: str, settings: Settings) -> tuple[Patch, SheetMap]:
    """The whole sheet for ``project``: labels, inputs, merges, formulas, validations, print."""
    m = fresh_map(project, sheet)
    p = Patch()
    cells = SheetCells(p, sheet)
    _header(cells, project)
    _funds(cells, project)
    box, LP = cells.box, LAST_PRINT_COL
    box(10, 1, 11, 1, "项目绩效目标", "label")
    box(10, 2, 10, 4, "项目总目标", "label")
    box(10, 5, 10, LP, "年度总体目标", "label")
    box(11, 2, 11, 4, project.overall_goal, "longtext")
    box(11, 5, 11, LP, project.annual_goal, "longtext")
    _indicator_table(cells, m, project)
    cells.put(5, C_CHECK_LABEL, "perfxl 核对（不打印）", "helper_header")
    cells.put(5, C_CHECK, "结果", "helper_header")
    p.extend(formulas_patch(m, project))
    p.extend(names_patch(m))
    p.extend(validations_patch(m))
    p.extend(conditional_patch(m))
    _page_setup(cells, m, project)
    return p, m


def _header(cells: SheetCells, project: Declaration) -> None:
    put, box, LP = cells.put, cells.box, LAST_PRINT_COL
    box(1, 1, 1, LP, TITLE, "title")
    box(2, 1, 2, LP, f"（{project.year}年度）", "subtitle")
    put(3, 1, "项目名称", "label")
    box(3, 2, 3, 4, project.name, "text")
    put(3, 5, "项目性质", "label")
    put(3, 6, project.nature, "text")
    put(3, 7, "项目类别", "label")
    put(3, 8, project.category, "text")
    put(4, 1, "主管部门", "label")
    box(4, 2, 4, 4, project.department, "text")
    put(4, 5, "实施单位", "label")
    box(4, 6, 4, LP, project.unit, "text")
    put(5, 1, "计划开始日期", "label")
    box(5, 2, 5, 4, project.start_date, "date")
    put(5, 5, "计划完成日期", "label")
    box(5, 6, 5, LP, project.end_date, "date")


def _funds(cells: SheetCells, project: Declaration) -> None:
    """项目资金 (rows 6–9): the project's funds on the left, the year's request on the right."""
    put, box = cells.put, cells.box
    box(6, 1, 9, 1, "项目资金\n（元）", "label")
    fd = project.funds
    left = {6: ("project_total", "项目资金总额"), 7: ("project_fiscal", "其中：财政资金"),
            8: (None, None), 9: ("project_other", "其他资金")}
    right = {6: ("annual_total", "年度资金申请总额"), 7: ("annual_fiscal", "其中：当年财政拨款"),
             8: ("annual_carryover", "上年结转资金"), 9: ("annual_other", "其他资金")}
    for r in range(6, 10):
        key, label = left[r]
        box(r, 2, r, 3, label, "label")
        v = getattr(fd, key) if key else None
        put(r, 4, v, "money", decimal_format(v, True) if v is not None else None)
        key, label = right[r]
        box(r, 5, r, 6, label, "label")
        v = getattr(fd, key)
        box(r, 7, r, 8, v, "money", decimal_format(v, True) if v is not None else None)


def _indicator_table(cells: SheetCells, m: SheetMap, project: Declaration) -> None:
    """Two header rows (the second names the target's cells), one row per indicator; 绩效指标,
    一级 and 二级 are merged later, once the page breaks are known."""
    put, box = cells.put, cells.box
    hr, sub = m.header_row, m.header_row + 1
    box(hr, C_L1, sub, C_L1, "一级指标", "label")
    box(hr, C_L2, sub, C_L2, "二级指标", "label")
    box(hr, C_NAME, sub, C_NAME2, "三级指标", "label")
    box(hr, C_CMP, hr, C_TU, "年度（/项目）指标值", "label")
    for key, label in SUB_HEADERS.items():
        put(sub, m.cols[key], label, "label")
    for key, label, _t in HELPERS:
        put(hr, m.cols[key], label, "helper_header")
    for ind, r in zip(project.indicators, m.rows):
        box(r, C_NAME, r, C_NAME2, ind.name, "text")
        cmp, value, unit = split_target(ind.target)
        put(r, C_CMP, cmp, "target_cmp")
        put(r, C_TV, value, "target_value", decimal_format(value) if isinstance(value, Decimal) else None)
        put(r, C_TU, unit, "target_unit")
    if not project.indicators:  # an empty row to type into
        r = m.first_row
        for c in (C_L1, C_L2):
            put(r, c, None, "category")
        box(r, C_NAME, r, C_NAME2, None, "text")
        for c, role in ((C_CMP, "target_cmp"), (C_TV, "target_value"), (C_TU, "target_unit")):
            put(r, c, None, role)


def _page_setup(cells: SheetCells, m: SheetMap, project: Declaration) -> None:
    """Row heights for the texts, page breaks that keep merged blocks on one page, the 绩效指标,
    一级 and 二级 merges once per page, widths and print setup."""
    hr, last, inds = m.header_row, m.last_row, project.indicators
    heights = {1: 32.0, 2: 20.0, 3: 30.0, 4: 30.0, 5: 22.0, 6: 22.0, 7: 22.0, 8: 22.0, 9: 22.0,
               10: 22.0, hr: 22.0, hr + 1: 18.0}
    heights[11] = row_height([(project.overall_goal, 11 + 13 + 38, 1.0),
                              (project.annual_goal, 14 + 16 + 12 + 18, 1.0)], minimum=40.0)
    for ind, r in zip(inds, m.rows):
        heights[r] = row_height([(ind.name, WIDTHS["D"] + WIDTHS["E"], 1.0),
                                 (ind.target, WIDTHS["G"] + WIDTHS["H"], 1.0)],
                                line_pt=13.5)
    fit_level2_labels(heights, inds, m.rows, WIDTHS["C"])
    helper_letters = [L(m.cols[k]) for k in HELPER_KEYS]
    level2_groups = groups(inds, lambda i: (i.level1, i.level2))
    breaks = printing.page_breaks(heights, last, (hr, hr + 1), [
        (6, 9), (10, 11), *((m.rows[a], m.rows[b]) for a, b in level2_groups)])
    for r1, r2 in printing.split_at(hr, last, breaks):
        cells.box(r1, C_CAT, r2, C_CAT, "绩效指标", "label")
    merge_categories(cells, inds, m.rows, breaks, C_L1, C_L2)
    cells.patch.add(printing.form_setup(
        cells.sheet, widths=with_helper_widths(WIDTHS, helper_letters, HELPER_WIDTH), heights=heights,
        last_col=L(LAST_PRINT_COL), last_row=last, title_rows=(hr, hr + 1), breaks=breaks,
        outline_cols=tuple(helper_letters)))
