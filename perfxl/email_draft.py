"""An email draft with the finalized files attached.

:func:`build_message` builds a standard MIME message with Python's :mod:`email` package: a
Chinese plain-text body that summarises the projects (form, year, total, grade, funds), the
totals and the open warnings, and the finalized files as attachments.  :func:`write_eml` saves it
as an ``.eml`` that any mail client opens; the header ``X-Unsent: 1`` makes Outlook and
Thunderbird open it as an editable draft rather than a received mail.

:func:`outlook_draft` is for the add-in on Windows: it creates an Outlook draft through
``win32com`` when that is importable and Outlook answers, and otherwise falls back to the
``.eml``.
"""

from __future__ import annotations

import datetime
import mimetypes
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.header import Header
from email.utils import format_datetime
from urllib.parse import quote
from pathlib import Path

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.exceptions import CellCoordinatesException

from perfxl.findings import Finding, Severity
from perfxl.model import ProjectFile, SelfEvaluation
from perfxl.pipeline import Checked

__all__ = ["build_message", "draft", "outlook_draft", "summary_text", "write_eml"]

_MIME = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
    ".json": ("application", "json"),
}
MAX_LISTED_FINDINGS = 30


def _num(value: Decimal | None, places: str = "0.01") -> str:
    return "—" if value is None else format(value.quantize(Decimal(places)), "f")


def summary_text(checked: Checked) -> str:
    """The Chinese body: one line per project, the totals and the open warnings."""
    from perfxl.rules.scoring import cut2

    pf, scores = checked.file, checked.scores
    unit = pf.settings.money_unit
    lines = ["您好：", "", "附件为定稿的项目支出绩效表格（Excel 工作簿及 PDF），概要如下。", ""]
    budget = executed = Decimal(0)
    has_funds = False
    for i, (project, scored) in enumerate(zip(pf.projects, scores), 1):
        head = f"{i}. {project.name}（{project.year}年度{project.form.title}"
        if project.unit:
            head += f"，{project.unit}"
        head += "）"
        lines.append(head)
        if isinstance(project, SelfEvaluation):
            total = project.funds.total
            lines.append(
                f"   总分 {_num(scored.total)}，评分等级 {scored.grade or '—'}；"
                f"全年预算数 {_num(total.budget)} {unit}，全年执行数 {_num(total.executed)} {unit}，"
                f"执行率 {_num(scored.execution_rate)}%"
            )
            if total.budget is not None:
                budget += total.budget
                has_funds = True
            if total.executed is not None:
                executed += total.executed
        else:
            amount = project.funds.annual_total
            lines.append(
                f"   年度资金申请总额 {_num(amount)} 元，绩效指标 {len(project.indicators)} 项"
            )
    lines.append("")
    n = len(pf.projects)
    line = f"合计：{n} 个项目"
    if has_funds:
        rate = (  # R6 / R6r: executed over budget, cut like every execution rate
            f"，总体执行率 {_num(cut2(executed / budget * 100, pf.settings.rounding))}%" if budget else ""
        )
        line += f"，全年预算数 {_num(budget)} {unit}，全年执行数 {_num(executed)} {unit}{rate}"
    grades = [s.grade for s in scores if isinstance(s.project, SelfEvaluation)]
    if grades:
        counts = "、".join(f"{g} {grades.count(g)} 个" for g in ("优", "良", "中", "差") if g in grades)
        line += f"；评分等级：{counts}"
    lines.append(line + "。")
    lines.append("")
    lines += findings_text(pf, checked.findings)
    lines += ["", "（本邮件草稿由 perfxl 生成，请核对后发送。）"]
    return "\n".join(lines) + "\n"


# Warnings that ask nothing of the sender: perfxl already handles them in the finalized file.
NO_ACTION = {
    "S208": "得分未填写：合计已使用建议得分",
    "T105": "“%”与“百分比”混用：按同一单位计算",
}

def _row_first(ref: str) -> tuple[int, int, str]:
    """A cell reference's place in reading order: "G9" before "G20", then by column; a place that
    is not a cell (a JSON field such as ``funds.total.executed``) after every cell, by name."""
    try:
        letters, row = coordinate_from_string(ref.split(":")[0].replace("$", ""))  # a range by its first cell
    except CellCoordinatesException:
        return (1 << 30, 0, ref)
    return row, column_index_from_string(letters), ""


