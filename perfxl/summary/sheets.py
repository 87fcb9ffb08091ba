"""The summary workbook: Excel Tables with native formulas, a statistics sheet and charts.

Every computed cell is a native formula (design §2): execution rate and score (R6, R6r),
total, grade (R8), sources sum, cost check, quantitative share, the cross-year flag, and all of
the 统计 sheet (SUM/AVERAGE/COUNTIF over table columns). Formulas use Excel 2010 functions and
full-form structured references (``T[[#This Row],[列]]``, ``T[[列]]``). Python computes the same
figures (:mod:`perfxl.summary.tables`) and the tests compare them after a LibreOffice recalc.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.compat import safe_string
from openpyxl.packaging.relationship import Relationship
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import REL_NS
from openpyxl.xml.functions import Element

from perfxl.forms.layout import quote_sheet
from perfxl.safety import clean_text, is_formula_like, set_text_cell
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


def _hyperlink(cell, row: dict, same_workbook: bool, out_dir: Path | None) -> None:
    link = row.get("_link")
    if not link:
        return
    sheet, addr = link.rsplit("!", 1)
    location = f"{quote_sheet(sheet)}!{addr}"
    if same_workbook:
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location, display=cell.value)
    elif row.get("_path") and out_dir is not None:
        target = link_target(row["_path"], out_dir.resolve())
        cell.hyperlink = Hyperlink(ref=cell.coordinate, target=target, location=location)
        cell.hyperlink.target = target
        cell.hyperlink.location = location
    else:
        return
    cell.font = LINK_FONT


def _stats_cells() -> dict[tuple[int, int], tuple]:
    """(row, column) -> (value, font, number format) of the 统计 sheet."""
    se = SHEETS["self_evaluations"][1]
    de = SHEETS["declarations"][1]
    cy = SHEETS["cross_year"][1]
    dv = SHEETS["deviations"][1]

    def sc(col):
        return column(se, _h("self_evaluations", col))

    def dc(col):
        return column(de, _h("declarations", col))

    cells: dict[tuple[int, int], tuple] = {(1, 1): ("绩效汇总统计", TITLE_FONT, None)}
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
        cells[(i, 1)] = (label, None, None)
        cells[(i, 2)] = (formula, None, fmt)
    cells[(2, 4)] = ("等级", HEADER_FONT, None)
    cells[(2, 5)] = ("项目数", HEADER_FONT, None)
    for i, g in enumerate(("优", "良", "中", "差"), start=3):
        cells[(i, 4)] = (g, None, None)
        cells[(i, 5)] = (f'=COUNTIF({sc("grade")},"{g}")', None, None)
    return dict(sorted(cells.items()))


def write_stats(wb: Workbook, tables: SummaryTables) -> Worksheet:
    """统计: totals and the grade distribution, all native formulas over the tables."""
    ws = _fresh_sheet(wb, SHEETS["stats"][0])
    for (r, c), (value, font, fmt) in _stats_cells().items():
        cell = ws.cell(row=r, column=c, value=value)
        if font is not None:
            cell.font = font
        if fmt is not None:
            cell.number_format = fmt
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
    _add_charts(ws, wb[SHEETS["self_evaluations"][0]], wb[SHEETS["stats"][0]], n)
    return ws


def _add_charts(ws, src, stats, n: int) -> None:
    """The three charts on ``ws``: from the self-evaluation table ``src`` and the 统计 sheet."""
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
    chart = _bar("评分等级分布", "项目数", 4)
    chart.add_data(Reference(stats, min_col=5, min_row=2, max_row=6), titles_from_data=True)
    chart.set_categories(Reference(stats, min_col=4, min_row=3, max_row=6))
    chart.y_axis.scaling.min = 0
    chart.y_axis.majorUnit = 1
    ws.add_chart(chart, f"A{anchor_row}")
    _print_setup(ws, landscape=False, fit_height=True)



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


# --- streaming writer (perfxl summary: a new workbook of many rows) ---------------------------
#
# The same sheets as :func:`write_summary`, written with openpyxl's write-only workbook: the
# table rows go straight to the sheet XML (one string per row, the same cells openpyxl would
# write: inline strings, numbers, formulas, styles, hyperlinks), so no cell object is built and
# the workbook is never held in memory. :class:`SummaryWriter` renders the rows as they are
# added — while the files are still being read — into temporary files, and the workbook is
# assembled from them at the end. Sheet set-up (columns, panes, tables, print titles, charts)
# is openpyxl's own.

_CACHE_LIMIT = 20000  # rendered cells kept per column (repeated years, names, kinds …)
_CHUNK = 1 << 18  # characters of spooled rows read back at a time
_BATCH = 256  # rows rendered at a time


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Styles:
    """Style ids of the cells the tables use, registered in the write-only workbook."""

    def __init__(self, ws) -> None:
        from openpyxl.cell import WriteOnlyCell

        self._ws = ws
        self._cell = WriteOnlyCell
        self._ids: dict[tuple, int] = {}

    def get(self, fmt: str, font=None, quote: bool = False, alignment=None) -> int:
        key = (fmt, id(font), quote, id(alignment))
        sid = self._ids.get(key)
        if sid is None:
            c = self._cell(self._ws)
            c.number_format = fmt
            if font is not None:
                c.font = font
            if quote:
                c.quotePrefix = True
            if alignment is not None:
                c.alignment = alignment
            sid = self._ids[key] = c.style_id
        return sid


def _cell_content(v) -> tuple[str, str, bool]:
    """(type attribute, inner XML, quote prefix) of a value cell, as openpyxl writes it."""
    if isinstance(v, str) and v:
        text = clean_text(v)
        quote = is_formula_like(text) or text.startswith("#")
        space = ' xml:space="preserve"' if text.strip() and text != text.strip() else ""
        return ' t="inlineStr"', f"<is><t{space}>{_xml_text(text)}</t></is>", quote
    if v is None or v == "":
        return "", "", False
    if isinstance(v, bool):
        return ' t="b"', f"<v>{safe_string(v)}</v>", False
    if isinstance(v, (int, float, Decimal)):
        return ' t="n"', f"<v>{safe_string(v)}</v>", False
    return ' t="inlineStr"', f"<is><t>{_xml_text(clean_text(str(v)))}</t></is>", False


def _tail(style: int, t: str, body: str) -> str:
    """A cell's XML after its reference."""
    return f' s="{style}"{t}>{body}</c>' if body else f' s="{style}"{t}/>'


