"""``perfxl upgrade OLD.xlsx -o NEW.xlsx``: a v1 workbook (年度指标值 as one text cell, formulas that
parse it) rewritten in the v2 layout.

The forms are read as any workbook is (every typed input, the evaluator's typed scores, the
settings sheet), and written again: each target split into comparator, number and unit and each
actual into a number or an R5 level by the one parser (:mod:`perfxl.rules.targets`). Scores do
not change (tests/forms/test_template_v2.py, tests/project/test_corpus.py). Sheets of the user's
own are not carried over.
"""

from __future__ import annotations

from pathlib import Path

from perfxl.findings import Finding
from perfxl.model import ProjectFile


class UpgradeRefused(ValueError):
    """A Chinese message: why the upgrade was not written."""


def upgrade_workbook(src: str | Path, out: str | Path) -> tuple[ProjectFile, list[Finding]]:
    """Write the forms of the workbook ``src`` into ``out`` in the v2 layout. Returns the
    ProjectFile written and the findings of reading ``src`` (W750 dropped: that is this)."""
    from perfxl.forms.workbook import read_projects, write_projects

    src, out = Path(src), Path(out)
    if out.resolve() == src.resolve():
        raise UpgradeRefused(f"输出文件不能与原文件相同：{out}（原文件保留，请用 -o 指定新文件）")
    pf, findings = read_projects(src)
    write_projects(pf, out)
    return pf, [f for f in findings if f.code != "W750"]
