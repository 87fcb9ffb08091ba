"""The one pipeline from an input to checked, scored projects: read → score → check.

Every command and ribbon handler gets its projects here, so each project is scored exactly once
(domain.md R2–R8) and the checks see those same scores:

- :func:`load` — any input perfxl reads (project JSON, workbook, published text), by path;
- :func:`check` — projects already read (the add-in's snapshot of the workbook on screen);
- :func:`score_book` / :func:`score_file` — a workbook about to be scored in place: the patch
  of what scoring writes and the checked projects come from one read of it.

The findings of a :class:`Checked` are in the one order a user reads them
(:func:`perfxl.findings.sort_findings`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from perfxl.findings import Finding, has_errors, sort_findings
from perfxl.model import ProjectFile

if TYPE_CHECKING:
    from perfxl.rules.scoring import ProjectScore

Source = Literal["json", "workbook", "text", "live"]

_SOURCE_OF_SUFFIX: dict[str, Source] = {
    ".json": "json", ".xlsx": "workbook", ".xlsm": "workbook", ".txt": "text",
}


@dataclass(frozen=True)
class Checked:
    """Projects read from one input, each scored once, and every finding about them."""

    file: ProjectFile
    scores: tuple[ProjectScore, ...]  # one per project, in ``file.projects`` order
    findings: tuple[Finding, ...]  # reader's and checks', errors first (sort_findings)
    source: Source

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

    def with_findings(self, *extra: Finding) -> Checked:
        """The same result with ``extra`` findings about the input (e.g. its file name)."""
        return dataclasses.replace(self, findings=tuple(sort_findings([*self.findings, *extra])))


def check(pf: ProjectFile, read_findings, source: Source,
          scores: list[ProjectScore] | None = None) -> Checked:
    """Score every project of ``pf`` once (unless ``scores`` were computed with the same read)
    and run every check on those scores."""
    from perfxl.rules import scoring
    from perfxl.rules.checks import check_file

    if scores is None:
        scores = [scoring.score_project(project, pf.settings) for project in pf.projects]
    findings = [*read_findings, *check_file(pf, scores)]
    return Checked(pf, tuple(scores), tuple(sort_findings(findings)), source)


def load(path: str | Path) -> Checked:
    """Read the input at ``path`` and check it. An input that cannot be read at all raises
    :class:`perfxl.errors.InputError` (exit status 2)."""
    from perfxl.sources import load as read

    pf, findings = read(path)
    return check(pf, findings, _SOURCE_OF_SUFFIX[Path(path).suffix.lower()])


def score_book(wb, source: Source, gate: list[Finding] = ()):
    """``(checked, patch)`` of an open workbook (openpyxl, or the add-in's live snapshot): what
    scoring writes into it and the checked projects, from one read, each project scored once.
    ``gate``: the safety gate's findings about the file ``wb`` was opened from."""
    from perfxl.forms.workbook import score_patch

    patch, pf, read_findings, scores = score_patch(wb, with_scores=True)
    return check(pf, [*gate, *read_findings], source, scores), patch


def score_file(path: Path):
    """``(checked, workbook, patch)`` of the workbook at ``path`` about to be scored: the safety
    gate, one openpyxl load, :func:`score_book`. Raises
    :class:`perfxl.forms.workbook.WorkbookReadError` (exit status 2) when no form is readable."""
    from perfxl.forms.workbook import open_workbook, require_forms
    from perfxl.safety import check_workbook, guard_xml

    gate = check_workbook(path)  # refuses hostile files before openpyxl opens them
    with guard_xml(path):
        wb = open_workbook(path)
    checked, patch = score_book(wb, "workbook", gate)
    require_forms(wb, checked.file, checked.findings)  # nothing to score: nothing written
    return checked, wb, patch