class _TableRenderer:
    """The ``<row>`` XML of one table sheet: the header, then the rows in batches.

    Each cell is its reference plus a tail (style, type, value) that depends on the value only,
    so tails are cached per column; hyperlinks (deviation → source cell) are collected in
    :attr:`links` for the sheet.
    """

    def __init__(self, key: str, styles: _Styles, out_dir: Path | None) -> None:
        _, table_name, cols_key = SHEETS[key]
        self.cols = COLUMNS[cols_key]
        self.keys = list(self.cols)
        self.letters = [get_column_letter(j) for j in range(1, len(self.keys) + 3)]
        self.formulas = FORMULAS.get(key, lambda t: {})(table_name)
        self.out_dir = out_dir.resolve() if out_dir is not None else None
        self.links = _Links()
        self._targets: dict[str, str] = {}
        self._folders: dict[Path, Path] = {}  # a source folder -> resolved
        self._styles = styles
        header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self._header_style = styles.get("General", HEADER_FONT, alignment=header_align)
        self._plain = {k: styles.get(FORMATS[self.cols[k][1]]) for k in self.keys}
        self._quoted = {k: styles.get(FORMATS[self.cols[k][1]], quote=True) for k in self.keys}
        self._flagged = (styles.get(FORMATS["text"], FLAG_FONT), styles.get(FORMATS["text"], FLAG_FONT, quote=True))
        self._linked = (styles.get(FORMATS["link"], LINK_FONT), styles.get(FORMATS["link"], LINK_FONT, quote=True))
        self._caches: list[dict] = [{} for _ in self.keys]
        cells = "".join(f'<c r="{letter}{{0}}"{{{j}}}' for j, letter in enumerate(self.letters[: len(self.keys)], 1))
        self._row = f'<row r="{{0}}">{cells}</row>'

    def header(self, extra=None) -> str:
        """Row 1: the column names (and the mapping sheet's note two columns to the right)."""
        hs = self._header_style
        parts = ['<row r="1" ht="32" customHeight="1">']
        for j, k in enumerate(self.keys):
            parts.append(f'<c r="{self.letters[j]}1" s="{hs}" t="inlineStr"><is><t>{_xml_text(self.cols[k][0])}</t></is></c>')
        if extra is not None:
            col, text, align = extra
            s = self._styles.get("General", alignment=align)
            parts.append(f'<c r="{self.letters[col - 1]}1" s="{s}" t="inlineStr"><is><t>{_xml_text(text)}</t></is></c>')
        parts.append("</row>")
        return "".join(parts)

    def rows(self, rows: list[dict], first: int) -> str:
        """The XML of ``rows``, the first on sheet row ``first``."""
        columns = [self._column_tails(j, rows, first) for j in range(len(self.keys))]
        numbers = range(first, first + len(rows))
        return "".join([self._row.format(n, *tails) for n, tails in zip(numbers, zip(*columns))])

    def _column_tails(self, j: int, rows: list[dict], first: int) -> list[str]:
        """The cell tails of column ``j`` for ``rows``."""
        k, formula = self.keys[j], self.formulas.get(self.keys[j])
        if self.cols[k][1] == "link":
            return [self._link_tail(k, row.get(k), row, f"{self.letters[j]}{n}") for n, row in enumerate(rows, first)]
        if k == "reason":
            return [self._reason_tail(k, row.get(k), row) for row in rows]
        values = [formula(row) for row in rows] if formula is not None else [row.get(k) for row in rows]
        cache = self._caches[j]
        if bool not in set(map(type, values)):  # True == 1 as a key: booleans are not cached
            try:
                get = cache.get
                return [get(v) or self._new_tail(k, v, cache, formula is not None) for v in values]
            except TypeError:  # unhashable, or a signalling NaN
                pass
        return [self._value_tail(k, v, formula is not None) for v in values]

    def _new_tail(self, k: str, v, cache: dict, formula: bool) -> str:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        tail = cache[v] = self._value_tail(k, v, formula)
        return tail

    def _value_tail(self, k: str, v, formula: bool) -> str:
        if formula:
            return _tail(self._plain[k], "", f"<f>{_xml_text(v[1:])}</f><v></v>")
        t, body, quote = _cell_content(v)
        return _tail(self._quoted[k] if quote else self._plain[k], t, body)

    def _reason_tail(self, k: str, v, row: dict) -> str:
        t, body, quote = _cell_content(v)
        if row.get("_has_reason") is False:
            return _tail(self._flagged[quote], t, body)
        return _tail(self._quoted[k] if quote else self._plain[k], t, body)

    def _link_tail(self, k: str, v, row: dict, ref: str) -> str:
        t, body, quote = _cell_content(v)
        if self._add_hyperlink(ref, row):
            return _tail(self._linked[quote], t, body)
        return _tail(self._quoted[k] if quote else self._plain[k], t, body)

    def _add_hyperlink(self, ref: str, row: dict) -> bool:
        """The external hyperlink of :func:`_hyperlink` (source workbook, reason cell)."""
        link, path = row.get("_link"), row.get("_path")
        if not link or not path or self.out_dir is None:
            return False
        sheet, addr = link.rsplit("!", 1)
        self.links.add(ref, self._target(path), f"{quote_sheet(sheet)}!{addr}")
        return True

    def _target(self, path: str) -> str:
        """:func:`link_target`, remembered per source file (and its folder)."""
        target = self._targets.get(path)
        if target is None:
            if len(self._targets) >= _CACHE_LIMIT:
                self._targets.clear()
            target = self._targets[path] = link_target(path, self.out_dir, self._folders)
        return target


