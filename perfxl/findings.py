"""Findings: what a check reports, and the catalogue of rules that a finding cites.

Modelled on ruff and beancount: each finding has a stable rule code, a severity, a location
(sheet + cell) and a Chinese message; ``perfxl explain CODE`` prints the rule's meaning and
source from :data:`RULES`, the one catalogue assembled in :mod:`perfxl.rules.catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfxl.rules.catalog import RULES
from perfxl.severity import Rule, Severity

__all__ = ["RULES", "Finding", "Rule", "Severity", "finding", "has_errors", "sort_findings"]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    sheet: str
    cell: str
    message: str  # Chinese, names what is wrong and what is expected

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.code} [{self.severity.label}] {self.message}"


def finding(code: str, sheet: str, cell: str, message: str) -> Finding:
    """A finding of ``code`` with the severity its catalogue entry gives, so that what perfxl
    reports never contradicts what ``perfxl explain CODE`` says."""
    rule = RULES.get(code)
    if rule is None:
        raise KeyError(f"rule code {code} is not in the catalogue (perfxl.rules.catalog)")
    return Finding(code, rule.severity, sheet, cell, message)


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def sort_findings(findings) -> list[Finding]:
    """Errors, then warnings, then info; each in the order found (a stable sort). The one order
    of every list a user reads: the CLI, the 校验结果 sheet, the email draft."""
    return sorted(findings, key=lambda f: _RANK[f.severity])


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
