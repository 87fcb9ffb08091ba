"""A fast, values-only view of an .xlsx for the read path (issue 7): python-calamine plus a
single regex pass over each sheet's XML, instead of a full openpyxl load.

What ``check`` and ``summary`` need from a workbook is what :class:`perfxl.forms.grid.Grid`
holds: cell values, which cells hold formulas, each value cell's number format (to give a read
number the decimals its cell shows), merged ranges, sheet titles and states, and defined names.
openpyxl builds a full object model (styles, cells, validations, conditional formats) to get
there; this module gets the same facts at a fraction of the cost:

- strings, booleans and dates come from python-calamine (shared strings, rich text, escapes and
  date formats decoded in Rust);
- one regex pass over ``xl/worksheets/sheetN.xml`` gives every cell's reference, style index,
  type, number text and formula text — numbers are typed as openpyxl types them (``int`` unless
  the text has a ``.`` or an exponent), formulas as ``"=" + text``;
- ``xl/styles.xml`` gives the number format of each style index; ``xl/workbook.xml`` the sheets,
  their states and the defined names.

:func:`read_book` returns a :class:`FastBook` whose sheets offer the small part of the openpyxl
``Worksheet`` interface the readers use (``title``, ``sheet_state``, ``max_row``/``max_column``,
``cell(r, c).value``, ``iter_rows``, ``merged_cells.ranges``, ``defined_names``), and
:func:`grid` builds the very :class:`~perfxl.forms.grid.Grid` the form readers consume from
it. Writing (``score``, ``import``) still goes through openpyxl.

Only for files that passed :mod:`perfxl.safety`'s gate (sizes, zip and XML bombs): the small
workbook parts are parsed with defusedxml.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from defusedxml import ElementTree as SafeET

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# <c r="B3" s="5" t="s"><v>12</v></c>  |  <c r="A1" s="3"/>  — attributes in any order
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(rb'\b(r|s|t)="([^"]*)"')
_F = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_V = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_REF = re.compile(rb"([A-Z]+)(\d+)")


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


class FastReadError(ValueError):
    """The file is not a workbook this reader understands (the caller falls back to openpyxl)."""


# --- the openpyxl-like surface ------------------------------------------------------------------


@dataclass
class FastCell:
    row: int
    column: int
    value: Any = None
    number_format: str = "General"
    data_type: str = "n"


@dataclass(frozen=True)
class FastRange:
    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass
class _Merged:
    ranges: list[FastRange] = field(default_factory=list)


@dataclass
class FastName:
    name: str
    attr_text: str
    local_sheet_id: int | None = None


class FastSheet:
    """The values of one worksheet, keyed by 1-based (row, column)."""

    def __init__(self, title: str, state: str = "visible"):
        self.title = title
        self.sheet_state = state
        self.values: dict[tuple[int, int], Any] = {}
        self.formulas: set[tuple[int, int]] = set()
        self.formats: dict[tuple[int, int], str] = {}
        self.merged_cells = _Merged()
        self.defined_names: dict[str, FastName] = {}
        self.max_row = 1
        self.max_column = 1

    def cell(self, row: int, column: int) -> FastCell:
        key = (row, column)
        return FastCell(row, column, self.values.get(key), self.formats.get(key, "General"),
                        "f" if key in self.formulas else "n")

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, min_col: int = 1,
                  max_col: int | None = None, values_only: bool = False) -> Iterator[tuple]:
        max_row = self.max_row if max_row is None else max_row
        max_col = self.max_column if max_col is None else max_col
        for r in range(min_row, max_row + 1):
            if values_only:
                yield tuple(self.values.get((r, c)) for c in range(min_col, max_col + 1))
            else:
                yield tuple(self.cell(r, c) for c in range(min_col, max_col + 1))

    def __repr__(self) -> str:
        return f"<FastSheet {self.title!r} {self.max_row}x{self.max_column}>"


class FastBook:
    def __init__(self, sheets: list[FastSheet], names: dict[str, FastName]):
        self.worksheets = sheets
        self.defined_names = names
        self._by_title = {s.title: s for s in sheets}

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.worksheets]

    def __getitem__(self, title: str) -> FastSheet:
        return self._by_title[title]

    def __contains__(self, title: str) -> bool:
        return title in self._by_title

    def close(self) -> None:  # the openpyxl read-only interface; nothing is held open
        pass


# --- reading ------------------------------------------------------------------------------------


def _builtin_formats() -> dict[int, str]:
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    return dict(BUILTIN_FORMATS)


_BUILTIN: dict[int, str] | None = None


def _styles(zf: zipfile.ZipFile) -> list[str]:
    """Number format code of each cell style index (``cellXfs``)."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = _builtin_formats()
    try:
        root = SafeET.fromstring(zf.read("xl/styles.xml"))
    except KeyError:
        return []
    custom = {}
    numfmts = root.find(f"{_NS_MAIN}numFmts")
    if numfmts is not None:
        for nf in numfmts:
            custom[int(nf.get("numFmtId"))] = nf.get("formatCode")
    out = []
    xfs = root.find(f"{_NS_MAIN}cellXfs")
    if xfs is not None:
        for xf in xfs:
            fid = int(xf.get("numFmtId", "0"))
            out.append(custom.get(fid) or _BUILTIN.get(fid, "General"))
    return out


