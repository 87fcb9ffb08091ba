"""The file adapter: apply a :class:`perfxl.patch.Patch` to a workbook with openpyxl and save it
atomically (temp file in the same directory, fsync, ``os.replace``; the previous version kept
as ``NAME.bak.xlsx`` when overwriting).

Only what the patch names is touched: other cells, sheets, comments, column widths and formats
in the workbook survive (openpyxl itself drops charts and images of a loaded file; perfxl's
forms have none, and the live xlwings adapter keeps everything).
"""

from __future__ import annotations

import datetime as dt
from copy import copy
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.formatting.rule import Rule
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import coordinate_from_string, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break, RowBreak

from perfxl.atomic import atomic_save
from perfxl.safety import clean_text
from perfxl.forms.styles import DXF, named_style, style_name
from perfxl.patch import (
    AddSheet, ConditionalFormat, DefineName, Formula, Merge, Patch, SheetSetup, Style, Validation,
    Write, ClearRules,
)


def _ensure_style(wb: Workbook, role: str) -> str:
    name = style_name(role)
    if name not in wb.style_names:
        wb.add_named_style(named_style(role))
    return name


class _StyleCache:
    """Styling a cell through openpyxl's descriptors is slow (an indexed-list lookup per
    attribute); the style of the first cell of each (role, number format) is copied instead."""

    def __init__(self) -> None:
        self.arrays: dict[tuple[int, str, str | None], object] = {}

    def apply(self, ws, cell, role: str, number_format: str | None) -> None:
        key = (id(ws.parent), role, number_format)
        arr = self.arrays.get(key)
        if arr is not None:
            cell._style = copy(arr)
            return
        cell.style = _ensure_style(ws.parent, role)
        if number_format is not None:
            cell.number_format = number_format
        self.arrays[key] = copy(cell._style)


_CACHE: _StyleCache | None = None


def _styled(ws, cell, role: str | None, number_format: str | None) -> None:
    if role is not None:
        if _CACHE is not None:
            _CACHE.apply(ws, cell, role, number_format)
            return
        cell.style = _ensure_style(ws.parent, role)
    if number_format is not None:
        cell.number_format = number_format


def _set(ws, row: int, col: int, value, role: str | None, number_format: str | None) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        return  # inside a merged range: only its top-left cell holds a value
    if isinstance(value, Formula):
        cell.value = str(value)
    elif isinstance(value, str):
        cell.value = clean_text(value)  # control characters openpyxl refuses become spaces
        cell.data_type = "s"  # text stays text: never a formula ('=…') nor an error ('#N/A')
    elif isinstance(value, Decimal):
        cell.value = value
    elif value is None or isinstance(value, (int, float, bool, dt.date, dt.datetime)):
        cell.value = value
    else:
        raise TypeError(f"cannot write {type(value).__name__} to {ws.title}!{cell.coordinate}")
    _styled(ws, cell, role, number_format)


def _apply_write(wb: Workbook, op: Write) -> None:
    ws = wb[op.sheet]
    col_letter, row = coordinate_from_string(op.ref.split(":")[0])
    col = column_index_from_string(col_letter)
    if op.is_block:
        for i, values in enumerate(op.value):
            for j, v in enumerate(values):
                _set(ws, row + i, col + j, v, op.role, op.number_format)
    else:
        _set(ws, row, col, op.value, op.role, op.number_format)


def _apply_style(wb: Workbook, op: Style) -> None:
    ws = wb[op.sheet]
    c1, r1, c2, r2 = range_boundaries(op.ref)
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            _styled(ws, ws.cell(row=r, column=c), op.role, None)


def _apply_merge(wb: Workbook, op: Merge) -> None:
    """Merge without openpyxl's per-cell border formatting (slow): each covered cell keeps the
    style perfxl gave it (a Style op before the Merge), which draws the borders."""
    ws = wb[op.sheet]
    if op.ref in {str(r) for r in ws.merged_cells.ranges}:
        return
    mcr = MergedCellRange(ws, op.ref)
    ws.merged_cells.add(mcr)
    cells = mcr.cells
    next(cells)
    for r, c in cells:
        old = ws._cells.get((r, c))
        merged = MergedCell(ws, r, c)
        if old is not None:
            merged._style = copy(old._style)
        ws._cells[(r, c)] = merged


