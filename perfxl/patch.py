"""A patch: the plain list of writes perfxl makes to a workbook (design.md §1).

The forms layer turns a model into a :class:`Patch`; an adapter applies it — the file adapter
(:mod:`perfxl.adapters.file`, openpyxl) or the live adapter (xlwings).  Everything here is plain
data so that both adapters, and tests, can read it:

* :class:`Write` — a value, or a rectangular block of values, anchored at a cell.  A value is
  ``None`` (clear), a number (``Decimal``/int/float), a ``str`` (always stored as **text**, even
  when it starts with ``=``), a :class:`Formula`, a date, or a bool.  ``role`` names a style role
  from :mod:`perfxl.forms.styles` (``input``, ``formula``, ``score`` …) or ``None`` to keep the
  cell's style.
* :class:`Merge`, :class:`DefineName`, :class:`Validation`, :class:`ConditionalFormat`,
  :class:`AddSheet`, :class:`SheetSetup` — structure, used when perfxl lays out a new sheet.

Writes to cells perfxl does not own never appear in a patch produced by scoring.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator, Union


class Formula(str):
    """A native Excel formula, written with its leading ``=`` (``Formula("=SUM(A1:A3)")``)."""

    def __new__(cls, text: str) -> "Formula":
        if not text.startswith("="):
            text = "=" + text
        return super().__new__(cls, text)

    def __repr__(self) -> str:
        return f"Formula({str.__repr__(self)})"


Scalar = Union[None, str, Formula, Decimal, int, float, bool, dt.date, dt.datetime]


@dataclass(frozen=True)
class Write:
    """Write ``value`` at ``ref`` (``"B3"``), or a 2-D block (list of rows) anchored at ``ref``."""

    sheet: str
    ref: str
    value: Scalar | list[list[Scalar]]
    role: str | None = None
    number_format: str | None = None  # overrides the role's format (e.g. a Decimal's decimals)

    @property
    def is_block(self) -> bool:
        return isinstance(self.value, list)


@dataclass(frozen=True)
class Style:
    """Give every cell of ``ref`` (``"A1"`` or ``"A1:D4"``) the style role ``role``."""

    sheet: str
    ref: str
    role: str


@dataclass(frozen=True)
class Merge:
    sheet: str
    ref: str  # "A3:A9"


@dataclass(frozen=True)
class DefineName:
    """A defined name. ``scope`` is a sheet title (sheet-local name) or None (workbook)."""

    name: str
    ref: str  # "'Sheet'!$B$3" or a constant such as '"self_evaluation"'
    scope: str | None = None


@dataclass(frozen=True)
class Validation:
    """A data-validation rule (``kind`` is ``list``, ``decimal``…) with an input message."""

    sheet: str
    ref: str  # "E13:E40"
    kind: str
    formula1: str | None = None
    formula2: str | None = None
    operator: str | None = None
    prompt_title: str | None = None
    prompt: str | None = None
    error_title: str | None = None
    error: str | None = None
    strict: bool = False  # True: refuse other input; False: warn only


@dataclass(frozen=True)
class ConditionalFormat:
    """A formula rule: cells of ``ref`` take the differential style ``role`` where ``formula`` is
    true (the formula is relative to the top-left cell of ``ref``)."""

    sheet: str
    ref: str
    formula: str  # without "="
    role: str


@dataclass(frozen=True)
class ClearRules:
    """Remove perfxl's own conditional formats (formula contains one of ``cf_markers``) and data
    validations (prompt title in ``prompt_titles``) from a sheet before laying them out again."""

    sheet: str
    cf_markers: tuple[str, ...] = ('N("perfxl")',)
    prompt_titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddSheet:
    title: str
    index: int | None = None
    hidden: bool = False


@dataclass(frozen=True)
class SheetSetup:
    """Column widths, row heights, print setup and view settings of a sheet."""

    sheet: str
    col_widths: dict[str, float] = field(default_factory=dict)
    row_heights: dict[int, float] = field(default_factory=dict)
    hidden_cols: tuple[str, ...] = ()
    outline_cols: tuple[str, ...] = ()  # grouped (collapsible) helper columns
    print_area: str | None = None
    print_title_rows: str | None = None  # "1:2"
    landscape: bool = True
    paper: str = "A4"
    fit_width: int | None = 1
    fit_height: int | None = 1  # 0: as many pages tall as needed (fit to the width only)
    row_breaks: tuple[int, ...] = ()  # rows before which a printed page starts
    margins_cm: tuple[float, float, float, float] | None = (1.5, 1.2, 1.5, 1.2)  # t, r, b, l
    center_horizontally: bool = True
    freeze: str | None = None
    zoom: int | None = None
    show_gridlines: bool | None = None
    tab_color: str | None = None


Op = Union[
    Write, Style, Merge, DefineName, Validation, ConditionalFormat, ClearRules, AddSheet, SheetSetup
]


@dataclass
class Patch:
    """An ordered list of operations; apply with :func:`perfxl.adapters.file.apply_patch`."""

    ops: list[Op] = field(default_factory=list)
    # formula results to store in the saved file (openpyxl drops them): the 得分 formulas of the
    # user's own, whose results are the scores (:func:`perfxl.stored_values.store_values`)
    results: dict[tuple[str, str], object] = field(default_factory=dict)

    def add(self, op: Op) -> None:
        self.ops.append(op)

    def extend(self, ops: "Patch | list[Op]") -> None:
        self.ops.extend(ops.ops if isinstance(ops, Patch) else ops)

    def write(self, sheet: str, ref: str, value, role: str | None = None,
              number_format: str | None = None) -> None:
        self.ops.append(Write(sheet, ref, value, role, number_format))

    def merged(self, sheet: str, first: str, last: str, value, role: str,
               number_format: str | None = None) -> None:
        """``value`` in ``first``, the whole ``first:last`` box styled ``role`` and merged (a
        single-cell box is just a write)."""
        self.write(sheet, first, value, role, number_format)
        if first != last:
            self.ops.append(Style(sheet, f"{first}:{last}", role))
            self.ops.append(Merge(sheet, f"{first}:{last}"))

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def writes(self) -> list[Write]:
        return [op for op in self.ops if isinstance(op, Write)]
