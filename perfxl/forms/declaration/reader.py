"""Reading a declaration sheet back into the model, step by step: the header fields, the funds
amounts, the goals, the indicator table, and the check cells beside the form. Every unreadable
cell becomes a W7xx finding."""

from __future__ import annotations

from decimal import Decimal

from openpyxl.worksheet.worksheet import Worksheet

from perfxl.findings import Finding
from perfxl.forms.declaration.spec import (
    CHECK_LABELS, FUND_LABELS, HELPERS, IND_HEADERS, SUB_HEADERS, TEXT_LABELS, TITLE, SheetMap,
)
from perfxl.forms.grid import CellError, Grid, read_year, ref, to_date, to_decimal
from perfxl.forms.reading import SheetReader, find_target_cells, number_cell, title_in_top_rows
from perfxl.forms.targetcells import structured_target, v1_finding
from perfxl.model import Declaration, DeclarationFunds, Indicator, set_location, set_sheet

_TEXT_FIELDS = ("name", "nature", "category", "department", "unit", "overall_goal", "annual_goal")
_DATE_LABELS = {"start_date": "计划开始日期", "end_date": "计划完成日期"}


def recognises(grid: Grid) -> bool:
    """Whether the sheet is a declaration: 绩效目标申报表 in its title rows."""
    return title_in_top_rows(grid, "绩效目标申报表")


def read(ws: Worksheet, grid: Grid | None = None) -> tuple[Declaration | None, SheetMap, list[Finding]]:
    """Read one declaration sheet; ``None`` for the project when it has no year."""
    rd = SheetReader(grid or Grid(ws), ws.title)
    m = SheetMap(ws.title)
    year = _read_year(rd, m)
    _find_fields(rd, m)
    values: dict = {key: rd.text_at(m.fields.get(key)) or "" for key in _TEXT_FIELDS}
    values.update(_read_dates(rd, m))
    funds = _read_amounts(rd, m)
    if not values["name"]:
        rd.warn(ref(*m.fields["name"]) if "name" in m.fields else "", "项目名称为空", "W704")
    indicators = _read_indicators(rd, m)
    for key, label in CHECK_LABELS.items():  # the check cells beside the form, by their labels
        h = rd.g.find(label)
        if h:
            m.checks[key] = (h[0], h[1] + 1)
    if year is None:
        return None, m, rd.findings
    project = Declaration(year=year, funds=funds, indicators=indicators, **values)
    _locate(project, m)
    return project, m, rd.findings


def _read_year(rd: SheetReader, m: SheetMap) -> int | None:
    year, year_cell, bad_year = read_year(rd.g)
    if year_cell:
        m.fields["year"] = year_cell
    if bad_year:
        rd.warn(ref(*year_cell), bad_year, "W710")
    elif year is None:
        rd.warn("A2", "找不到年度（如“（2026年度）”），无法确定申报年度", "W706")
    return year


def _find_fields(rd: SheetReader, m: SheetMap) -> None:
    """The cells of the header fields, the funds amounts and the goals, by their labels (W703
    for a missing name, department or unit)."""
    g = rd.g
    for key, label in (("name", "项目名称"), ("nature", "项目性质"), ("category", "项目类别"),
                       ("department", "主管部门"), ("unit", "实施单位"),
                       ("start_date", "计划开始日期"), ("end_date", "计划完成日期")):
        hit = g.find(label)
        if hit:
            m.fields[key] = g.value_right_of(*hit)
        elif key in ("name", "department", "unit"):
            rd.warn("", f"找不到“{label}”一栏，按空白处理")
    annual_hdr = g.find("年度资金申请总额")
    for key in FUND_LABELS:
        if key == "project_other" or key == "annual_other":  # 其他资金 twice: left, right
            hits = g.find_all("其他资金")
            if annual_hdr:
                hits = [h for h in hits if (h[1] < annual_hdr[1]) == (key == "project_other")]
            elif key == "annual_other":
                hits = hits[1:]
            hit = hits[0] if hits else None
        elif key == "project_fiscal":
            hit = g.find("其中：财政资金", "财政资金")
        elif key == "annual_fiscal":
            hit = g.find("其中：当年财政拨款", "当年财政拨款")
        elif key == "annual_carryover":
            hit = g.find("上年结转资金", "上年结转")
        else:
            hit = g.find(FUND_LABELS[key])
        if hit:
            m.fields[key] = _amount_cell(g, hit)
    for key, label in (("overall_goal", "项目总目标"), ("annual_goal", "年度总体目标")):
        hit = g.find(label)
        if hit:
            m.fields[key] = (g.bottom(*hit) + 1, hit[1])