def _by_project(pf: ProjectFile, findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped under the name of the project whose sheet they are on (in project
    order; findings on no project's sheet under “其他”)."""
    from perfxl.model import sheet_of

    names = {}
    for project in pf.projects:
        names.setdefault(sheet_of(project), project.name)
        names.setdefault(project.name, project.name)
    groups: dict[str, list[Finding]] = {project.name: [] for project in pf.projects}
    for f in findings:
        groups.setdefault(names.get(f.sheet, "其他"), []).append(f)
    return {name: found for name, found in groups.items() if found}


def findings_text(pf: ProjectFile, findings: Sequence[Finding]) -> list[str]:
    """The body's findings: every error first, then only the warnings that ask for action,
    grouped by project with a count per project and per rule (cells listed); the warnings
    perfxl already handles (:data:`NO_ACTION`) as one line each."""
    from perfxl.findings import RULES as rules

    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    action = [f for f in warnings if f.code not in NO_ACTION]
    lines: list[str] = []
    if errors:
        lines.append(f"注意：仍有 {len(errors)} 个错误未解决（强制定稿）：")
        lines += [f"  - {f}" for f in errors[:MAX_LISTED_FINDINGS]]
        if len(errors) > MAX_LISTED_FINDINGS:
            lines.append(f"  ……另有 {len(errors) - MAX_LISTED_FINDINGS} 个，见工作簿。")
        lines.append("")
    if action:
        lines.append(f"需要处理的警告 {len(action)} 条（按项目）：")
        for project, found in _by_project(pf, action).items():
            lines.append(f"  {project}：{len(found)} 条")
            codes: dict[str, list[Finding]] = {}
            for f in found:
                codes.setdefault(f.code, []).append(f)
            for code, same in codes.items():
                title = rules[code].title if code in rules else same[0].message
                cells = "、".join(sorted((f.cell for f in same if f.cell), key=_row_first)[:8])
                more = "等" if len(same) > 8 else ""
                lines.append(f"    · {code} {title} {len(same)} 条" + (f"（{cells}{more}）" if cells else ""))
    else:
        lines.append("没有需要处理的警告。")
    handled = {code: sum(f.code == code for f in warnings) for code in NO_ACTION}
    for code, n in handled.items():
        if n:
            lines.append(f"另有 {n} 条 {code} 警告无需处理（{NO_ACTION[code]}）。")
    return lines


def _subject(pf: ProjectFile) -> str:
    if not pf.projects:
        return "项目支出绩效表格"
    first = pf.projects[0]
    forms = {p.form.title for p in pf.projects}
    form = forms.pop() if len(forms) == 1 else "绩效表格"
    who = first.name if len(pf.projects) == 1 else (first.unit or first.department or first.name)
    return f"{first.year}年度{form}（{who}）"


def header_text(text: str) -> str:
    """``text`` safe as one header value: line breaks (also U+2028/U+2029, NEL) and other
    control or format characters from a project name become spaces."""
    import unicodedata

    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")
                      else ch for ch in text)
    return " ".join(cleaned.split())


def build_message(
    checked: Checked,
    attachments: Iterable[str | Path],
    *,
    to: str | Sequence[str] = (),
    sender: str | None = None,
    subject: str | None = None,
) -> EmailMessage:
    """A draft message: Chinese summary body plus every file in ``attachments``."""
    msg = EmailMessage(policy=_POLICY)
    msg["Subject"] = header_text(subject or _subject(checked.file))
    if sender:
        msg["From"] = sender
    recipients = [to] if isinstance(to, str) else list(to)
    if recipients:
        msg["To"] = ", ".join(recipients)
    msg["Date"] = local_date()
    msg["X-Unsent"] = "1"  # open as a draft (Outlook, Thunderbird)
    msg.set_content(summary_text(checked), charset="utf-8")
    for path in map(Path, attachments):
        maintype, subtype = _MIME.get(path.suffix.lower()) or _guess(path)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype)
        part = msg.get_payload()[-1]
        for header, value in attachment_headers(path.name, maintype, subtype).items():
            del part[header]
            part.set_raw(header, value)  # already encoded and folded: stored as is
    return msg


# Raw header values (set_raw) are written as they are, never re-folded: the policy would
# otherwise re-encode a filename parameter into the RFC 2231 form alone.
_POLICY = SMTP.clone(refold_source="none")
_LINE = 78  # header lines no longer than RFC 5322 recommends


