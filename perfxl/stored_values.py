"""Stored results of formula cells in a saved workbook (issue 20 item 3).

openpyxl writes a formula with an empty result (``<f>…</f><v></v>``), so every reader that
does not recalculate — mail and phone previews, pandas, openpyxl ``data_only=True``, the
bureau's import tools — sees empty 执行率, 得分, 总分 and 等级. :func:`store_values` writes
each formula cell's result into the saved file as the formula's cached value, editing the sheet
XML parts with ElementTree (the formula, style and everything else stay as they are).

Where the results come from (:func:`formula_values`):

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
from typing import TYPE_CHECKING
from decimal import Decimal
from pathlib import Path, PurePosixPath

from defusedxml.ElementTree import fromstring, iterparse

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}

if TYPE_CHECKING:
    from perfxl.rules.scoring import ProjectScore

Values = Mapping[tuple[str, str], object]  # (sheet title, "A1") -> value


def python_values(wb, scores: Mapping[str, ProjectScore]) -> dict[tuple[str, str], object]:
    """The results perfxl computes itself, at the cells of the open openpyxl ``wb`` where the
    self-evaluation forms hold their formulas (see the module doc). ``scores``: each project's
    score by its sheet's title, as the pipeline computed it (:mod:`perfxl.pipeline`)."""
    from openpyxl.utils import get_column_letter as col

    from perfxl.forms.workbook import read_workbook
    from perfxl.model import SelfEvaluation, SelfEvaluationFunds
    from perfxl.rules.scoring import execution_rate

    pf, _findings, maps = read_workbook(wb)
    out: dict[tuple[str, str], object] = {}
    for project, m in maps:
        if not isinstance(project, SelfEvaluation):
            continue
        S = m.sheet
        ps = scores[S]
        fc = m.funds_cols
        for key, r in m.funds_rows.items():  # R6, R6r: the rate of every funds row
            row = getattr(project.funds, key)
            out[(S, f"{col(fc['rate'])}{r}")] = execution_rate(SelfEvaluationFunds(total=row), pf.settings.rounding)
        out[(S, f"{col(fc['score'])}{m.funds_rows['total']}")] = ps.execution_score
        for s, r in zip(ps.indicators, m.rows):
            out[(S, f"{col(m.cols['suggested'])}{r}")] = s.suggested
            out[(S, f"{col(m.cols['score'])}{r}")] = s.effective
            if "ratio" in m.cols:  # a v1 sheet's 完成比例 helper
                out[(S, f"{col(m.cols['ratio'])}{r}")] = s.ratio
        if m.total_weight:
            weights = [i.weight for i in project.indicators if i.weight is not None]
            out[(S, f"{col(m.total_weight[1])}{m.total_weight[0]}")] = (
                sum(weights, project.funds.weight or 0) if weights else "")  # blank form: blank
        if m.total:
            out[(S, f"{col(m.total[1])}{m.total[0]}")] = ps.total
        if m.grade:
            out[(S, f"{col(m.grade[1])}{m.grade[0]}")] = ps.grade or ""
    return out


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


def formula_values(path: Path, wb, scores: Mapping[str, ProjectScore]
                   ) -> tuple[dict[tuple[str, str], object], bool]:
    """The results to store in the workbook saved at ``path`` from the openpyxl ``wb``:
    LibreOffice's for every formula when it is installed, Python's (``scores``, by sheet title)
    over them where perfxl computes the number itself. (values, whether LibreOffice was used)"""
    lo = libreoffice_values(path, wb)
    values = dict(lo or {})
    values.update(python_values(wb, scores))
    return values, lo is not None


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
