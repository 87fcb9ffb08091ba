"""``perfxl addin build``: the Excel add-in ``perfxl.xlam`` and the macro workbook
``绩效工作簿.xlsm``, built from text on any OS (no Excel).

The add-in lives in ``macros/`` as text (design.md §3):

- ``customUI14.xml`` — the 绩效 ribbon tab;
- ``PerfxlRibbon.bas`` — one callback ``Sub`` per button, each ``RunPython`` into
  :mod:`perfxl.addin`;
- ``xlwings.bas`` — xlwings' official custom-add-in module (``xlwings_custom_addin.bas`` shipped
  in the pinned xlwings wheel, with ``PROJECT_NAME = "perfxl"``), ``Dictionary.cls`` for macOS.

A file is assembled from parts, never round-tripped through openpyxl or LibreOffice (either
would drop the ribbon or the VBA project): openpyxl writes the macro-free workbook (the
``perfxl.conf`` sheet of the add-in; the two official forms, read from ``templates/`` and laid
out by the template code, for the macro workbook), then the package gets the VBA project
(:mod:`perfxl.vba_project`), the ribbon part and its relationship, code names and the macro
content type. Fixed project id, fixed document dates and fixed zip timestamps make every build
byte-identical.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

from defusedxml.ElementTree import fromstring

from perfxl import vba_project
from perfxl.atomic import atomic_save

ROOT = Path(__file__).resolve().parent.parent
PROJECT_NAME = "perfxl"
PROJECT_ID = "{5B3C1A2E-7F40-4D6B-9E21-3A8C0D6F4B17}"  # fixed: deterministic bytes
UDF_MODULES = "perfxl.udfs"
CONF_SHEET = f"{PROJECT_NAME}.conf"  # the sheet xlwings.bas reads (GetConfigFromSheet)
ADDIN_NAME = "perfxl.xlam"
WORKBOOK_NAME = "绩效工作簿.xlsm"
OUTPUT_DIR = Path("workbook")
RIBBON_XML = "customUI14.xml"
FIXED_TIME = dt.datetime(2025, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

RIBBON_PART = "customUI/customUI14.xml"
RIBBON_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_PART = "xl/vbaProject.bin"
VBA_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
MACRO_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


class AddinError(Exception):
    """The add-in could not be built or installed; the message is Chinese and says what to do."""


# --- package data ---------------------------------------------------------------------------------


def data_dir(name: str) -> Path:
    """``macros`` or ``templates``: inside the installed package (a wheel ships them as
    ``perfxl/_data/NAME``, see setup.py), else the checkout's top-level folder."""
    shipped = resources.files("perfxl").joinpath("_data", name)
    if shipped.is_dir():
        return Path(str(shipped))
    local = ROOT / name
    if local.is_dir():
        return local
    raise AddinError(f"perfxl 安装不完整：缺少 {name}/ 文件夹。请重新安装 perfxl（pip install perfxl）。")


def vba_modules(macros: Path | None = None) -> list[Path]:
    """The VBA modules of ``macros/``, in a stable order (xlwings first: the ribbon calls it)."""
    macros = macros or data_dir("macros")
    files = sorted(p for p in macros.iterdir() if p.suffix.lower() in (".bas", ".cls"))
    return sorted(files, key=lambda p: (p.stem.lower() != "xlwings", p.name.lower()))


def vba_module_version(path: Path | None = None) -> str:
    """The xlwings version the VBA module belongs to (its ``XLWINGS_VERSION`` constant)."""
    path = path or data_dir("macros") / "xlwings.bas"
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError as exc:
        raise AddinError(f"{path.name} 含非 ASCII 字符，VBA 模块只能使用 ASCII（中文请用 ChrW）：{exc}") from exc
    match = re.search(r'^Public Const XLWINGS_VERSION As String = "([^"]+)"', text, re.M)
    if not match:
        raise AddinError(f"{path} 中找不到 XLWINGS_VERSION")
    return match.group(1)