def local_date(now: datetime.datetime | None = None) -> str:
    """The Date header in the local time zone: ``TZ`` as set now (re-read with
    :func:`time.tzset`, so a ``TZ`` set after start-up counts), else the system's."""
    if hasattr(time, "tzset"):
        time.tzset()
    now = now or datetime.datetime.now()
    return format_datetime(now.astimezone())


def _rfc2047(name: str) -> list[str]:
    """``name`` as RFC 2047 encoded words (base64, UTF-8), each a line of its own."""
    encoded = Header(name, "utf-8", maxlinelen=_LINE - len(' name="') - 1).encode(linesep="\n")
    return [word.strip() for word in encoded.split("\n")]


def _rfc2231(param: str, name: str) -> list[str]:
    """``param*0*=utf-8''…; param*1*=…`` (RFC 2231 continuations; a character is never split
    between two lines)."""
    chunks = [""]
    room = _LINE - len(f" {param}*99*=utf-8'';")
    for ch in name:
        q = quote(ch, safe="")
        if len(chunks[-1]) + len(q) > room:
            chunks.append("")
        chunks[-1] += q
    if len(chunks) == 1:
        return [f"{param}*=utf-8''{chunks[0]}"]
    return [f"{param}*{n}*=" + ("utf-8''" if n == 0 else "") + c for n, c in enumerate(chunks)]


def attachment_headers(name: str, maintype: str, subtype: str) -> dict[str, str]:
    """Content-Type and Content-Disposition of an attachment named ``name``, the name in both
    forms, as Thunderbird writes them: RFC 2047 encoded words in Content-Type ``name=`` (what
    older clients such as Outlook 2007 read) and the RFC 2231 ``filename*`` in
    Content-Disposition (what current clients read). Each header names the file once: some
    parsers join a ``filename`` and a ``filename*`` of one header into a doubled name."""
    words = "\n ".join(_rfc2047(name))
    if name.isascii() and '"' not in name and "\\" not in name:
        words = name
    star = ";\n ".join(_rfc2231("filename", name))
    return {
        "Content-Type": f'{maintype}/{subtype};\n name="{words}"',
        "Content-Disposition": f"attachment;\n {star}",
    }


def _guess(path: Path) -> tuple[str, str]:
    kind, _ = mimetypes.guess_type(path.name)
    if not kind:
        return "application", "octet-stream"
    maintype, subtype = kind.split("/", 1)
    return maintype, subtype


def write_eml(msg: EmailMessage, path: str | Path) -> Path:
    """Save ``msg`` as an ``.eml`` file (atomically)."""
    from perfxl.atomic import atomic_save

    data = msg.as_bytes()
    return atomic_save(Path(path), lambda tmp: tmp.write_bytes(data))


def draft(
    checked: Checked,
    attachments: Sequence[str | Path],
    eml_path: str | Path,
    **kwargs,
) -> Path:
    """Build the message and write it to ``eml_path``; returns the path."""
    return write_eml(build_message(checked, attachments, **kwargs), eml_path)


def outlook_draft(
    checked: Checked,
    attachments: Sequence[str | Path],
    eml_path: str | Path,
    *,
    display: bool = True,
    **kwargs,
) -> tuple[str, Path | None]:
    """For the add-in: an Outlook draft where Outlook is present, else the ``.eml``.

    Returns ``("outlook", None)`` when Outlook took the draft (saved in 草稿 and, with
    ``display``, shown), else ``("eml", path)`` after writing the ``.eml`` fallback.
    """
    msg = build_message(checked, attachments, **kwargs)
    try:
        import win32com.client  # type: ignore[import-not-found]  # Windows (pywin32) only
    except ImportError:
        return "eml", write_eml(msg, eml_path)
    try:
        outlook = win32com.client.Dispatch("Outlook.Application")
        item = outlook.CreateItem(0)  # olMailItem
        item.Subject = str(msg["Subject"])
        if msg["To"]:
            item.To = "; ".join(a.strip() for a in str(msg["To"]).split(","))
        item.Body = summary_text(checked)
        for path in attachments:
            item.Attachments.Add(str(Path(path).resolve()))
        item.Save()
        if display:
            item.Display(False)
        return "outlook", None
    except Exception:  # Outlook missing or refusing (COM error): the .eml always works
        return "eml", write_eml(msg, eml_path)
