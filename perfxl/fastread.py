"""A fast, values-only view of an .xlsx for the read path: a few regex passes over the
workbook's XML bytes, instead of a full openpyxl load (which builds cells, styles, merged-cell
objects and borders, ≈ 0.45 s for a template workbook).

What ``check`` and ``summary`` need from a workbook is what :class:`perfxl.forms.grid.Grid`
holds: cell values, which cells hold formulas (a formula cell's value is the marker
:data:`perfxl.forms.grid.FORMULA` on both paths: readers never use a formula's text), each value cell's number format (to give a read number the decimals its cell
shows), merged ranges, sheet titles and states, the sheets' defined names, and the stored
numeric result of each formula cell (``FastSheet.results``, for :meth:`Grid.result`; openpyxl's
full mode drops them, so Grid reads them with python-calamine there). This module gets
exactly what ``openpyxl.load_workbook(path)`` (full mode, not ``data_only``) gives for those
(but for the helper-column formulas below), with openpyxl's own typing rules:

- one ``re.findall`` over ``<sheetData>`` returns every cell as a tuple of byte strings (column
  letters, row, style, type, formula marker, value, inline text; a formula's text is skipped by
  the regex engine, not captured); the cells are then handled column-wise (``zip``/``map``/
  ``compress``), so Python does a few C-level passes per sheet rather than a loop per cell;
- numbers are ``int`` unless the text has ``.``/``E`` (openpyxl's ``_cast_number``), cells with
  a date style become ``datetime`` (``from_excel``, 1900/1904 epochs), ``t="s"`` is looked up in
  the shared strings (``x005F_`` dropped, as openpyxl does), ``b``/``e``/``str``/``d`` as openpyxl;
- ``xl/styles.xml`` gives the number format of each style index (cached by content: a batch of
  returns from one template shares it); ``xl/workbook.xml`` the sheets, states and names (by
  regex in the plain layout, defusedxml otherwise);
- a sheet whose XML repeats byte for byte across the files of a batch — the hidden settings
  sheet of every return from one template — is parsed once (:func:`_scan_cached`);
- formula cells in hidden grouped columns (perfxl's helper columns) are left out, as
  :class:`perfxl.forms.grid.Grid` leaves them out of an openpyxl sheet: the cell pattern stops
  at their ``<f`` (:func:`_cell_pattern`), two thirds of a form sheet's cells;
- the parts come from the bytes :func:`perfxl.safety.gate_workbook` already read, when given
  (:class:`_PackageZip`), else from the file.

Anything this reader does not model — cells whose XML is not in the plain layout every producer
we know writes (extra attributes, rich inline text, prefixed namespaces, cells without ``r``),
comments (openpyxl creates their cells), duplicate sheet titles,
unreadable numbers or style indexes — raises :class:`FastReadError`, and the caller reads the file
with openpyxl instead (which also produces the same errors for broken files). Writing (``score``,
``import``) always goes through openpyxl.

Only for files that passed :mod:`perfxl.safety`'s gate (sizes, zip and XML bombs): the small
workbook parts are parsed with defusedxml.
"""

from __future__ import annotations

import re
import zipfile
from itertools import compress
from operator import itemgetter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from defusedxml import ElementTree as SafeET

