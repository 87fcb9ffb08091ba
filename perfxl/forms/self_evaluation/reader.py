"""Reading a self-evaluation sheet back into the model, step by step: the header, the funds
block, the goals, the indicator table (:mod:`.table_reader`), then each value's cell and the
derived figures typed as numbers. Every unreadable cell becomes a W7xx finding."""

from __future__ import annotations

from decimal import Decimal

from openpyxl.worksheet.worksheet import Worksheet

from perfxl.findings import Finding
from perfxl.forms.grid import CellError, Grid, quantize_to_format, read_year, ref, to_decimal
from perfxl.forms.reading import SheetReader, title_in_top_rows
from perfxl.forms.self_evaluation.table_reader import find_table, find_table_end, read_indicators
from perfxl.forms.self_evaluation.spec import FUND_HEADERS, FUND_KEYS, FUND_LABELS, SheetMap
from perfxl.forms.targetcells import v1_finding
from perfxl.model import FundRow, SelfEvaluation, SelfEvaluationFunds, set_location, set_sheet

# the labels of each funds row, as editions of the form word them
_FUND_ROW_LABELS = {"total": ("年度资金总额",), "fiscal": ("其中：当年财政拨款", "当年财政拨款"),
                    "carryover": ("上年结转资金", "其中：上年结转资金", "上年结转"),
                    "other": ("其他资金", "其中：其他资金")}


def recognises(grid: Grid) -> bool:
    """Whether the sheet is a self-evaluation: 绩效自评表 in its title rows."""
    return title_in_top_rows(grid, "绩效自评表")


def read(ws: Worksheet, grid: Grid | None = None) -> tuple[SelfEvaluation | None, SheetMap, list[Finding]]:
    """Read one self-evaluation sheet; ``None`` for the project when it has no year."""
    rd = SheetReader(grid or Grid(ws), ws.title)
    m = SheetMap(ws.title)
    year = _read_header(rd, m)
    _find_funds(rd, m)
    funds = _read_funds(rd, m)
    _find_goals(rd, m)
    find_table(rd, m)
    indicators = []
    if m.header_row and "name" in m.cols and "target" in m.cols:
        indicators = read_indicators(rd, m, find_table_end(rd.g, m))
    if m.header_row and not m.v2:
        rd.findings.append(v1_finding(rd.sheet, ref(m.header_row, m.cols.get("target", 1))))
    project = SelfEvaluation(
        name=rd.text_at(m.name) or "", year=year or 2000, department=rd.text_at(m.department) or "",
        unit=rd.text_at(m.unit) or "", indicators=indicators, funds=funds,
        expected_goal=rd.text_at(m.expected_goal) or "", achieved_goal=rd.text_at(m.achieved_goal) or "",
    )
    _locate(project, funds, m)
    _read_printed(rd.g, m)
    if year is None:
        return None, m, rd.findings
    return project, m, rd.findings


def _read_header(rd: SheetReader, m: SheetMap) -> int | None:
    """The year (W710 unreadable, W706 missing), and where the name, department and unit are
    (W703 for a missing label, W704 for an empty name)."""
    year, m.year, bad_year = read_year(rd.g)
    if bad_year:
        rd.warn(ref(*m.year), bad_year, "W710")
    for key, label in (("name", "项目名称"), ("department", "主管部门"), ("unit", "实施单位")):
        hit = rd.g.find(label)
        if hit is None:
            rd.warn("", f"找不到“{label}”一栏，{label}按空白处理")
        setattr(m, key, rd.g.value_right_of(*hit) if hit else None)
    if not rd.text_at(m.name):
        rd.warn(m.cell(m.name) or "", "项目名称为空", "W704")
    if year is None and not bad_year:
        rd.warn("A2", "找不到年度（如“（2023年度）”），无法确定评价年度", "W706")
    return year


