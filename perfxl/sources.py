"""Load projects from any input perfxl accepts, by file extension.

``.json`` — the project JSON (``perfxl schema``); ``.xlsx``/``.xlsm`` — a perfxl workbook;
``.txt`` — text extracted from published forms. Whatever can't be read at all raises
:class:`InputError` (exit status 2); problems inside a readable input are findings.
"""

from __future__ import annotations

from pathlib import Path

from decimal import Decimal

from pydantic import ValidationError

from perfxl.findings import Finding
from perfxl.model import ProjectFile


class InputError(Exception):
    """The input could not be read at all; the message is Chinese and names the file."""


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load(path: str | Path) -> tuple[ProjectFile, list[Finding]]:
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_json(path), []
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


def load_json(path: Path) -> ProjectFile:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"无法读取 {path}：{exc}") from exc
    try:
        return ProjectFile.model_validate_json(text)
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