from perfxl.forms.grid import FORMULA

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# One cell in the layout openpyxl, Excel and LibreOffice write: attributes r, s, t in this order,
# then an optional formula (its text is not captured: a Grid only marks formula cells), an optional
# value, an optional plain inline string. Anything else that starts with "<c" — a cell spelled
# otherwise, a rich-text run's <color> or <charset> — is matched by the last alternative, whose
# group 9 then holds the character after "<c": the sheet goes to openpyxl. (No match can hold
# a "<": attribute values are [^<>]*.)
#   groups: 1 column letters, 2 row, 3 style, 4 type, 5 "<f" marker, 6 value text, 7 "<is>" marker,
#           8 inline text, 9 not a plain cell
_CELL_ATTRS = rb'(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*'
_CELL_BODY = (
    rb"(?:/>|>"
    rb"(?:(<f)(?:\s[^<>]*)?(?:/>|>[^<]*</f>))?"
    rb"(?:<v>([^<]*)</v>|<v\s*/>)?"
    rb"(?:(<is>)<t(?:\s[^<>]*)?(?:/>|>([^<]*)</t>)</is>)?"
    rb"</c>)"
)
_CELL_PLAIN = rb'([A-Z]{1,3})([0-9]{1,7})"' + _CELL_ATTRS + _CELL_BODY
_CELL_OTHER = rb"|([\s\S]))"
_CELL = re.compile(rb'<c(?: r="' + _CELL_PLAIN + _CELL_OTHER)
_OTHER = itemgetter(8)
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]{1,3})([0-9]+)(?::([A-Z]{1,3})([0-9]+))?"\s*/>')
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# a string item: plain (one <t>, group 1), anything else (rich runs, phonetics: group 2), or empty
_SI = re.compile(rb"<si><t(?:\s[^>]*)?(?:/>|>([^<]*)</t>)</si>|<si>(.*?)</si>|<si\s*/>", re.S)
_SI_T = re.compile(rb"<t(?:\s[^>]*)?(?:/>|>([^<]*)</t>)")
_RPH = re.compile(rb"<rPh\b.*?</rPh>|<phoneticPr\b[^>]*/>", re.S)


class FastReadError(ValueError):
    """The file is not a workbook this reader models (the caller falls back to openpyxl)."""


# --- the openpyxl-like surface ------------------------------------------------------------------


@dataclass
class FastCell:
    row: int
    column: int
    value: Any = None
    number_format: str = "General"
    data_type: str = "n"


class FastRange(NamedTuple):  # a NamedTuple: a frozen dataclass costs µs per range to build
    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass
class _Merged:
    ranges: list[FastRange] = field(default_factory=list)


class FastName(NamedTuple):  # a NamedTuple: a return from the template holds ~70 names
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
        self.results: dict[tuple[int, int], Any] = {}  # a formula cell's stored number (<v>)
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


# --- small helpers ------------------------------------------------------------------------------

_COLS: dict[bytes, int] = {}


def _col(letters: bytes) -> int:
    n = _COLS.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            n = n * 26 + ch - 64
        _COLS[letters] = n
    return n


def _entity(m: re.Match) -> str:
    e = m.group(1)
    if e[0] == "#":
        return chr(int(e[2:], 16) if e[1] == "x" else int(e[1:]))
    return _ENTITIES[e]


_TEXTS: dict[bytes, str] = {}


def _text_cached(raw: bytes) -> str:
    """:func:`_text` of an inline string, remembered: the labels of a form repeat in every sheet."""
    value = _TEXTS.get(raw)
    if value is None:
        if len(_TEXTS) > 20000:
            _TEXTS.clear()
        value = _TEXTS[raw] = _text(raw) if raw else ""
    return value


def _text(raw: bytes) -> str:
    """XML character data as an XML parser gives it: line ends normalised, references resolved."""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"&" in raw:
        if b"&#" in raw:
            return _ENTITY.sub(_entity, raw.decode("utf-8"))
        raw = (raw.replace(b"&quot;", b'"').replace(b"&lt;", b"<").replace(b"&gt;", b">")
               .replace(b"&apos;", b"'").replace(b"&amp;", b"&"))
    return raw.decode("utf-8")


# --- workbook parts -----------------------------------------------------------------------------

_STYLES_CACHE: dict[bytes, tuple[tuple[str, ...], frozenset[int], frozenset[int]]] = {}


def _styles(zf: zipfile.ZipFile) -> tuple[tuple[str, ...], frozenset[int], frozenset[int]]:
    """Per cell style index (``cellXfs``): number format code; the date and timedelta styles."""
    try:
        data = zf.read("xl/styles.xml")
    except KeyError:
        return ("General",), frozenset(), frozenset()
    cached = _STYLES_CACHE.get(data)
    if cached is not None:
        return cached
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    root = SafeET.fromstring(data)
    custom = {}
    numfmts = root.find(f"{_NS_MAIN}numFmts")
    if numfmts is not None:
        for nf in numfmts:
            custom[int(nf.get("numFmtId"))] = nf.get("formatCode")
    formats: list[str] = []
    xfs = root.find(f"{_NS_MAIN}cellXfs")
    for xf in (xfs if xfs is not None else ()):
        fid = int(xf.get("numFmtId", "0"))
        formats.append(custom[fid] if fid in custom else BUILTIN_FORMATS.get(fid, "General"))
    if not formats:
        formats = ["General"]
    formats = tuple(formats)
    dates = frozenset(i for i, f in enumerate(formats) if is_date_format(f))
    deltas = frozenset(i for i, f in enumerate(formats) if is_timedelta_format(f))
    if len(_STYLES_CACHE) > 32:
        _STYLES_CACHE.clear()
    _STYLES_CACHE[data] = result = (formats, dates, deltas)
    return result


