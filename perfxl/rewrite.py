"""What an openpyxl rewrite of a workbook would drop (the H960 family).

perfxl rewrites a workbook in place with openpyxl (``perfxl score`` without ``-o``). openpyxl
carries over what it models — cells, styles, merged cells, its data validations and conditional
formats, legacy comments, defined names, tables — and silently drops the rest. In-place work
keeps every part it does not model byte for byte, or refuses *before touching anything*: this
module names what would be lost, :func:`perfxl.safety.check_rewrite` refuses (H960) when the
output is the input, and for a separate output the command says what the new file lacks.

Looked for: parts openpyxl never writes (charts, images, shapes, slicers, timelines, controls,
embedded objects, customXml, pivot tables and caches, threaded comments, VBA, the data model,
query tables) and the worksheet extensions it drops (``<extLst>``: data validations that refer
to another sheet (x14), sparklines, x14 conditional formats such as data bars and icon sets,
slicer lists, protected ranges, …).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.parsers import expat

from perfxl import xmlparse

# Zip parts openpyxl does not carry over when it rewrites a workbook (comments' VML is kept).
LOST_PARTS = (
    ("xl/charts/", "图表"),
    ("xl/media/", "图片"),
    ("xl/drawings/drawing", "图形或形状"),
    ("xl/slicers/", "切片器"),
    ("xl/slicerCaches/", "切片器"),
    ("xl/timelines/", "日程表"),
    ("xl/timelineCaches/", "日程表"),
    ("xl/ctrlProps/", "表单控件"),
    ("xl/activeX/", "ActiveX 控件"),
    ("xl/embeddings/", "嵌入对象"),
    ("customXml/", "自定义 XML 部件（customXml）"),
    ("xl/pivotTables/", "数据透视表"),
    ("xl/pivotCache/", "数据透视表缓存"),
    ("xl/threadedComments/", "批注（新版线程式批注）"),
    ("xl/persons/", "批注（新版线程式批注）"),
    ("xl/vbaProject.bin", "VBA 宏"),
    ("xl/model/", "数据模型"),
    ("xl/queryTables/", "查询表"),
    ("xl/connections.xml", "外部数据连接"),
    ("xl/webextensions/", "Office 加载项内容"),
)

# Worksheet extensions (<extLst><ext uri=…>) openpyxl drops, by URI (MS-XLSX 2.2.4.x).
LOST_EXTENSIONS = {
    "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}": "引用其他工作表的下拉列表（数据验证 x14）",
    "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}": "迷你图",
    "{78C0D931-6437-407d-A8EE-F0AAD7539E65}": "扩展条件格式（数据条、图标集等 x14）",
    "{A8765BA9-456A-4dab-B4F3-ACF838C121DE}": "切片器",
    "{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}": "切片器",
    "{FC87AEE6-9EDD-4A0A-B7FB-166176984837}": "受保护区域（x14）",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": "工作表扩展设置",
}
_OTHER_EXTENSION = "工作表扩展内容（extLst）"
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
_MAX_SHEET_BYTES = 64 * 2**20


def openpyxl_losses(path: str | Path) -> list[str]:
    """What an openpyxl rewrite of the workbook at ``path`` would drop (Chinese names, each once)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            found = [label for prefix, label in LOST_PARTS
                     if any(n.lower().startswith(prefix.lower()) for n in names)]
            for info in infos:
                if _SHEET_PART.fullmatch(info.filename) and info.file_size <= _MAX_SHEET_BYTES:
                    found += sheet_extension_losses(zf.read(info))
    except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError):
        return []
    return list(dict.fromkeys(found))


_EXT_LIST = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}extLst"
_EXT = "http://schemas.openxmlformats.org/spreadsheetml/2006/main}ext"


def sheet_extension_losses(xml: bytes) -> list[str]:
    """The extensions of one worksheet part that openpyxl would drop: the ``uri`` of each
    ``<ext>`` of the worksheet's own ``<extLst>`` (read with expat, any namespace prefix)."""
    if b"extLst" not in xml:  # no extension list at all: no parse
        return []
    uris: list[str] = []
    depth = 0
    in_list = seen = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, in_list, seen
        depth += 1
        if depth == 2 and name == _EXT_LIST:
            in_list = seen = True
        elif depth == 3 and in_list and name == _EXT:
            uris.append(attrs.get("uri", ""))

    def end(_name: str) -> None:
        nonlocal depth, in_list
        if depth == 2:
            in_list = False
        depth -= 1

    parser = xmlparse.parser()  # a DTD or entity raises a ValueError: no losses read
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        return []  # not well-formed: openpyxl cannot read the sheet either
    if not seen:
        return []
    return [LOST_EXTENSIONS.get(u, _OTHER_EXTENSION) for u in uris] or [_OTHER_EXTENSION]
