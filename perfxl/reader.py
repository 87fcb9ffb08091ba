"""The one reader of a workbook file's sheets: every sheet as the :class:`perfxl.forms.grid.Grid`
the form readers search, without loading the workbook into openpyxl.

- **values** come from python-calamine only (a formula cell's value there is its stored result).
  Its typing is brought to openpyxl's where the form readers tell them apart: an integral float
  becomes an ``int`` (``<v>9</v>`` is ``9`` to openpyxl and to ``str()`` in a message, ``9.0``
  to calamine), a date at midnight a ``datetime`` (openpyxl's ``from_excel``); calamine's empty
  cells and empty strings (both ``''``) are left out, as blank;
- **what calamine does not give** — which cells hold a formula, each cell's style index (for its
  number format: 88.5% typed is 0.885 in a percent format), error values typed as constants
  (calamine gives ``''``), merged ranges and the helper columns a sheet hides as an outline
  group — comes from one streaming pass of expat over each sheet part (:class:`_SheetScan`),
  which handles only start tags (a sheet with constant error values is parsed once more for
  their text, :func:`_error_texts`);
- the number format of each style from ``xl/styles.xml``, the sheets (title, state, part) and
  defined names from ``xl/workbook.xml`` and its relationships, with defusedxml.

The parts come from the bytes :func:`perfxl.safety.gate_workbook` already read (``package``),
else from the file: the file has passed the gate (sizes, zip and XML bombs, DTDs); expat is
still told to refuse a DTD or an entity declaration (defusedxml's refusal: H959 through
:func:`perfxl.safety.guard_xml`). A file that cannot be read is a :class:`WorkbookReadError`
naming it (CLI exit status 2). ``score``, ``finalize`` and ``carry`` edit a workbook with openpyxl
and read that in-memory model through ``Grid(ws)``; tests/project/test_benchmarks.py keeps both giving
the same Grid, projects and findings.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from functools import lru_cache
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any, NamedTuple

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from perfxl import xmlparse
from perfxl.errors import InputError
from perfxl.forms.grid import FORMULA, Grid

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_MAIN = "{" + _MAIN + "}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# expat's names with namespace processing ("URI}local"): any prefix a producer writes is resolved
_C, _F, _ROW, _COL, _MERGE = (f"{_MAIN}}}{n}" for n in ("c", "f", "row", "col", "mergeCell"))


class WorkbookReadError(InputError, ValueError):
    """The file cannot be opened as a workbook at all (message in Chinese; CLI exit status 2)."""


class DefinedName(NamedTuple):
    name: str
    attr_text: str
    local_sheet_id: int | None = None


class Sheet:
    """One worksheet as read: what a form reader gets besides its :attr:`grid`."""

    __slots__ = ("title", "sheet_state", "defined_names", "grid")

    def __init__(self, title: str, state: str) -> None:
        self.title = title
        self.sheet_state = state
        self.defined_names: dict[str, DefinedName] = {}
        self.grid: Grid | None = None


class Book:
    """The worksheets of a workbook file, in order."""

    def __init__(self, sheets: list[Sheet]) -> None:
        self.worksheets = sheets
        self._by_title = {s.title: s for s in reversed(sheets)}  # a repeated title: the first

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.worksheets]

    def __getitem__(self, title: str) -> Sheet:
        return self._by_title[title]


# --- workbook parts -----------------------------------------------------------------------------


class _Parts:
    """The XML parts of the workbook: from the gate's package when given, else from the file."""

    def __init__(self, path: Path, package: Any) -> None:
        self._package = package
        self._zip = None if package is not None else zipfile.ZipFile(path)
        self.names = set(package.entries) if package is not None else set(self._zip.namelist())

    def read(self, name: str) -> bytes | None:
        if name not in self.names:
            return None
        if self._package is not None:
            from perfxl.safety import unpack_part

            data = unpack_part(self._package, self._package.entries[name])
            if data is not None:
                return data
            if self._zip is None:  # a part the gate did not unpack: zipfile reads it
                self._zip = zipfile.ZipFile(io.BytesIO(self._package.data))
        return self._zip.read(name)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _part(target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return target if target.startswith("xl/") else "xl/" + target


def _workbook(wb_xml: bytes, rels_xml: bytes | None):
    """``[(title, state, part path)]`` in the workbook's order, and its defined names."""
    wb = SafeET.fromstring(wb_xml)
    targets = {}
    if rels_xml is not None:
        for rel in SafeET.fromstring(rels_xml).iter(f"{_NS_PKG_REL}Relationship"):
            targets[rel.get("Id")] = _part(rel.get("Target", ""))
    sheets = [(sh.get("name") or "", sh.get("state", "visible"), targets.get(sh.get(f"{_NS_REL}id"), ""))
              for sh in wb.iter(f"{_NS_MAIN}sheet")]
    names = []
    for dn in wb.iter(f"{_NS_MAIN}definedName"):
        local = dn.get("localSheetId")
        names.append(DefinedName(dn.get("name") or "", dn.text or "",
                                 int(local) if local is not None and local.isdigit() else None))
    return sheets, names


@lru_cache(maxsize=8)
def _number_formats(styles_xml: bytes | None) -> tuple[str, ...]:
    """The number format code of each cell style index (``cellXfs``). Remembered by content (an
    immutable result): the returns of one template share their styles part."""
    if styles_xml is None:
        return ("General",)
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    root = SafeET.fromstring(styles_xml)
    custom = {}
    numfmts = root.find(f"{_NS_MAIN}numFmts")
    for nf in (numfmts if numfmts is not None else ()):
        fid = nf.get("numFmtId")
        if fid is not None and fid.isdigit():
            custom[int(fid)] = nf.get("formatCode") or "General"
    formats = []
    xfs = root.find(f"{_NS_MAIN}cellXfs")
    for xf in (xfs if xfs is not None else ()):
        fid = xf.get("numFmtId", "0")
        fid = int(fid) if fid.isdigit() else 0
        formats.append(custom[fid] if fid in custom else BUILTIN_FORMATS.get(fid, "General"))
    return tuple(formats) or ("General",)


# --- one sheet's structure ----------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _coordinate(ref: str) -> tuple[int, int]:
    """``"AB12"`` → (12, 28); ValueError when ``ref`` is not a cell reference. Remembered: the
    references of a form repeat in every sheet (a pure function of the text)."""
    letters = ref.rstrip("0123456789")
    if not letters or len(letters) > 3 or not (letters.isascii() and letters.isalpha() and letters.isupper()):
        raise ValueError(ref)
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]), col


