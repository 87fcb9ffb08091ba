"""The live adapter: read and write an open workbook through xlwings (design.md §1, §3).

It applies the same :class:`perfxl.patch.Patch` as the file adapter, to a live ``xw.Book`` —
desktop Excel through COM/AppleScript, or xlwings' remote engine — and reads what is on screen,
unsaved edits included. Excel calls are expensive (each one a round trip), so:

- **reads** are one ``used_range.value`` per sheet (plus the defined names, read once);
  :func:`snapshot` turns them into an in-memory openpyxl workbook the forms layer can read like
  a file;
- **writes** are grouped per sheet into rectangular blocks of adjacent cells (a column of scores
  is one block), one ``range.value`` per block; fills are one ``set_colors`` call per sheet
  on the remote engine, one union-range call per colour and chunk on the desktop.

So the number of Excel calls grows with the number of sheets and the shape of the form, never
with the number of cells or indicators. :class:`CallCounter` records them for the tests.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.workbook.defined_name import DefinedName

from perfxl.patch import AddSheet, DefineName, Formula, Patch, Style, Write
from perfxl.safety import as_text_cell

Cell = tuple[int, int]  # (row, column), 1-based


@dataclass
class CallCounter:
    """Excel round trips made by the adapter, by kind (``read``, ``write``, ``color`` …)."""

    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: str, n: int = 1) -> None:
        self.calls[kind] += n

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def engine_name(book) -> str:
    try:
        return book.app.engine.name
    except Exception:  # pragma: no cover - very old xlwings
        return "excel"


# --- reading -------------------------------------------------------------------------------------


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def read_sheet(sheet, counter: CallCounter | None = None) -> tuple[int, int, list[list[Any]]]:
    """(first row, first column, values) of a sheet's used range: one Excel call."""
    rng = sheet.used_range
    values = rng.options(ndim=2).value
    if counter is not None:
        counter.add("read")
    return rng.row, rng.column, values or [[]]


def snapshot(book, counter: CallCounter | None = None) -> Workbook:
    """An openpyxl workbook of ``book`` as it is on screen, unsaved edits included.

    Desktop Excel: one ``SaveCopyAs`` of the whole workbook into a temporary file, read with
    openpyxl — formulas, merged cells, number formats and names included, which the forms
    layer needs (it tells a typed score from a formula, and finds values right of merged
    labels). Elsewhere (the remote engine, which has no files): one ``used_range.value`` per
    sheet plus the defined names; formula cells then hold their computed values.
    """
    if engine_name(book) != "remote":
        return _snapshot_by_copy(book, counter)
    return _snapshot_values(book, counter)


class LiveReadError(Exception):
    """The workbook on screen cannot be read; the message (Chinese) says what to do."""


_UNREADABLE = {".xls": "Excel 97-2003 工作簿（.xls）", ".xlsb": "Excel 二进制工作簿（.xlsb）",
               ".csv": "CSV 文本", ".et": "WPS 表格（.et）", ".ods": "OpenDocument 表格（.ods）"}


def _snapshot_by_copy(book, counter: CallCounter | None) -> Workbook:
    """One ``SaveCopyAs`` into a temporary file, read with openpyxl. Never a silent fallback to
    values (the reader would take computed scores for typed ones): a workbook Excel cannot
    copy, or a copy openpyxl cannot read, is a :class:`LiveReadError` saying what to do."""
    import tempfile
    from pathlib import Path

    from openpyxl import load_workbook

    name = str(getattr(book, "name", "") or "")
    suffix = Path(name).suffix.lower()
    if suffix in _UNREADABLE:
        raise LiveReadError(
            f"此工作簿是{_UNREADABLE[suffix]}格式，perfxl 只能读取 .xlsx 或 .xlsm 工作簿。"
            "请点击“文件 → 另存为”，保存类型选“Excel 工作簿(*.xlsx)”，在另存的工作簿中重试。"
        )
    suffix = suffix if suffix in (".xlsx", ".xlsm") else ".xlsx"  # never saved: Book1
    with tempfile.TemporaryDirectory(prefix="perfxl-live-") as tmp:
        copy = Path(tmp) / f"snapshot{suffix}"
        save_copy(book, copy)
        if counter is not None:
            counter.add("read")
        try:
            return load_workbook(copy, keep_vba=False)
        except Exception as exc:
            raise LiveReadError(
                f"无法读取工作簿“{name}”的临时副本（{_reason(exc)}）。"
                "请将工作簿另存为“Excel 工作簿(*.xlsx)”后，在另存的工作簿中重试。"
            ) from exc


