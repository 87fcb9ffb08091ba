"""One end-to-end test per ribbon button, on the macro workbook's own forms
(workbook/绩效工作簿.xlsm with a project typed into each form): the handler runs through
xlwings' remote engine on ``xw.Book.caller()``, its action list is applied to the file, and the
result equals what the command line makes of the same file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from perfxl import addin
from perfxl.findings import Severity
from perfxl.model import locate
from tests.app.test_addin import _clear_computed_cells, _cli_check_json, _fill_rgb
from tests.app.test_addin_support import apply_actions, cell_snapshot, remote, remote_book  # noqa: F401
from tests.paths import ROOT

MACRO_WORKBOOK = ROOT / "workbook" / "绩效工作簿.xlsm"


@pytest.fixture
def filled(tmp_path) -> Path:
    """The macro workbook's two forms with a project typed in, as a user would (the cells found
    by reading the forms); the 自评 row scores 8 of 10 without a reason (R7)."""
    from perfxl.forms.workbook import read_projects

    pf, _ = read_projects(MACRO_WORKBOOK)
    decl, se = pf.projects
    typed = {
        locate(decl, decl, "name"): "道路绿化养护",
        locate(decl, decl.indicators[3], "name"): "养护面积",
        locate(decl, decl.indicators[3], "target"): "≥100.00(万平方米)",
        locate(se, se, "name"): "道路绿化养护",
        locate(se, se.indicators[0], "name"): "养护面积",
        locate(se, se.indicators[0], "target"): "≥100.00(万平方米)",
        locate(se, se.indicators[0], "actual"): "95.00(万平方米)",
        locate(se, se.indicators[0], "weight"): 10,
        locate(se, se.indicators[0], "score"): 8,
    }
    wb = openpyxl.load_workbook(MACRO_WORKBOOK)  # its sheets only: the copy is a plain .xlsx
    for (sheet, cell), value in typed.items():
        wb[sheet][cell] = value
    path = tmp_path / "工作簿.xlsx"
    wb.save(path)
    return path


def test_check_button(remote, filled, tmp_path):
    se_reason = ("绩效自评表", "K14")  # v2: 偏差原因分析 of the first indicator row
    book = remote_book(filled)
    message = addin.check()
    wb = openpyxl.load_workbook(filled)
    extra = apply_actions(wb, book.json()["actions"])
    assert extra["alerts"][-1]["prompt"] == message and message.startswith("校验完成")
    rows = [r for r in wb[addin.FINDINGS_SHEET].iter_rows(values_only=True)][1:]
    assert [r for r in rows if (r[1], r[3], r[4]) == ("D301", *se_reason)]
    assert _fill_rgb(wb, *se_reason) == addin.SEVERITY_FILL[Severity.ERROR].lstrip("#")
    cli = _cli_check_json(filled, tmp_path)
    assert sorted((r[1], r[3], r[4], r[5]) for r in rows) == sorted(
        (f["code"], f["sheet"], f["cell"], f["message"]) for f in cli)


def test_score_button(remote, filled, tmp_path):
    """As in a workbook edited by hand: some of perfxl's formulas and the typed score emptied."""
    from tests.forms_helpers import score_workbook

    cleared = _clear_computed_cells(filled)
    assert cleared > 10
    before = cell_snapshot(openpyxl.load_workbook(filled))
    cli_out = score_workbook(filled, tmp_path / "cli.xlsx")  # perfxl score
    book = remote_book(filled)
    message = addin.score()
    assert message.startswith("评分完成") and "道路绿化养护" in message, message
    wb = openpyxl.load_workbook(filled)
    extra = apply_actions(wb, book.json()["actions"])
    assert extra["counts"]["setValues"] + extra["counts"]["setFormula"] > 0
    ours, theirs = cell_snapshot(wb), cell_snapshot(openpyxl.load_workbook(cli_out))
    assert len(set(theirs) - set(before)) >= cleared  # the CLI filled the emptied cells in
    diff = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)}
    assert not diff, sorted(diff.items())[:10]


def test_summary_button(remote, filled):
    from perfxl.forms.workbook import read_workbook
    from perfxl.pipeline import check
    from perfxl.summary.build import build_summary_sheets

    ref = openpyxl.load_workbook(filled)
    pf, read_findings, _ = read_workbook(ref)
    build_summary_sheets(ref, check(pf, read_findings, "live"), label=addin.SUMMARY_LABEL)
    book = remote_book(filled)
    message = addin.summary()
    assert message.startswith("汇总完成："), message
    wb = openpyxl.load_workbook(filled)
    apply_actions(wb, book.json()["actions"])
    added = [s for s in wb.sheetnames if s not in openpyxl.load_workbook(filled).sheetnames]
    assert "自评汇总" in added
    compared = 0
    for title in added:
        ours = list(wb[title].iter_rows(values_only=True))
        theirs = [r for r in ref[title].iter_rows(values_only=True) if any(v is not None for v in r)]
        assert len(ours) == len(theirs), title
        for a, b in zip(ours, theirs):
            for x, y in zip(a, b):
                if (isinstance(y, str) and y.startswith("=")) or (isinstance(x, str) and x.startswith("=HYPERLINK")):
                    continue  # formulas of the file's table; links checked in tests/app/test_addin.py
                assert x == (float(y) if isinstance(y, Decimal) else y), (title, x, y)
                compared += 1
    assert compared > 20
    assert len([r for r in wb["自评汇总"].iter_rows(values_only=True) if "道路绿化养护" in r]) == 1


def test_self_evaluation_button(remote, filled, tmp_path, monkeypatch):
    from perfxl.carry import carry_workbook

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "Documents").mkdir(parents=True)
    cli = tmp_path / "cli.xlsx"
    carry_workbook(filled, cli)  # perfxl carry
    book = remote_book(filled)
    message = addin.self_evaluation()
    assert message.startswith("已生成 1 个项目的绩效自评表"), message
    [written] = (tmp_path / "home" / "Documents").glob("*绩效自评表.xlsx")
    apply_actions(openpyxl.load_workbook(filled), book.json()["actions"])
    ours, theirs = cell_snapshot(openpyxl.load_workbook(written)), cell_snapshot(openpyxl.load_workbook(cli))
    diff = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)}
    assert not diff, sorted(diff.items())[:10]
    assert "道路绿化养护" in ours.values() and "养护面积" in ours.values()


@pytest.mark.parametrize("button,cli", [("new_project", "perfxl new"), ("finalize", "perfxl finalize")])
def test_desktop_only_buttons_name_the_command_line_instead(remote, filled, button, cli):
    """新建项目 and 定稿 copy sheets / save a copy, which needs desktop Excel (tested with a
    desktop double in tests/app/test_addin.py); on the remote engine they say so and change nothing."""
    book = remote_book(filled)
    message = getattr(addin, button)()
    assert "未完成" in message and "桌面版 Excel" in message and cli in message
    extra = apply_actions(openpyxl.load_workbook(filled), book.json()["actions"])
    assert len(extra["alerts"]) == 1 and extra["counts"].get("addSheet", 0) == 0