def _true(value: str | None) -> bool:
    return value is not None and value not in ("", "0", "false", "f")  # xsd:boolean, as openpyxl


class _SheetScan:
    """One expat pass over a sheet part, start tags only: every cell's attributes (position,
    style index, type), which cells hold a formula, the merged ranges, and the columns hidden as
    an outline group (``<col hidden="1" outlineLevel="1">``: perfxl's helper columns).

    The handler only appends what it sees (a Python call per element is most of the cost); the
    cells are placed afterwards, column-wise (:meth:`positions`)."""

    def __init__(self, xml: bytes) -> None:
        self.cells: list[dict[str, str]] = []  # each <c>'s attributes
        self.formula_cells: list[int] = []  # index in cells of each <c> holding an <f>
        self.rows: list[tuple[int, dict[str, str]]] = []  # (cells before it, attributes) per <row>
        self.cols: list[dict[str, str]] = []
        self.merges: list[dict[str, str]] = []
        cells, formulas, rows, cols, merges = (self.cells, self.formula_cells, self.rows,
                                               self.cols, self.merges)
        add_cell, add_formula = cells.append, formulas.append

        def start(name: str, attrs: dict[str, str]) -> None:
            if name is _C:
                add_cell(attrs)
            elif name is _F:
                add_formula(len(cells) - 1)
            elif name is _ROW:
                rows.append((len(cells), attrs))
            elif name is _COL:
                cols.append(attrs)
            elif name is _MERGE:
                merges.append(attrs)

        # names interned to the constants above, so the handler compares by identity
        parser = xmlparse.parser(intern={n: n for n in _NAMES})
        parser.StartElementHandler = start
        parser.Parse(xml, True)

    def positions(self) -> tuple[list[tuple[int, int]], list[str | None], list[str | None]]:
        """Every cell's (row, column), style index and type, in document order."""
        cells = self.cells
        refs = list(map(_GET_R, cells))
        if None in refs:
            keys = self._counted(refs)
        else:
            keys = list(map(_coordinate, refs))
        return keys, list(map(_GET_S, cells)), list(map(_GET_T, cells))

    def _counted(self, refs: list[str | None]) -> list[tuple[int, int]]:
        """Positions where some cells have no ``r``: a row or cell without one is the one after
        the previous (ECMA-376 Part 1, 18.3.1.73 and 18.3.1.4)."""
        keys = []
        rows = iter(self.rows)
        next_row = next(rows, None)
        row = col = 0
        for i, ref in enumerate(refs):
            while next_row is not None and next_row[0] <= i:
                r = next_row[1].get("r")
                row, col = (int(r) if r is not None else row + 1), 0
                next_row = next(rows, None)
            row, col = key = (row, col + 1) if ref is None else _coordinate(ref)
            keys.append(key)
        return keys

    def hidden_columns(self) -> frozenset[int]:
        """One entry per ``min``, the last one written wins, as openpyxl's column dimensions."""
        by_min: dict[int, tuple[int, bool]] = {}
        for a in self.cols:
            lo = int(a.get("min") or 0)
            by_min[lo] = (int(a.get("max") or lo),
                          _true(a.get("hidden")) and int(a.get("outlineLevel") or 0) >= 1)
        return frozenset(c for lo, (hi, grouped) in by_min.items() if grouped
                         for c in range(lo, hi + 1))


