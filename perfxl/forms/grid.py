"""Reading helpers shared by the form modules: labels, merged cells, typed values.

Fields are found by their printed labels (``项目名称`` …), not by fixed addresses, so inserted
rows or columns, extra blank rows and re-ordered sheets still read correctly.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import product
from typing import Any, Iterable

from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.cellvalues import CellValueError, float_decimal, parse_date_cell, parse_optional_number

_WS = re.compile(r"[\s\u3000]+")
_PUNCT = str.maketrans({"：": "", ":": "", "（": "(", "）": ")", "　": ""})
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")
# What a Grid holds for a formula cell, whichever reader built it: readers only ask whether a cell
# holds a formula (a formula is never an input), never for its text.
FORMULA = "="
_ERRORS = {"#NAME?", "#DIV/0!", "#VALUE!", "#REF!", "#N/A", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}


# norm_label of texts seen before: labels and categories repeat on every sheet of every workbook.
_NORMED: dict[str, str] = {}
_NORMED_MAX = 50_000


def norm_label(value: Any) -> str:
    """A label as compared: no whitespace, no colons, half-width brackets."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    normed = _NORMED.get(text)
    if normed is None:
        if len(_NORMED) >= _NORMED_MAX:
            _NORMED.clear()
        normed = _NORMED[text] = _WS.sub("", text).translate(_PUNCT)
    return normed


def is_error(value: Any) -> bool:
    return isinstance(value, str) and value.strip() in _ERRORS


def _positions(items: Iterable[int]) -> dict[int, int]:
    """item -> index of its first occurrence in ``items``."""
    pos: dict[int, int] = {}
    for i, item in enumerate(items):
        pos.setdefault(item, i)
    return pos


def _rank(i: int, positions: dict[int, int] | None, limit: int) -> int | None:
    """Where row/column ``i`` ranks in a search: its position among the ones asked for, or
    itself when any within the grid will do; None when it is not searched."""
    if positions is None:
        return i if 1 <= i <= limit else None
    return positions.get(i)


def _merged_cells(ranges: Iterable[Any], max_row: int, max_col: int
                  ) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """(row, col) -> (r1, c1, r2, c2) of the merged range covering it, within the grid."""
    merged = {}
    for rng in ranges:
        span = r1, c1, r2, c2 = rng.min_row, rng.min_col, rng.max_row, rng.max_col
        if r2 > max_row:
            r2 = max_row
        if c2 > max_col:
            c2 = max_col
        for key in product(range(r1, r2 + 1), range(c1, c2 + 1)):
            merged[key] = span
    return merged


def hidden_group_columns(ws: Worksheet) -> frozenset[int]:
    """The columns ``ws`` hides as an outline group: perfxl's helper columns (hidden, outline
    level 1), whose formulas compute what the visible cells show and are never read back."""
    out: set[int] = set()
    for key, dim in ws.column_dimensions.items():
        if dim.hidden and (dim.outlineLevel or 0) >= 1:
            lo = dim.min if dim.min is not None else column_index_from_string(key)
            out.update(range(lo, (dim.max if dim.max is not None else lo) + 1))
    return frozenset(out)


def _holds_formula(cell: Any) -> bool:
    value = cell.value
    return value is not None and (cell.data_type == "f" or not isinstance(
        value, (str, int, float, Decimal, bool, dt.date, dt.datetime, dt.time)))


SOURCE = "perfxl_source"  # attribute of an openpyxl Workbook: the path it was loaded from


