"""An email draft with the finalized files attached (issue 6).

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

import mimetypes
from collections.abc import Iterable, Sequence
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path

from perfxl.findings import Finding, Severity
from perfxl.model import ProjectFile, SelfEvaluation

__all__ = ["build_message", "draft", "outlook_draft", "summary_text", "write_eml"]

_MIME = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
    ".json": ("application", "json"),
}
MAX_LISTED_FINDINGS = 30


def _num(value: Decimal | None, places: str = "0.01") -> str:
    return "—" if value is None else format(value.quantize(Decimal(places)), "f")


def summary_text(pf: ProjectFile, findings: Sequence[Finding] = ()) -> str:
    """The Chinese body: one line per project, the totals and the open warnings."""
    from perfxl.report import score_all
    from perfxl.rules.scoring import cut2

    unit = pf.settings.money_unit
    scores = score_all(pf)
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
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    if errors:
        lines.append(f"注意：仍有 {len(errors)} 个错误未解决（强制定稿）：")
        lines += [f"  - {f}" for f in errors[:MAX_LISTED_FINDINGS]]
        lines.append("")
    if warnings:
        lines.append(f"尚待说明的警告 {len(warnings)} 条：")
        lines += [f"  - {f}" for f in warnings[:MAX_LISTED_FINDINGS]]
        if len(warnings) > MAX_LISTED_FINDINGS:
            lines.append(f"  ……另有 {len(warnings) - MAX_LISTED_FINDINGS} 条，见工作簿。")
    else:
        lines.append("没有未处理的警告。")
    lines += ["", "（本邮件草稿由 perfxl 生成，请核对后发送。）"]
    return "\n".join(lines) + "\n"


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
    control or format characters from a project name become spaces (issue 16)."""
    import unicodedata

    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")
                      else ch for ch in text)
    return " ".join(cleaned.split())


def build_message(
    pf: ProjectFile,
    attachments: Iterable[str | Path],
    findings: Sequence[Finding] = (),
    *,
    to: str | Sequence[str] = (),
    sender: str | None = None,
    subject: str | None = None,
) -> EmailMessage:
    """A draft message: Chinese summary body plus every file in ``attachments``."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = header_text(subject or _subject(pf))
    if sender:
        msg["From"] = sender
    recipients = [to] if isinstance(to, str) else list(to)
    if recipients:
        msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["X-Unsent"] = "1"  # open as a draft (Outlook, Thunderbird)
    msg.set_content(summary_text(pf, findings), charset="utf-8")
    for path in map(Path, attachments):
        maintype, subtype = _MIME.get(path.suffix.lower()) or _guess(path)
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg


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
    pf: ProjectFile,
    attachments: Sequence[str | Path],
    eml_path: str | Path,
    findings: Sequence[Finding] = (),
    **kwargs,
) -> Path:
    """Build the message and write it to ``eml_path``; returns the path."""
    return write_eml(build_message(pf, attachments, findings, **kwargs), eml_path)


def outlook_draft(
    pf: ProjectFile,
    attachments: Sequence[str | Path],
    eml_path: str | Path,
    findings: Sequence[Finding] = (),
    *,
    display: bool = True,
    **kwargs,
) -> tuple[str, Path | None]:
    """For the add-in: an Outlook draft where Outlook is present, else the ``.eml``.

    Returns ``("outlook", None)`` when Outlook took the draft (saved in 草稿 and, with
    ``display``, shown), else ``("eml", path)`` after writing the ``.eml`` fallback.
    """
    msg = build_message(pf, attachments, findings, **kwargs)
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
        item.Body = summary_text(pf, findings)
        for path in attachments:
            item.Attachments.Add(str(Path(path).resolve()))
        item.Save()
        if display:
            item.Display(False)
        return "outlook", None
    except Exception:  # Outlook missing or refusing (COM error): the .eml always works
        return "eml", write_eml(msg, eml_path)
