"""Issue 20 item 4: no needless files — the demo leaves no backups, and `perfxl score` on a
workbook whose computed cells are already up to date writes nothing (no save, no .bak)."""

from __future__ import annotations

import hashlib

from openpyxl import load_workbook

from perfxl.cli import main
from perfxl.model import sheet_of


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_twice_leaves_no_backup(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out)]) == 0
    assert main(["demo", "-o", str(out)]) == 0
    capsys.readouterr()
    names = sorted(p.name for p in out.iterdir())
    assert names == ["2023年度_绩效自评表.xlsx", "2026年度_绩效目标申报表.xlsx"]


def test_score_of_a_scored_workbook_says_no_change_and_writes_nothing(tmp_path, capsys):
    main(["demo", "-o", str(tmp_path)])
    path = tmp_path / "2023年度_绩效自评表.xlsx"
    before = _digest(path)
    capsys.readouterr()
    main(["score", str(path)])
    out = capsys.readouterr().out
    assert "无变化" in out and "已写入评分" not in out
    assert _digest(path) == before
    assert not (tmp_path / "2023年度_绩效自评表.bak.xlsx").exists()


def test_score_writes_and_keeps_a_backup_when_a_computed_cell_changed(tmp_path, capsys, self_evaluations):
    main(["demo", "-o", str(tmp_path)])
    path = tmp_path / "2023年度_绩效自评表.xlsx"
    wb = load_workbook(path)
    ws = wb[sheet_of(self_evaluations.projects[0])]
    # the total's formula cell: the one after the 总分 label whose value is a formula
    total = next(c for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith("=") and "SUM" in c.value.upper())
    formula = total.value
    total.value = None
    wb.save(path)
    capsys.readouterr()
    main(["score", str(path)])
    out = capsys.readouterr().out
    assert "已写入评分" in out
    assert (tmp_path / "2023年度_绩效自评表.bak.xlsx").exists()
    assert load_workbook(path)[ws.title][total.coordinate].value == formula