def _stored_results(ws: Any, formulas: set[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """The stored numeric results of the ``formulas`` cells of the openpyxl worksheet ``ws``,
    read with python-calamine from its workbook's file (``{}`` when there is none)."""
    path = getattr(getattr(ws, "parent", None), SOURCE, None)
    if path is None or not formulas:
        return {}
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ws.title).to_python(
            skip_empty_area=False)
    except Exception:  # noqa: BLE001 — the file went away or calamine cannot read it: no results
        return {}
    out = {}
    for r, c in formulas:
        if r <= len(rows) and c <= len(rows[r - 1]):
            v = rows[r - 1][c - 1]
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[(r, c)] = v
    return out


class Grid:
    """A worksheet seen as values, with merged ranges resolved to their top-left cell.

    Formula cells in hidden grouped columns (:func:`hidden_group_columns`: perfxl's helper
    columns, about two thirds of a form sheet's cells) are left out, as if empty: a reader only
    ever asks whether an input cell holds a formula, never what a helper computes. Their
    header labels, and anything else typed there, are kept."""

    def __init__(self, ws: Worksheet, max_rows: int = 5000, max_cols: int = 80):
        self.ws = ws
        self.title = ws.title
        hidden = hidden_group_columns(ws)
        max_row, max_col = ws.max_row, ws.max_column
        if hidden:  # the sheet's extent without the left-out cells (openpyxl counts every cell)
            kept = [k for k, cell in ws._cells.items() if k[1] not in hidden or not _holds_formula(cell)]
            kept += [(m.max_row, m.max_col) for m in ws.merged_cells.ranges]
            max_row = max((r for r, _ in kept), default=1)
            max_col = max((c for _, c in kept), default=1)
        self.max_row = min(max_row, max_rows)
        self.max_col = min(max_col, max_cols)
        self._merged = _merged_cells(ws.merged_cells.ranges, self.max_row, self.max_col)
        self._values: dict[tuple[int, int], Any] = {}
        self._formulas: set[tuple[int, int]] = set()
        self._formats: dict[tuple[int, int], str] = {}
        for row in ws.iter_rows(min_row=1, max_row=self.max_row, max_col=self.max_col):
            for cell in row:
                if isinstance(cell, MergedCell) or cell.value is None:
                    continue
                key = (cell.row, cell.column)
                if _holds_formula(cell):
                    if key[1] in hidden:
                        continue
                    self._formulas.add(key)  # a formula (or an array/data-table formula)
                    self._values[key] = FORMULA
                else:
                    self._values[key] = cell.value
                self._formats[key] = cell.number_format
        self._index: dict[str, list[tuple[int, int]]] | None = None  # built on the first search
        self._results: dict[tuple[int, int], Any] | None = None  # read on the first result()

    @classmethod
    def from_parts(cls, ws: Any, max_row: int, max_col: int, merged_ranges: Iterable[Any],
                   values: dict[tuple[int, int], Any], formulas: set[tuple[int, int]],
                   formats: dict[tuple[int, int], str],
                   results: dict[tuple[int, int], Any] | None = None, max_rows: int = 5000,
                   max_cols: int = 80) -> "Grid":
        """The Grid of a sheet already read as plain dicts (:mod:`perfxl.reader`): the same
        contents ``Grid(ws)`` gives for the openpyxl worksheet of that sheet; ``results``: the
        stored numeric results of its formula cells (:meth:`result`)."""
        g = cls.__new__(cls)
        g.ws = ws
        g.title = ws.title
        g.max_row = mr = min(max_row, max_rows)
        g.max_col = mc = min(max_col, max_cols)
        g._merged = _merged_cells(merged_ranges, mr, mc)
        if max_row <= max_rows and max_col <= max_cols:  # shared, not copied: a Grid only reads
            g._values, g._formulas, g._formats = values, formulas, formats
        else:
            g._values = {k: v for k, v in values.items() if k[0] <= mr and k[1] <= mc}
            g._formulas = {k for k in formulas if k in g._values}
            g._formats = {k: formats[k] for k in g._values if k in formats}
        g._index = None
        g._results = results
        return g

    def _label_index(self) -> dict[str, list[tuple[int, int]]]:
        """norm_label(text) -> cells holding it (text cells only, not formulas), built once."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            formulas, normed = self._formulas, _NORMED.get
            for key, v in self._values.items():
                if isinstance(v, str) and key not in formulas:
                    index.setdefault(normed(v) or norm_label(v), []).append(key)
            self._index = index
        return index

    def _row_labels(self) -> dict[int, dict[str, int]]:
        """row -> {norm_label(text): its first column} of the text cells within the grid, built
        once from the label index: a header's dozens of searches each look at one row."""
        rows = self.__dict__.get("_rows")
        if rows is None:
            rows = {}
            for text, keys in self._label_index().items():
                for r, c in keys:
                    if c <= self.max_col:
                        row = rows.setdefault(r, {})
                        if c < row.get(text, c + 1):
                            row[text] = c
            self._rows = rows
        return rows

    # --- cells ---
    def raw(self, row: int, col: int) -> Any:
        """The value shown at (row, col): a merged cell shows its top-left value."""
        m = self._merged.get((row, col))
        if m:
            return self._values.get((m[0], m[1]))
        return self._values.get((row, col))

    def own(self, row: int, col: int) -> Any:
        """The value stored in (row, col) itself (None inside a merged range but its corner)."""
        return self._values.get((row, col))

    def is_formula(self, row: int, col: int) -> bool:
        return (row, col) in self._formulas

    def result(self, row: int, col: int) -> int | float | None:
        """The number stored as the result of the formula at (row, col) — what the office suite
        last computed and shows there — or None: not a formula, not a number, or a workbook saved
        without results (openpyxl writes none). :mod:`perfxl.reader` reads them with the cells;
        for an openpyxl worksheet they are read once, with python-calamine, from the file the
        workbook was opened from (:data:`SOURCE`), as openpyxl's full mode drops them."""
        if (row, col) not in self._formulas:
            return None
        if self._results is None:
            self._results = _stored_results(self.ws, self._formulas)
        return self._results.get((row, col))

    def number_format(self, row: int, col: int) -> str | None:
        return self._formats.get((row, col))

    def merged(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        return self._merged.get((row, col))

    def right_end(self, row: int, col: int) -> int:
        m = self._merged.get((row, col))
        return m[3] if m else col

    def bottom(self, row: int, col: int) -> int:
        m = self._merged.get((row, col))
        return m[2] if m else row

    def text(self, row: int, col: int) -> str:
        v = self.raw(row, col)
        return "" if v is None else str(v)

    # --- search ---
    def find(self, *labels: str, rows: Iterable[int] | None = None, cols: Iterable[int] | None = None,
             exact: bool = True) -> tuple[int, int] | None:
        """First cell (row-major, in the order of ``rows`` and ``cols`` when given) whose
        normalised text equals (or contains) one of ``labels``."""
        if cols is None and isinstance(rows, (list, tuple, range)) and len(rows) == 1:  # one row
            r = rows[0]
            texts = self._row_labels().get(r, {})
            wanted = [norm_label(x) for x in labels]
            if exact:
                found = [texts[w] for w in wanted if w in texts]
            else:
                found = [c for t, c in texts.items() if any(w in t for w in wanted)]
            return (r, min(found)) if found else None
        hits = self._hits(labels, exact)
        if not hits:
            return None
        rpos = None if rows is None else _positions(rows)
        cpos = None if cols is None else _positions(cols)
        best = best_key = None
        for r, c in hits:
            rk, ck = _rank(r, rpos, self.max_row), _rank(c, cpos, self.max_col)
            if rk is None or ck is None:
                continue
            if best_key is None or (rk, ck) < best_key:
                best_key, best = (rk, ck), (r, c)
        return best

    def find_all(self, *labels: str, exact: bool = True) -> list[tuple[int, int]]:
        return sorted(set(self._hits(labels, exact)))

    def _hits(self, labels: tuple[str, ...], exact: bool) -> list[tuple[int, int]]:
        """Every text cell whose normalised text equals (or contains) one of ``labels``; a cell
        may repeat."""
        wanted = [norm_label(x) for x in labels]
        index = self._label_index()
        if exact:
            return [key for w in wanted for key in index.get(w, ())]
        return [key for t, keys in index.items() for w in wanted if w in t for key in keys]

    def value_right_of(self, row: int, col: int) -> tuple[int, int]:
        """The cell just right of the label at (row, col), past the label's merged range."""
        return row, self.right_end(row, col) + 1

    def row_is_blank(self, row: int, cols: Iterable[int]) -> bool:
        return all(is_blank(self.raw(row, c)) for c in cols)


def is_blank(value: Any) -> bool:
    """Nothing typed: empty, or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


_REFS: dict[tuple[int, int], str] = {}


def ref(row: int, col: int) -> str:
    """``A1``-style reference of (row, col), remembered: a read records a location per field."""
    key = (row, col)
    found = _REFS.get(key)
    if found is None:
        if len(_REFS) >= 100_000:
            _REFS.clear()
        found = _REFS[key] = f"{get_column_letter(col)}{row}"
    return found


def col_letter(col: int) -> str:
    return get_column_letter(col)


# One way to read what people type into number and date cells (perfxl.cellvalues): text with
# thousands separators, full-width digits, dashes for "none", error values, dates as text.
CellError = CellValueError
to_decimal = parse_optional_number
to_date = parse_date_cell


def quantize_to_format(d: Decimal, number_format: str | None) -> Decimal:
    """Give a number read from a float the decimals its cell displays (6.0 in '0.00' → 6.00),
    when that loses nothing; so a written Decimal('6.00') reads back as Decimal('6.00')."""
    q = None if number_format is None else _format_quantum(number_format)
    if q is None:
        return d
    try:
        qd = d.quantize(q)
    except InvalidOperation:
        return d
    return qd if qd == d else d


@lru_cache(maxsize=1024)
def _format_quantum(number_format: str) -> Decimal | None:
    """The smallest step a number format displays (``'0.00'`` → 0.01, ``'0'`` → 1), or None
    when it shows no fixed decimals."""
    m = re.search(r"0\.(0+)", number_format)
    places = len(m.group(1)) if m else (0 if re.search(r"(^|[^.#0])[#0,]*0(?![.0])", number_format) else None)
    return None if places is None else Decimal(1).scaleb(-places)


def decimal_format(d: Decimal, money: bool = False) -> str:
    """A number format that shows ``d`` with exactly its own decimals (at least 0)."""
    exp = d.as_tuple().exponent
    places = -exp if isinstance(exp, int) and exp < 0 else 0
    base = "#,##0" if money else "0"
    return base + ("." + "0" * places if places else "")


def is_percent_format(number_format: str | None) -> bool:
    """A number format that shows its number as a percentage (``0.00%``), quoted text aside."""
    return bool(number_format) and "%" in re.sub(r'"[^"]*"|\\.', "", number_format)


def typed_text(value: Any, number_format: str | None) -> str | None:
    """A target/actual cell as text, as its user sees it: a number in a percent format is its
    percentage (0.885 in ``0.00%`` → ``88.50%``, what Excel, WPS and LibreOffice store for a typed
    ``88.50%``); other numbers with 15 significant digits; text as :func:`to_text`."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        d = float_decimal(value) if isinstance(value, float) else Decimal(value)
        if is_percent_format(number_format):
            pct = (d * 100).normalize()
            shown = quantize_to_format(pct, re.sub("%", "", number_format or ""))
            return f"{format(shown, 'f')}%"
        if isinstance(value, float):
            return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")
    return to_text(value)


def formula_in_text_cell(header: str) -> str:
    """The W707 message for a formula (or its error value) where text is typed: ``=24.00(小时)``
    is a formula to Excel, and LibreOffice shows Err:509."""
    return (f"{header}应为文字，单元格中是公式或公式的错误值（如 =24.00(小时) 以“=”开头时会被当作公式，"
            "显示 #NAME? 或 Err:509），已忽略；请把单元格格式设为“文本”后重新输入")


YEAR_RANGE = (2000, 2100)


def read_year(g: "Grid") -> tuple[int | None, tuple[int, int] | None, str | None]:
    """The form's year from its title rows (``（2023年度）``): ``(year, cell, None)``, or
    ``(None, cell, message)`` when the year is outside :data:`YEAR_RANGE` (W710), or
    ``(None, None, None)`` when there is none."""
    for r in range(1, min(g.max_row, 8) + 1):
        for c in range(1, g.max_col + 1):
            t = g.own(r, c)
            if isinstance(t, str) and not g.is_formula(r, c) and (mt := _YEAR.search(t.replace(" ", ""))):
                year = int(mt.group(1))
                lo, hi = YEAR_RANGE
                if not lo <= year <= hi:
                    return None, (r, c), (f"年度 {year} 超出 {lo}–{hi} 的范围（“{t.strip()}”），"
                                          "无法读出项目；请改正标题中的年度")
                return year, (r, c), None
    return None, None, None


_YEAR = re.compile(r"(\d{4})\s*年度?")


def carry_levels(lvl1: str, lvl2: str, l1: str | None, l2: str | None) -> tuple[str, str, str | None]:
    """The 一级/二级 of an indicator row given the row's own cells (``l1``/``l2``, blank inside a
    merged group) and the previous row's: ``(level1, level2, inferred)``. ``inferred`` is the 一级
    taken from the 二级's catalogue (X512) when a new 二级 starts without its 一级 and the carried
    一级 does not hold it — the first row of a group was deleted, and its merged label with it."""
    inferred = None
    if l1 and l1.strip():
        if l1 != lvl1:
            lvl2 = ""
        lvl1 = l1
    elif l2 and l2.strip() and l2 != lvl2:
        from perfxl.rules.checks import level1_for

        inferred = level1_for(lvl1, l2)
        if inferred is not None:
            lvl1 = inferred
    if l2 and l2.strip():
        lvl2 = l2
    return lvl1, lvl2, inferred


def to_text(value: Any) -> str | None:
    """A text cell as str (numbers written as text keep their digits); blank → None."""
    if value is None:
        return None
    if type(value) is str:  # the common case, first
        return value if value.strip() else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    text = str(value)
    return text if text.strip() else None
