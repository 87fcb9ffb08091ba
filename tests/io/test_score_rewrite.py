"""`perfxl score` never rewrites what openpyxl would damage: charts/images, macro workbooks."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference

from perfxl.cli import main
from perfxl.forms.workbook import write_projects
from perfxl.model import ProjectFile


@pytest.fixture
def workbook(tmp_path, self_evaluations):
    path = tmp_path / "自评.xlsx"
    write_projects(ProjectFile(projects=self_evaluations.projects[:1]), path)
    return path


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_in_place_score_refuses_a_workbook_with_a_chart(workbook, tmp_path, capsys):
    wb = load_workbook(workbook)
    ws = wb.worksheets[0]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=6, max_row=9))
    ws.add_chart(chart, "K40")
    wb.save(workbook)
    before = _digest(workbook)

    assert main(["score", str(workbook)]) == 2
    err = capsys.readouterr().err
    assert "H960" in err and "图表" in err and "-o" in err
    assert _digest(workbook) == before  # untouched

    out = tmp_path / "评分后.xlsx"
    assert main(["score", str(workbook), "-o", str(out)]) in (0, 1)
    assert out.exists() and "不含原工作簿的图表" in capsys.readouterr().err
    assert _digest(workbook) == before


def test_macro_workbook_is_scored_into_a_new_xlsx(workbook, capsys):
    xlsm = workbook.with_suffix(".xlsm")
    shutil.copy(workbook, xlsm)
    before = _digest(xlsm)
    assert main(["score", str(xlsm)]) in (0, 1)
    assert _digest(xlsm) == before
    written = xlsm.with_suffix(".xlsx")
    assert written.exists() and f"已写入评分：{written}" in capsys.readouterr().out