def _find_funds(rd: SheetReader, m: SheetMap) -> None:
    """The funds block's columns (by the header row of 年初预算数) and rows (by their labels)."""
    g = rd.g
    hdr = g.find("年初预算数")
    if hdr is None:
        rd.warn("", "找不到项目资金表头（年初预算数），资金按空白处理")
        return
    fr = hdr[0]
    for key, label in FUND_HEADERS.items():
        hit = g.find(label, rows=[fr], exact=False) if key != "score" else g.find("得分", rows=[fr])
        if key == "weight" and hit is None:
            hit = g.find("分值", rows=[fr])
        if hit is None and key == "rate":
            hit = g.find("执行率", rows=[fr], exact=False)
        if hit:
            m.funds_cols[key] = hit[1]
    for key in FUND_KEYS:
        labels = _FUND_ROW_LABELS[key]
        hit = g.find(*labels, rows=range(fr + 1, min(fr + 10, g.max_row) + 1))
        if hit:
            m.funds_rows[key] = hit[0]
        else:
            rd.warn("", f"项目资金中找不到“{labels[0]}”一行")


def _read_funds(rd: SheetReader, m: SheetMap) -> SelfEvaluationFunds:
    """The amounts of each funds row found (W701 for a negative one) and the execution weight."""
    fund_rows: dict[str, FundRow] = {}
    for key, r in m.funds_rows.items():
        amounts: dict[str, Decimal | None] = {}
        for fkey in ("initial_budget", "budget", "executed"):
            c = m.funds_cols.get(fkey)
            if c is None:
                continue
            d = rd.number(r, c, f"{FUND_LABELS[key]}的{FUND_HEADERS[fkey]}")
            if d is not None and d < 0:
                rd.warn(ref(r, c), f"金额不能为负数：{d}", "W701")
                d = None
            amounts[fkey] = d
        fund_rows[key] = row = FundRow(**amounts)
        for fkey in amounts:
            set_location(row, fkey, rd.sheet, ref(r, m.funds_cols[fkey]))
    funds = SelfEvaluationFunds(**fund_rows)
    if "total" in m.funds_rows and "weight" in m.funds_cols:
        r, c = m.funds_rows["total"], m.funds_cols["weight"]
        w = rd.number(r, c, "预算执行率分值")
        if w is not None and w >= 0:
            funds.weight = w
        set_location(funds, "weight", rd.sheet, ref(r, c))
    return funds


def _find_goals(rd: SheetReader, m: SheetMap) -> None:
    for key, label in (("expected_goal", "预期目标"), ("achieved_goal", "实际完成情况")):
        hit = rd.g.find(label)
        if hit:
            setattr(m, key, (rd.g.bottom(*hit) + 1, hit[1]))
        else:
            rd.warn("", f"找不到“{label}”一栏")


def _locate(project: SelfEvaluation, funds: SelfEvaluationFunds, m: SheetMap) -> None:
    """Each project field's cell (:func:`perfxl.model.locate`); ``funds``: the funds as read."""
    S = m.sheet
    set_sheet(project, S)
    if m.header_row:  # structure findings (X501/X502) point at the indicator table's header
        set_location(project, "indicators", S, ref(m.header_row, m.cols.get("level1", 1)))
    for key in ("name", "department", "unit", "expected_goal", "achieved_goal"):
        rc = getattr(m, key)
        if rc:
            set_location(project, key, S, ref(*rc))
    if m.year:
        set_location(project, "year", S, ref(*m.year))
    if m.total:
        set_location(project, "total", S, ref(*m.total))
    if m.grade:
        set_location(project, "grade", S, ref(*m.grade))
    if "total" in m.funds_rows:
        r = m.funds_rows["total"]
        for key in ("rate", "score"):
            if key in m.funds_cols:
                set_location(funds, f"execution_{key}", S, ref(r, m.funds_cols[key]))


def _read_printed(g: Grid, m: SheetMap) -> None:
    """Numbers typed where the form computes 执行率, 执行率得分 and 总分 (a published form, or a
    formula replaced by its value): kept in ``m.printed``."""
    cells = {}
    if "total" in m.funds_rows:
        r = m.funds_rows["total"]
        for key, fld in (("rate", "execution_rate"), ("score", "execution_score")):
            if key in m.funds_cols:
                cells[fld] = (r, m.funds_cols[key])
    if m.total:
        cells["total"] = m.total
    for fld, (r, c) in cells.items():
        v = g.own(r, c)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not g.is_formula(r, c):
            try:
                d = to_decimal(v)
            except CellError:
                continue
            m.printed[fld] = (quantize_to_format(d, g.number_format(r, c)), ref(r, c))
