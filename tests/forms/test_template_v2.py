"""Template v2 (issue 17): the demo's sheets are lean (≤ 60 KB of sheet XML, ≤ 8 formula cells per
indicator row, no text-parsing function), and a v1 workbook made by main before v2 (committed
fixtures) is still read and upgrades with the same scores."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from perfxl.cli import main
from perfxl.forms.workbook import read_projects
from perfxl.rules.scoring import score_project
from tests.paths import DATA

V1 = {"self_evaluation": DATA / "v1_2023_selfeval.xlsx", "declaration": DATA / "v1_2026_declaration.xlsx"}
TEXT_PARSING = ("FIND", "SEARCH", "MID", "SUBSTITUTE", "TRIM", "LEFT", "RIGHT", "LEN", "VALUE")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "-o", str(out)]) in (0, 1)
    return out


def test_demo_sheets_are_lean_and_parse_no_text(demo):
    books = sorted(demo.glob("*.xlsx"))
    assert len(books) == 2
    for book in books:
        with zipfile.ZipFile(book) as z:
            for name in z.namelist():
                if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                    assert z.getinfo(name).file_size <= 60_000, (book.name, name, z.getinfo(name).file_size)
        pf, _findings = read_projects(book)
        wb = openpyxl.load_workbook(book)
        from perfxl.forms.workbook import read_workbook

        _pf, _f, maps = read_workbook(wb)
        rows_seen = 0
        for _project, m in maps:
            ws = wb[m.sheet]
            for r in m.rows:
                formulas = [c for c in ws[r] if c.data_type == "f"]
                assert len(formulas) <= 8, (book.name, m.sheet, r, len(formulas))
                rows_seen += 1
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        code = re.sub(r'"[^"]*"', "", c.value)
                        used = set(re.findall(r"([A-Z][A-Z0-9.]*)\(", code))
                        assert not used & set(TEXT_PARSING), (m.sheet, c.coordinate, used)
        assert rows_seen == sum(len(p.indicators) for p in pf.projects) > 40


def _scores(path):
    pf, findings = read_projects(path)
    out = []
    for p in pf.projects:
        ps = score_project(p, pf.settings)
        out.append((p.name, [(s.suggested, s.effective) for s in ps.indicators],
                    getattr(ps, "total", None), getattr(ps, "grade", None)))
    return out, findings


@pytest.mark.parametrize("form", sorted(V1))
def test_v1_fixture_is_read_with_w750_and_upgrades_with_the_same_scores(form, tmp_path, capsys):
    before, findings = _scores(V1[form])
    assert {f.code for f in findings} == {"W750"} and len(findings) == 4  # one per sheet
    out = tmp_path / "v2.xlsx"
    assert main(["upgrade", str(V1[form]), "-o", str(out)]) == 0
    assert "已升级为新版模板（4 个项目）" in capsys.readouterr().out
    after, findings = _scores(out)
    assert findings == []
    assert after == before
    if form == "self_evaluation":  # the published totals (domain.md §4)
        assert [t for _n, _s, t, _g in after] == [Decimal("90.98"), Decimal("92"), Decimal("90.91"), Decimal("92")]
    ws = openpyxl.load_workbook(out).worksheets[0]
    header = [c.value for c in ws[13]]
    assert "比较符" in header and "单位" in header


def test_upgrade_refuses_to_overwrite_its_input(tmp_path, capsys):
    assert main(["upgrade", str(V1["declaration"]), "-o", str(V1["declaration"])]) == 2
    assert "不能与原文件相同" in capsys.readouterr().err