def _sheets(zf: zipfile.ZipFile) -> tuple[list[tuple[str, str, str]], dict[str, FastName], list[FastName]]:
    """(title, state, part path) per sheet in order; workbook-level names; sheet-local names."""
    wb = SafeET.fromstring(zf.read("xl/workbook.xml"))
    rels = SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if target.startswith("/"):
            target = target[1:]
        elif not target.startswith("xl/"):
            target = "xl/" + target
        targets[rel.get("Id")] = target
    sheets = []
    for sh in wb.iter(f"{_NS_MAIN}sheet"):
        part = targets.get(sh.get(f"{_NS_REL}id"), "")
        sheets.append((sh.get("name"), sh.get("state", "visible"), part))
    global_names: dict[str, FastName] = {}
    local_names: list[FastName] = []
    for dn in wb.iter(f"{_NS_MAIN}definedName"):
        local = dn.get("localSheetId")
        name = FastName(dn.get("name"), dn.text or "", int(local) if local is not None else None)
        if name.name.startswith("_xlnm."):
            continue  # print area/titles: openpyxl moves them off defined_names too
        (local_names.append(name) if local is not None else global_names.__setitem__(name.name, name))
    return sheets, global_names, local_names


def _typed_number(text: bytes) -> int | float:
    if b"." in text or b"E" in text or b"e" in text:
        return float(text)
    return int(text)


def _unescape(text: bytes) -> str:
    if b"&" in text:
        if b"&#" in text:
            return html.unescape(text.decode("utf-8"))
        text = (text.replace(b"&quot;", b'"').replace(b"&apos;", b"'").replace(b"&lt;", b"<")
                .replace(b"&gt;", b">").replace(b"&amp;", b"&"))
    return text.decode("utf-8")


def _scan(sheet: FastSheet, xml: bytes, styles: list[str], strings: list[list[Any]], origin: tuple[int, int]):
    """Fill ``sheet`` from its XML; ``strings`` is calamine's value grid (0-based from ``origin``).

    The cells are cut out with ``bytes.split``/``find`` (C speed) rather than a regex over each
    cell's body: template sheets carry long helper formulas, and a lazy regex crawls them.
    """
    r0, c0 = origin
    max_r = max_c = 1
    values, formulas, formats = sheet.values, sheet.formulas, sheet.formats
    a, b = xml.find(b"<sheetData"), xml.find(b"</sheetData>")
    data = xml[a:b] if a >= 0 and b >= 0 else b""
    if b"<x:c " in data or b":c r=" in data:
        raise FastReadError("namespace-prefixed cells")  # rare producers: openpyxl reads them
    nstyles = len(styles)
    for part in data.split(b"<c ")[1:]:
        gt = part.find(b">")
        head = part[:gt]
        attrs = dict(_ATTR.findall(head))
        ref = _REF.match(attrs.get(b"r", b""))
        if ref is None:  # cells without r (allowed by the spec, rare): let openpyxl read the file
            raise FastReadError("cell without a reference")
        r, c = int(ref.group(2)), _col(ref.group(1))
        if r > max_r:
            max_r = r
        if c > max_c:
            max_c = c
        if head.endswith(b"/"):
            continue  # an empty cell that only carries a style
        body = part[gt + 1 : part.find(b"</c>")]
        if not body:
            continue
        key = (r, c)
        s = attrs.get(b"s")
        fmt = styles[int(s)] if s is not None and int(s) < nstyles else "General"
        fi = body.find(b"<f")
        if fi >= 0:
            formulas.add(key)
            fgt = body.find(b">", fi)
            if body[fgt - 1 : fgt] == b"/":
                text = b""  # <f t="shared" si="0"/>: openpyxl shows "="
            else:
                text = body[fgt + 1 : body.find(b"</f>", fgt)]
            values[key] = "=" + _unescape(text)
        else:
            t = attrs.get(b"t", b"n")
            if t == b"n":
                vm = _V.search(body)
                if vm is None or not vm.group(1):
                    continue
                value: Any = _typed_number(vm.group(1))
                if _is_date_format(fmt):
                    value = _cal_value(strings, r - 1 - r0, c - 1 - c0)
                    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                        value = dt.datetime(value.year, value.month, value.day)
                values[key] = value
            else:  # s, str, inlineStr, b, e, d: calamine has decoded it
                value = _cal_value(strings, r - 1 - r0, c - 1 - c0)
                if value == "" or value is None:
                    if t == b"e":  # openpyxl keeps error values as their text
                        vm = _V.search(body)
                        value = vm.group(1).decode() if vm else None
                    elif t in (b"s", b"inlineStr", b"str"):
                        value = None if t != b"str" else ""
                    if value is None:
                        continue
                values[key] = value
        formats[key] = fmt
    for mm in _MERGE.finditer(xml, b if b >= 0 else 0):
        c1, r1 = _col(mm.group(1)), int(mm.group(2))
        c2, r2 = (_col(mm.group(3)), int(mm.group(4))) if mm.group(3) else (c1, r1)
        sheet.merged_cells.ranges.append(FastRange(r1, c1, r2, c2))
        max_r, max_c = max(max_r, r2), max(max_c, c2)
        # openpyxl drops the values of covered cells in a merged range
        for rr in range(r1, r2 + 1):
            for cc in range(c1, c2 + 1):
                if (rr, cc) != (r1, c1):
                    values.pop((rr, cc), None)
                    formulas.discard((rr, cc))
                    formats.pop((rr, cc), None)
    sheet.max_row, sheet.max_column = max_r, max_c


