"""What ``perfxl score`` and ``perfxl check`` print: the JSON contract and the Chinese table.

JSON shape (a contract other tools rely on — extend, never rename)::

    {"projects": [{"name", "form", "year", "execution_rate", "execution_score", "total",
                   "grade", "indicators": [{"name", "weight", "score", "suggested"}]}],
     "findings": [{"code", "severity", "sheet", "cell", "message"}]}

Numbers are decimal strings; a number that does not apply (a declaration has no total) is null.

``perfxl check --json`` prints ``{"findings": [...]}`` in the same finding shape. Given several
files (or a folder), it prints one such document with every file's findings in input order, and
each finding then also carries ``"file"`` (the input path as given); with one file there is no
``file`` key.
"""

from __future__ import annotations

from decimal import Decimal

from perfxl.findings import Finding, Severity, sort_findings
from perfxl.rules.scoring import ProjectScore


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def project_json(scored: ProjectScore) -> dict:
    project = scored.project
    return {
        "name": project.name,
        "form": project.form.value,
        "year": project.year,
        "execution_rate": _num(scored.execution_rate),
        "execution_score": _num(scored.execution_score),
        "total": _num(scored.total),
        "grade": scored.grade,
        "indicators": [
            {
                "name": ind.indicator.name,
                "weight": _num(ind.weight),
                "score": _num(ind.effective),
                "suggested": _num(ind.suggested),
            }
            for ind in scored.indicators
        ],
    }


def score_json(scores: list[ProjectScore], findings: list[Finding]) -> dict:
    return {
        "projects": [project_json(s) for s in scores],
        "findings": [f.as_json() for f in sort_findings(findings)],
    }


def findings_json(findings: list[Finding], file: str | None = None) -> dict:
    """``{"findings": [...]}``; with ``file`` (a batch of several inputs) each finding also
    names its file."""
    findings = sort_findings(findings)
    if file is None:
        return {"findings": [f.as_json() for f in findings]}
    return {"findings": [{**f.as_json(), "file": file} for f in findings]}


def score_table(scores: list[ProjectScore]) -> str:
    """A short Chinese table: one line per project."""
    lines = [f"{'表单':<6}{'年度':<6}{'执行率(%)':>10}{'执行得分':>9}{'总分':>8}  等级  项目名称"]
    for s in scores:
        p = s.project
        lines.append(
            f"{p.form.title[:4]:<6}{p.year:<8}{_cell(s.execution_rate):>10}"
            f"{_cell(s.execution_score):>10}{_cell(s.total):>9}  {s.grade or '-':<4}  {p.name}"
        )
    return "\n".join(lines)


def _cell(value: Decimal | None) -> str:
    return "-" if value is None else format(value, "f")


def findings_text(findings: list[Finding]) -> str:
    if not findings:
        return "未发现问题。"
    counts = {sev: sum(f.severity is sev for f in findings) for sev in Severity}
    summary = "，".join(f"{sev.label} {n} 项" for sev, n in counts.items() if n)
    return "\n".join([*(str(f) for f in sort_findings(findings)), f"共 {len(findings)} 项：{summary}。"])