def save_copy(book, copy) -> None:
    """``SaveCopyAs`` of the workbook on screen (unsaved edits included) to ``copy``; a
    :class:`LiveReadError` with what to do when Excel cannot."""
    from pathlib import Path

    name = str(getattr(book, "name", "") or "")
    try:
        book.api.SaveCopyAs(str(copy))
    except Exception as exc:
        raise LiveReadError(
            f"Excel 无法为工作簿“{name}”保存临时副本（{_reason(exc)}），因此无法读取屏幕上的内容。"
            "请先保存工作簿（Ctrl+S；从未保存过的新工作簿请“另存为” .xlsx），"
            "若工作簿处于受保护的视图请先点击“启用编辑”，然后重试。"
        ) from exc
    if not Path(copy).is_file() or Path(copy).stat().st_size == 0:
        raise LiveReadError(f"Excel 没有写出工作簿“{name}”的临时副本。请先保存工作簿（Ctrl+S）后重试。")


def _reason(exc: Exception) -> str:
    """A short reason for a message: COM errors carry Excel's own text in their args."""
    parts = [str(a) for a in getattr(exc, "args", ()) if isinstance(a, (str, tuple))]
    text = str(exc) if not parts else " ".join(p for p in parts if p)
    text = " ".join(text.split())
    return (text[:160] + "…") if len(text) > 160 else (text or type(exc).__name__)


def _snapshot_values(book, counter: CallCounter | None) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        row0, col0, values = read_sheet(sheet, counter)
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                if v is not None and v != "":
                    cell = ws.cell(row0 + i, col0 + j, _cell_value(v))
                    if isinstance(v, str) and v.startswith("="):
                        cell.data_type = "s"  # a value is never a formula ("=24(小时)" is text)
    for name in _names(book, counter):
        _copy_name(wb, *name)
    restore_merges(wb)
    return wb