class _HyperlinkRel(Relationship):
    """A hyperlink's relationship, serialised as openpyxl serialises a Relationship (the same
    attributes in the same order) without its descriptor machinery: a summary holds thousands."""

    def to_tree(self, tagname=None, idx=None, namespace=None):
        return Element("Relationship", {"Type": self.Type, "Target": self.Target,
                                        "TargetMode": self.TargetMode, "Id": self.Id})


class _Links:
    """A sheet's external hyperlinks, rendered as openpyxl writes them: the n-th link is the
    sheet's n-th relationship (``rIdn``; openpyxl adds the hyperlinks' relationships first)."""

    def __init__(self) -> None:
        self.rels: list[Relationship] = []
        self.xml: list[str] = []

    def add(self, ref: str, target: str, location: str) -> None:
        rid = f"rId{len(self.rels) + 1}"
        self.rels.append(_HyperlinkRel(type="hyperlink", TargetMode="External", Target=target, Id=rid))
        self.xml.append(f'<hyperlink xmlns:r="{REL_NS}" ref="{ref}" location="{_xml_attr(location)}" r:id="{rid}" />')


_ATTR_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\r", "&#13;"),
                  ("\n", "&#10;"), ("\t", "&#09;"))


def _xml_attr(text: str) -> str:
    """An attribute value escaped as ElementTree (openpyxl's serialiser) escapes it."""
    for ch, entity in _ATTR_ENTITIES:
        if ch in text:
            text = text.replace(ch, entity)
    return text