def pinned_xlwings_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The xlwings version pinned in pyproject.toml (``xlwings==X.Y.Z``)."""
    match = re.search(r'"xlwings==([^"]+)"', pyproject.read_text(encoding="utf-8"))
    if not match:
        raise AddinError("pyproject.toml 中没有固定 xlwings 版本（应为 xlwings==X.Y.Z）")
    return match.group(1)


# --- the VBA project --------------------------------------------------------------------------------


def sheet_code_names(count: int) -> list[str]:
    return [f"Sheet{i}" for i in range(1, count + 1)]


def vba_project_bin(sheets: int, macros: Path | None = None) -> bytes:
    """``vbaProject.bin``: ThisWorkbook, one document module per sheet, the macros/ modules."""
    modules = [vba_project.document_module("ThisWorkbook", "workbook")]
    modules += [vba_project.document_module(n, "worksheet") for n in sheet_code_names(sheets)]
    try:
        modules += [vba_project.module_from_file(p) for p in vba_modules(macros)]
        return vba_project.build(PROJECT_NAME, PROJECT_ID, modules)
    except (vba_project.VbaProjectError, UnicodeDecodeError) as exc:
        raise AddinError(f"macros/ 中的 VBA 代码无法写入加载项：{exc}") from exc


# --- the package ------------------------------------------------------------------------------------


def _xml(root: ET.Element, namespace: str) -> bytes:
    ET.register_namespace("", namespace)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def _add_relationship(rels: bytes, rel_type: str, target: str) -> bytes:
    root = fromstring(rels)
    ids = {r.get("Id") for r in root}
    n = 1
    while f"rId{n}" in ids:
        n += 1
    ET.SubElement(root, f"{{{RELS_NS}}}Relationship",
                  {"Id": f"rId{n}", "Type": rel_type, "Target": target})
    return _xml(root, RELS_NS)


def _macro_content_types(types: bytes, addin: bool) -> bytes:
    root = fromstring(types)
    for el in root:
        if el.get("PartName") == "/xl/workbook.xml":
            el.set("ContentType", ADDIN_CONTENT_TYPE if addin else MACRO_CONTENT_TYPE)
    ET.SubElement(root, f"{{{CT_NS}}}Override",
                  {"PartName": "/" + VBA_PART, "ContentType": VBA_CONTENT_TYPE})
    return _xml(root, CT_NS)


def _workbook_bytes(wb) -> bytes:
    """A macro-free openpyxl workbook with the code names the VBA project expects."""
    wb.code_name = "ThisWorkbook"
    for ws, code in zip(wb.worksheets, sheet_code_names(len(wb.worksheets))):
        ws.sheet_properties.codeName = code
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fixed_core() -> bytes:
    """docProps/core.xml with the fixed dates (openpyxl stamps the save time on save)."""
    from openpyxl.packaging.core import DocumentProperties
    from openpyxl.xml.functions import tostring

    props = DocumentProperties(creator=PROJECT_NAME, created=FIXED_TIME, modified=FIXED_TIME)
    return tostring(props.to_tree())


def macro_package(xlsx: bytes, sheets: int, *, addin: bool, macros: Path | None = None) -> bytes:
    """The macro-enabled package of the macro-free workbook ``xlsx``: VBA project, ribbon,
    macro content type; every part in a fixed order with fixed timestamps."""
    macros = macros or data_dir("macros")
    ribbon = (macros / RIBBON_XML).read_bytes()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    parts["[Content_Types].xml"] = _macro_content_types(parts["[Content_Types].xml"], addin)
    parts["_rels/.rels"] = _add_relationship(parts["_rels/.rels"], RIBBON_REL_TYPE, RIBBON_PART)
    parts["xl/_rels/workbook.xml.rels"] = _add_relationship(
        parts["xl/_rels/workbook.xml.rels"], VBA_REL_TYPE, "vbaProject.bin")
    parts["docProps/core.xml"] = _fixed_core()
    parts[VBA_PART] = vba_project_bin(sheets, macros)
    parts[RIBBON_PART] = ribbon
    out = io.BytesIO()
    order = ["[Content_Types].xml", "_rels/.rels"]
    with zipfile.ZipFile(out, "w") as zout:
        for name in order + sorted(n for n in parts if n not in order):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zout.writestr(info, parts[name])
    return out.getvalue()


def addin_bytes(macros: Path | None = None) -> bytes:
    """``perfxl.xlam``: a hidden workbook with the ``perfxl.conf`` sheet, VBA and ribbon."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = CONF_SHEET
    ws["A1"], ws["B1"] = "UDF_MODULES", UDF_MODULES
    wb.views[0].visibility = "hidden"
    return macro_package(_workbook_bytes(wb), 1, addin=True, macros=macros)


def workbook_bytes(macros: Path | None = None, templates: Path | None = None) -> bytes:
    """``绩效工作簿.xlsm``: the two official forms of ``templates/`` (read, then laid out by
    the template code), the hidden settings sheet, VBA and ribbon."""
    from openpyxl import Workbook

    from perfxl.adapters.file import apply_patch
    from perfxl.forms.workbook import TEMPLATE_FILES, layout_projects, read_projects
    from perfxl.model import ProjectFile

    templates = templates or data_dir("templates")
    projects, settings = [], None
    for filename in TEMPLATE_FILES.values():
        pf, _findings = read_projects(templates / filename)
        projects += pf.projects
        settings = settings or pf.settings
    wb = Workbook()
    wb.remove(wb.active)
    apply_patch(wb, layout_projects(ProjectFile(settings=settings, projects=projects)))
    wb.active = 0
    return macro_package(_workbook_bytes(wb), len(wb.worksheets), addin=False, macros=macros)


def check_package(data: bytes) -> None:
    """Raise AddinError unless ``data`` is a macro package with the ribbon and a VBA project
    that olefile opens in strict mode."""
    import olefile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            missing = {VBA_PART, RIBBON_PART} - names
            if missing:
                raise AddinError("加载项缺少部件：" + "、".join(sorted(missing)))
            vba = z.read(VBA_PART)
        with olefile.OleFileIO(vba, raise_defects=olefile.DEFECT_INCORRECT) as ole:
            if not ole.exists("VBA/dir") or not ole.exists("PROJECT"):
                raise AddinError("加载项的 VBA 工程缺少 dir 或 PROJECT 流")
    except (zipfile.BadZipFile, OSError) as exc:
        raise AddinError(f"加载项文件无效：{exc}") from exc


BUILDERS = {".xlam": addin_bytes, ".xlsm": workbook_bytes}


def build(output: Path | None = None) -> list[Path]:
    """Write the add-in and the macro workbook into ``workbook/`` (or just ``output``, whose
    suffix .xlam / .xlsm says which). Returns the paths written."""
    targets = [output] if output else [OUTPUT_DIR / ADDIN_NAME, OUTPUT_DIR / WORKBOOK_NAME]
    written = []
    for target in targets:
        builder = BUILDERS.get(target.suffix.lower())
        if builder is None:
            raise AddinError(f"输出文件 {target.name} 的扩展名应为 .xlam（加载项）或 .xlsm（宏工作簿）。")
        data = builder()
        try:
            written.append(atomic_save(target, lambda tmp: tmp.write_bytes(data)))
        except OSError as exc:
            raise AddinError(f"无法写入 {target}：{exc.strerror or exc}。请换一个可写的文件夹（-o）。") from exc
    return written
