"""Driving perfxl's add-in handlers on Linux through xlwings' remote engine (design.md §3).

Helpers (imported by the other ``test_addin*`` modules) and tests of the helpers themselves:

- :func:`book_json` turns an ``.xlsx`` into the JSON Excel sends to the remote engine (values of
  every sheet anchored at A1 — a formula cell shows its cached value —, defined names);
- :func:`remote_book` opens that JSON as a real ``xw.Book`` and makes it ``Book.caller()``;
- :func:`apply_actions` replays the actions the engine returns (``book.json()``) on an
  openpyxl workbook, the way Excel would perform them, so a test can compare cells with what
  the CLI writes to the same file.

The remote engine is enabled with ``XLWINGS_LICENSE_KEY=noncommercial`` (PolyForm
Noncommercial; government use is permitted) — set per test by the ``remote`` fixture, never
globally.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill
from openpyxl.worksheet.formula import ArrayFormula

XLWINGS_VERSION = "0.37.8"


@pytest.fixture
def remote(monkeypatch, tmp_path):
    """Enable xlwings' remote engine for one test, log to a private perfxl home, and drop the
    mock caller afterwards."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    monkeypatch.setenv("PERFXL_HOME", str(tmp_path / "perfxl-home"))
    import xlwings as xw

    added = None
    if "remote" not in [e.name for e in xw.engines]:
        # xlwings was imported (by another module) before the key was set: the license is
        # checked at import, so register the remote engine now, for this test only.
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        added = Engine(impl=_xlremote.engine)
        xw.engines.add(added)
        monkeypatch.setattr(xw, "__pro__", True)
    try:
        yield xw
    finally:
        if hasattr(xw.Book, "_mock_caller"):
            del xw.Book._mock_caller
        if added is not None:
            xw.engines.engines.remove(added)
            xw.engines.engines_by_name.pop("remote", None)


# --- xlsx -> the JSON Excel sends ----------------------------------------------------------------


def _json_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat(timespec="milliseconds") + "Z"
    return str(value)


def _is_formula(cell) -> bool:
    """A formula cell (text such as "=24.00(小时)" stored as a string is not one)."""
    return isinstance(cell.value, ArrayFormula) or cell.data_type == "f"


def sheet_values(ws, ws_values) -> list[list]:
    """A sheet's used range anchored at A1, as Excel's JSON shows it (formula → cached value)."""
    rows, cols = ws.max_row, ws.max_column
    if rows == 1 and cols == 1 and ws.cell(1, 1).value is None:
        return [[]]
    out = []
    for r in range(1, rows + 1):
        row = []
        for c in range(1, cols + 1):
            cell = ws.cell(r, c)
            v = cell.value
            if _is_formula(cell):
                v = ws_values.cell(r, c).value if ws_values is not None else None
            row.append(_json_value(v))
        out.append(row)
    return out