def _amount_cell(g: Grid, label: tuple[int, int]) -> tuple[int, int]:
    """The amount cell of a funds label: just right of the label's merged range; when staff
    unmerged the label (项目资金总额 over B:C becomes B, with C empty), the first filled cell to
    its right that holds a number, unless another label comes first."""
    r, c = g.value_right_of(*label)
    if g.raw(r, c) is not None or g.merged(*label) is not None:
        return r, c
    for col in range(c + 1, min(c + 3, g.max_col) + 1):
        v = g.raw(r, col)
        if v is None:
            continue
        try:
            return (r, col) if to_decimal(v) is not None else (r, c)
        except CellError:  # a label, or words: the amount is the blank cell
            return r, c
    return r, c


def _read_dates(rd: SheetReader, m: SheetMap) -> dict:
    out = {}
    for key, label in _DATE_LABELS.items():
        rc = m.fields.get(key)
        if rc:
            try:
                out[key] = to_date(rd.g.raw(*rc))
            except CellError as e:
                rd.warn(ref(*rc), f"{label}：{e}", "W701")
    return out


def _read_amounts(rd: SheetReader, m: SheetMap) -> DeclarationFunds:
    """Each amount found (W701 for one that is not a number or negative: not read, nor located)."""
    g = rd.g
    amounts: dict[str, Decimal | None] = {}
    for key, label in FUND_LABELS.items():
        rc = m.fields.get(key)
        if rc is None or g.is_formula(*rc):
            continue
        d, fnd = number_cell(g.raw(*rc), g.number_format(*rc), rd.sheet, ref(*rc), label)
        rd.findings.extend(fnd)
        if d is None and fnd:
            continue
        if d is not None and d < 0:
            rd.warn(ref(*rc), f"金额不能为负数：{d}", "W701")
            continue
        amounts[key] = d
    funds = DeclarationFunds(**amounts)
    for key in amounts:
        set_location(funds, key, rd.sheet, ref(*m.fields[key]))
    return funds


def _read_indicators(rd: SheetReader, m: SheetMap) -> list[Indicator]:
    """The indicator table: its header's columns (W750 for a v1 sheet), then every filled row
    down to the end of the sheet or another form's title."""
    g, S = rd.g, rd.sheet
    hit = g.find("三级指标")
    if hit is None:
        rd.warn("", "找不到绩效指标表头（三级指标），未读取任何指标")
        return []
    hr = m.header_row = hit[0]
    for key, label in IND_HEADERS.items():
        h = g.find(label, rows=[hr])
        if h is None and key == "target":
            h = g.find("指标值", rows=[hr], exact=False)
        if h:
            m.cols[key] = h[1]
    for key, label, _t in HELPERS:
        h = g.find(label, rows=[hr])
        if h:
            m.cols[key] = h[1]
    if not find_target_cells(g, m, SUB_HEADERS) and "target" in m.cols:
        rd.findings.append(v1_finding(S, ref(hr, m.cols["target"])))
    if "name" not in m.cols or "target" not in m.cols:
        rd.warn(ref(hr, 1), "绩效指标表头缺少三级指标或指标值列")
        return []
    input_cols = [m.cols[k] for k in ("level1", "level2", "name", "cmp", "target", "tu") if k in m.cols]
    title_rows = {r for r, c in g.find_all(TITLE, exact=False) if c <= g.max_col}
    indicators: list[Indicator] = []
    lvl1 = lvl2 = ""
    for r in range(m.first_row or hr + 1, g.max_row + 1):
        if g.row_is_blank(r, input_cols):
            continue
        if r in title_rows:
            break  # another form below this one
        row = rd.row(r, m.cols, TEXT_LABELS)
        lvl1, lvl2 = row.levels(lvl1, lvl2)
        if m.v2:  # the text the three cells spell, read by the one parser
            target, fnd = structured_target(g, S, r, m.cols, row.text, row.text("name") or "")
            rd.findings.extend(fnd)
        else:
            target = row.text("target") or ""
        ind = Indicator(level1=lvl1, level2=lvl2, name=row.text("name") or "", target=target)
        row.locate(ind, ("level1", "level2", "name", "target"))
        indicators.append(ind)
        m.rows.append(r)
    m.last_row = m.rows[-1] if m.rows else hr + 1
    return indicators


def _locate(project: Declaration, m: SheetMap) -> None:
    """Each project field's cell (:func:`perfxl.model.locate`)."""
    S = m.sheet
    set_sheet(project, S)
    if m.header_row:  # structure findings (X501) point at the indicator table's header
        set_location(project, "indicators", S, ref(m.header_row, m.cols.get("level1", 1)))
    for key in ("name", "nature", "category", "department", "unit", "start_date", "end_date",
                "overall_goal", "annual_goal", "year"):
        if key in m.fields:
            set_location(project, key, S, ref(*m.fields[key]))
