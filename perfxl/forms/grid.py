"""Reading helpers shared by the form modules: labels, merged cells, typed values.

Fields are found by their printed labels (``项目名称`` …), not by fixed addresses, so inserted
rows or columns, extra blank rows and re-ordered sheets still read correctly.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.cellvalues import CellValueError, parse_date_cell, parse_optional_number

_WS = re.compile(r"[\s\u3000]+")
_PUNCT = str.maketrans({"：": "", ":": "", "（": "(", "）": ")", "　": ""})
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")
# What a Grid holds for a formula cell, whichever reader built it: readers only ask whether a cell
# holds a formula (a formula is never an input), never for its text.
FORMULA = "="
_ERRORS = {"#NAME?", "#DIV/0!", "#VALUE!", "#REF!", "#N/A", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}


def norm_label(value: Any) -> str:
    """A label as compared: no whitespace, no colons, half-width brackets."""
    if value is None:
        return ""
    return _WS.sub("", str(value)).translate(_PUNCT)


def is_error(value: Any) -> bool:
    return isinstance(value, str) and value.strip() in _ERRORS


class Grid:
    """A worksheet seen as values, with merged ranges resolved to their top-left cell."""

    def __init__(self, ws: Worksheet, max_rows: int = 5000, max_cols: int = 80):
        self.ws = ws
        self.title = ws.title
        self.max_row = min(ws.max_row, max_rows)
        self.max_col = min(ws.max_column, max_cols)
        self._merged: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for rng in ws.merged_cells.ranges:
            c1, r1, c2, r2 = rng.min_col, rng.min_row, rng.max_col, rng.max_row
            for r in range(r1, min(r2, self.max_row) + 1):
                for c in range(c1, min(c2, self.max_col) + 1):
                    self._merged[(r, c)] = (r1, c1, r2, c2)
        self._values: dict[tuple[int, int], Any] = {}
        self._formulas: set[tuple[int, int]] = set()
        self._formats: dict[tuple[int, int], str] = {}
        for row in ws.iter_rows(min_row=1, max_row=self.max_row, max_col=self.max_col):
            for cell in row:
                if isinstance(cell, MergedCell):
                    continue
                if cell.value is not None:
                    key = (cell.row, cell.column)
                    if cell.data_type == "f" or not isinstance(cell.value, (str, int, float, Decimal, bool, dt.date, dt.datetime, dt.time)):
                        self._formulas.add(key)  # a formula (or an array/data-table formula)
                        self._values[key] = FORMULA
                    else:
                        self._values[key] = cell.value
                    self._formats[key] = cell.number_format
        self._index: dict[str, list[tuple[int, int]]] | None = None

    @classmethod
    def from_parts(cls, ws: Any, max_row: int, max_col: int, merged_ranges: Iterable[Any],
                   values: dict[tuple[int, int], Any], formulas: set[tuple[int, int]],
                   formats: dict[tuple[int, int], str], max_rows: int = 5000,
                   max_cols: int = 80) -> "Grid":
        """The Grid of a sheet already read as plain dicts (:mod:`perfxl.fastread`): the same
        contents ``Grid(ws)`` gives for the openpyxl worksheet of that sheet."""
        g = cls.__new__(cls)
        g.ws = ws
        g.title = ws.title
        g.max_row = mr = min(max_row, max_rows)
        g.max_col = mc = min(max_col, max_cols)
        g._merged = {}
        for rng in merged_ranges:
            r1, c1, r2, c2 = rng.min_row, rng.min_col, rng.max_row, rng.max_col
            span = (r1, c1, r2, c2)
            for r in range(r1, min(r2, mr) + 1):
                for c in range(c1, min(c2, mc) + 1):
                    g._merged[(r, c)] = span
        if max_row <= max_rows and max_col <= max_cols:
            g._values, g._formulas, g._formats = dict(values), set(formulas), dict(formats)
        else:
            g._values = {k: v for k, v in values.items() if k[0] <= mr and k[1] <= mc}
            g._formulas = {k for k in formulas if k in g._values}
            g._formats = {k: formats[k] for k in g._values if k in formats}
        g._index = None
        return g

    def _label_index(self) -> dict[str, list[tuple[int, int]]]:
        """norm_label(text) -> cells holding it (text cells only, not formulas), built once."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {}
            formulas = self._formulas
            for key, v in self._values.items():
                if isinstance(v, str) and key not in formulas:
                    index.setdefault(norm_label(v), []).append(key)
            self._index = index
        return index

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

    def number_format(self, row: int, col: int) -> str | None:
        return self._formats.get((row, col))

    def merged(self, row: int, col: int) -> tuple[int, int, int, int] | None:
        return self._merged.get((row, col))

    def is_merge_start(self, row: int, col: int) -> bool:
        m = self._merged.get((row, col))
        return m is None or (m[0], m[1]) == (row, col)

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
        wanted = [norm_label(x) for x in labels]
        if rows is not None:
            return self._find_in_rows(wanted, rows, cols, exact)
        index = self._label_index()
        if exact:
            hits = [key for w in wanted for key in index.get(w, ())]
        else:
            hits = [key for t, keys in index.items() if any(w in t for w in wanted) for key in keys]
        if not hits:
            return None
        if rows is None:
            rpos = None
        else:
            rpos = {}
            for i, r in enumerate(rows):
                rpos.setdefault(r, i)
        if cols is None:
            cpos = None
        else:
            cpos = {}
            for i, c in enumerate(cols):
                cpos.setdefault(c, i)
        best = None
        best_key = None
        for r, c in hits:
            if rpos is None:
                if not 1 <= r <= self.max_row:
                    continue
                rk = r
            else:
                rk = rpos.get(r)
                if rk is None:
                    continue
            if cpos is None:
                if not 1 <= c <= self.max_col:
                    continue
                ck = c
            else:
                ck = cpos.get(c)
                if ck is None:
                    continue
            if best_key is None or (rk, ck) < best_key:
                best_key, best = (rk, ck), (r, c)
        return best

    def _find_in_rows(self, wanted: list[str], rows: Iterable[int], cols: Iterable[int] | None,
                      exact: bool) -> tuple[int, int] | None:
        by_row = self._row_index()
        cpos = None
        if cols is not None:
            cpos = {}
            for i, c in enumerate(cols):
                cpos.setdefault(c, i)
        for r in rows:
            best = best_key = None
            for c, t in by_row.get(r, ()):  # in column order
                if cpos is None:
                    if c > self.max_col:
                        break
                    ck = c
                else:
                    ck = cpos.get(c)
                    if ck is None:
                        continue
                if any(t == w for w in wanted) if exact else any(w in t for w in wanted):
                    if cpos is None:
                        return r, c
                    if best_key is None or ck < best_key:
                        best_key, best = ck, (r, c)
            if best is not None:
                return best
        return None

    def _row_index(self) -> dict[int, list[tuple[int, str]]]:
        """row -> [(column, norm_label(text))] of its text cells, in column order, built once."""
        by_row = self.__dict__.get("_rows")
        if by_row is None:
            by_row = {}
            for t, keys in self._label_index().items():
                for r, c in keys:
                    by_row.setdefault(r, []).append((c, t))
            for cells in by_row.values():
                cells.sort()
            self._rows = by_row
        return by_row

    def find_all(self, *labels: str, exact: bool = True) -> list[tuple[int, int]]:
        wanted = [norm_label(x) for x in labels]
        index = self._label_index()
        return sorted(key for t, keys in index.items()
                      if any(t == w if exact else w in t for w in wanted) for key in keys)

    def value_right_of(self, row: int, col: int) -> tuple[int, int]:
        """The cell just right of the label at (row, col), past the label's merged range."""
        return row, self.right_end(row, col) + 1

    def row_is_blank(self, row: int, cols: Iterable[int]) -> bool:
        return all(self.raw(row, c) in (None, "") or (isinstance(self.raw(row, c), str)
                   and not str(self.raw(row, c)).strip()) for c in cols)


def ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


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
    if number_format is None:
        return d
    m = re.search(r"0\.(0+)", number_format)
    places = len(m.group(1)) if m else (0 if re.search(r"(^|[^.#0])[#0,]*0(?![.0])", number_format) else None)
    if places is None:
        return d
    q = Decimal(1).scaleb(-places)
    try:
        qd = d.quantize(q)
    except InvalidOperation:
        return d
    return qd if qd == d else d


def decimal_format(d: Decimal, money: bool = False) -> str:
    """A number format that shows ``d`` with exactly its own decimals (at least 0)."""
    exp = d.as_tuple().exponent
    places = -exp if isinstance(exp, int) and exp < 0 else 0
    base = "#,##0" if money else "0"
    return base + ("." + "0" * places if places else "")


def to_text(value: Any) -> str | None:
    """A text cell as str (numbers written as text keep their digits); blank → None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    text = str(value)
    return text if text.strip() else None


def parse_bounds(rng: str) -> tuple[int, int, int, int]:
    c1, r1, c2, r2 = range_boundaries(rng)
    return r1, c1, r2, c2
