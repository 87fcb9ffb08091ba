"""Stored results of formula cells in a saved workbook.

openpyxl writes a formula with an empty result (``<f>…</f><v></v>``), so every reader that
does not recalculate — mail and phone previews, pandas, openpyxl ``data_only=True``, the
bureau's import tools — sees empty 执行率, 得分, 总分 and 等级. :func:`store_values` writes
each formula cell's result into the saved file as the formula's cached value, editing the sheet
XML parts with ElementTree (the formula, style and everything else stay as they are).

Where the results come from (:func:`perfxl.forms.workbook.formula_values`, which knows the
forms' cells; this module only computes LibreOffice's results and writes them):

* the cells whose numbers perfxl itself computes — each funds row's 执行率, the 执行率得分, every
  suggested score and 得分 formula, the completion ratio, the total weight, 总分, 等级 (R6, R6r,
  R2–R5, R8) — always get Python's value, so a reader sees exactly the core's numbers;
* every other formula (the 提示 flags, the declaration's consistency checks and the hidden
  helper columns) gets the value LibreOffice computes when it is installed: the same engine the
  test suite already uses as the oracle for the native formulas (design.md §4). Without
  LibreOffice those cells keep an empty result and the caller says so; Excel and WPS recompute
  them on opening (``fullCalcOnLoad``).
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
import xml.etree.ElementTree as etree
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path, PurePosixPath

from defusedxml.ElementTree import fromstring, iterparse

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}

Values = Mapping[tuple[str, str], object]  # (sheet title, "A1") -> value


def libreoffice_values(path: Path, wb) -> dict[tuple[str, str], object] | None:
    """Every formula cell's result as LibreOffice recalculates the workbook at ``path``, saved
    from the openpyxl ``wb`` (None when LibreOffice is not installed)."""
    from openpyxl import load_workbook

    from perfxl.libreoffice import recalculate, soffice_path

    if soffice_path() is None:
        return None
    with tempfile.TemporaryDirectory(prefix="perfxl-values-") as tmp:
        copy = Path(tmp) / "in" / "book.xlsx"
        copy.parent.mkdir()
        shutil.copyfile(path, copy)
        (recalced,) = recalculate([copy], Path(tmp) / "out")
        values = load_workbook(recalced, data_only=True)
        out = {}
        for ws in wb.worksheets:
            if ws.title not in values.sheetnames:
                continue
            vs = values[ws.title]
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        v = vs[c.coordinate]
                        out[(ws.title, c.coordinate)] = ("#error", v.value) if v.data_type == "e" else v.value
        return out


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> its part name in the package."""
    book = fromstring(z.read("xl/workbook.xml"))
    rels = fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{{{_PKG_REL}}}Relationship")}
    out = {}
    for sheet in book.iter(f"{{{_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{_REL}}}id"))
        if target is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        out[sheet.get("name")] = part
    return out


def _serialise(root, original: bytes) -> bytes:
    """``root`` as XML with the namespace prefixes of ``original`` (the default namespace stays
    the default, instead of ns0:…). ElementTree's prefix map is global: it is restored after."""
    saved = dict(etree._namespace_map)
    try:
        for _event, (prefix, uri) in iterparse(io.BytesIO(original), events=("start-ns",)):
            if not (prefix.startswith("ns") and prefix[2:].isdigit()):
                etree.register_namespace(prefix, uri)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    finally:
        etree._namespace_map.clear()
        etree._namespace_map.update(saved)


def _number(value) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if text not in ("-0",) else "0"
    return repr(float(value)) if isinstance(value, float) else str(value)


def _set_value(c, value) -> None:
    """Give the formula cell ``c`` (an ElementTree ``<c>``) the cached result ``value``."""
    v = c.find(f"{{{_MAIN}}}v")
    if v is None:
        v = etree.SubElement(c, f"{{{_MAIN}}}v")
    if isinstance(value, tuple) and value[:1] == ("#error",):
        c.set("t", "e")
        v.text = str(value[1])
    elif isinstance(value, bool):
        c.set("t", "b")
        v.text = "1" if value else "0"
    elif isinstance(value, (int, float, Decimal)):
        c.attrib.pop("t", None)
        v.text = _number(value)
    elif isinstance(value, str):
        c.set("t", "e" if value in _ERRORS else "str")
        v.text = value
    else:  # a date or anything else: leave the result empty
        c.remove(v)


def store_values(path: Path, values: Values) -> int:
    """Write ``values`` as the cached results of the formula cells of the workbook at ``path``
    (rewritten atomically); cells without a value, or whose value is None, are left empty.
    Returns the number of cells given a value."""
    from perfxl.atomic import atomic_save

    path = Path(path)
    by_sheet: dict[str, dict[str, object]] = {}
    for (sheet, ref), value in values.items():
        if value is not None:
            by_sheet.setdefault(sheet, {})[ref] = value
    stored = 0
    with zipfile.ZipFile(path) as z:
        parts = {part: title for title, part in _sheet_parts(z).items() if title in by_sheet}
        infos = z.infolist()
        data = {info.filename: z.read(info) for info in infos}
    for part, title in parts.items():
        root = fromstring(data[part])
        wanted = by_sheet[title]
        for c in root.iter(f"{{{_MAIN}}}c"):
            if c.find(f"{{{_MAIN}}}f") is None:
                continue
            ref = c.get("r")
            if ref in wanted:
                _set_value(c, wanted[ref])
                stored += 1
        data[part] = _serialise(root, data[part])

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info in infos:
                out.writestr(info, data[info.filename], compress_type=info.compress_type)

    atomic_save(path, write)
    return stored
