"""Make the returned-files corpus (issue 15): workbooks perfxl writes from the seeds, edited and
saved by LibreOffice itself through Python-UNO as a person would, plus hand-made XML variants
of what other writers produce.

The cases are template v2 workbooks (issue 17: 比较符 | 指标值 | 单位 in three cells, the actual a
number or a level, 填写得分 in N beside the printed 得分 J), written to tests/corpus/cases. The v1
returned files in tests/corpus/v1 (workbooks sent out before template v2) are NOT made by this
script and never regenerated: perfxl writes only v2 now, so those files are kept as committed.

Run with the system Python that has Python-UNO (Debian ``python3-uno``)::

    /usr/bin/python3 tests/corpus/make_corpus.py [--out tests/corpus/cases] [--only CASE ...]
                                                [--perfxl-python python3]

``--perfxl-python`` is the interpreter with perfxl installed (it makes the base workbooks with
``perfxl import`` / ``perfxl new`` / ``perfxl carry``). The expected results of every case are
written by hand in ``tests/corpus/expected/CASE.json`` (not by this script); see tests/project/test_corpus.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "perfxl" / "data" / "seeds"
XLSX_FILTER = "Calc MS Excel 2007 XML"


def _registry() -> str:
    """The private-profile settings perfxl.libreoffice uses (recalculate on load), read from that
    module by path: the system Python need not have perfxl's dependencies."""
    spec = importlib.util.spec_from_file_location("_perfxl_lo", ROOT / "perfxl" / "libreoffice.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._REGISTRY


# --- base workbooks, made by perfxl itself -------------------------------------------------------


def _perfxl(python: str, *args: str) -> None:
    code = "import sys; from perfxl.cli import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode > 1:
        raise SystemExit(f"perfxl {' '.join(args)} failed: {proc.stdout}{proc.stderr}")


def make_bases(python: str, work: Path, needed: set[str]) -> dict[str, Path]:
    """The ``needed`` of: se4, the four 2023 self-evaluations; se1, the first of them
    (热线服务保障经费) alone; decl1, the first 2026 declaration alone; blank_decl, an empty 2027
    declaration; carried, the self-evaluation perfxl carries from decl1 (得分 = 建议得分 formulas)."""
    if "carried" in needed:
        needed = needed | {"decl1"}
    bases = {}
    se = json.loads((SEEDS / "self_evaluation_2023.json").read_text(encoding="utf-8"))
    decl = json.loads((SEEDS / "declaration_2026.json").read_text(encoding="utf-8"))
    for name, data, keep in (("se4", se, 4), ("se1", se, 1), ("decl1", decl, 1)):
        if name not in needed:
            continue
        spec = work / f"{name}.json"
        spec.write_text(json.dumps({**data, "projects": data["projects"][:keep]}, ensure_ascii=False),
                        encoding="utf-8")
        bases[name] = work / f"{name}.xlsx"
        _perfxl(python, "import", str(spec), "-o", str(bases[name]))
    if "blank_decl" in needed:
        bases["blank_decl"] = work / "blank_decl.xlsx"
        _perfxl(python, "new", "declaration", "--year", "2027", "-o", str(bases["blank_decl"]))
    if "carried" in needed:
        bases["carried"] = work / "carried.xlsx"
        _perfxl(python, "carry", str(bases["decl1"]), "-o", str(bases["carried"]))
    return bases


# --- LibreOffice through UNO ---------------------------------------------------------------------


class Office:
    """One headless soffice with a private profile, listening on a named pipe."""

    def __init__(self, work: Path):
        import uno  # noqa: F401  (system Python with python3-uno)

        self.profile = work / "profile"
        (self.profile / "user").mkdir(parents=True, exist_ok=True)
        (self.profile / "user" / "registrymodifications.xcu").write_text(_registry(), encoding="utf-8")
        self.pipe = f"perfxl_corpus_{os.getpid()}"
        exe = shutil.which("soffice") or shutil.which("libreoffice")
        if exe is None:
            raise SystemExit("LibreOffice (soffice) is not installed")
        env = dict(os.environ)
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")
        self.proc = subprocess.Popen(
            [exe, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", "--invisible",
             "--norestore", "--nologo", "--nolockcheck", f"--accept=pipe,name={self.pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        self.desktop = self._connect()

    def _connect(self):
        import uno
        from com.sun.star.connection import NoConnectException

        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 60
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            except NoConnectException:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.3)

    def edit(self, src: Path, out: Path, steps) -> None:
        """Open ``src``, apply ``steps(doc)``, save as xlsx to ``out``."""
        doc = self.desktop.loadComponentFromURL(src.resolve().as_uri(), "_blank", 0, (_prop("Hidden", True),))
        try:
            steps(doc)
            doc.calculateAll()
            doc.storeToURL(out.resolve().as_uri(), (_prop("FilterName", XLSX_FILTER),))
        finally:
            try:
                doc.close(True)
            except Exception:  # soffice died in ``steps``: that error is the one to see
                pass

    def close(self) -> None:
        try:
            self.desktop.terminate()
        except Exception:  # soffice already gone: the wait below ends it
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _prop(name, value):
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


# Edits a person makes. ``type_`` stores what typing into the cell stores: XCell.setFormula runs
# Calc's input interpretation (numbers, a leading apostrophe for text, "=..." as a formula, "88.5%"
# as 0.885), and a number typed with "%" gets the percent format the keyboard path gives it
# (Calc's .uno:EnterString does both, but crashes a headless soffice now and then).


def _sheet(doc, index=0):
    return doc.Sheets.getByIndex(index)


def type_(doc, ref: str, text: str, sheet=0) -> None:
    from com.sun.star.table.CellContentType import VALUE

    cell = _sheet(doc, sheet).getCellRangeByName(ref)
    cell.setFormula(text)
    if text.rstrip().endswith("%") and not text.startswith(("'", "=")) and cell.getType() == VALUE:
        formats = doc.NumberFormats
        locale = doc.CharLocale
        key = formats.queryKey("0.00%", locale, False)
        cell.NumberFormat = key if key != -1 else formats.addNew("0.00%", locale)


def clear(doc, ref: str, sheet=0) -> None:
    from com.sun.star.sheet.CellFlags import VALUE, STRING, FORMULA, DATETIME

    _sheet(doc, sheet).getCellRangeByName(ref).clearContents(VALUE | STRING | FORMULA | DATETIME)


def delete_rows(doc, first: int, count: int = 1, sheet=0) -> None:
    """Delete ``count`` rows from 1-based row ``first`` (the row headers' 删除行)."""
    _sheet(doc, sheet).Rows.removeByIndex(first - 1, count)


def insert_rows(doc, before: int, count: int = 1, sheet=0) -> None:
    _sheet(doc, sheet).Rows.insertByIndex(before - 1, count)


# --- the cases -----------------------------------------------------------------------------------


def _unchanged(doc):
    pass


# The v2 self-evaluation of se1 (热线服务保障经费): indicator rows 14-26 under the header rows
# 12:13; 比较符 D, 指标值 E, 单位 F, 完成值 G (its unit H is a formula), 分值 I, 得分 J (shows 填写得分
# N, or 建议得分 O when N is blank), 偏差原因分析 K. Funds: 年初预算数 D, 全年预算数 F, 全年执行数 H.


def _rows_deleted_inserted(doc):
    delete_rows(doc, 16)  # 对口移送 (weight 6, score 6)
    insert_rows(doc, 16)  # a new indicator in its place, typed in full; its score typed in 得分
    for ref, text in (("C16", "新增移送件数"), ("D16", "≥"), ("E16", "10"), ("F16", "件"),
                      ("G16", "12"), ("I16", "6"), ("J16", "6")):
        type_(doc, ref, text)


def _first_row_deleted(doc):
    delete_rows(doc, 22)  # 对热线诉求处置的作用, first row of 效益指标 (weight 8, score 6)


def _sheet_renamed(doc):
    _sheet(doc).Name = "热线2023自评"


def _percent_typed(doc):
    type_(doc, "G18", "96.7%")  # stored 0.967 with a percent format
    type_(doc, "G19", "96.59")  # a bare number
    type_(doc, "G26", "'88.38%")  # text, as typed with a leading apostrophe


def _comments(doc):
    """Comments (LibreOffice's 批注) on a completed value and on a missing reason: notes a
    colleague leaves; they change nothing that is read or scored."""
    sheet = _sheet(doc)
    for ref, text in (("G18", "数据来源：热线系统年度报表"), ("K17", "请科室补充偏差原因")):
        sheet.getAnnotations().insertNew(sheet.getCellRangeByName(ref).getCellAddress(), text)


def _target_words(doc):
    """Targets typed whole into the 指标值 cell (the comparator and unit cells keep theirs)."""
    type_(doc, "E15", "20000件以上")
    type_(doc, "E16", "不低于28000件")
    type_(doc, "E18", "≥95%")


def _target_formula(doc):
    type_(doc, "E20", "=24.00")  # Calc makes it a formula (its result 24)


def _percent_target(doc):
    type_(doc, "E26", "95%")  # 指标值 typed as 95%: stored 0.95 with a percent format


def _required_blank(doc):
    clear(doc, "F6")  # 全年预算数
    clear(doc, "B4")  # 主管部门


def _word_actuals(doc):
    type_(doc, "G22", "有效保障")  # the target's own word over the level drop-down
    type_(doc, "N22", "8")
    type_(doc, "G24", "达成")  # a level from the drop-down (was 部分达成; 填写得分 6 stays)
    type_(doc, "G25", "未达成")  # (was 部分达成; 填写得分 6 stays)


def _float_noise(doc):
    type_(doc, "N14", "=I14*0.7")  # the evaluator's own formula in 填写得分: 4.199999999999999
    type_(doc, "J26", "=I26*0.882")  # typed over the printed 得分 formula: 8.82 (N26 still 9)


def _decl_fill(doc):
    """Fill the blank 2027 declaration's header, funds and one indicator per kept placeholder
    (rows 14-24: 经济/社会/生态环境成本, 数量/质量/时效, 经济/社会/生态效益, 可持续影响, 满意度;
    三级指标 D, 比较符 F, 指标值 G, 单位 H)."""
    for ref, text in (
        ("B3", "街道绿地养护"), ("F3", "经常性专项业务费"), ("H3", "特定目标类"),
        ("B4", "上海市绿化和市容管理局"), ("F4", "上海市绿化和市容管理局行政服务中心"),
        ("B5", "2027-01-01"), ("F5", "2027-12-31"),
        ("D6", "500000"), ("D7", "500000"), ("D9", "0"),
        ("G6", "500000"), ("G7", "500000"), ("G8", "0"), ("G9", "0"),
        ("B11", "完成街道绿地日常养护。"), ("E11", "全年养护绿地12万平方米，市民满意度不低于90%。"),
        ("D14", "绿地养护经费成本控制情况"), ("F14", "≤"), ("G14", "50"), ("H14", "万元"),
        ("D17", "养护绿地面积"), ("F17", "≥"), ("G17", "120000"), ("H17", "平方米"),
        ("D18", "养护质量合格率"), ("F18", "≥"), ("G18", "95"), ("H18", "%"),
        ("D19", "养护按计划完成"), ("F19", "定性"), ("G19", "及时"),
        ("D21", "绿地开放服务"), ("F21", "定性"), ("G21", "有效保障"),
        ("D23", "长效养护机制健全性"), ("F23", "定性"), ("G23", "健全"),
        ("D24", "市民满意度"), ("F24", "≥"), ("G24", "90"), ("H24", "%"),
    ):
        type_(doc, ref, text)


def _remove_unused_placeholders(doc):
    delete_rows(doc, 22)  # 生态效益指标
    delete_rows(doc, 15, 2)  # 社会成本指标, 生态环境成本指标


def _placeholders_removed(doc):
    _decl_fill(doc)
    for ref, text in (("D20", "带动周边商业客流"), ("F20", "定性"), ("G20", "提升")):
        type_(doc, ref, text)  # 经济效益指标 kept and filled
    _remove_unused_placeholders(doc)


def _decl_first_row_deleted(doc):
    _decl_fill(doc)
    _remove_unused_placeholders(doc)
    delete_rows(doc, 18)  # the empty 经济效益指标 (rows 15-16 are gone): first under 效益指标


def _carried_filled(doc):
    """The evaluator fills the carried self-evaluation (rows 14-36): funds, and an actual for
    every indicator that meets its target exactly — the target's number, or for a 定性 target its
    own word; 得分 stays the formula that shows 建议得分 (填写得分 N blank)."""
    for ref, text in (("F6", "100"), ("H6", "95"), ("F7", "100"), ("H7", "95"), ("F8", "0"), ("H8", "0"),
                      ("F9", "0"), ("H9", "0"), ("G11", "全年各项安全技术支撑服务按计划完成。")):
        type_(doc, ref, text)
    sheet = _sheet(doc)
    for row in range(14, 37):
        cell = sheet.getCellRangeByName(f"E{row}")
        type_(doc, f"G{row}", cell.getString() if cell.getType().value == "TEXT" else repr(cell.getValue()))


def _carried_percent(doc):
    _carried_filled(doc)
    type_(doc, "G36", "88.5%")  # 满意度 ≥85(%): stored 0.885 with a percent format


CASES = {
    # name: (base, edit)
    "se4_unchanged": ("se4", _unchanged),
    "se1_unchanged": ("se1", _unchanged),
    "se1_rows_deleted_inserted": ("se1", _rows_deleted_inserted),
    "se1_first_row_deleted": ("se1", _first_row_deleted),
    "se1_sheet_renamed": ("se1", _sheet_renamed),
    "se1_percent_typed": ("se1", _percent_typed),
    "se1_comments": ("se1", _comments),
    "se1_percent_target": ("se1", _percent_target),
    "se1_target_words": ("se1", _target_words),
    "se1_target_formula": ("se1", _target_formula),
    "se1_required_blank": ("se1", _required_blank),
    "se1_word_actuals": ("se1", _word_actuals),
    "se1_float_noise": ("se1", _float_noise),
    "decl1_unchanged": ("decl1", _unchanged),
    "decl_placeholders_removed": ("blank_decl", _placeholders_removed),
    "decl_first_row_deleted": ("blank_decl", _decl_first_row_deleted),
    "carried_filled": ("carried", _carried_filled),
    "carried_percent": ("carried", _carried_percent),
}


# --- hand-made XML variants (zipfile only) -------------------------------------------------------

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_CASES = ("xml_no_dimension", "xml_lying_dimension", "xml_rows_1048576", "xml_inline_strings",
             "xml_shared_formulas", "xml_no_styles")
XML_BASE = "se1"  # as LibreOffice saved it unchanged (shared strings, LibreOffice's styles)


def rewrite_zip(src: Path, out: Path, change) -> None:
    """Copy the zip ``src`` to ``out``; ``change(name, data)`` returns new bytes or None to drop
    the part."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)


def _sheet1(fn):
    def change(name, data):
        return fn(data) if name == "xl/worksheets/sheet1.xml" else data
    return change


def _parse(data: bytes) -> ET.Element:
    for prefix, uri in (("", NS),
                        ("r", "http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
                        ("mc", "http://schemas.openxmlformats.org/markup-compatibility/2006"),
                        ("x14ac", "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac")):
        ET.register_namespace(prefix, uri)
    return ET.fromstring(data)


def _dump(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root)


def _set_dimension(ref: str | None):
    def fn(data):
        root = _parse(data)
        dim = root.find(f"{{{NS}}}dimension")
        if ref is None:
            root.remove(dim)
        else:
            dim.set("ref", ref)
        return _dump(root)
    return fn


def _rows_to_1048576(data):
    """What LibreOffice writes after rows were deleted: an empty last row and a dimension to it."""
    root = _parse(data)
    root.find(f"{{{NS}}}dimension").set("ref", "A1:AQ1048576")
    ET.SubElement(root.find(f"{{{NS}}}sheetData"), f"{{{NS}}}row",
                  {"r": "1048576", "customFormat": "false", "ht": "12.8", "hidden": "false",
                   "customHeight": "false", "outlineLevel": "0", "collapsed": "false"})
    return _dump(root)


def _inline_strings(src: Path, out: Path) -> None:
    with zipfile.ZipFile(src) as z:
        shared = _parse(z.read("xl/sharedStrings.xml"))
    texts = ["".join(t.text or "" for t in si.iter(f"{{{NS}}}t")) for si in shared.findall(f"{{{NS}}}si")]

    def fn(data):
        root = _parse(data)
        for c in root.iter(f"{{{NS}}}c"):
            if c.get("t") == "s":
                v = c.find(f"{{{NS}}}v")
                text = texts[int(v.text)]
                c.remove(v)
                c.set("t", "inlineStr")
                is_ = ET.SubElement(c, f"{{{NS}}}is")
                t = ET.SubElement(is_, f"{{{NS}}}t")
                t.text = text
        return _dump(root)

    rewrite_zip(src, out, _sheet1(fn))


def _shared_formulas(data):
    """The 建议得分 column (O14:O26) as one shared formula, as Excel writes a filled-down column."""
    root = _parse(data)
    cells = {c.get("r"): c for c in root.iter(f"{{{NS}}}c")}
    master = cells["O14"].find(f"{{{NS}}}f")
    master.set("t", "shared")
    master.set("ref", "O14:O26")
    master.set("si", "0")
    for row in range(15, 27):
        f = cells[f"O{row}"].find(f"{{{NS}}}f")
        f.text = None
        f.attrib.clear()
        f.set("t", "shared")
        f.set("si", "0")
    return _dump(root)


def _no_styles(src: Path, out: Path) -> None:
    def change(name, data):
        if name == "xl/styles.xml":
            return None
        if name == "[Content_Types].xml":
            root = ET.fromstring(data)
            for el in list(root):
                if el.get("PartName") == "/xl/styles.xml":
                    root.remove(el)
            return ET.tostring(root, xml_declaration=True, encoding="UTF-8")
        if name == "xl/_rels/workbook.xml.rels":
            root = ET.fromstring(data)
            for el in list(root):
                if el.get("Target", "").endswith("styles.xml"):
                    root.remove(el)
            return ET.tostring(root, xml_declaration=True, encoding="UTF-8")
        if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
            root = _parse(data)
            for el in root.iter():  # every reference into the styles part goes with it
                el.attrib.pop("s", None)
                el.attrib.pop("dxfId", None)
                if el.tag == f"{{{NS}}}row":
                    el.attrib.pop("customFormat", None)
                elif el.tag == f"{{{NS}}}col":
                    el.attrib.pop("style", None)
            return _dump(root)
        return data

    rewrite_zip(src, out, change)


def make_xml_case(name: str, base: Path, out: Path) -> None:
    if name == "xml_no_dimension":
        rewrite_zip(base, out, _sheet1(_set_dimension(None)))
    elif name == "xml_lying_dimension":
        rewrite_zip(base, out, _sheet1(_set_dimension("A1:B2")))
    elif name == "xml_rows_1048576":
        rewrite_zip(base, out, _sheet1(_rows_to_1048576))
    elif name == "xml_inline_strings":
        _inline_strings(base, out)
    elif name == "xml_shared_formulas":
        rewrite_zip(base, out, _sheet1(_shared_formulas))
    elif name == "xml_no_styles":
        _no_styles(base, out)
    else:
        raise KeyError(name)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "cases")
    ap.add_argument("--only", nargs="*", help="case names (default: all)")
    ap.add_argument("--perfxl-python", default=os.environ.get("PERFXL_PYTHON", "python3"))
    args = ap.parse_args(argv)
    names = args.only or [*CASES, *XML_CASES]
    unknown = set(names) - set(CASES) - set(XML_CASES)
    if unknown:
        ap.error("unknown case: " + ", ".join(sorted(unknown)))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfxl-corpus-") as tmp:
        work = Path(tmp)
        uno_cases = [n for n in names if n in CASES]
        xml_cases = [n for n in names if n in XML_CASES]
        needed = {CASES[n][0] for n in uno_cases} | ({XML_BASE} if xml_cases else set())
        bases = make_bases(args.perfxl_python, work, needed)
        office = Office(work)
        try:
            for name in uno_cases:
                base, steps = CASES[name]
                office.edit(bases[base], args.out / f"{name}.xlsx", steps)
                print("made", name)
            if xml_cases:
                xml_base = work / "xml_base.xlsx"
                office.edit(bases[XML_BASE], xml_base, _unchanged)
        finally:
            office.close()
        for name in xml_cases:
            make_xml_case(name, xml_base, args.out / f"{name}.xlsx")
            print("made", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
