"""The summary workbook: Excel Tables with native formulas, a statistics sheet and charts.

Every computed cell is a native formula (design §2): execution rate and score (R6, R6r),
total, grade (R8), sources sum, cost check, quantitative share, the cross-year flag, and all of
the 统计 sheet (SUM/AVERAGE/COUNTIF over table columns). Formulas use Excel 2010 functions and
full-form structured references (``T[[#This Row],[列]]``, ``T[[列]]``). Python computes the same
figures (:mod:`perfxl.summary.tables`) and the tests compare them after a LibreOffice recalc.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.forms.layout import quote_sheet
from perfxl.model import Rounding
from perfxl.rules.scoring import cut2_formula, half_cent_constant
from perfxl.safety import clean_text, is_formula_like
from perfxl.summary.matching import MAPPING_SHEET
from perfxl.summary.tables import BELOW_LAST_ACTUAL, COLUMNS, SummaryTables, shown

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
}
OLD_CHARTS_SHEET = "图表"  # earlier summaries had the charts on a sheet of their own

FORMATS = {"money": "#,##0.00", "num": "0.00", "int": "0", "text": "@", "link": "General"}
HEADER_FONT = Font(name="黑体", bold=True)
FLAG_FONT = Font(color="C00000", bold=True)
LINK_FONT = Font(color="0563C1", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")
WRAP_FONT = Font(name="宋体", size=11)  # text that wraps in its cell (long names)
HEADER_WRAP_FONT = Font(name="黑体", bold=True, size=11)  # a column name that wraps
TOP = Alignment(vertical="top")
TITLE_FONT = Font(name="黑体", size=14, bold=True)


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

    def cut(x, row):  # R6r, the formula text rules.scoring owns
        return cut2_formula(x, half_cent_constant(row.get("_rounding") or Rounding.TRUNCATE))

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
    out_dir: Path | None = None,
) -> Worksheet:
    """The table sheet ``key`` (replacing a sheet of its title) in a workbook held in memory:
    the cells of :class:`_TableCells`, laid out by :func:`_table_setup`."""
    ws = _fresh_sheet(wb, SHEETS[key][0])
    _table_setup(ws, key, rows)
    cells = _TableCells(ws, key, out_dir, same_workbook=same_workbook, reuse=False)
    ws.append(cells.header())
    for row in rows:
        appended = cells.row(row)
        ws.append(appended)
        for cell in appended:  # an appended cell's hyperlink still names the cell it was made as
            if cell.hyperlink is not None:
                cell.hyperlink.ref = cell.coordinate
    return ws


def link_target(path: str, out_dir: Path, folders: dict[Path, Path] | None = None) -> str:
    """The hyperlink target of a source file: relative to the (resolved) output folder, else a
    URI. ``folders`` remembers resolved source folders: ``Path.resolve`` costs a system call
    per path component and a batch's files share a few folders (a file that is itself a
    symbolic link is resolved fully)."""
    source = Path(path)
    if folders is None or source.is_symlink():
        resolved = source.resolve()
    else:
        folder = folders.get(source.parent)
        if folder is None:
            folder = folders[source.parent] = source.parent.resolve()
        resolved = folder / source.name
    try:
        return resolved.relative_to(out_dir).as_posix()
    except ValueError:
        return resolved.as_uri()


GRADES = ("优", "良", "中", "差")
STATS_WIDTHS = {"A": 28, "B": 14, "C": 10, "D": 8, "E": 8}
LABEL_FONT = Font(name="宋体", size=11)
SECTION_FONT = Font(name="黑体", size=12, bold=True)
CHART_ROWS_PER_CM = 1 / 0.53  # rows of the default 15 pt height per centimetre
PAGE_CHARTS_CM = 24  # chart height that fits one portrait A4 page


@dataclass
class StatsLayout:
    """The 统计 sheet: one block per year, newest first — each self-evaluation year with its
    figures, grade distribution, the projects to look at and its charts; then each declaration
    year. ``cells``: (row, column) -> (value, font, number format); ``where``: (kind, year,
    figure) -> cell (for tests and the add-in); ``charts``: (anchor row, chart, year, first and
    last row of the year in 自评汇总, the grade table's header row, height in cm); ``breaks``:
    rows after which a new printed page starts."""

    cells: dict[tuple[int, int], tuple] = field(default_factory=dict)
    where: dict[tuple[str, int, str], str] = field(default_factory=dict)
    charts: list[tuple[int, str, int, int, int, int, float]] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)  # rows of wrapped text, in points


def _chart_height(n: int) -> float:
    return min(max(6.0, 0.8 * n + 3), 24)


def stats_layout(tables: SummaryTables) -> StatsLayout:
    """Where everything of the 统计 sheet goes (every figure a native formula over the tables,
    restricted to its year; the list of projects to look at is perfxl's, as values)."""
    se, de, cy, dv = (SHEETS[k][1] for k in ("self_evaluations", "declarations", "cross_year", "deviations"))

    def sc(col):
        return column(se, _h("self_evaluations", col))

    def dc(col):
        return column(de, _h("declarations", col))

    lay = StatsLayout()
    cells = lay.cells
    cells[(1, 1)] = ("绩效汇总统计（每个年度单独统计，不跨年度合计）", TITLE_FONT, None)
    row = 3
    years = tables.years()
    for i, year in enumerate(years):
        if i:
            lay.breaks.append(row - 1)
        first = next(j for j, r in enumerate(tables.self_evaluations) if r["year"] == year) + 2
        n = sum(r["year"] == year for r in tables.self_evaluations)
        cells[(row, 1)] = (f"{year}年度 绩效自评", SECTION_FONT, None)
        row += 1
        y = f"{sc('year')},{year}"
        count = f"B{row}"
        lines = [
            ("自评项目数", f"=COUNTIFS({y})", "self_evaluations", "0"),
            ("全年预算数合计（万元）", f"=SUMIFS({sc('budget')},{y})", "budget", "#,##0.00"),
            ("全年执行数合计（万元）", f"=SUMIFS({sc('executed')},{y})", "executed", "#,##0.00"),
            ("总体执行率（％）", f"=IF(B{row + 1}>0,{cut2_formula(f'B{row + 2}/B{row + 1}*100', '0')},0)",
             "execution_rate", "0.00"),
            ("平均总分", f"=IF({count}>0,ROUND(AVERAGEIFS({sc('total')},{y}),2),0)", "average_total", "0.00"),
            ("偏差未填写原因（条）", f'=COUNTIFS({column(dv, "偏差原因分析")},"未填写原因",'
             f'{column(dv, "年度")},{year})', "missing_reasons", "0"),
        ]
        cells[(row, 4)] = ("等级", HEADER_FONT, None)
        cells[(row, 5)] = ("项目数", HEADER_FONT, None)
        grade_row = row
        for k, g in enumerate(GRADES, start=1):
            cells[(row + k, 4)] = (g, LABEL_FONT, None)
            cells[(row + k, 5)] = (f'=COUNTIFS({sc("grade")},"{g}",{y})', None, "0")
            lay.where[("self_evaluation", year, f"grade_{g}")] = f"E{row + k}"
        for label, formula, key, fmt in lines:
            cells[(row, 1)] = (label, LABEL_FONT, None)
            cells[(row, 2)] = (formula, None, fmt)
            lay.where[("self_evaluation", year, key)] = f"B{row}"
            row += 1
        row = max(row, grade_row + len(GRADES) + 1) + 1
        look = tables.attention(year)
        if look:
            cells[(row, 1)] = (f"需要关注的项目（执行率低于 90％ 或偏差未说明原因）：{len(look)} 个", SECTION_FONT, None)
            row += 1
            for c, h in enumerate(("项目名称", "主管部门", "执行率（％）", "未说明偏差", "总分"), start=1):
                cells[(row, c)] = (h, HEADER_WRAP_FONT, None)
            lay.heights[row] = 2 * LINE_HEIGHT
            row += 1
            for r in look:
                for c, (v, fmt) in enumerate(((r["name"], None), (r["department"] or "", None),
                                              (r["execution_rate"], "0.00"), (r["unexplained"], "0"),
                                              (r["total"], "0.00")), start=1):
                    cells[(row, c)] = (v, WRAP_FONT if c <= 2 else None, fmt)
                lines = max(-(-int(_display_width(t)) // (STATS_WIDTHS[col] - 1))
                            for t, col in ((r["name"], "A"), (r["department"] or "", "B")))
                if lines > 1:
                    lay.heights[row] = min(lines, 12) * LINE_HEIGHT
                row += 1
        else:
            cells[(row, 1)] = ("需要关注的项目：无（执行率均达 90％，偏差均已说明原因）", LABEL_FONT, None)
            row += 1
        row += 1
        lay.breaks.append(row - 1)  # the year's charts start a page
        used = 0.0
        for kind, height in (("total", _chart_height(n)), ("execution_rate", _chart_height(n)), ("grades", 7.5)):
            if used and used + height > PAGE_CHARTS_CM:
                lay.breaks.append(row - 1)
                used = 0.0
            lay.charts.append((row, kind, year, first, first + n - 1, grade_row, height))
            row += int(height * CHART_ROWS_PER_CM) + 2
            used += height + 2 / CHART_ROWS_PER_CM
        row += 1
    for i, year in enumerate(tables.years("declarations")):
        if years or i:
            lay.breaks.append(row - 1)
        cells[(row, 1)] = (f"{year}年度 绩效目标申报", SECTION_FONT, None)
        row += 1
        y = f"{dc('year')},{year}"
        c = f"{column(cy, '本年年度')},{year}"
        for label, formula, kind, key, fmt in (
            ("申报项目数", f"=COUNTIFS({y})", "declaration", "declarations", "0"),
            ("年度资金申请总额合计（元）", f"=SUMIFS({dc('annual_total')},{y})", "declaration", "requested", "#,##0.00"),
            ("申报指标数", f"=SUMIFS({dc('indicators')},{y})", "declaration", "declared_indicators", "0"),
            ("其中定量指标", f"=SUMIFS({dc('quantitative')},{y})", "declaration", "declared_quantitative", "0"),
            ("目标低于上年实际", f'=COUNTIFS({column(cy, "提示")},"{BELOW_LAST_ACTUAL}",{c})', "cross_year",
             "below_last_actual", "0"),
            ("本年取消的上年指标", f'=COUNTIFS({column(cy, "状态")},"本年取消",{c})', "cross_year", "gone", "0"),
        ):
            cells[(row, 1)] = (label, LABEL_FONT, None)
            cells[(row, 2)] = (formula, None, fmt)
            lay.where[(kind, year, key)] = f"B{row}"
            row += 1
        row += 1
    lay.cells = dict(sorted(cells.items()))
    return lay


def _stats_setup(ws, lay: StatsLayout) -> None:
    """Column widths, page breaks and print set-up of the 统计 sheet (both writers)."""
    from openpyxl.worksheet.pagebreak import Break

    for letter, width in STATS_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    for r in lay.breaks:
        ws.row_breaks.append(Break(id=r))
    for r, height in lay.heights.items():
        ws.row_dimensions[r].height = height
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.scale = 100  # never shrunk: the columns and charts fit a portrait page


def write_stats(wb: Workbook, tables: SummaryTables) -> Worksheet:
    """统计: per year, the figures (native formulas), the projects to look at and the charts."""
    ws = _fresh_sheet(wb, SHEETS["stats"][0])
    lay = stats_layout(tables)
    for (r, c), (value, font, fmt) in lay.cells.items():
        cell = ws.cell(row=r, column=c, value=value)
        if font is not None:
            cell.font = font
            if font is WRAP_FONT or font is HEADER_WRAP_FONT:
                cell.alignment = WRAP
        if fmt is not None:
            cell.number_format = fmt
    _stats_setup(ws, lay)
    return ws


def _bar(title: str, y_title: str, horizontal: bool = False) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = _title(title, 14, bold=True)
    chart.y_axis.title = _title(y_title, 11)
    chart.legend = None
    chart.height = 7.5
    chart.width = 16
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.dataLabels.showSerName = False
    chart.dataLabels.showCatName = False
    chart.dataLabels.showLegendKey = False
    chart.dataLabels.showPercent = False
    chart.dataLabels.txPr = _text_size()
    chart.x_axis.txPr = _text_size()
    chart.y_axis.txPr = _text_size()
    return chart


def _title(text: str, points: float, bold: bool = False):
    """A chart or axis title of ``text`` at ``points`` pt."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

    props = CharacterProperties(sz=int(points * 100), b=bold)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _text_size(points: float = 11):
    """Chart text (axis and data labels) at ``points`` pt: legible when printed (≥ 10.5 pt)."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties

    props = CharacterProperties(sz=int(points * 100))
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def write_charts(wb: Workbook, tables: SummaryTables) -> None:
    """The charts of every year on the 统计 sheet (an older summary's 图表 sheet is removed)."""
    if OLD_CHARTS_SHEET in wb.sheetnames:
        del wb[OLD_CHARTS_SHEET]
    if tables.self_evaluations:
        _add_charts(wb[SHEETS["stats"][0]], wb[SHEETS["self_evaluations"][0]], stats_layout(tables))


def _add_charts(ws, src, lay: StatsLayout) -> None:
    """Each year's charts after its figures: total score and execution rate by project (the
    year's rows of 自评汇总), and its grade distribution. Titles and series carry the year."""
    keys = list(COLUMNS["self_evaluations"])
    name_col = keys.index("name") + 1
    titles = {"total": ("各项目自评总分", "总分"), "execution_rate": ("各项目预算执行率", "执行率（％）"),
              "grades": ("评分等级分布", "项目数")}
    for anchor, kind, year, first, last, grade_row, height in lay.charts:
        title, y_title = titles[kind]
        chart = _bar(f"{year}年度 {title}", y_title, horizontal=kind != "grades")
        chart.height = height
        if kind == "grades":
            values = Reference(ws, min_col=5, min_row=grade_row + 1, max_row=grade_row + len(GRADES))
            cats = Reference(ws, min_col=4, min_row=grade_row + 1, max_row=grade_row + len(GRADES))
            chart.y_axis.majorUnit = 1
        else:
            col = keys.index(kind) + 1
            values = Reference(src, min_col=col, min_row=first, max_row=last)
            cats = Reference(src, min_col=name_col, min_row=first, max_row=last)
            chart.y_axis.number_format = "0"
            chart.x_axis.scaling.orientation = "maxMin"  # first project on top, as in the table
            chart.y_axis.scaling.max = 100 if kind == "total" else 110
        chart.add_data(values, titles_from_data=False)
        chart.series[0].tx = SeriesLabel(v=f"{year}年度 {y_title}")
        chart.set_categories(cats)
        chart.y_axis.scaling.min = 0
        ws.add_chart(chart, f"A{anchor}")


MAPPING_NOTE_WIDTH = 50
HEADER_HEIGHT = 48  # points: three lines of a wrapped column name
PAGE_WIDTH = 100  # column-width units printable across landscape A4 at 100 % (CJK fonts)
WIDE_TEXT = {"reason", "message", "kind", "target", "actual", "prev_target", "cur_target",
             "prev_actual", "indicator", "prev_indicator", "cur_indicator", "file"}
# the column that names a row, repeated on every printed page of a table wider than a page
KEY_COLUMNS = {"self_evaluations": "D:D", "declarations": "D:D", "deviations": "B:B",
               "indicator_mix": "B:B", "cross_year": "D:D", "findings": "A:A", "mapping": "B:B"}


def _display_width(text: str) -> float:
    """Width units a text needs in an 11 pt font (a CJK character takes two)."""
    return sum(2.0 if ord(ch) >= 0x2E80 else 1.1 for ch in text)


def column_widths(key: str, rows: list[dict]) -> list[float]:
    """Each column's width: text as wide as its longest value up to a cap (longer text wraps
    in its cell), numbers as wide as the number with the column name wrapped."""
    cols = COLUMNS[SHEETS[key][2]]
    out = []
    for k, (header, kind) in cols.items():
        if kind in ("text", "link"):
            longest = max([_display_width(str(r.get(k) or "")) for r in rows[:200]] + [_display_width(header) / 2])
            cap = 30 if k in WIDE_TEXT else 16 if kind == "text" else 24
            out.append(round(min(max(longest + 1, 6), cap), 1))
        else:  # the column name wraps over up to three lines
            out.append(round(min(max(_display_width(header) / 3 + 1, 6), 10), 1))
    return out


LINE_HEIGHT = 15  # points per line of 11 pt text


def row_height(row: dict, keys: list[str], widths: list[float]) -> float | None:
    """The height a table row needs for its wrapped text (None: one line, the default)."""
    lines = 1
    for k, width in zip(keys, widths):
        v = row.get(k)
        if isinstance(v, str) and v:
            lines = max(lines, -(-int(_display_width(v)) // max(int(width) - 1, 1)))
    return None if lines == 1 else float(min(lines, 12) * LINE_HEIGHT)


def _table_print(ws, key: str, rows: list[dict]) -> None:
    """Column widths and printing of a table sheet: A4 landscape, the header row on every page;
    a table that fits a page's width is fitted to it (at 100 % or more), a wider one is split
    into pages of columns at 100 % with its naming columns repeated on each (≥ 10.5 pt)."""
    widths = column_widths(key, rows)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.print_title_rows = "1:1"
    note = MAPPING_NOTE_WIDTH + 9 if key == "mapping" else 0  # the note beside the table
    if sum(widths) + note <= PAGE_WIDTH:
        _print_setup(ws)
        return
    ws.print_title_cols = KEY_COLUMNS.get(key, "A:A")
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.scale = 100
    ws.sheet_properties.pageSetUpPr.fitToPage = False


def _print_setup(ws: Worksheet, landscape: bool = True, fit_height: bool = False) -> None:
    """Print on A4, as wide as one page (tables) or one page (charts)."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
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
        if key == "stats":
            continue
        rows = getattr(tables, key)
        if key == "skipped" and not rows:
            if SHEETS[key][0] in wb.sheetnames:
                del wb[SHEETS[key][0]]
            continue
        write_table(wb, key, rows, same_workbook=same_workbook, out_dir=out_dir)
    write_charts(wb, tables)
    ws = wb[SHEETS["mapping"][0]]
    ws.cell(row=1, column=len(COLUMNS["mapping"]) + 2, value=MAPPING_NOTE).alignment = WRAP
    ws.column_dimensions[get_column_letter(len(COLUMNS["mapping"]) + 2)].width = MAPPING_NOTE_WIDTH


# --- streaming writer (perfxl summary: a new workbook of many rows) ---------------------------
#
# The same sheets as :func:`write_summary`, written with openpyxl's write-only workbook: each
# row is appended as it is built and written to the sheet's temporary file at once, so the
# workbook is never held in memory. The cells of a row are a few styled cells per column
# (:class:`_TableCells`), given each row's value: styling a cell costs far more than writing it.


class _TableCells:
    """The cells of one table sheet's rows: values as :func:`shown`, text never a formula
    (:func:`perfxl.safety.set_text_cell`'s rule), the formulas of :data:`FORMULAS`, number
    formats, wrapping, the flag font of a deviation without a reason and the hyperlink of a
    deviation to its source cell (another file's, or with ``same_workbook`` this workbook's).

    With ``reuse`` (a write-only sheet: openpyxl writes a row as soon as it is appended) each
    column has one styled cell per variant — quote prefix, flag or link font — that takes row
    after row's value: styling a cell costs far more than writing it. Without, every row gets
    new cells (a sheet held in memory keeps them)."""

    def __init__(self, ws, key: str, out_dir: Path | None, *, same_workbook: bool = False,
                 reuse: bool = True) -> None:
        _, table_name, cols_key = SHEETS[key]
        self.ws = ws
        self.cols = COLUMNS[cols_key]
        self.keys = list(self.cols)
        self.formulas = FORMULAS.get(key, lambda t: {})(table_name)
        self.out_dir = out_dir.resolve() if out_dir is not None else None
        self._columns = [(k, self.cols[k][1], self.formulas.get(k)) for k in self.keys]
        self._cells: dict[tuple, object] = {}  # (column, quoted, font) -> its styled cell
        self._reuse = reuse
        self._same_workbook = same_workbook
        self._targets: dict[str, str] = {}
        self._folders: dict[Path, Path] = {}  # a source folder -> resolved

    def header(self, extra: tuple[int, str] | None = None) -> list:
        """Row 1: the column names (and the mapping sheet's note, at column ``extra[0]``)."""
        align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        row: list = []
        for k in self.keys:
            cell = WriteOnlyCell(self.ws, value=self.cols[k][0])
            cell.font, cell.alignment = HEADER_FONT, align
            row.append(cell)
        if extra is not None:
            col, text = extra
            row.extend([None] * (col - 1 - len(row)))
            note = WriteOnlyCell(self.ws, value=text)
            note.alignment = WRAP
            row.append(note)
        return row

    def row(self, row: dict) -> list:
        """The cells of one table row."""
        out = []
        for k, kind, formula in self._columns:
            value = formula(row) if formula is not None else shown(k, row.get(k))
            quote = False
            text = formula is None and isinstance(value, str)
            if text:
                value = clean_text(value) or None
                quote = value is not None and (is_formula_like(value) or value.startswith("#"))
            link = self._hyperlink(row) if kind == "link" else None
            font = LINK_FONT if link is not None else (
                FLAG_FONT if k == "reason" and row.get("_has_reason") is False else None)
            cell = self._cells.get((k, quote, font)) or self._cell(k, quote, font)
            cell.value = value
            if text and value is not None:
                cell.data_type = "s"  # never a formula or an error value (set_text_cell)
            if link is not None and self._same_workbook:
                link.display = value
            cell.hyperlink = link
            out.append(cell)
        return out

    def _cell(self, k: str, quote: bool, font):
        """The styled cell of column ``k`` for a quoted text and a flag or link font."""
        kind = self.cols[k][1]
        cell = WriteOnlyCell(self.ws)
        if self._reuse:
            self._cells[k, quote, font] = cell
        cell.number_format = FORMATS[kind]
        cell.alignment = WRAP if kind in ("text", "link") else TOP
        if font is not None:
            cell.font = font
        if quote:
            cell.quotePrefix = True
        return cell

    def _hyperlink(self, row: dict) -> Hyperlink | None:
        """A deviation's link to its reason cell: in this workbook, or in the source workbook
        (relative to the output folder, see :func:`link_target`)."""
        link, path = row.get("_link"), row.get("_path")
        if not link:
            return None
        sheet, addr = link.rsplit("!", 1)
        location = f"{quote_sheet(sheet)}!{addr}"
        if self._same_workbook:
            return Hyperlink(ref="", location=location)
        if not path or self.out_dir is None:
            return None
        return Hyperlink(ref="", target=self.target(path), location=location)

    def target(self, path: str) -> str:
        """:func:`link_target`, remembered per source file (and its folder)."""
        target = self._targets.get(path)
        if target is None:
            target = self._targets[path] = link_target(path, self.out_dir, self._folders)
        return target


def _table_setup(ws, key: str, rows: list[dict], extra_width: int | None = None) -> None:
    """Column widths, row heights, frozen header, the Excel Table and print set-up of a table
    sheet, all before its first row is appended (a write-only sheet writes them first)."""
    title, table_name, cols_key = SHEETS[key]
    cols = COLUMNS[cols_key]
    keys = list(cols)
    _table_print(ws, key, rows)
    if extra_width is not None:
        ws.column_dimensions[get_column_letter(len(keys) + 2)].width = extra_width
    ws.row_dimensions[1].height = HEADER_HEIGHT
    widths = column_widths(key, rows)
    for i, row in enumerate(rows, start=2):
        height = row_height(row, keys, widths)
        if height is not None:
            ws.row_dimensions[i].height = height
    ref = f"A1:{get_column_letter(len(keys))}{max(2, len(rows) + 1)}"
    # write-only: the column names are given here (openpyxl reads them from the header cells)
    table = Table(displayName=table_name, ref=ref, autoFilter=AutoFilter(ref=ref),
                  tableColumns=[TableColumn(id=j, name=cols[k][0]) for j, k in enumerate(keys, start=1)])
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "In write-only mode you must add table columns")
        ws.add_table(table)
    ws.freeze_panes = "A2"


MAPPING_NOTE = "可修改“本年项目名称”来纠正对照（清空表示不对照）；下次运行 perfxl summary 输出到本文件时按此表对照。"
TABLE_KEYS = [key for key, (_, table, _) in SHEETS.items() if table is not None]
LATE_KEYS = ("cross_year", "findings")  # tables that still grow after the files are read


class SummaryWriter:
    """The summary workbook of :func:`write_summary`, written streaming (openpyxl write-only):
    :meth:`save` appends every table's rows to its sheet and writes the workbook."""

    def __init__(self, out_dir: Path | None = None) -> None:
        self._out_dir = out_dir
        self._wb = Workbook(write_only=True)
        self._stats = self._wb.create_sheet(SHEETS["stats"][0])  # the first sheet, filled in save()
        self._saved = False

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove openpyxl's temporary files of a workbook not saved (an error, Ctrl+C)."""
        if self._saved:
            return
        self._saved = True
        for ws in self._wb.worksheets:
            writer = getattr(ws, "_writer", None)  # a write-only sheet's temporary file, once appended to
            if writer is None:
                continue
            with contextlib.suppress(Exception):  # closed already, or broken by the error
                if not ws.closed:
                    ws.close()
            with contextlib.suppress(OSError, ValueError):  # removed already by openpyxl
                writer.cleanup()

    def save(self, path: Path, tables: SummaryTables, complete: Callable[[], None] | None = None) -> None:
        """Write the workbook to ``path``.

        ``complete`` (idempotent) is called just before the first sheet whose rows may still
        be coming — the cross-year table, then the findings with its Y6xx rows — is filled,
        so the sheets before it are written while the cross-year view is computed elsewhere.
        """
        sheets = {key: self._wb.create_sheet(SHEETS[key][0]) for key in TABLE_KEYS
                  if key != "skipped" or tables.skipped}
        lay = stats_layout(tables)
        _stream_stats(self._stats, lay)
        for key, ws in sheets.items():
            if key in LATE_KEYS and complete is not None:
                complete()
            self._fill(ws, key, getattr(tables, key))
        if tables.self_evaluations:
            _add_charts(self._stats, sheets["self_evaluations"], lay)
        _save_zip(self._wb, path)
        self._saved = True

    def _fill(self, ws, key: str, rows: list[dict]) -> None:
        extra = (len(COLUMNS["mapping"]) + 2, MAPPING_NOTE) if key == "mapping" else None
        _table_setup(ws, key, rows, extra_width=MAPPING_NOTE_WIDTH if extra else None)
        # the size of the sheet, as openpyxl's normal writer states it (read-only readers need it)
        last_col = get_column_letter(extra[0] if extra else len(COLUMNS[SHEETS[key][2]]))
        ws.calculate_dimension = f"A1:{last_col}{len(rows) + 1}".format
        cells = _TableCells(ws, key, self._out_dir)
        ws.append(cells.header(extra))
        for row in rows:
            ws.append(cells.row(row))


ZIP_LEVEL = 3  # zlib level of the workbook's parts: ~2.5× faster than the default 6, ~18% larger


def _save_zip(wb: Workbook, path: Path) -> None:
    """``wb.save(path)`` (openpyxl's ``save_workbook``) with compression level :data:`ZIP_LEVEL`:
    compressing ~27 MB of sheet XML at N=1,000 is most of the time after the last file."""
    import datetime
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    wb.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL) as archive:
        ExcelWriter(wb, archive).save()


def save_summary(path: Path, tables: SummaryTables, *, out_dir: Path | None = None) -> None:
    """Write the summary workbook of :func:`write_summary` to ``path``, streaming (write-only)."""
    with SummaryWriter(out_dir) as writer:
        writer.save(path, tables)


def _stream_stats(ws, lay: StatsLayout) -> None:
    """统计 in a write-only workbook: the cells of :func:`stats_layout`, row by row."""
    _stats_setup(ws, lay)
    by_row: dict[int, dict[int, tuple]] = {}
    for (r, c), spec in lay.cells.items():
        by_row.setdefault(r, {})[c] = spec
    for r in range(1, max(by_row) + 1):
        cells = by_row.get(r, {})
        row = [None] * (max(cells) if cells else 0)
        for c, (value, font, fmt) in cells.items():
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
                if font is WRAP_FONT or font is HEADER_WRAP_FONT:
                    cell.alignment = WRAP
            if fmt is not None:
                cell.number_format = fmt
            row[c - 1] = cell
        ws.append(row)