class _RowsWriter:
    """A write-only sheet's writer whose content comes from ``content()`` when the sheet is
    written: (pre-rendered rows — strings that each hold whole ``<row>`` elements —, the
    dimension they span, e.g. ``A1:Q8611``, and the pre-rendered hyperlinks). ``content`` also
    sets the sheet up (columns, table, print titles) before its top is written.

    The dimension is written as openpyxl's normal writer does: without it a read-only reader
    (openpyxl's, and :func:`perfxl.summary.matching.read_mapping` on the next run) parses every
    sheet in full just to learn its size."""

    @staticmethod
    def attach(ws, content: Callable[[], tuple[Iterable[str], str, _Links]]) -> None:
        from openpyxl.worksheet._writer import WorksheetWriter
        from openpyxl.worksheet.dimensions import SheetDimension

        class Writer(WorksheetWriter):
            def write_rows(self) -> None:  # write-only: called once, before write_tail
                rows_xml, self.dimension, self.links = content()
                self.write_top()
                xf = self.xf.send(True)
                with xf.element("sheetData"):
                    for chunk in rows_xml:
                        _write_raw(xf, chunk, "sheetData")
                self.xf.send(None)

            def write_dimensions(self) -> None:
                self.xf.send(SheetDimension(self.dimension).to_tree())

            def write_hyperlinks(self) -> None:
                for rel in self.links.rels:  # the sheet's first relationships: their ids hold
                    self._rels.append(rel)
                if self.links.xml:
                    _write_raw(self.xf.send(True), "".join(self.links.xml), "hyperlinks", wrap=True)
                    self.xf.send(None)

        ws._writer = Writer(ws)


def _write_raw(xf, xml: str, parent: str, wrap: bool = False) -> None:
    """Write pre-rendered XML elements, children of ``parent`` (inside ``<parent>`` if
    ``wrap``), into openpyxl's sheet stream: as they are with et_xmlfile; lxml's xmlfile
    escapes strings, so there the XML is parsed into elements."""
    raw = getattr(xf, "_file", None)
    if raw is not None and callable(raw):
        raw(f"<{parent}>{xml}</{parent}>" if wrap else xml)
        return
    from lxml import etree
    from openpyxl.xml.constants import SHEET_MAIN_NS

    tree = etree.fromstring(f'<{parent} xmlns="{SHEET_MAIN_NS}">{xml}</{parent}>')
    for element in [tree] if wrap else tree:
        xf.write(element)


def _table_setup(ws, key: str, rows: list[dict], extra_width: int | None = None) -> None:
    """Column widths, frozen header, the Excel Table, print set-up (as :func:`write_table`)."""
    title, table_name, cols_key = SHEETS[key]
    cols = COLUMNS[cols_key]
    keys = list(cols)
    for j, k in enumerate(keys, start=1):
        header, kind = cols[k]
        longest = max([len(str(r.get(k) or "")) for r in rows[:200]] + [len(header) + 2])
        width = {"text": min(max(longest, 8), 40), "link": 28}.get(kind, max(len(header) * 2, 10))
        ws.column_dimensions[get_column_letter(j)].width = width * (1.6 if kind == "text" else 1)
    if extra_width is not None:
        ws.column_dimensions[get_column_letter(len(keys) + 2)].width = extra_width
    last_row = max(2, len(rows) + 1)
    table = Table(displayName=table_name, ref=f"A1:{get_column_letter(len(keys))}{last_row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    # write-only: the column names are given here (openpyxl reads them from the header cells)
    table._initialise_columns()
    for col, k in zip(table.tableColumns, keys):
        col.name = cols[k][0]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "In write-only mode you must add table columns")
        ws.add_table(table)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _print_setup(ws)


MAPPING_NOTE = "可修改“本年项目名称”来纠正对照（清空表示不对照）；下次运行 perfxl summary 输出到本文件时按此表对照。"
TABLE_KEYS = [key for key, (_, table, _) in SHEETS.items() if table is not None]
LATE_KEYS = ("cross_year", "findings")  # tables that still grow after the files are read


