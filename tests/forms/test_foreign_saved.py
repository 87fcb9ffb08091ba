"""Workbooks that come back saved by another spreadsheet program (LibreOffice here; WPS writes
the same kind of style table) still read, score and recompute like the core."""

from __future__ import annotations

import json

import pytest

from perfxl.cli import main
from perfxl.forms.workbook import read_projects, write_projects
from tests.forms_helpers import error_cells, recalc

pytestmark = pytest.mark.libreoffice


def test_score_a_workbook_saved_by_libreoffice(tmp_path, self_evaluations, capsys, published):
    original = tmp_path / "src" / "自评.xlsx"
    original.parent.mkdir()
    write_projects(self_evaluations, original)
    (saved,) = recalc([original], tmp_path / "lo")  # opened and saved by LibreOffice

    scored = tmp_path / "scored.xlsx"
    assert main(["score", str(saved), "-o", str(scored)]) == 1  # the seeds' real errors
    out = capsys.readouterr().out
    assert "内部错误" not in out and "已写入评分" in out

    pf, findings = read_projects(scored)
    assert [f for f in findings if f.code.startswith("W")] == []
    written, _ = read_projects(original)  # the inputs as the v2 cells spell them (≥9.00(人), 达成)
    assert json.loads(pf.model_dump_json())["projects"] == json.loads(
        written.model_dump_json())["projects"]

    (again,) = recalc([scored], tmp_path / "lo2")
    assert error_cells(again) == []
    code = main(["score", str(again), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [p["total"] for p in data["projects"]] == [
        format(__import__("decimal").Decimal(p["total"]), ".2f") for p in published
    ]
