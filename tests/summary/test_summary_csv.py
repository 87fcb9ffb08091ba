"""``perfxl summary DIR --csv OUT`` on a folder of real workbooks (the demo's two forms): the
CSV files hold the published seed figures, and pandas is loaded only by the CSV export."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from perfxl.cli import main
from tests.paths import ROOT


# The four 2023 self-evaluations as published (domain.md §4): budget and executed in 万元;
# execution rate R6, cut to two places (R6r); total score and grade R8.
PUBLISHED = {
    "全市绿化、市容、环卫、林业诉求处置督查督办": ("47.80", "47.80", "100.00", "92.00", "优"),
    "热线服务保障经费": ("187.92", "187.63", "99.84", "90.98", "优"),
    "绿化市容行政服务工作经费": ("95.67", "95.67", "100.00", "92.00", "优"),
    "行业信访、安全及保障稳定的应急工作专项": ("111.71", "88.46", "79.18", "90.91", "优"),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forms")
    os.environ.setdefault("PERFXL_HOME", str(tmp_path_factory.mktemp("home")))
    assert main(["demo", "-o", str(folder)]) == 0
    assert sorted(p.suffix for p in folder.iterdir()) == [".xlsx", ".xlsx"]
    out = tmp_path_factory.mktemp("csv")
    main(["summary", str(folder), "--csv", str(out)])
    return out


def _rows(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel opens the Chinese as UTF-8
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_self_evaluation_csv_holds_the_published_figures(exported):
    rows = _rows(exported / "自评汇总.csv")
    got = {r["项目名称"]: (r["全年预算数（万元）"], r["全年执行数（万元）"], r["执行率（％）"], r["总分"], r["等级"])
           for r in rows}
    assert {k: tuple(Decimal(v) if i < 4 else v for i, v in enumerate(t)) for k, t in got.items()} == {
        k: tuple(Decimal(v) if i < 4 else v for i, v in enumerate(t)) for k, t in PUBLISHED.items()}
    assert {r["年度"] for r in rows} == {"2023"} and {r["来源文件"] for r in rows} == {"2023年度_绩效自评表.xlsx"}


def test_stats_csv_holds_the_years_figures(exported):
    stats = {(r["类别"], r["年度"], r["指标"]): r["数值"] for r in _rows(exported / "统计.csv")}
    # 47.80 + 187.92 + 95.67 + 111.71 and 47.80 + 187.63 + 95.67 + 88.46; 419.56 / 443.10 = 94.687… → 94.68
    # (R6r); (92.00 + 90.98 + 92.00 + 90.91) / 4 = 91.4725 → 91.47
    expected = {"自评项目数": "4", "全年预算数合计（万元）": "443.10", "全年执行数合计（万元）": "419.56",
                "总体执行率（％）": "94.68", "平均总分": "91.47"}
    for figure, value in expected.items():
        assert Decimal(stats["绩效自评", "2023", figure]) == Decimal(value), figure
    assert stats["绩效目标申报", "2026", "申报项目数"] == "4"


def test_declaration_csv_lists_the_four_2026_projects(exported):
    rows = _rows(exported / "申报汇总.csv")
    assert len(rows) == 4 and {r["年度"] for r in rows} == {"2026"}
    assert {r["项目名称"] for r in rows} >= {"热线服务保障经费"}


def test_pandas_is_imported_only_by_the_csv_export(tmp_path):
    code = ("import sys; import perfxl.cli; from perfxl.summary import build_summary; "
            "assert 'pandas' not in sys.modules, 'pandas imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
