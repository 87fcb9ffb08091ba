"""Load projects from any input perfxl accepts, by file extension.

``.json`` — the project JSON (``perfxl schema``); ``.xlsx``/``.xlsm`` — a perfxl workbook;
``.txt`` — text extracted from published forms. Whatever can't be read at all raises
:class:`InputError` (exit status 2); problems inside a readable input are findings.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from decimal import Decimal

from pydantic import ValidationError

from perfxl.errors import InputError
from perfxl.findings import Finding
from perfxl.model import ProjectFile


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def shown_name(path: str | Path) -> str:
    """``path`` as text a screen, a workbook cell or a hyperlink can hold: a name that is not
    UTF-8 (a GBK name from an old Windows zip) is decoded as GB18030, or shown with ``?``."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(text)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace").replace("\ufffd", "?")


def require_regular_file(path: str | Path) -> None:
    """Raise InputError unless ``path`` is a regular file (a FIFO would hang the reader; a
    device or a folder is never a workbook). A symlink to a regular file is fine."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"找不到文件：{shown_name(path)}") from None
    except OSError as exc:
        from perfxl.outputs import os_error_text

        raise InputError(f"W733 无法读取 {shown_name(path)}：{os_error_text(exc)}") from exc
    if stat.S_ISDIR(mode):
        raise InputError(f"W733 {shown_name(path)} 是文件夹，不是文件")
    if not stat.S_ISREG(mode):
        raise InputError(f"W733 {shown_name(path)} 不是普通文件（可能是管道、设备或套接字），未读取")


def load(path: str | Path) -> tuple[ProjectFile, list[Finding]]:
    path = Path(path)
    require_regular_file(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_json_checked(path)
    if suffix in WORKBOOK_SUFFIXES:
        from perfxl.safety import gate_workbook, guard_xml

        gate, package = gate_workbook(path)  # refuses hostile files before anything opens them
        from perfxl.forms.workbook import read_projects

        with guard_xml(path):
            pf, findings = read_projects(path, package=package)
        return pf, [*gate, *findings]
    if suffix == ".txt":
        from perfxl.textimport import read_text

        return read_text(path)
    raise InputError(f"不支持的文件类型“{path.suffix}”：{path}（应为 .json、.xlsx 或 .txt）")


# JSON escapes (and raw characters) of what no XML part may hold: C0 controls but tab, LF, CR,
# and U+FFFE/U+FFFF. A workbook carrying them opens neither in Excel nor in openpyxl.
_JSON_NOT_XML = re.compile(r"\\u(?:00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])|[fF]{3}[eEfF])|[\ufffe\uffff]")


def load_json_checked(path: Path) -> tuple[ProjectFile, list[Finding]]:
    """A project JSON file, and a W736 finding when characters no workbook can hold (C0 controls
    but tab/LF/CR, U+FFFE, U+FFFF) were replaced by spaces."""
    pf, n = _read_json(path)
    if not n:
        return pf, []
    from perfxl.findings import finding

    return pf, [finding(
        "W736", path.name, "",
        f"{path.name} 的文字中有 {n} 个控制字符（或 U+FFFE/U+FFFF），工作簿无法保存它们，已替换为空格",
    )]


def _read_json(path: Path) -> tuple[ProjectFile, int]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"无法读取 {path}：{exc}") from exc
    text, n = _JSON_NOT_XML.subn(lambda m: "\\u0020" if m.group().startswith("\\") else " ", text)
    try:
        return ProjectFile.model_validate_json(text), n
    except ValidationError as exc:
        raise InputError(f"{path} 不是有效的项目 JSON：\n{describe_validation(exc)}") from exc


# pydantic's error types -> Chinese (what a user of the JSON or a workbook reads)
_MESSAGES = {
    "missing": "缺少此项",
    "extra_forbidden": "不是项目 JSON 的字段（perfxl schema 列出全部字段）",
    "string_type": "应为文字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表",
    "model_type": "应为对象（{…}）",
    "dict_type": "应为对象（{…}）",
    "date_parsing": "应为日期，如 2026-01-01",
    "date_from_datetime_parsing": "应为日期，如 2026-01-01",
    "date_type": "应为日期，如 2026-01-01",
    "union_tag_invalid": "form 应为 declaration（申报表）或 self_evaluation（自评表）",
    "union_tag_not_found": "缺少 form（declaration 或 self_evaluation）",
    "json_invalid": "不是有效的 JSON",
    "finite_number": "应为有限的数字",
}


def _message(err: dict) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than"):
        return f"应{'不小于' if kind.endswith('equal') else '大于'} {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"应{'不大于' if kind.endswith('equal') else '小于'} {ctx.get('le', ctx.get('lt'))}"
    if kind in ("literal_error", "enum"):
        return f"应为 {ctx.get('expected', '')}".strip()
    if kind == "value_error":  # our own validators raise Chinese messages
        return str(ctx.get("error", err["msg"]))
    return _MESSAGES.get(kind, err["msg"])


def describe_validation(exc: ValidationError, limit: int = 20) -> str:
    """A pydantic validation error in Chinese: one line per problem, ``位置：说明（输入为 …）``."""
    lines = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "（根）"
        given = err.get("input")
        if isinstance(given, Decimal):
            given = format(given, "f")
        shown = "" if err["type"] == "missing" or isinstance(given, (dict, list)) else f"（输入为 {given!r}）"
        lines.append(f"  {where}：{_message(err)}{shown}")
    more = exc.error_count() - limit
    if more > 0:
        lines.append(f"  ……另有 {more} 处")
    return "\n".join(lines)


def dump_json(pf: ProjectFile) -> str:
    return pf.model_dump_json(indent=2) + "\n"