_FMT_DATE_CACHE: dict[str, bool] = {}


def _cal_value(grid: list[list[Any]], i: int, j: int) -> Any:
    if 0 <= i < len(grid):
        row = grid[i]
        if 0 <= j < len(row):
            return row[j]
    return None


_DATE_FMT = re.compile(r"(?<![\\\"])[dmyhs]", re.I)


def _is_date_format(fmt: str) -> bool:
    known = _FMT_DATE_CACHE.get(fmt)
    if known is None:
        from openpyxl.styles.numbers import is_date_format

        known = _FMT_DATE_CACHE[fmt] = bool(is_date_format(fmt))
    return known


def read_book(path: str | Path) -> FastBook:
    """Read every sheet's values, formulas, formats and merges (see the module docstring)."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FastReadError(str(exc)) from exc
    with zf:
        try:
            sheet_parts, names, local_names = _sheets(zf)
            styles = _styles(zf)
        except (KeyError, SafeET.ParseError) as exc:
            raise FastReadError(f"workbook parts: {exc}") from exc
        cal = CalamineWorkbook.from_path(str(path))
        sheets: list[FastSheet] = []
        try:
            for title, state, part in sheet_parts:
                sheet = FastSheet(title, state)
                try:
                    xml = zf.read(part)
                except KeyError:
                    continue  # a chartsheet or a missing part: not a worksheet
                if part.startswith("xl/chartsheets/"):
                    continue
                cs = cal.get_sheet_by_name(title)
                grid = cs.to_python(skip_empty_area=False)
                _scan(sheet, xml, styles, grid, (0, 0))
                sheets.append(sheet)
        finally:
            cal.close()
    by_index = {i: s for i, s in enumerate(sheets)}
    for n in local_names:
        target = by_index.get(n.local_sheet_id)
        if target is not None:
            target.defined_names[n.name] = n
    return FastBook(sheets, names)


def grid(sheet: FastSheet, max_rows: int = 5000, max_cols: int = 80):
    """The :class:`perfxl.forms.grid.Grid` of ``sheet`` — the same object ``Grid(ws)`` builds
    from an openpyxl worksheet, without iterating openpyxl cells."""
    from perfxl.forms.grid import Grid

    g = Grid.__new__(Grid)
    g.ws = sheet
    g.title = sheet.title
    g.max_row = min(sheet.max_row, max_rows)
    g.max_col = min(sheet.max_column, max_cols)
    g._merged = {}
    for rng in sheet.merged_cells.ranges:
        for r in range(rng.min_row, min(rng.max_row, g.max_row) + 1):
            for c in range(rng.min_col, min(rng.max_col, g.max_col) + 1):
                g._merged[(r, c)] = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
    keep = {k for k in sheet.values if k[0] <= g.max_row and k[1] <= g.max_col}
    g._values = {k: sheet.values[k] for k in keep}
    g._formulas = {k for k in sheet.formulas if k in keep}
    g._formats = {k: sheet.formats[k] for k in keep}
    return g
