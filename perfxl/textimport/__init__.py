"""Read the tab-separated text of published 绩效自评表 / 绩效目标申报表.

``read_text(path_or_text) -> (ProjectFile, findings)``: several projects per text, both layouts
of domain.md §1, tolerant of the extraction's defects (domain.md §4). Every guess is an INFO
finding (I9xx) naming the line; unreadable text is a WARNING/ERROR finding, never an exception.
Derived numbers printed on the forms (执行率, 得分, 总分, 评分等级) are not in the model;
:func:`read_text_full` returns them too, for cross-checking.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.findings import Finding
from perfxl.model import ProjectFile, SelfEvaluation

from .cells import split_lines
from .forms import FormReader, Printed, find_forms
from .rules import TEXT_RULES, Sink

__all__ = ["read_text", "read_text_full", "TextImport", "Printed", "TEXT_RULES"]


@dataclass
class TextImport:
    project_file: ProjectFile
    findings: list[Finding]
    printed: list[Printed] = field(default_factory=list)  # one per project, same order


def read_text(path_or_text: str | os.PathLike) -> tuple[ProjectFile, list[Finding]]:
    """Projects of a text file (or of the text itself) and the importer's findings."""
    result = read_text_full(path_or_text)
    return result.project_file, result.findings


def read_text_full(path_or_text: str | os.PathLike | bytes) -> TextImport:
    sheet, text, problem = _load(path_or_text)
    sink = Sink(sheet)
    if problem:
        sink.add(*problem)
        if problem[0] == "I913":
            return TextImport(ProjectFile(), sink.findings)
    try:
        return _parse(text, sink)
    except Exception as exc:  # never raise on bad text: report it
        sink.add("I913", None, f"读取文本时出错（{type(exc).__name__}: {exc}），未能导入")
        return TextImport(ProjectFile(), sink.findings)


def _load(src) -> tuple[str, str, tuple | None]:
    if isinstance(src, bytes):
        text, problem = _decode(src)
        return "文本", text, problem
    if isinstance(src, os.PathLike) or (
        isinstance(src, str) and "\n" not in src and len(src) < 1024 and _is_file(src)
    ):
        path = Path(src)
        try:
            data = path.read_bytes()
        except OSError as exc:
            return path.name, "", ("I913", None, f"无法读取文件“{path}”：{exc}")
        text, problem = _decode(data)
        return path.name, text, problem
    text = str(src)
    if "\n" not in text and "\t" not in text and re.search(r"\.(txt|tsv|text)$", text, re.I):
        return Path(text).name, "", ("I913", None, f"找不到文件“{text}”")
    return "文本", text, None


def _is_file(s: str) -> bool:
    try:
        return Path(s).is_file()
    except (OSError, ValueError):
        return False


def _decode(data: bytes) -> tuple[str, tuple | None]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), None
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), (
        "I912", None, "文本既不是UTF-8也不是GB18030编码，无法识别的字符已替换"
    )


def _parse(text: str, sink: Sink) -> TextImport:
    forms = find_forms(split_lines(text))
    if not forms:
        sink.add("I913", None, "未找到“财政项目支出绩效自评表”或“财政项目支出绩效目标申报表”的标题")
        return TextImport(ProjectFile(), sink.findings)
    projects, printed = [], []
    prev_year = None
    units = set()
    for kind, block in forms:
        reader = FormReader(kind, block, sink)
        reader.read()
        project = reader.project(prev_year)
        if project is None:
            continue
        prev_year = project.year
        projects.append(project)
        printed.append(reader.printed)
        if isinstance(project, SelfEvaluation) and reader.printed.money_unit:
            units.add(reader.printed.money_unit)
    pf = ProjectFile(projects=projects)
    if len(units) == 1:
        pf.settings.money_unit = units.pop()
    elif len(units) > 1:
        sink.add("I912", None, "各自评表的项目资金单位不一致（万元/元），按默认万元设置")
    _compare_printed(pf, printed, sink)
    return TextImport(pf, sink.findings, printed)


def _compare_printed(pf: ProjectFile, printed: list[Printed], sink: Sink) -> None:
    """The printed 执行率, 执行率得分 and 总分 against the imported inputs (R6, R6r): the rounding
    they decide becomes the file's setting (I914); a figure no rounding gives is S210."""
    from perfxl.model import Rounding
    from perfxl.rules.printed import compare_printed, decided_rounding

    def figures(pr: Printed) -> dict:
        return {"execution_rate": pr.fund_rates.get("total"), "execution_score": pr.fund_score,
                "total": pr.total_score}

    pairs = [(p, pr) for p, pr in zip(pf.projects, printed) if isinstance(p, SelfEvaluation)]
    decided = {(p.name, pr.line): decided_rounding(compare_printed(p, figures(pr), pf.settings))
               for p, pr in pairs}
    modes = {m for m in decided.values() if m is not None}
    if len(modes) == 1:
        mode = modes.pop()
        first = next(line for (_n, line), m in decided.items() if m is mode)
        if mode is not pf.settings.rounding:
            pf.settings.rounding = mode
        name = "四舍五入（half_up）" if mode is Rounding.HALF_UP else "截断（truncate）"
        sink.add("I914", first, f"按表中打印的执行率与得分，舍入方式推断为{name}，已设为本文件的设置（R6r）")
    elif len(modes) > 1:
        sink.add("I914", None, "各表打印的执行率与得分所用的舍入方式不同，保留默认的截断（R6r）；请核对")
    for p, pr in pairs:
        for c in compare_printed(p, figures(pr), pf.settings):
            if not c.agrees:
                sink.add("S210", pr.line, f"“{p.name}”{c.message(pf.settings.rounding)}")
