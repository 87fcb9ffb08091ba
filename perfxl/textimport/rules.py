"""I9xx: what the text importer had to guess, or could not read.

Every guess is an INFO finding that names the line of the text (``第N行``), so a person can look
at the published form and confirm it. Text that cannot be read is a WARNING (that piece is left
out) or an ERROR (nothing usable was found).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perfxl.findings import Finding, finding
from perfxl.rules.catalog_text import TEXT_RULES

__all__ = ["TEXT_RULES", "Sink"]

@dataclass
class Sink:
    """Collects the importer's findings for one text (sheet = file name, cell = 第N行)."""

    sheet: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, code: str, line: int | None, message: str) -> None:
        cell = f"第{line}行" if line else ""
        if line and not message.startswith(cell):
            message = f"{cell}：{message}"
        self.findings.append(finding(code, self.sheet, cell, message))
