"""Issue 20 items 1, 2 and 6: a summary over two years of the same projects keeps the years
apart (every figure, chart and list of the 统计 sheet is one year's); its PDF prints at 10.5 pt
or larger; --json and --csv give the workbook's tables."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from perfxl.cli import main
from perfxl.summary import build_summary
from perfxl.summary.sheets import stats_layout
from tests.conftest import SEEDS, load_seed

HOT = "热线服务保障经费"


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    """The four 2023 projects, and the same four again as 2024 with 热线 half executed."""
    folder = tmp_path_factory.mktemp("years")
    (folder / "2023.json").write_text((SEEDS / "self_evaluation_2023.json").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    pf = load_seed("self_evaluation_2023.json")
    for project in pf.projects:
        project.year = 2024
        if project.name == HOT:
            project.funds.total.executed = Decimal("93.96")  # 187.92 / 2: 50.00 %
            project.funds.fiscal.executed = Decimal("93.96")
    (folder / "2024.json").write_text(pf.model_dump_json(), encoding="utf-8")
    out = folder / "汇总.xlsx"
    return folder, out, build_summary([folder / "2024.json", folder / "2023.json"], out)


def test_rows_sorted_by_year_department_project(two_years):
    _, _, res = two_years
    rows = res.tables.self_evaluations
    keys = [(r["year"], r["department"], r["name"]) for r in rows]
    assert keys == sorted(keys) and [k[0] for k in keys] == [2023] * 4 + [2024] * 4


def test_every_figure_is_one_years(two_years):
    _, _, res = two_years
    by_year = res.tables.stats_by_year()["self_evaluation"]
    assert set(by_year) == {2023, 2024}
    # 187.92 + 47.80 + 111.71 + 95.67 and 187.63 + 47.80 + 88.46 + 95.67 (万元), per year
    assert (by_year[2023]["self_evaluations"], by_year[2023]["budget"], by_year[2023]["executed"]) == (
        4, Decimal("443.10"), Decimal("419.56"))
    assert (by_year[2024]["budget"], by_year[2024]["executed"]) == (Decimal("443.10"), Decimal("325.89"))
    assert by_year[2023]["grade_优"] == 4
    assert [r["name"] for r in res.tables.attention(2024) if r["execution_rate"] < 90] == [
        HOT, "行业信访、安全及保障稳定的应急工作专项"]
    assert [r["name"] for r in res.tables.attention(2023) if r["execution_rate"] < 90] == [
        "行业信访、安全及保障稳定的应急工作专项"]
    # the JSON carries the same per-year figures
    data = res.as_json()
    assert data["stats_by_year"]["self_evaluation"]["2024"]["executed"] == "325.89"
    assert data["stats"]["year"] == 2024 and data["stats"]["budget"] == "443.10"


def _chart_parts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode() for n in sorted(z.namelist()) if re.match(r"xl/charts/chart\d+\.xml$", n)]


def test_charts_one_year_each_with_the_year_in_titles_and_series(two_years):
    _, out, res = two_years
    charts = _chart_parts(out)
    assert len(charts) == 6  # per year: total, execution rate, grades
    ws = load_workbook(out)["自评汇总"]
    years = {r: ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)}
    for xml in charts:
        titles = re.findall(r"<a:t>([^<]*)</a:t>", xml)
        year = int(re.search(r"(\d{4})年度", titles[0]).group(1))
        assert titles[0].startswith(f"{year}年度 ")
        assert re.search(rf"<(?:c:)?v>{year}年度 ", xml)  # the series name carries the year
        refs = re.findall(r"'自评汇总'!\$[A-Z]+\$(\d+):\$[A-Z]+\$(\d+)", xml)
        assert refs or "评分等级分布" in titles[0]
        for first, last in refs:
            assert {years[r] for r in range(int(first), int(last) + 1)} == {year}


@pytest.mark.libreoffice
def test_stats_sheet_after_recalculation_equals_python_per_year(two_years, tmp_path):
    from perfxl.libreoffice import recalculate

    _, out, res = two_years
    [recalced] = recalculate([out], tmp_path)
    ws = load_workbook(recalced, data_only=True)["统计"]
    by_year = res.tables.stats_by_year()
    where = stats_layout(res.tables).where
    assert {year for _, year, _ in where} == {2023, 2024}
    for (kind, year, key), cell in where.items():
        want = by_year[kind][year][key]
        got = ws[cell].value
        assert abs(Decimal(str(got)) - want) < Decimal("0.005"), (kind, year, key, got, want)
    assert ws[where[("self_evaluation", 2024, "executed")]].value == pytest.approx(325.89)


def _word_heights(pdf: Path) -> dict[int, list[tuple[float, str]]]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    out = {}
    for i, page in enumerate(html.split("<page ")[1:], start=1):
        out[i] = [(float(y2) - float(y1), w) for y1, y2, w in re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
    return out


@pytest.mark.libreoffice
def test_summary_pdf_is_legible_at_10_5_pt(two_years, tmp_path):
    """Every word of every page is at least as tall as the same fonts printed at 10.5 pt at
    100 % (a reference sheet converted in the same LibreOffice call)."""
    from perfxl.libreoffice import to_pdf

    _, out, _ = two_years
    ref = tmp_path / "ref.xlsx"
    wb = Workbook()
    ws = wb.active
    for i, (text, font) in enumerate((("项目名称 2023", None), ("热线服务保障经费", "宋体"), ("90.98 优", "黑体")), 1):
        ws.cell(row=i, column=1, value=text).font = Font(name=font, size=10.5) if font else Font(size=10.5)
    wb.save(ref)
    pdf, ref_pdf = to_pdf([out, ref], tmp_path / "pdf")
    floor = min(h for h, _ in _word_heights(ref_pdf)[1]) - 0.05
    pages = _word_heights(pdf)
    assert len(pages) > 10
    small = [(page, w, round(h, 2)) for page, words in pages.items() for h, w in words if h < floor]
    assert small == [], (floor, small[:10])
    # the 统计 sheet comes first: 2024 (newest) figures on page 1, its charts on page 2
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "2", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    flat = "".join(text.split())
    assert flat.startswith("绩效汇总统计") and "2024年度绩效自评" in flat and "2024年度各项目自评总分" in flat


SHOWN_SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}


def test_cli_csv_and_json_give_the_workbook_tables(two_years, tmp_path, capsys):
    folder, _, _ = two_years
    out, csv_dir = tmp_path / "s.xlsx", tmp_path / "csv"
    assert main(["summary", str(folder / "2023.json"), str(folder / "2024.json"), "-o", str(out),
                 "--csv", str(csv_dir), "--json"]) == 1  # the seeds carry real errors
    data = json.loads(capsys.readouterr().out)
    wb = load_workbook(out)
    for title, key in (("自评汇总", "self_evaluations"), ("申报汇总", "declarations"),
                       ("偏差明细", "deviations"), ("问题清单", "findings")):
        with open(csv_dir / f"{title}.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        ws = wb[title]
        header = [c.value for c in ws[1]]
        assert rows[0] == header, title
        assert len(rows) - 1 == len(data[key]) == ws.max_row - 1 or (not data[key] and ws.max_row == 2)
        for i, (row, jrow) in enumerate(zip(rows[1:], data[key]), start=2):
            # the same values; a severity shown in Chinese, as on the sheet (JSON keeps the keyword)
            assert row == ["" if v is None else SHOWN_SEVERITY.get(v, v) if k == "severity" else str(v)
                           for k, v in jrow.items()], (title, i)
            for j, cell in enumerate(ws[i]):  # the workbook's stored (non-formula) cells agree
                if cell.data_type != "f" and cell.value is not None and not cell.hyperlink:
                    if isinstance(cell.value, (int, float)):
                        assert Decimal(row[j]) == Decimal(str(cell.value)), (title, i, j)
                    else:
                        assert row[j] == str(cell.value), (title, i, j)
    with open(csv_dir / "统计.csv", encoding="utf-8-sig", newline="") as fh:
        stats = list(csv.DictReader(fh))
    assert {"类别": "绩效自评", "年度": "2024", "指标": "全年执行数合计（万元）", "数值": "325.89"} in stats