_RICH: dict[bytes, str] = {}


def _rich_text(body: bytes) -> str:
    """The text of a string item with runs or phonetics, remembered: a template's rich labels
    repeat in every file saved from it."""
    text = _RICH.get(body)
    if text is None:
        if len(_RICH) > 20000:
            _RICH.clear()
        raw = _RPH.sub(b"", body) if b"<rPh" in body or b"<phoneticPr" in body else body
        text = _RICH[body] = "".join(_text(t) for t in _SI_T.findall(raw))  # phonetics: not text (openpyxl)
    return text


def _shared_strings(zf: zipfile.ZipFile, names: set[str]) -> list[str]:
    part = next((n for n in names if n.lower() == "xl/sharedstrings.xml"), None)
    if part is None:
        return []
    data = zf.read(part)
    found = _SI.findall(data)
    if not found:
        return []
    plains, bodies = zip(*found)
    out = list(map(_text_cached, plains))  # the plain items, column-wise; texts repeat across files
    for i in compress(range(len(bodies)), bodies):
        out[i] = _rich_text(bodies[i])
    if b"x005F_" in data:
        out = [t.replace("x005F_", "") for t in out]
    return out


_TAG_ATTRS = re.compile(rb'([A-Za-z_][\w.:-]*)="([^"]*)"')
_WB_SHEET = re.compile(rb"<sheet\s([^>]*?)/?>")
_WB_NAME = re.compile(rb"<definedName\s([^>]*)>([^<]*)</definedName>")
# the spelling openpyxl, Excel and LibreOffice write (name, then localSheetId): no attribute parse
_WB_NAME_PLAIN = re.compile(rb'<definedName name="([^"&]*)"(?: localSheetId="([0-9]+)")?>([^<]*)</definedName>')
_WB_PR = re.compile(rb"<workbookPr\b([^>]*?)/?>")
_WB_REL_PREFIX = re.compile(
    rb'xmlns:([A-Za-z_][\w.-]*)="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_RELATIONSHIP = re.compile(rb"<Relationship\s([^>]*?)/?>")


def _attrs(raw: bytes) -> dict[str, str]:
    text = _text_cached  # attribute names and most values repeat from file to file
    return {text(k): text(v) for k, v in _TAG_ATTRS.findall(raw)}


def _workbook(zf: zipfile.ZipFile):
    """(title, state, part path) per sheet in order; date1904; workbook names; local names.

    ``xl/workbook.xml`` in the plain layout every producer we know writes is read with a few
    regexes; anything else (prefixed elements, comments, single-quoted attributes) with
    defusedxml — both give the same."""
    wb_xml, rels_xml = zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels")
    return _workbook_plain(wb_xml, rels_xml) or _workbook_tree(wb_xml, rels_xml)


def _part(target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return target if target.startswith("xl/") else "xl/" + target


def _workbook_plain(wb_xml: bytes, rels_xml: bytes):
    """:func:`_workbook` by regex, or None when the XML is not in the plain layout."""
    prefix = _WB_REL_PREFIX.search(wb_xml)
    if (prefix is None or b"<!" in wb_xml or b"<!" in rels_xml or b"='" in wb_xml
            or b"='" in rels_xml or b":sheet " in wb_xml or b":definedName" in wb_xml):
        return None
    rels = _RELATIONSHIP.findall(rels_xml)
    sheet_tags = _WB_SHEET.findall(wb_xml)
    n_names = wb_xml.count(b"<definedName ")
    plain = _WB_NAME_PLAIN.findall(wb_xml)
    name_tags = _WB_NAME.findall(wb_xml) if len(plain) != n_names else ()
    if (len(rels) != rels_xml.count(b"<Relationship ") or len(sheet_tags) != wb_xml.count(b"<sheet ")
            or len(plain) != n_names and len(name_tags) != n_names):
        return None
    targets = {a.get("Id"): _part(a.get("Target", "")) for a in map(_attrs, rels)}
    rid = prefix.group(1).decode() + ":id"
    sheets = []
    for a in map(_attrs, sheet_tags):
        sheets.append((a.get("name"), a.get("state", "visible"), targets.get(a.get(rid), "")))
    pr = _WB_PR.search(wb_xml)
    date1904 = pr is not None and _attrs(pr.group(1)).get("date1904", "0").lower() in ("1", "true")
    global_names: dict[str, FastName] = {}
    local_names: list[FastName] = []
    if not name_tags:
        text = _text_cached  # names and the settings' references repeat in every file
        names = [FastName(text(n), text(t), int(local) if local else None) for n, local, t in plain]
    else:
        names = []
        for raw_attrs, raw_text in name_tags:
            a = _attrs(raw_attrs)
            local = a.get("localSheetId")
            names.append(FastName(a.get("name"), _text(raw_text), int(local) if local is not None else None))
    for name in names:
        if name.local_sheet_id is None:
            global_names[name.name] = name
        else:
            local_names.append(name)
    return sheets, date1904, global_names, local_names


def _workbook_tree(wb_xml: bytes, rels_xml: bytes):
    """:func:`_workbook` with defusedxml."""
    wb = SafeET.fromstring(wb_xml)
    rels = SafeET.fromstring(rels_xml)
    targets = {}
    for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
        targets[rel.get("Id")] = _part(rel.get("Target", ""))
    sheets = []
    for sh in wb.iter(f"{_NS_MAIN}sheet"):
        part = targets.get(sh.get(f"{_NS_REL}id"), "")
        sheets.append((sh.get("name"), sh.get("state", "visible"), part))
    pr = wb.find(f"{_NS_MAIN}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    global_names: dict[str, FastName] = {}
    local_names: list[FastName] = []
    for dn in wb.iter(f"{_NS_MAIN}definedName"):
        local = dn.get("localSheetId")
        name = FastName(dn.get("name"), dn.text or "", int(local) if local is not None else None)
        if local is None:
            global_names[name.name] = name
        else:
            local_names.append(name)
    return sheets, date1904, global_names, local_names


# --- one sheet ----------------------------------------------------------------------------------


def _style_formats(used: set[bytes], formats_by_style: tuple[str, ...]) -> dict[bytes, str]:
    """Number format per style attribute used in a sheet (``b""``: no style, index 0)."""
    fmt = {b"": formats_by_style[0]}
    for si in used:
        if si:
            i = int(si)
            if i >= len(formats_by_style):
                raise FastReadError("style index out of range")  # openpyxl raises IndexError
            fmt[si] = formats_by_style[i]
    return fmt


def _value(t: bytes, v: bytes, si: bytes, date_styles, delta_styles, date1904: bool, shared: list[str]):
    """The value of a ``<v>`` cell of type ``t``, typed as openpyxl types it."""
    if not t or t == b"n":
        try:
            value = float(v) if (b"." in v or b"E" in v or b"e" in v) else int(v)
        except ValueError:
            raise FastReadError("unreadable number") from None
        if si and int(si) in date_styles:
            from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

            try:
                return from_excel(value, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900,
                                  timedelta=int(si) in delta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"  # openpyxl warns and treats it as an error cell
        return value
    if t == b"s":
        try:
            return shared[int(v)]
        except (ValueError, IndexError):
            raise FastReadError("shared string index") from None
    if t == b"str" or t == b"e":
        return _text(v)
    if t == b"b":
        try:
            return bool(int(v))
        except ValueError:
            raise FastReadError("unreadable boolean") from None
    if t == b"d":
        from openpyxl.utils.datetime import from_ISO8601

        return from_ISO8601(_text(v))
    raise FastReadError(f"cell type {t!r}")


# --- hidden helper columns ----------------------------------------------------------------------

_COL_TAG = re.compile(rb"<col\s([^>]*?)/?>")
_HIDDEN_COLS: dict[bytes, frozenset[int]] = {}


def _hidden_group_columns(head: bytes) -> frozenset[int]:
    """The columns a sheet hides as an outline group (``<col hidden="1" outlineLevel="1">``:
    perfxl's helper columns), as openpyxl's column dimensions give them — one per ``min``, the
    last one written wins; :func:`perfxl.forms.grid.hidden_group_columns` of the openpyxl sheet.
    Remembered by the ``<cols>`` element: every sheet of a form has the same."""
    i = head.find(b"<cols")
    if i < 0:
        return frozenset()
    cols = head[i:head.find(b"</cols>", i)]
    found = _HIDDEN_COLS.get(cols)
    if found is not None:
        return found
    tags = _COL_TAG.findall(cols)
    if len(tags) != cols.count(b"<col") - 1:
        raise FastReadError("column widths outside the plain layout")
    by_min: dict[int, tuple[int, bool]] = {}
    for a in map(_attrs, tags):
        lo = int(a["min"])
        hidden = a.get("hidden", "") not in ("", "false", "f", "0")  # openpyxl's Bool
        by_min[lo] = (int(a.get("max") or lo), hidden and int(a.get("outlineLevel") or 0) >= 1)
    found = frozenset(c for lo, (hi, grouped) in by_min.items() if grouped for c in range(lo, hi + 1))
    if len(_HIDDEN_COLS) >= 64:
        _HIDDEN_COLS.clear()
    _HIDDEN_COLS[cols] = found
    return found


_CELL_PATTERNS: dict[frozenset[int], re.Pattern] = {}


def _letters(cols: frozenset[int]) -> bytes:
    """A regex alternation of exactly the column letters of ``cols`` (N, O … AR)."""
    from openpyxl.utils import get_column_letter

    by_prefix: dict[str, list[str]] = {}
    for c in sorted(cols):
        letters = get_column_letter(c)
        by_prefix.setdefault(letters[:-1], []).append(letters[-1])
    return ("(?:" + "|".join(f"{p}[{''.join(last)}]" for p, last in by_prefix.items()) + ")").encode()


def _cell_pattern(hidden: frozenset[int]) -> re.Pattern:
    """:data:`_CELL`, or for a sheet with hidden grouped columns, :data:`_CELL` after a first
    alternative that stops at the ``<f`` of a formula cell in those columns: such a cell (a Grid
    leaves it out) is found as a match with empty groups, at a fraction of the cost of reading it
    — most cells of a perfxl form sheet are its helper columns' formulas. The alternatives are
    disjoint (a cell in a hidden column whose first child is ``<f`` never reaches the second),
    and every ``<c`` still starts exactly one match."""
    if not hidden:
        return _CELL
    found = _CELL_PATTERNS.get(hidden)
    if found is None:
        if len(_CELL_PATTERNS) >= 32:
            _CELL_PATTERNS.clear()
        found = _CELL_PATTERNS[hidden] = re.compile(
            rb'<c(?: r="(?:' + _letters(hidden) + rb'[0-9]{1,7}"(?:\s[^<>]*)?(?<!/)><f|'
            + _CELL_PLAIN + rb")" + _CELL_OTHER)
    return found


def _scan(sheet: FastSheet, xml: bytes, styles, shared: list[str], date1904: bool) -> None:
    formats_by_style, date_styles, delta_styles = styles
    root = xml.find(b"worksheet")
    if root < 1 or xml[root - 1] != 0x3C:  # "<x:worksheet": prefixed elements the patterns don't see
        raise FastReadError("worksheet XML not in the plain layout")
    a, b = xml.find(b"<sheetData"), xml.find(b"</sheetData>")
    if a < 0:
        data, head, tail = b"", xml, xml
    elif b < 0:
        if not xml[a:].lstrip(b"<sheetData").lstrip().startswith(b"/>"):
            raise FastReadError("sheetData not closed")
        data, head, tail = b"", xml[:a], xml[a:]
    else:
        data, head, tail = xml[a:b], xml[:a], xml[b:]
    hidden = _hidden_group_columns(head)
    cells = _cell_pattern(hidden).findall(data)
    if any(map(_OTHER, cells)):  # every "<c" starts a plain cell, or openpyxl reads the file
        raise FastReadError("cells outside the plain layout")
    if hidden:  # the formula cells of hidden grouped columns, found but not read: left out
        cells = list(filter(itemgetter(0), cells))
    values, formulas, formats = sheet.values, sheet.formulas, sheet.formats
    max_r = max_c = 1
    if cells:
        # column-wise: each step is one C-level pass over all cells of the sheet
        letters, rows, styles_at, types, fmarks, vals, ismarks, itexts, _ = zip(*cells)
        fmt = _style_formats(set(styles_at), formats_by_style)
        cols = _COLS
        for missing in set(letters).difference(cols):
            _col(missing)
        rs = list(map({r: int(r) for r in set(rows)}.__getitem__, rows))
        cs = list(map(cols.__getitem__, letters))
        max_r, max_c = max(max_r, *rs), max(max_c, *cs)
        keys = list(zip(rs, cs))
        cell_formats = list(map(fmt.__getitem__, styles_at))
        formula_keys = list(compress(keys, fmarks))
        formulas.update(formula_keys)  # any formula — plain, shared, array or data table — is only marked
        values.update(dict.fromkeys(formula_keys, FORMULA))
        formats.update(zip(formula_keys, compress(cell_formats, fmarks)))
        results = sheet.results
        for i in compress(range(len(keys)), fmarks):
            if vals[i] and types[i] in (b"", b"n"):  # a stored numeric result (Grid.result)
                results[keys[i]] = _value(b"n", vals[i], b"", date_styles, delta_styles, date1904, shared)
        text = _text_cached
        for i in compress(range(len(keys)), ismarks):
            if fmarks[i] or types[i] != b"inlineStr":
                continue  # a formula, or an inline string under another type: not read (openpyxl)
            key = keys[i]
            values[key] = text(itexts[i])
            formats[key] = cell_formats[i]
        for i in compress(range(len(keys)), vals):
            if fmarks[i] or types[i] == b"inlineStr":
                continue
            key = keys[i]
            values[key] = _value(types[i], vals[i], styles_at[i], date_styles, delta_styles, date1904, shared)
            formats[key] = cell_formats[i]
    if b"<mergeCell " in tail:
        merges = _MERGE.findall(tail)
        if len(merges) != tail.count(b"<mergeCell "):
            raise FastReadError("merged ranges outside the plain layout")
        for l1, r1, l2, r2 in merges:
            c1, r1 = _COLS.get(l1) or _col(l1), int(r1)
            c2, r2 = (_COLS.get(l2) or _col(l2), int(r2)) if l2 else (c1, r1)
            if c2 < c1 or r2 < r1:
                raise FastReadError("reversed merged range")
            sheet.merged_cells.ranges.append(FastRange(r1, c1, r2, c2))
            if r2 > max_r:
                max_r = r2
            if c2 > max_c:
                max_c = c2
            # openpyxl replaces the covered cells of a merged range by empty MergedCells
            for rr in range(r1, r2 + 1):
                for cc in range(c1, c2 + 1):
                    if (rr != r1 or cc != c1) and (rr, cc) in values:
                        del values[(rr, cc)]
                        formulas.discard((rr, cc))
                        formats.pop((rr, cc), None)
    sheet.max_row, sheet.max_column = max_r, max_c


_SHEETS_CACHE: dict[tuple, tuple] = {}
_SHEETS_SEEN: set[int] = set()


def _scan_cached(sheet: FastSheet, xml: bytes, styles, shared: list[str], date1904: bool) -> None:
    """:func:`_scan`, remembered for a sheet that is byte for byte the same in many workbooks
    (the hidden settings sheet of every return from one template): parsed the first two times,
    then shared. Sheets with shared-string cells depend on their workbook's string table and are
    not kept. The cached dicts are shared between the books that read them: read, don't change."""
    if b't="s"' in xml:
        _scan(sheet, xml, styles, shared, date1904)
        return
    key = (xml, styles[0], date1904)
    hit = _SHEETS_CACHE.get(key)
    if hit is not None:
        (sheet.values, sheet.formulas, sheet.formats, sheet.results, sheet.merged_cells,
         sheet.max_row, sheet.max_column) = hit
        return
    _scan(sheet, xml, styles, shared, date1904)
    digest = hash(key)
    if digest not in _SHEETS_SEEN:  # seen once: remember only that
        if len(_SHEETS_SEEN) > 10000:
            _SHEETS_SEEN.clear()
        _SHEETS_SEEN.add(digest)
        return
    if len(_SHEETS_CACHE) >= 8:
        _SHEETS_CACHE.clear()
    _SHEETS_CACHE[key] = (sheet.values, sheet.formulas, sheet.formats, sheet.results,
                          sheet.merged_cells, sheet.max_row, sheet.max_column)


# --- the workbook -------------------------------------------------------------------------------


class _PackageZip:
    """The parts of a gated :class:`perfxl.safety.Package`, read as ``zipfile.ZipFile`` reads
    them: unpacked from the bytes the gate read (no second open, directory parse or seek), by
    zipfile itself for any part :func:`perfxl.safety.unpack_part` leaves to it."""

    def __init__(self, package) -> None:
        self._package = package
        self._zipfile: zipfile.ZipFile | None = None

    def namelist(self) -> list[str]:
        return list(self._package.entries)

    def read(self, name: str) -> bytes:
        from perfxl.safety import unpack_part

        data = unpack_part(self._package, self._package.entries[name])  # KeyError as zipfile
        if data is None:
            if self._zipfile is None:
                import io

                self._zipfile = zipfile.ZipFile(io.BytesIO(self._package.data))
            data = self._zipfile.read(name)
        return data

    def __enter__(self) -> "_PackageZip":
        return self

    def __exit__(self, *exc) -> None:
        if self._zipfile is not None:
            self._zipfile.close()


def read_book(path: str | Path, package=None) -> FastBook:
    """Read every worksheet's values, formulas, formats and merges (see the module docstring);
    from ``package`` (:func:`perfxl.safety.gate_workbook`'s read of ``path``) when given.

    Raises :class:`FastReadError` for anything it does not model; the caller uses openpyxl then.
    """
    path = Path(path)
    try:
        zf = _PackageZip(package) if package is not None else zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FastReadError(str(exc)) from exc
    try:
        with zf:
            names = set(zf.namelist())
            sheet_parts, date1904, global_names, local_names = _workbook(zf)
            styles = _styles(zf)
            shared = _shared_strings(zf, names)
            sheets: list[FastSheet] = []
            by_index: dict[int, FastSheet] = {}
            titles = [t for t, _, _ in sheet_parts]
            if len(set(titles)) != len(titles):
                raise FastReadError("duplicate sheet titles")
            loaded = 0  # openpyxl's wb._sheets index: sheets whose part exists, charts included
            for title, state, part in sheet_parts:
                if part not in names:
                    continue
                loaded += 1
                if not part.startswith("xl/worksheets/"):
                    if part.startswith("xl/chartsheets/"):
                        continue
                    raise FastReadError(f"sheet part {part}")
                folder, _, base = part.rpartition("/")
                rels = f"{folder}/_rels/{base}.rels"
                if rels in names and b"comments" in zf.read(rels):
                    raise FastReadError("comments")  # openpyxl creates the commented cells
                sheet = FastSheet(title, state)
                _scan_cached(sheet, zf.read(part), styles, shared, date1904)
                sheets.append(sheet)
                by_index[loaded - 1] = sheet
    except FastReadError:
        raise
    except Exception as exc:  # noqa: BLE001 — any surprise: openpyxl reads (or refuses) it
        raise FastReadError(f"{type(exc).__name__}: {exc}") from exc
    from openpyxl.workbook.defined_name import RESERVED_REGEX

    for n in local_names:
        target = by_index.get(n.local_sheet_id)
        if target is not None and n.name and not RESERVED_REGEX.match(n.name):
            target.defined_names[n.name] = n
    return FastBook(sheets, global_names)


def grid(sheet: FastSheet, max_rows: int = 5000, max_cols: int = 80):
    """The :class:`perfxl.forms.grid.Grid` of ``sheet`` — the same object ``Grid(ws)`` builds
    from an openpyxl worksheet, without iterating openpyxl cells."""
    from perfxl.forms.grid import Grid

    g = Grid.from_parts(sheet, sheet.max_row, sheet.max_column, sheet.merged_cells.ranges,
                        sheet.values, sheet.formulas, sheet.formats, max_rows, max_cols)
    g._results = sheet.results
    return g
