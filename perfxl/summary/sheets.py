"""The summary workbook: Excel Tables with native formulas, a statistics sheet and charts.

Every computed cell is a native formula (design §2): execution rate and score (R6, R6r),
total, grade (R8), sources sum, cost check, quantitative share, the cross-year flag, and all of
the 统计 sheet (SUM/AVERAGE/COUNTIF over table columns). Formulas use Excel 2010 functions and
full-form structured references (``T[[#This Row],[列]]``, ``T[[列]]``). Python computes the same
figures (:mod:`perfxl.summary.tables`) and the tests compare them after a LibreOffice recalc.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.safety import set_text_cell
from perfxl.summary.matching import MAPPING_SHEET
from perfxl.summary.tables import BELOW_LAST_ACTUAL, COLUMNS, SummaryTables

# sheet title, table name, COLUMNS key
SHEETS = {
    "stats": ("统计", None, None),
    "self_evaluations": ("自评汇总", "SelfEvalSummary", "self_evaluations"),
    "deviations": ("偏差明细", "Deviations", "deviations"),
    "declarations": ("申报汇总", "DeclarationSummary", "declarations"),
    "indicator_mix": ("指标构成", "IndicatorMix", "indicator_mix"),
    "cross_year": ("跨年对比", "CrossYear", "cross_year"),
    "mapping": (MAPPING_SHEET, "ProjectMapping", "mapping"),
    "findings": ("问题清单", "Findings", "findings"),
    "skipped": ("未读取文件", "SkippedFiles", "skipped"),
    "charts": ("图表", None, None),
}
SHEET_TITLES = [v[0] for v in SHEETS.values()]

FORMATS = {"money": "#,##0.00", "num": "0.00", "int": "0", "text": "@", "link": "General"}
HEADER_FONT = Font(name="黑体", bold=True)
FLAG_FONT = Font(color="C00000", bold=True)
LINK_FONT = Font(color="0563C1", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")


def _esc(header: str) -> str:
    """Escape a column name for a structured reference (' [ ] # get a leading ')."""
    return "".join("'" + ch if ch in "'[]#" else ch for ch in header)


def this_row(table: str, header: str) -> str:
    return f"{table}[[#This Row],[{_esc(header)}]]"


def column(table: str, header: str) -> str:
    return f"{table}[[{_esc(header)}]]"


def _h(key: str, col: str) -> str:
    return COLUMNS[key][col][0]


# --- formulas of the table columns --------------------------------------------------------------


def _self_eval_formulas(t: str):
    def r(col):
        return this_row(t, _h("self_evaluations", col))

    b, e, w = r("budget"), r("executed"), r("execution_weight")

    def cut(x, row):
        return f"ROUND({x},2)" if row.get("_rounding") == "half_up" else f"TRUNC(ROUND({x},9),2)"

    rt, es, ind, tt = r("execution_rate"), r("execution_score"), r("indicator_score"), r("total")

    # R6/R6r exactly as perfxl.rules.scoring.execution_rate/execution_score
    def rate(row):
        return f'=IF(AND(ISNUMBER({b}),ISNUMBER({e})),IF({b}=0,0,{cut(f"{e}/{b}*100", row)}),"")'

    def score(row):
        return f'=IF(ISNUMBER({rt}),{cut(f"MIN({rt},100)*{w}/100", row)},"")'

    total = f'=IF(ISNUMBER({ind}),ROUND(N({es})+{ind},2),"")'
    grade = f'=IF(ISNUMBER({tt}),IF({tt}>=90,"优",IF({tt}>=80,"良",IF({tt}>=60,"中","差"))),"")'
    return {
        "execution_rate": rate,
        "execution_score": score,
        "total": lambda row: total,
        "grade": lambda row: grade,
    }


def _declaration_formulas(t: str):
    def r(col):
        return this_row(t, _h("declarations", col))

    req, ceil = r("annual_total"), r("cost_ceiling")
    sources = f"=SUM({r('annual_fiscal')},{r('annual_carryover')},{r('annual_other')})"
    check = (
        f'=IF(ISNUMBER({ceil}),IF(ISNUMBER({req}),IF(ROUND({req}/10000,2)=ROUND({ceil},2),"一致",'
        f'IF({ceil}*10000>{req},"成本上限高于申请额","成本上限低于申请额")),"未填申请额"),"无总额成本指标")'
    )
    n, q = r("indicators"), r("quantitative")
    share = f"=IF({n}>0,ROUND({q}/{n}*100,2),0)"
    return {
        "sources_sum": lambda row: sources,
        "cost_check": lambda row: check,
        "quantitative_share": lambda row: share,
    }


def _cross_year_formulas(t: str):
    def r(col):
        return this_row(t, _h("cross_year", col))

    p, c, cmp = r("prev_actual_value"), r("cur_target_value"), r("comparator")
    flag = (
        f'=IF(AND(ISNUMBER({p}),ISNUMBER({c})),IF(AND(OR({cmp}="≥",{cmp}=">",{cmp}="="),{c}<{p}),'
        f'"{BELOW_LAST_ACTUAL}",""),"")'
    )
    return {"flag": lambda row: flag}


FORMULAS = {
    "self_evaluations": _self_eval_formulas,
    "declarations": _declaration_formulas,
    "cross_year": _cross_year_formulas,
}


# --- writing ----------------------------------------------------------------------------------


def _fresh_sheet(wb: Workbook, title: str) -> Worksheet:
    if title in wb.sheetnames:
        del wb[title]
    return wb.create_sheet(title)


def write_table(
    wb: Workbook,
    key: str,
    rows: list[dict],
    *,
    same_workbook: bool = False,
    source_dir: Path | None = None,
    out_dir: Path | None = None,
) -> Worksheet:
    title, table_name, cols_key = SHEETS[key]
    ws = _fresh_sheet(wb, title)
    cols = COLUMNS[cols_key]
    formulas = FORMULAS.get(key, lambda t: {})(table_name)
    keys = list(cols)
    for j, k in enumerate(keys, start=1):
        c = ws.cell(row=1, column=j, value=cols[k][0])
        c.font = HEADER_FONT
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, row in enumerate(rows, start=2):
        for j, k in enumerate(keys, start=1):
            kind = cols[k][1]
            cell = ws.cell(row=i, column=j)
            if k in formulas:
                cell.value = formulas[k](row)
            else:
                v = row.get(k)
                if isinstance(v, str):
                    set_text_cell(cell, v or None)
                else:
                    cell.value = v
            cell.number_format = FORMATS[kind]
            if kind == "link":
                _hyperlink(cell, row, same_workbook, out_dir)
            if k == "reason" and row.get("_has_reason") is False:
                cell.font = FLAG_FONT
    last_row = max(2, len(rows) + 1)
    ref = f"A1:{get_column_letter(len(keys))}{last_row}"
    table = Table(displayName=table_name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    for j, k in enumerate(keys, start=1):
        header, kind = cols[k]
        longest = max([len(str(r.get(k) or "")) for r in rows[:200]] + [len(header) + 2])
        width = {"text": min(max(longest, 8), 40), "link": 28}.get(kind, max(len(header) * 2, 10))
        ws.column_dimensions[get_column_letter(j)].width = width * (1.6 if kind == "text" else 1)
    ws.row_dimensions[1].height = 32
    ws.print_title_rows = "1:1"
    _print_setup(ws)
    return ws


def _hyperlink(cell, row: dict, same_workbook: bool, out_dir: Path | None) -> None:
    link = row.get("_link")
    if not link:
        return
    sheet, addr = link.rsplit("!", 1)
    location = f"'{sheet}'!{addr}"
    if same_workbook:
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location, display=cell.value)
    elif row.get("_path") and out_dir is not None:
        try:
            target = Path(row["_path"]).resolve().relative_to(out_dir.resolve()).as_posix()
        except ValueError:
            target = Path(row["_path"]).resolve().as_uri()
        cell.hyperlink = Hyperlink(ref=cell.coordinate, target=target, location=location)
        cell.hyperlink.target = target
        cell.hyperlink.location = location
    else:
        return
    cell.font = LINK_FONT


def write_stats(wb: Workbook, tables: SummaryTables) -> Worksheet:
    """统计: totals and the grade distribution, all native formulas over the tables."""
    ws = _fresh_sheet(wb, SHEETS["stats"][0])
    se = SHEETS["self_evaluations"][1]
    de = SHEETS["declarations"][1]
    cy = SHEETS["cross_year"][1]
    dv = SHEETS["deviations"][1]

    def sc(col):
        return column(se, _h("self_evaluations", col))

    def dc(col):
        return column(de, _h("declarations", col))

    ws["A1"] = "绩效汇总统计"
    ws["A1"].font = Font(name="黑体", size=14, bold=True)
    lines = [
        ("自评项目数", f"=COUNTA({sc('name')})", "self_evaluations", "0"),
        ("全年预算数合计（万元）", f"=SUM({sc('budget')})", "budget", "#,##0.00"),
        ("全年执行数合计（万元）", f"=SUM({sc('executed')})", "executed", "#,##0.00"),
        ("总体执行率（％）", "=IF(B4>0,TRUNC(ROUND(B5/B4*100,9),2),0)", "execution_rate", "0.00"),
        ("平均总分", f"=IF(B3>0,ROUND(AVERAGE({sc('total')}),2),0)", "average_total", "0.00"),
        ("最高总分", f"=IF(B3>0,MAX({sc('total')}),\"\")", "max_total", "0.00"),
        ("最低总分", f"=IF(B3>0,MIN({sc('total')}),\"\")", "min_total", "0.00"),
        ("偏差未填写原因", f'=COUNTIF({column(dv, "偏差原因分析")},"未填写原因")', "missing_reasons", "0"),
        ("申报项目数", f"=COUNTA({dc('name')})", "declarations", "0"),
        ("年度资金申请总额合计（元）", f"=SUM({dc('annual_total')})", "requested", "#,##0.00"),
        ("申报指标数", f"=SUM({dc('indicators')})", "declared_indicators", "0"),
        ("其中定量指标", f"=SUM({dc('quantitative')})", "declared_quantitative", "0"),
        ("目标低于上年实际", f'=COUNTIF({column(cy, "提示")},"{BELOW_LAST_ACTUAL}")', "below_last_actual", "0"),
        ("本年取消的上年指标", f'=COUNTIF({column(cy, "状态")},"本年取消")', "gone", "0"),
    ]
    for i, (label, formula, _key, fmt) in enumerate(lines, start=3):
        ws.cell(row=i, column=1, value=label)
        c = ws.cell(row=i, column=2, value=formula)
        c.number_format = fmt
    ws["D2"] = "等级"
    ws["E2"] = "项目数"
    ws["D2"].font = ws["E2"].font = HEADER_FONT
    for i, g in enumerate(("优", "良", "中", "差"), start=3):
        ws.cell(row=i, column=4, value=g)
        ws.cell(row=i, column=5, value=f'=COUNTIF({sc("grade")},"{g}")')
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 18
    _print_setup(ws, landscape=False)
    return ws


# Where each statistic lives on the 统计 sheet (for tests and the add-in).
STATS_CELLS = {
    "self_evaluations": "B3", "budget": "B4", "executed": "B5", "execution_rate": "B6",
    "average_total": "B7", "max_total": "B8", "min_total": "B9", "missing_reasons": "B10",
    "declarations": "B11", "requested": "B12", "declared_indicators": "B13",
    "declared_quantitative": "B14", "below_last_actual": "B15", "gone": "B16",
    "grade_优": "E3", "grade_良": "E4", "grade_中": "E5", "grade_差": "E6",
}


def _bar(title: str, y_title: str, n: int, horizontal: bool = False) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.legend = None
    chart.height = 7.5
    chart.width = 17
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.dataLabels.showSerName = False
    chart.dataLabels.showCatName = False
    chart.dataLabels.showLegendKey = False
    chart.dataLabels.showPercent = False
    return chart


def write_charts(wb: Workbook, tables: SummaryTables) -> Worksheet | None:
    """图表: total score by project, execution rate by project, grade distribution."""
    n = len(tables.self_evaluations)
    if n == 0:
        if SHEETS["charts"][0] in wb.sheetnames:
            del wb[SHEETS["charts"][0]]
        return None
    ws = _fresh_sheet(wb, SHEETS["charts"][0])
    src = wb[SHEETS["self_evaluations"][0]]
    keys = list(COLUMNS["self_evaluations"])
    name_col = keys.index("name") + 1
    cats = Reference(src, min_col=name_col, min_row=2, max_row=n + 1)
    anchor_row = 1
    for key, title, y_title in (
        ("total", "各项目自评总分", "总分"),
        ("execution_rate", "各项目预算执行率", "执行率（％）"),
    ):
        col = keys.index(key) + 1
        chart = _bar(title, y_title, n, horizontal=True)
        chart.height = min(max(6.0, 1.0 * n + 3), 40)
        chart.y_axis.number_format = "0"
        chart.x_axis.scaling.orientation = "maxMin"  # first project on top, as in the table
        chart.add_data(Reference(src, min_col=col, min_row=1, max_row=n + 1), titles_from_data=True)
        chart.set_categories(cats)
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100 if key == "total" else 110
        ws.add_chart(chart, f"A{anchor_row}")
        anchor_row += int(chart.height / 0.53) + 2
    stats = wb[SHEETS["stats"][0]]
    chart = _bar("评分等级分布", "项目数", 4)
    chart.add_data(Reference(stats, min_col=5, min_row=2, max_row=6), titles_from_data=True)
    chart.set_categories(Reference(stats, min_col=4, min_row=3, max_row=6))
    chart.y_axis.scaling.min = 0
    chart.y_axis.majorUnit = 1
    ws.add_chart(chart, f"A{anchor_row}")
    _print_setup(ws, landscape=False, fit_height=True)
    return ws


def _print_setup(ws: Worksheet, landscape: bool = True, fit_height: bool = False) -> None:
    """Print on A4, as wide as one page (tables) or one page (charts)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if fit_height else 0


def write_summary(
    wb: Workbook,
    tables: SummaryTables,
    *,
    same_workbook: bool = False,
    out_dir: Path | None = None,
) -> None:
    """Add (or replace) every summary sheet in ``wb``."""
    write_stats(wb, tables)
    for key in SHEETS:
        if key in ("stats", "charts"):
            continue
        rows = getattr(tables, key)
        if key == "skipped" and not rows:
            if SHEETS[key][0] in wb.sheetnames:
                del wb[SHEETS[key][0]]
            continue
        write_table(wb, key, rows, same_workbook=same_workbook, out_dir=out_dir)
    write_charts(wb, tables)
    ws = wb[SHEETS["mapping"][0]]
    ws.cell(row=1, column=len(COLUMNS["mapping"]) + 2, value=(
        "可修改“本年项目名称”来纠正对照（清空表示不对照）；下次运行 perfxl summary 输出到本文件时按此表对照。"
    )).alignment = WRAP
    ws.column_dimensions[get_column_letter(len(COLUMNS["mapping"]) + 2)].width = 50