def restore_merges(wb: Workbook) -> int:
    """Merge, in a values-only snapshot, the ranges the template merges on each form sheet.

    The remote engine sends values only, but the forms reader finds some cells past a merged
    label (the grade right of 评分等级). The sheets are recognised by the reader, each project
    is laid out again with the template, and a merge of that layout is applied only where the
    sheet agrees with it: every cell inside it but the first is empty and the first holds the
    text the template puts there (or a computed value, where the template puts a formula).
    A sheet changed by hand is therefore never merged where it differs. Returns the number of
    merges made.
    """
    from perfxl.forms import form_for
    from perfxl.forms.workbook import read_workbook
    from perfxl.patch import Merge as MergeOp

    try:
        pf, _findings, maps = read_workbook(wb)
    except Exception:  # the reader reports problems itself when it runs for real
        return 0
    made = 0
    for project, smap in maps:
        ws = wb[smap.sheet]
        try:
            module = form_for(project.form)
            patch, _ = module.layout(project, smap.sheet, pf.settings)
        except Exception:
            continue
        firsts: dict[str, Any] = {}
        for op in patch:
            if isinstance(op, Write) and op.sheet == smap.sheet and not op.is_block:
                firsts[op.ref] = op.value
        taken = {(r, c) for rng in ws.merged_cells.ranges
                 for r in range(rng.min_row, rng.max_row + 1)
                 for c in range(rng.min_col, rng.max_col + 1)}
        for op in patch:
            if not isinstance(op, MergeOp) or op.sheet != smap.sheet:
                continue
            c1, r1, c2, r2 = range_boundaries(op.ref)
            inside = [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
            if any(rc in taken for rc in inside):
                continue
            if any(ws.cell(r, c).value not in (None, "") for r, c in inside[1:]):
                continue
            first = ws.cell(r1, c1).value
            expected = firsts.get(op.ref.split(":")[0])
            if not isinstance(expected, Formula) and not _same_text(first, expected):
                continue
            ws.merge_cells(op.ref)
            taken.update(inside)
            made += 1
    return made


def _same_text(shown: Any, laid_out: Any) -> bool:
    def norm(v):
        if v is None or v == "":
            return ""
        if isinstance(v, (Decimal, float, int)) and not isinstance(v, bool):
            return format(Decimal(str(v)).normalize(), "f")
        return str(v).strip()

    return norm(shown) == norm(laid_out)


def _names(book, counter: CallCounter | None) -> list[tuple[str, str, str | None]]:
    """(name, refers_to without '=', scope sheet or None) of every defined name."""
    out = []
    try:
        names = list(book.names)
    except Exception:
        return out
    if counter is not None:
        counter.add("read")
    for n in names:
        try:
            full, refers = n.name, n.refers_to
        except Exception:
            continue
        if not refers:
            continue
        scope = None
        local = full
        if "!" in full:  # sheet-scoped: 'Sheet'!name
            scope, local = full.rsplit("!", 1)
            scope = scope.strip("'").replace("''", "'")
        out.append((local, refers.lstrip("="), scope))
    return out


def _same_ref(a: str, b: str) -> bool:
    """Whether two name definitions (without '=') point at the same thing: Excel may drop the
    quotes around a sheet name or change the case of a reference."""
    def norm(x: str) -> str:
        x = x.strip().lstrip("=")
        return x if x.startswith('"') else x.replace("'", "").upper()

    return norm(a) == norm(b)


def _delete_name(target, name: str, scope: str | None) -> None:
    """Delete a defined name (to define it again): sheet-scoped names are listed as
    ``'Sheet'!name`` by Excel and the remote engine."""
    for n in list(target.names):
        full = n.name
        if full == name or (scope is not None and full.rsplit("!", 1)[-1] == name):
            n.delete()
            return


def _copy_name(wb: Workbook, name: str, refers: str, scope: str | None) -> None:
    dn = DefinedName(name, attr_text=refers)
    if scope is not None and scope in wb.sheetnames:
        wb[scope].defined_names[name] = dn
    else:
        wb.defined_names[name] = dn


# --- writing -------------------------------------------------------------------------------------


def excel_value(value: Any) -> Any:
    """A patch value as xlwings sends it to Excel (formula-like text stays text)."""
    if value is None:
        return None
    if isinstance(value, Formula):
        return str(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)
    if isinstance(value, str):
        return as_text_cell(value)  # never a formula (=, +, -, @), never a control character
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _anchor(ref: str) -> Cell:
    col, row = coordinate_from_string(ref.split(":")[0].replace("$", ""))
    return row, column_index_from_string(col)


def cells_of(writes: Iterable[Write]) -> dict[str, dict[Cell, Any]]:
    """Every cell a list of writes sets: sheet -> {(row, col): value}; later writes win."""
    out: dict[str, dict[Cell, Any]] = defaultdict(dict)
    for w in writes:
        r0, c0 = _anchor(w.ref)
        if w.is_block:
            for i, row in enumerate(w.value):
                for j, v in enumerate(row):
                    out[w.sheet][(r0 + i, c0 + j)] = v
        elif ":" in w.ref:  # one value for a whole range
            c1, r1, c2, r2 = range_boundaries(w.ref.replace("$", ""))
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    out[w.sheet][(r, c)] = w.value
        else:
            out[w.sheet][(r0, c0)] = w.value
    return out


def blocks(cells: dict[Cell, Any]) -> list[tuple[int, int, list[list[Any]]]]:
    """Cover the cells with hole-free rectangles: runs of adjacent cells in a row, then runs
    of consecutive rows with the same column span. (row, col, values) per rectangle."""
    runs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in sorted({r for r, _ in cells}):
        cols = sorted(c for r, c in cells if r == row)
        start = prev = cols[0]
        for c in cols[1:]:
            if c != prev + 1:
                runs[row].append((start, prev))
                start = c
            prev = c
        runs[row].append((start, prev))
    out: list[tuple[int, int, list[list[Any]]]] = []
    open_: dict[tuple[int, int], list[int]] = {}  # span -> rows so far (consecutive)
    for row in sorted(runs):
        spans = set(runs[row])
        for span in list(open_):
            rows = open_[span]
            if span not in spans or rows[-1] != row - 1:
                out.append(_rect(cells, rows, span))
                del open_[span]
        for span in runs[row]:
            open_.setdefault(span, []).append(row)
    for span, rows in open_.items():
        out.append(_rect(cells, rows, span))
    return sorted(out, key=lambda b: (b[0], b[1]))


def _rect(cells, rows, span):
    c1, c2 = span
    return rows[0], c1, [[cells[(r, c)] for c in range(c1, c2 + 1)] for r in rows]


def _address(row: int, col: int, nrows: int = 1, ncols: int = 1) -> str:
    a = f"{get_column_letter(col)}{row}"
    if nrows == 1 and ncols == 1:
        return a
    return f"{a}:{get_column_letter(col + ncols - 1)}{row + nrows - 1}"


def write_cells(book, sheet_name: str, cells: dict[Cell, Any], counter: CallCounter | None = None) -> int:
    """Write ``cells`` of one sheet as rectangular blocks; return the number of blocks."""
    sheet = book.sheets[sheet_name]
    n = 0
    for row, col, values in blocks(cells):
        data = [[excel_value(v) for v in r] for r in values]
        sheet.range(_address(row, col, len(data), len(data[0]))).value = data
        n += 1
    if counter is not None:
        counter.add("write", n)
    return n


def color_cells(book, sheet_name: str, colors: dict[Cell, str | None], counter: CallCounter | None = None) -> int:
    """Fill cells with ``#RRGGBB`` colours (``None`` removes the fill); return Excel calls."""
    if not colors:
        return 0
    sheet = book.sheets[sheet_name]
    calls = 0
    if engine_name(book) == "remote":
        rows = [r for r, _ in colors]
        cols = [c for _, c in colors]
        r1, r2, c1, c2 = min(rows), max(rows), min(cols), max(cols)
        step = max(1, 10_000 // (c2 - c1 + 1))  # set_colors takes at most 10,000 cells
        for top in range(r1, r2 + 1, step):
            bottom = min(r2, top + step - 1)
            matrix = [
                [colors.get((r, c), ...) for c in range(c1, c2 + 1)] for r in range(top, bottom + 1)
            ]
            sheet.range(_address(top, c1, bottom - top + 1, c2 - c1 + 1)).set_colors(matrix)
            calls += 1
    else:
        by_colour: dict[str | None, list[Cell]] = defaultdict(list)
        for cell, colour in colors.items():
            by_colour[colour].append(cell)
        for colour, cells in by_colour.items():
            for union in _union_addresses({c: None for c in cells}):
                rng = sheet.range(union)
                if colour is None:
                    rng.api.Interior.ColorIndex = -4142  # xlNone
                else:
                    rng.color = colour
                calls += 1
    if counter is not None:
        counter.add("color", calls)
    return calls


def _union_addresses(cells: dict[Cell, Any], limit: int = 240) -> list[str]:
    """Comma-separated multi-area addresses (Excel accepts up to 255 characters each)."""
    parts = [
        _address(row, col, len(values), len(values[0])) for row, col, values in blocks(cells)
    ]
    out, cur = [], ""
    for p in parts:
        if cur and len(cur) + 1 + len(p) > limit:
            out.append(cur)
            cur = p
        else:
            cur = f"{cur},{p}" if cur else p
    if cur:
        out.append(cur)
    return out


def role_fill(role: str | None) -> str | None | type(...):
    """The fill colour a style role gives (``#RRGGBB``), ``None`` for no fill."""
    from perfxl.forms.styles import ROLES

    spec = ROLES.get(role) if role else None
    if spec is None or spec.fill is None:
        return None
    rgb = spec.fill.fgColor.rgb
    return "#" + (rgb[-6:] if isinstance(rgb, str) else "FFFFFF")


def merged_followers(wb: Workbook) -> dict[str, set[Cell]]:
    """Cells inside a merged range other than its top-left one, per sheet (never written:
    Excel refuses to change part of a merged cell; the file adapter skips them too)."""
    out: dict[str, set[Cell]] = defaultdict(set)
    for ws in wb.worksheets:
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        out[ws.title].add((r, c))
    return out


def apply_patch(book, patch: Patch, counter: CallCounter | None = None,
                skip: dict[str, set[Cell]] | None = None) -> CallCounter:
    """Apply a patch to a live workbook with few Excel calls (see module doc).

    Supported: :class:`Write` (values, formulas, blocks), :class:`Style` (fill of the role),
    :class:`AddSheet` and :class:`DefineName`. Structure ops (merges, validations, conditional
    formats, sheet setup) belong to laying out a new sheet from the template; they are applied
    by the file adapter, and the live handlers copy such sheets instead of building them.
    """
    counter = counter or CallCounter()
    existing = {s.name for s in book.sheets}
    writes: list[Write] = []
    roles: dict[str, dict[Cell, str | None]] = defaultdict(dict)
    known: dict[tuple[str, str | None], str] | None = None
    for op in patch:
        if isinstance(op, AddSheet):
            if op.title not in existing:
                book.sheets.add(op.title, after=book.sheets[len(book.sheets) - 1])
                existing.add(op.title)
                counter.add("sheet")
        elif isinstance(op, Write):
            writes.append(op)
            if op.role is not None:
                for cell in cells_of([op])[op.sheet]:
                    roles[op.sheet][cell] = role_fill(op.role)
        elif isinstance(op, Style):
            for cell in cells_of([Write(op.sheet, op.ref, None)])[op.sheet]:
                roles[op.sheet][cell] = role_fill(op.role)
        elif isinstance(op, DefineName):
            if known is None:  # the book's names, read once (one Excel call)
                known = {(name, scope): refers for name, refers, scope in _names(book, counter)}
            key = (op.name, op.scope)
            if key in known and _same_ref(known[key], op.ref):
                continue  # scoring lays out the names again: unchanged ones cost no call
            target = book if op.scope is None else book.sheets[op.scope]
            if key in known:
                _delete_name(target, op.name, op.scope)
                counter.add("name")
            target.names.add(op.name, "=" + op.ref)
            known[key] = op.ref
            counter.add("name")
    for sheet, cells in cells_of(writes).items():
        hidden = (skip or {}).get(sheet, set())
        cells = {k: v for k, v in cells.items() if k not in hidden}
        if cells:
            write_cells(book, sheet, cells, counter)
    for sheet, colours in roles.items():
        color_cells(book, sheet, colours, counter)
    return counter