_NAMES = (_C, _F, _ROW, _COL, _MERGE)
_GET_R, _GET_S, _GET_T = (methodcaller("get", k) for k in ("r", "s", "t"))


def _error_texts(xml: bytes, keys: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The text of the error cells (``t="e"``) at ``keys``, which calamine reads as ``''``: a
    second parse of the sheet, only for a sheet that has such cells typed as constants."""
    root = SafeET.fromstring(xml)
    out = {}
    for c in root.iter(f"{_NS_MAIN}c"):
        ref = c.get("r")
        if ref is not None and c.get("t") == "e":
            key = _coordinate(ref)
            v = c.find(f"{_NS_MAIN}v")
            if key in keys and v is not None and (v.text or "").strip():
                out[key] = v.text.strip()
    return out


class _Range(NamedTuple):
    min_row: int
    min_col: int
    max_row: int
    max_col: int


def _merged_range(ref: str) -> _Range:
    """A ``mergeCell`` reference as a range with its corners in order."""
    a, _, b = ref.partition(":")
    (r1, c1), (r2, c2) = _coordinate(a), _coordinate(b or a)
    return _Range(min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


def _grid(sheet: Sheet, rows: list[list[Any]], xml: bytes, formats_by_style: tuple[str, ...]
          ) -> Grid:
    """The Grid of one sheet from calamine's ``rows`` (from A1) and one scan of its ``xml``, with
    the stored numeric results of its formula cells (:meth:`Grid.result`). Formula cells in
    hidden grouped columns are left out (their extent too), as ``Grid(ws)`` leaves them out."""
    scan = _SheetScan(xml)
    keys, styles_at, kinds = scan.positions()
    hidden = scan.hidden_columns()
    formulas = set(map(keys.__getitem__, scan.formula_cells))
    left_out = {k for k in formulas if k[1] in hidden} if hidden else set()
    formulas -= left_out
    styles = dict(zip(keys, styles_at))  # a cell written twice: the last
    for key in left_out:
        del styles[key]
    ranges = [_merged_range(a.get("ref") or "") for a in scan.merges]
    max_row = max(styles)[0] if styles else 1
    max_col = max(map(itemgetter(1), styles), default=1)
    for m in ranges:
        max_row, max_col = max(max_row, m.max_row), max(max_col, m.max_col)

    values: dict[tuple[int, int], Any] = {}
    results: dict[tuple[int, int], Any] = {}
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row, 1):
            if v != "" and v is not None:
                t = type(v)
                if t is float:
                    values[(r, c)] = int(v) if v.is_integer() else v
                elif t is dt.date:
                    values[(r, c)] = dt.datetime(v.year, v.month, v.day)
                else:
                    values[(r, c)] = v
    for key in formulas:
        r, c = key
        v = rows[r - 1][c - 1] if r <= len(rows) and c <= len(rows[r - 1]) else None
        if type(v) is float or type(v) is int:
            results[key] = v  # as calamine gives it, as Grid(ws) reads it with calamine too
        values[key] = FORMULA
    for key in left_out:
        values.pop(key, None)
    if "e" in kinds:
        errors = {keys[i] for i, kind in enumerate(kinds) if kind == "e"} - formulas - left_out
        values.update(_error_texts(xml, errors))
    for m in ranges:  # the covered cells of a merged range are empty (openpyxl's MergedCells)
        for r in range(m.min_row, m.max_row + 1):
            for c in range(m.min_col, m.max_col + 1):
                if (r != m.min_row or c != m.min_col) and (r, c) in values:
                    del values[(r, c)]
                    formulas.discard((r, c))
    format_of = {style: _number_format(style, formats_by_style) for style in {None, *styles_at}}
    formats = dict(zip(values, map(format_of.__getitem__, map(styles.get, values))))
    return Grid.from_parts(sheet, max_row, max_col, ranges, values, formulas, formats, results)


def _number_format(style: str | None, formats_by_style: tuple[str, ...]) -> str:
    """The number format of a cell's style index (``s``; none or unknown: the default)."""
    i = int(style) if style is not None and style.isdigit() else 0
    return formats_by_style[i] if i < len(formats_by_style) else "General"


# --- the workbook -------------------------------------------------------------------------------


def read_book(path: str | Path, package: Any = None) -> Book:
    """Every worksheet of the workbook at ``path`` as a :class:`Sheet` with its Grid, from
    ``package`` (:func:`perfxl.safety.gate_workbook`'s read of ``path``) when given.

    Raises :class:`WorkbookReadError` when the file or one of its sheets cannot be read, and
    defusedxml's refusal of a DTD or an entity declaration (H959 through
    :func:`perfxl.safety.guard_xml`)."""
    path = Path(path)
    try:
        return _read(path, package)
    except (WorkbookReadError, DefusedXmlException):
        raise
    except Exception as exc:  # noqa: BLE001 — zipfile, calamine, XML errors: the file is unreadable
        raise unreadable(path, exc) from exc


def unreadable(path: Path, exc: BaseException, sheet: str | None = None) -> WorkbookReadError:
    """The error for a file (or one of its sheets) that cannot be read at all: H950 with the
    reason and what to do; a missing file says so. The one wording for this reader and for
    :func:`perfxl.forms.workbook.open_workbook`."""
    if isinstance(exc, FileNotFoundError):
        return WorkbookReadError(f"找不到文件：{path}")
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    what = f"无法读取 {path.name} 的工作表“{sheet}”" if sheet else f"无法作为 Excel 工作簿打开 {path.name}"
    return WorkbookReadError(f"H950 {what}（{reason}）：文件已损坏，请在 Excel 或 WPS 中打开后"
                             "“另存为 Excel 工作簿 (.xlsx)”再试")


def _read(path: Path, package: Any) -> Book:
    from openpyxl.workbook.defined_name import RESERVED_REGEX
    from python_calamine import CalamineWorkbook

    parts = _Parts(path, package)
    try:
        wb_part = next((n for n in parts.names if n.lower() == "xl/workbook.xml"), "xl/workbook.xml")
        wb_xml = parts.read(wb_part)
        if wb_xml is None:
            raise unreadable(path, KeyError("xl/workbook.xml"))
        sheet_parts, names = _workbook(wb_xml, parts.read("xl/_rels/workbook.xml.rels"))
        formats_by_style = _number_formats(parts.read("xl/styles.xml"))
        calamine = (CalamineWorkbook.from_filelike(io.BytesIO(package.data)) if package is not None
                    else CalamineWorkbook.from_path(str(path)))
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(calamine.sheet_names):
            positions.setdefault(name, []).append(i)
        sheets: list[Sheet] = []
        by_index: dict[int, Sheet] = {}
        for index, (title, state, part) in enumerate(sheet_parts):
            at = positions.get(title)
            xml = parts.read(part) if part.startswith("xl/worksheets/") else None
            if xml is None or not at:
                continue  # a chart sheet, or a sheet whose part is missing
            try:
                rows = calamine.get_sheet_by_index(at.pop(0)).to_python(skip_empty_area=False)
                sheet = Sheet(title, state)
                sheet.grid = _grid(sheet, rows, xml, formats_by_style)
            except (WorkbookReadError, DefusedXmlException):
                raise
            except Exception as exc:  # noqa: BLE001 — named with its sheet
                raise unreadable(path, exc, title) from exc
            sheets.append(sheet)
            by_index[index] = sheet
    finally:
        parts.close()
    for n in names:
        target = by_index.get(n.local_sheet_id) if n.local_sheet_id is not None else None
        if target is not None and n.name and not RESERVED_REGEX.match(n.name):
            target.defined_names[n.name] = n
    return Book(sheets)
