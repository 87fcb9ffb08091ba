"""Findings: what a check reports, and the catalogue of rules that a finding cites.

Modelled on ruff and beancount: each finding has a stable rule code, a severity, a location
(sheet + cell) and a Chinese message; ``perfxl explain CODE`` prints the rule's meaning and
source from :data:`RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str  # one line, Chinese
    rationale: str  # what it means and why, Chinese
    source: str  # domain.md rule and the official text it comes from


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


# The catalogue: code -> Rule. Filled by the modules that define rules (perfxl.rules.catalog).
RULES: dict[str, Rule] = {}


def register(*rules: Rule) -> None:
    for rule in rules:
        if rule.code in RULES:
            raise ValueError(f"duplicate rule code {rule.code}")
        RULES[rule.code] = rule


# Modules that define rules; importing one registers its rules.
RULE_MODULES = ("perfxl.rules.catalog", "perfxl.textimport", "perfxl.forms.catalog", "perfxl.safety",
                "perfxl.outputs")


def load_all_rules() -> dict[str, Rule]:
    import importlib

    for name in RULE_MODULES:
        importlib.import_module(name)
    return RULES


def finding(code: str, sheet: str, cell: str, message: str) -> Finding:
    """A finding of ``code`` with the severity its catalogue entry gives, so that what perfxl
    reports never contradicts what ``perfxl explain CODE`` says."""
    if code not in RULES:
        load_all_rules()
    return Finding(code, RULES[code].severity, sheet, cell, message)


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def sort_findings(findings) -> list[Finding]:
    """Errors, then warnings, then info; each in the order found (a stable sort). The one order
    of every list a user reads: the CLI, the 校验结果 sheet, the email draft."""
    return sorted(findings, key=lambda f: _RANK[f.severity])


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
