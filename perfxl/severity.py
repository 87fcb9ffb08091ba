"""What a catalogue entry is: a rule's :class:`Severity` and the :class:`Rule` itself.

The entries live in the one catalogue, :mod:`perfxl.rules.catalog`; a finding
(:mod:`perfxl.findings`) takes its severity from there.
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