class SummaryWriter:
    """The summary workbook of :func:`write_summary`, written streaming: :meth:`update` renders
    the rows added to the tables since its last call (so a batch renders each file's rows while
    the next files are read), :meth:`save` renders the rest and assembles the workbook.

    Rows wait as XML in temporary files, not in memory. Tables only grow between calls (rows
    are appended; the cross-year and mapping tables are filled once, at the end).
    """

    def __init__(self, out_dir: Path | None = None) -> None:
        import tempfile

        self._wb = Workbook(write_only=True)
        self._stats = self._wb.create_sheet(SHEETS["stats"][0])
        self._stats.column_dimensions["A"].width = 30
        self._stats.column_dimensions["B"].width = 18
        _print_setup(self._stats, landscape=False)
        styles = _Styles(self._stats)
        _stream_stats(self._stats, styles)
        self._renderers = {key: _TableRenderer(key, styles, out_dir) for key in TABLE_KEYS}
        self._files = contextlib.ExitStack()
        self._spools = {key: self._files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
                        for key in TABLE_KEYS}
        self._done = dict.fromkeys(TABLE_KEYS, 0)
        self._saved = False

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary files (also openpyxl's own of the 统计 sheet if not saved)."""
        self._files.close()
        if not self._saved:
            self._stats.close()
            self._stats._writer.cleanup()
            self._saved = True

    def update(self, tables: SummaryTables, *, all_rows: bool = True) -> None:
        """Render the rows added to ``tables`` since the last call — with ``all_rows=False``
        only a table's full batches (rendering a few hundred rows at a time costs less per
        row than a file's few rows)."""
        for key in TABLE_KEYS:
            rows = getattr(tables, key)
            done = self._done[key]
            end = len(rows) if all_rows else done + (len(rows) - done) // _BATCH * _BATCH
            for start in range(done, end, _BATCH):
                batch = rows[start:min(start + _BATCH, end)]
                self._spools[key].write(self._renderers[key].rows(batch, start + 2))
            self._done[key] = end

    def save(self, path: Path, tables: SummaryTables, complete: Callable[[], None] | None = None) -> None:
        """Render the rows not rendered yet and write the workbook to ``path``.

        ``complete`` (idempotent) is called just before the first sheet whose rows may still
        be coming — the cross-year table, then the findings with its Y6xx rows — is written,
        so the sheets before it are written while the cross-year view is computed elsewhere.
        """
        self.update(tables)
        sheets = {}
        for key in TABLE_KEYS:
            if key == "skipped" and not tables.skipped:
                continue
            sheets[key] = self._wb.create_sheet(SHEETS[key][0])
        charts = self._wb.create_sheet(SHEETS["charts"][0]) if tables.self_evaluations else None
        for key, ws in sheets.items():
            wait = complete if key in LATE_KEYS else None
            _RowsWriter.attach(ws, functools.partial(self._content, ws, key, tables, wait))
        if charts is not None:
            _add_charts(charts, sheets["self_evaluations"], self._stats, len(tables.self_evaluations))
        self._saved = True
        _save_zip(self._wb, path)

    def _content(self, ws, key: str, tables: SummaryTables, complete: Callable[[], None] | None):
        """A table sheet's set-up and content for :class:`_RowsWriter`, once its rows are all
        there (after ``complete()``)."""
        if complete is not None:
            complete()
            self.update(tables)
        rows = getattr(tables, key)
        extra = (len(COLUMNS["mapping"]) + 2, MAPPING_NOTE, WRAP) if key == "mapping" else None
        _table_setup(ws, key, rows, extra_width=50 if extra else None)
        renderer = self._renderers[key]
        last_col = get_column_letter(extra[0] if extra else len(renderer.keys))
        return self._sheet_rows(key, renderer.header(extra)), f"A1:{last_col}{len(rows) + 1}", renderer.links

    def _sheet_rows(self, key: str, header: str):
        """The header, then the spooled rows in chunks that each end with a whole row."""
        yield header
        spool = self._spools[key]
        spool.seek(0)
        rest = ""
        while chunk := spool.read(_CHUNK):
            chunk = rest + chunk
            cut = chunk.rfind("</row>") + len("</row>")
            if cut < len("</row>"):  # no whole row yet
                rest = chunk
                continue
            yield chunk[:cut]
            rest = chunk[cut:]
        if rest:
            yield rest


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


def _stream_stats(ws, styles: _Styles) -> None:
    """统计 in a write-only workbook: the cells of :func:`_stats_cells`, row by row."""
    from openpyxl.cell import WriteOnlyCell

    by_row: dict[int, dict[int, tuple]] = {}
    for (r, c), spec in _stats_cells().items():
        by_row.setdefault(r, {})[c] = spec
    for r in range(1, max(by_row) + 1):
        cells = by_row.get(r, {})
        row = [None] * (max(cells) if cells else 0)
        for c, (value, font, fmt) in cells.items():
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            if fmt is not None:
                cell.number_format = fmt
            row[c - 1] = cell
        ws.append(row)