def _apply_name(wb: Workbook, op: DefineName) -> None:
    dn = DefinedName(op.name, attr_text=op.ref)
    if op.scope is None:
        if op.name in wb.defined_names:
            del wb.defined_names[op.name]
        wb.defined_names[op.name] = dn
    else:
        ws = wb[op.scope]
        if op.name in ws.defined_names:
            del ws.defined_names[op.name]
        ws.defined_names[op.name] = dn


def _apply_validation(wb: Workbook, op: Validation) -> None:
    ws = wb[op.sheet]
    dv = DataValidation(
        type=op.kind, formula1=op.formula1, formula2=op.formula2, operator=op.operator,
        allow_blank=True, showInputMessage=bool(op.prompt), showErrorMessage=op.strict,
        promptTitle=op.prompt_title, prompt=op.prompt, errorTitle=op.error_title, error=op.error,
        errorStyle="stop" if op.strict else "information",
    )
    for part in op.ref.split():
        dv.add(part)
    ws.add_data_validation(dv)


def _apply_cf(wb: Workbook, op: ConditionalFormat) -> None:
    ws = wb[op.sheet]
    ws.conditional_formatting.add(op.ref, Rule(type="expression", formula=[op.formula],
                                               dxf=DXF[op.role], stopIfTrue=False))


def _apply_clear(wb: Workbook, op: ClearRules) -> None:
    """Remove perfxl's own conditional formats and validations from a sheet (they are laid out
    again for the rows as they are now)."""
    ws = wb[op.sheet]
    from openpyxl.formatting.formatting import ConditionalFormattingList

    old = ws.conditional_formatting
    new = ConditionalFormattingList()
    for cf in old:
        for rule in cf.rules:
            if any(mark in (f or "") for f in (rule.formula or []) for mark in op.cf_markers):
                continue
            new.add(str(cf.sqref), rule)
    ws.conditional_formatting = new
    keep = [dv for dv in ws.data_validations.dataValidation
            if (dv.promptTitle or "") not in op.prompt_titles]
    ws.data_validations.dataValidation = keep


def _apply_setup(wb: Workbook, op: SheetSetup) -> None:
    ws = wb[op.sheet]
    for letter, width in op.col_widths.items():
        ws.column_dimensions[letter].width = width
    for row, height in op.row_heights.items():
        ws.row_dimensions[row].height = height
    for letter in op.hidden_cols:
        ws.column_dimensions[letter].hidden = True
    if op.outline_cols:
        idx = sorted(column_index_from_string(x) for x in op.outline_cols)
        for c in idx:
            dim = ws.column_dimensions[get_column_letter(c)]
            dim.outlineLevel = 1
            dim.hidden = True
        ws.sheet_properties.outlinePr.summaryRight = False
    if op.print_area:
        ws.print_area = op.print_area
    if op.print_title_rows:
        ws.print_title_rows = op.print_title_rows
    if op.row_breaks:
        ws.row_breaks = RowBreak()
        for r in op.row_breaks:
            ws.row_breaks.append(Break(id=r - 1))  # a break after row id
    if op.fit_width is not None or op.fit_height is not None:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = op.fit_width if op.fit_width is not None else 0
        ws.page_setup.fitToHeight = op.fit_height if op.fit_height is not None else 0
    if op.margins_cm is not None:
        t, r, b, l = (x / 2.54 for x in op.margins_cm)
        ws.page_margins = PageMargins(left=l, right=r, top=t, bottom=b, header=0.3, footer=0.3)
    if op.margins_cm is not None or op.fit_width is not None:
        ws.page_setup.orientation = "landscape" if op.landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4 if op.paper == "A4" else ws.page_setup.paperSize
        ws.print_options.horizontalCentered = op.center_horizontally
    if op.freeze:
        ws.freeze_panes = op.freeze
    if op.zoom:
        ws.sheet_view.zoomScale = op.zoom
    if op.show_gridlines is not None:
        ws.sheet_view.showGridLines = op.show_gridlines
    if op.tab_color:
        ws.sheet_properties.tabColor = op.tab_color