def book_json(path: str | Path, name: str | None = None, values_from: str | Path | None = None) -> dict:
    """The JSON the Office Scripts client would send for the workbook at ``path``.

    A formula cell shows its cached value, read from ``values_from`` when given (the same
    workbook recalculated by LibreOffice: files openpyxl writes carry no cached values)."""
    path = Path(path)
    wb = openpyxl.load_workbook(path)
    # a file openpyxl wrote has no cached values: then every formula shows as empty
    wbv = openpyxl.load_workbook(values_from, data_only=True) if values_from else None
    titles = wb.sheetnames
    sheets = [
        {
            "name": ws.title,
            "values": sheet_values(ws, wbv[ws.title] if wbv is not None else None),
            "pictures": [],
            "tables": [],
        }
        for ws in wb.worksheets
    ]
    names = []
    for dn_name, dn in wb.defined_names.items():
        names.append(_name_json(dn_name, dn.attr_text, None, titles))
    for ws in wb.worksheets:
        for dn_name, dn in ws.defined_names.items():
            names.append(_name_json(dn_name, dn.attr_text, ws.title, titles))
    return {
        "client": "Microsoft Office Scripts",
        "version": XLWINGS_VERSION,
        "book": {"name": name or path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }


_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")


def _name_json(name: str, refers: str, scope: str | None, titles: list[str]) -> dict:
    m = _REF.match(refers or "")
    sheet_index = address = None
    if m:
        sheet = (m.group(1) or m.group(2)).replace("''", "'")
        if sheet in titles:
            sheet_index = titles.index(sheet)
            address = f"{m.group(3)}{m.group(4)}"
            if m.group(5):
                address += f":{m.group(5)}{m.group(6)}"
    return {
        "name": name,
        "sheet_index": sheet_index,
        "address": address,
        "book_scope": scope is None,
        "scope_sheet_name": scope,
        "scope_sheet_index": None if scope is None else titles.index(scope),
        "refers_to": "=" + (refers or ""),
    }


def remote_book(path: str | Path, name: str | None = None, values_from: str | Path | None = None):
    """A real xlwings ``Book`` on the remote engine for ``path``, set as the mock caller."""
    import xlwings as xw

    book = xw.Book(json=book_json(path, name, values_from))
    book.set_mock_caller()
    return book


# --- the actions Excel would perform -> openpyxl ---------------------------------------------------


class UnsupportedAction(AssertionError):
    pass


def _excel_value(value):
    """What Excel stores for a value sent with setValues/setFormula."""
    if value == "" or value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?", value):
        return dt.datetime.fromisoformat(value)
    return value


def apply_actions(wb: openpyxl.Workbook, actions: list[dict]) -> dict:
    """Replay remote-engine ``actions`` on ``wb`` (in place); return what else happened:
    ``{"alerts": [...], "hyperlinks": {...}, "counts": Counter(func)}``."""
    extra = {"alerts": [], "hyperlinks": {}, "counts": Counter()}
    for action in actions:
        func = action["func"]
        extra["counts"][func] += 1
        args = action.get("args") or []
        ws = wb.worksheets[action["sheet_position"]] if action.get("sheet_position") is not None else None
        if func in ("setValues", "setFormula"):
            r0, c0 = action["start_row"] + 1, action["start_column"] + 1
            for i, row in enumerate(action["values"]):
                for j, v in enumerate(row):
                    ws.cell(r0 + i, c0 + j).value = _excel_value(v)
        elif func == "addSheet":
            ix, title = args
            wb.create_sheet(title, ix)
        elif func == "copySheet":
            where, target_ix, title = args
            src = wb.worksheets[action["sheet_position"]]
            new = wb.copy_worksheet(src)
            new.title = title
            wb.move_sheet(new, offset=(target_ix + (1 if where == "After" else 0)) - wb.index(new))
        elif func == "setSheetName":
            ws.title = args[0]
        elif func == "sheetDelete":
            wb.remove(ws)
        elif func in ("sheetClear", "sheetClearContents"):
            for row in ws.iter_rows():
                for cell in row:
                    cell.value = None
                    if func == "sheetClear":
                        cell.fill = PatternFill()
        elif func in ("rangeClearContents", "rangeClear"):
            for cell in _cells(ws, action):
                cell.value = None
        elif func == "setRangeColor":
            for cell in _cells(ws, action):
                _fill(cell, args[0])
        elif func == "setRangeColors":
            r0, c0 = action["start_row"] + 1, action["start_column"] + 1
            for i, row in enumerate(args[0]):
                for j, colour in enumerate(row):
                    if colour != "keep":
                        _fill(ws.cell(r0 + i, c0 + j), colour)
        elif func == "addHyperlink":
            cell = ws.cell(action["start_row"] + 1, action["start_column"] + 1)
            extra["hyperlinks"][(ws.title, cell.coordinate)] = args[0]
        elif func == "alert":
            extra["alerts"].append({"prompt": args[0], "title": args[1]})
        elif func in ("setColumnWidth", "setAutofit", "setSheetAutofit", "activateSheet",
                      "setNumberFormat", "setWrapText", "setShowGridlines", "rangeSelect",
                      "setFontBold", "setFontColor", "setFreezePanes", "freezePanesAt"):
            pass  # presentation only; cells are unchanged
        else:
            raise UnsupportedAction(f"apply_actions does not know {func!r}: {action}")
    return extra


def _cells(ws, action):
    r0, c0 = action["start_row"] + 1, action["start_column"] + 1
    for i in range(action["row_count"]):
        for j in range(action["column_count"]):
            yield ws.cell(r0 + i, c0 + j)


def _fill(cell, colour):
    if colour in (None, "", "none"):
        cell.fill = PatternFill()
    else:
        cell.fill = PatternFill("solid", fgColor=colour.lstrip("#").upper())


def cell_snapshot(wb: openpyxl.Workbook) -> dict:
    """Every non-empty cell value of every sheet: {(sheet, "B3"): value}."""
    snap = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, ArrayFormula):
                    v = v.text
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                if v is not None and v != "":
                    snap[(ws.title, cell.coordinate)] = v
    return snap


