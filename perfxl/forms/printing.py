"""How the two official forms print.

* **A4 landscape, fitted to the page width only** (``fitToWidth=1``, ``fitToHeight=0``): the table
  runs over as many pages as it needs, and the indicator header rows are repeated on every page
  (print titles).
* **Body text ≥ 10.5 pt (五号) on paper.** Fit-to-width shrinks everything when the printed
  columns are wider than the page, so the printed columns of each form add up to at most
  :data:`PAGE_WIDTH_UNITS`: the scale stays at 100 % and a 10.5 pt cell prints at 10.5 pt.
  ``tests/forms/test_printing.py`` measures the glyphs in the PDF LibreOffice prints.
* **一级/二级 groups are not split across pages.** Fitting to the width only keeps manual row
  breaks (LibreOffice's PDFs, tested, follow them; Excel's "1 page wide, automatic tall" is
  the usual way to combine fitting with manual breaks, not verified here), so perfxl computes
  where the pages end from the row heights it lays out and puts a break before a 二级 group that
  would straddle a page; a 二级 group taller than a page breaks where it must.  A 一级 group that
  runs over a break is merged once per page (its label printed on each page), so no page shows
  indicators without their 一级.  Breaks are laid out with the sheet; rows staff later make
  taller may move a page end, which Excel's 分页预览 lets them adjust.
"""

from __future__ import annotations

from openpyxl.utils import column_index_from_string, get_column_letter

from perfxl.patch import ClearRules, Patch, SheetSetup, Style

#: the printed columns of a form add up to at most this many column-width units, so that
#: landscape A4 (297 mm less 2 × 1.2 cm margins = 273 mm = 774 pt) takes them at 100 %.  A unit
#: is a digit of the default font (Calibri 11) plus padding; measured with LibreOffice and
#: Carlito (Calibri's metrics): 132 units print at 100 %, 144 at 96 %, so a page is ≈ 138 units
PAGE_WIDTH_UNITS = 136.0
#: printable height of landscape A4 (210 mm less 2 × 1.5 cm margins = 180 mm = 510 pt), less a
#: little for the renderers' rounding of row heights
PAGE_HEIGHT_PT = 495.0
DEFAULT_ROW_PT = 15.0


def page_breaks(heights: dict[int, float], last_row: int, title_rows: tuple[int, int],
                keep: list[tuple[int, int]]) -> list[int]:
    """Rows before which a new page starts (1-based), for a sheet printed at 100 % whose rows
    1…``last_row`` have ``heights`` (pt) and whose header rows ``title_rows`` (first, last)
    repeat on every later page. Each ``(first, last)`` run in ``keep`` stays on one page when it
    fits on one."""
    def h(r: int) -> float:
        return heights.get(r, DEFAULT_ROW_PT)

    top, bottom = title_rows
    title = sum(h(r) for r in range(top, bottom + 1))
    starts = {a: b for a, b in keep}
    if bottom + 1 in starts:  # the header rows stay with the first group below them
        starts[top] = starts.pop(bottom + 1)
    blocks: list[tuple[int, int]] = []
    r = 1
    while r <= last_row:
        b = starts.get(r, r)
        if sum(h(x) for x in range(r, b + 1)) > PAGE_HEIGHT_PT - title:
            b = r  # taller than a page: row by row
        blocks.append((r, b))
        r = b + 1
    breaks: list[int] = []
    used = 0.0
    for a, b in blocks:
        need = sum(h(x) for x in range(a, b + 1))
        if used + need > PAGE_HEIGHT_PT and used > 0:
            breaks.append(a)
            used = 0.0 if a <= bottom else title  # a page that starts at the header has no copy
        used += need
    return breaks


def split_at(first: int, last: int, breaks: list[int]) -> list[tuple[int, int]]:
    """The run ``first…last`` cut at the page ``breaks`` (a merge per printed page)."""
    out: list[tuple[int, int]] = []
    start = first
    for b in breaks:
        if start < b <= last:
            out.append((start, b - 1))
            start = b
    out.append((start, last))
    return out


def form_setup(sheet: str, *, widths: dict[str, float], heights: dict[int, float],
               last_col: str, last_row: int, title_rows: tuple[int, int], breaks: list[int],
               outline_cols: tuple[str, ...]) -> SheetSetup:
    """The print and view settings of an official form (see the module doc)."""
    printed = sum(widths[get_column_letter(c)] for c in range(1, column_index_from_string(last_col) + 1))
    if printed > PAGE_WIDTH_UNITS:  # a layout error: the page would be shrunk below 10.5 pt
        raise ValueError(f"{sheet}: printed columns are {printed} units wide, over {PAGE_WIDTH_UNITS}")
    return SheetSetup(
        sheet, col_widths=widths, row_heights=heights, outline_cols=outline_cols,
        print_area=f"A1:{last_col}{last_row}", print_title_rows=f"{title_rows[0]}:{title_rows[1]}",
        fit_width=1, fit_height=0, row_breaks=tuple(breaks), show_gridlines=False,
    )


def screen_marks_patch(wb) -> Patch:
    """What turns perfxl's screen-only colours off for paper (finalize): its
    conditional formats (missing reason, score out of band, weights ≠ 100, declaration checks)
    and the ``needs_reason`` fill go; ``needs_reason`` cells become ``reason``."""
    from perfxl.forms.styles import cell_role

    p = Patch()
    for ws in wb.worksheets:
        p.add(ClearRules(ws.title))
        for row in ws.iter_rows():
            for cell in row:
                if cell_role(cell) == "needs_reason":
                    p.add(Style(ws.title, cell.coordinate, "reason"))
    return p


def clear_check_fills(wb) -> list[str]:
    """Remove the fills the 校验 button painted (:data:`~perfxl.forms.styles.SEVERITY_FILL`
    colours) from every sheet; returns the cells (``Sheet!A1``) cleared."""
    from openpyxl.styles import PatternFill

    from perfxl.forms.styles import SEVERITY_FILL

    painted = {c.lstrip("#").upper()[-6:] for c in SEVERITY_FILL.values()}
    cleared = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                fill = cell.fill
                rgb = fill.fgColor.rgb if fill is not None and fill.fill_type == "solid" else None
                if isinstance(rgb, str) and rgb.upper()[-6:] in painted:
                    cell.fill = PatternFill()
                    cleared.append(f"{ws.title}!{cell.coordinate}")
    return cleared


def fit_width_only(ws) -> None:
    """A form sheet fitted to one page (older perfxl workbooks, or a user's setting) prints
    across as many pages as it needs instead, at the width of one page (finalize)."""
    if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