def apply_patch(wb: Workbook, patch: Patch) -> Workbook:
    """Apply every operation of ``patch`` to ``wb`` (in order) and return it."""
    global _CACHE
    _CACHE = _StyleCache()
    try:
        _apply_ops(wb, patch)
    finally:
        _CACHE = None
    return wb


def apply_changes(wb: Workbook, patch: Patch) -> bool:
    """Apply ``patch`` to ``wb``; True when it changed what perfxl writes — a cell's value or
    style, a sheet's state, a defined name, a validation or a conditional format (so a caller
    need not save, nor keep a backup, when nothing changed; document properties don't count)."""
    before = _written_state(wb, patch)
    apply_patch(wb, patch)
    return _written_state(wb, patch) != before


def _same_value(v):
    """A cell value as compared by :func:`apply_changes`: numbers as Decimal (a float read back
    from the file equals the Decimal perfxl writes)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        return v
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def _dxf(rule) -> bytes | None:
    """A conditional format's look (its dxfId is only assigned on save)."""
    from openpyxl.xml.functions import tostring

    return None if rule.dxf is None else tostring(rule.dxf.to_tree())


def _written_state(wb: Workbook, patch: Patch) -> tuple:
    cells, sheets = [], set()
    for op in patch:
        if isinstance(op, (Write, Style)):
            sheets.add(op.sheet)
            if op.sheet not in wb.sheetnames:
                cells.append((op.sheet, op.ref, None))
                continue
            ws = wb[op.sheet]
            ref = op.ref
            if isinstance(op, Write) and op.is_block:
                rows, width = len(op.value), max((len(r) for r in op.value), default=1)
                c1, r1, _, _ = range_boundaries(op.ref.split(":")[0])
                ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c1 + width - 1)}{r1 + rows - 1}"
            c1, r1, c2, r2 = range_boundaries(ref)
            for row in ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2):
                for c in row:
                    cells.append((op.sheet, c.coordinate, _same_value(c.value), c.data_type,
                                  tuple(c._style) if c.has_style else None))
        elif hasattr(op, "sheet"):
            sheets.add(op.sheet)
    parts = [tuple((ws.title, ws.sheet_state) for ws in wb.worksheets),
             tuple(sorted((k, v.attr_text) for k, v in wb.defined_names.items()))]
    for title in sorted(sheets & set(wb.sheetnames)):
        ws = wb[title]
        parts.append(tuple(sorted((k, v.attr_text) for k, v in ws.defined_names.items())))
        parts.append(tuple(repr(dv.to_tree().items()) + str(dv.sqref) + repr([dv.formula1, dv.formula2])
                           for dv in ws.data_validations.dataValidation))
        parts.append(tuple((str(cf.sqref), tuple((r.type, tuple(r.formula or ()), _dxf(r)) for r in cf.rules))
                           for cf in ws.conditional_formatting))
    return tuple(cells), tuple(parts)


def _apply_ops(wb: Workbook, patch: Patch) -> None:
    for op in patch:
        if isinstance(op, AddSheet):
            if op.title in wb.sheetnames:
                ws = wb[op.title]
            else:
                ws = wb.create_sheet(op.title, op.index)
            ws.sheet_state = "hidden" if op.hidden else "visible"
        elif isinstance(op, Write):
            _apply_write(wb, op)
        elif isinstance(op, Style):
            _apply_style(wb, op)
        elif isinstance(op, Merge):
            _apply_merge(wb, op)
        elif isinstance(op, DefineName):
            _apply_name(wb, op)
        elif isinstance(op, Validation):
            _apply_validation(wb, op)
        elif isinstance(op, ConditionalFormat):
            _apply_cf(wb, op)
        elif isinstance(op, ClearRules):
            _apply_clear(wb, op)
        elif isinstance(op, SheetSetup):
            _apply_setup(wb, op)
        else:  # pragma: no cover
            raise TypeError(f"unknown patch operation {op!r}")


def save(wb: Workbook, path: str | Path, *, backup: bool = True) -> Path:
    """Save atomically; when ``path`` exists and ``backup``, keep it as ``NAME.bak.xlsx``."""
    return atomic_save(Path(path), lambda tmp: wb.save(tmp), backup=backup)