# --- tests of the helpers ----------------------------------------------------------------------


def _tiny(tmp_path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目一"
    ws["A1"], ws["B2"], ws["C3"] = "名称", 3.5, "=B2*2"
    ws["D1"] = dt.date(2026, 1, 1)
    wb.create_sheet("汇总")["A1"] = "x"
    wb.defined_names["perfxl_total"] = openpyxl.workbook.defined_name.DefinedName(
        "perfxl_total", attr_text="'项目一'!$C$3"
    )
    path = tmp_path / "tiny.xlsx"
    wb.save(path)
    return path


def test_book_json_is_accepted_by_the_remote_engine(remote, tmp_path):
    book = remote_book(_tiny(tmp_path))
    caller = remote.Book.caller()
    assert [s.name for s in caller.sheets] == ["项目一", "汇总"]
    sheet = caller.sheets["项目一"]
    assert sheet.used_range.address == "$A$1:$D$3"
    assert sheet["A1"].value == "名称" and sheet["B2"].value == 3.5
    assert sheet["D1"].value == dt.datetime(2026, 1, 1)
    assert sheet["C3"].value is None  # a formula without a cached value, as openpyxl saved it
    assert caller.names["perfxl_total"].refers_to_range.address == "$C$3"
    assert book.json() == {"actions": []}


def test_apply_actions_replays_writes_sheets_and_colours(remote, tmp_path):
    path = _tiny(tmp_path)
    book = remote_book(path)
    sheet = book.sheets["项目一"]
    sheet["A5:B6"].value = [[1, "a"], [None, 2.5]]
    sheet["E1"].formula = "=B2+1"
    sheet["B2"].color = "#FFC7CE"
    new = book.sheets.add("校验结果", after=book.sheets[-1])
    new["A1"].value = [["代码"]]
    book.app.alert("完成", title="绩效")
    wb = openpyxl.load_workbook(path)
    extra = apply_actions(wb, book.json()["actions"])
    ws = wb["项目一"]
    assert [ws["A5"].value, ws["B5"].value, ws["A6"].value, ws["B6"].value] == [1, "a", None, 2.5]
    assert ws["E1"].value == "=B2+1"
    assert ws["B2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert wb.sheetnames == ["项目一", "汇总", "校验结果"] and wb["校验结果"]["A1"].value == "代码"
    assert extra["alerts"] == [{"prompt": "完成", "title": "绩效"}]


def test_apply_actions_refuses_what_it_cannot_replay(tmp_path):
    wb = openpyxl.Workbook()
    with pytest.raises(UnsupportedAction):
        apply_actions(wb, [{"func": "rangeMerge", "args": [False], "sheet_position": 0}])
