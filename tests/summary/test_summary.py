"""Summary of many forms (issue 5): rows, cross-year matching, the workbook, the CLI."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from perfxl.model import ProjectFile, set_location, set_sheet
from perfxl.pipeline import check
from perfxl.summary import build_summary, build_summary_sheets
from perfxl.summary.matching import match_projects, name_similarity, read_mapping
from perfxl.summary.sheets import SHEETS
from perfxl.summary.tables import BELOW_LAST_ACTUAL, NO_REASON
from perfxl.demo import seed_dir

SEEDS = seed_dir()
SE = SEEDS / "self_evaluation_2023.json"
DE = SEEDS / "declaration_2026.json"
PUBLISHED = json.loads((SEEDS / "published_2023.json").read_text(encoding="utf-8"))
REQUESTED = {
    "热线服务保障经费": Decimal("1813200"),
    "全市绿化、市容、环卫、林业诉求处置督查督办": Decimal("350000"),
    "行业信访、安全及保障稳定的应急工作专项": Decimal("991823"),
    "绿化市容行政服务工作": Decimal("975000"),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("summary") / "汇总.xlsx"
    return build_summary([SE, DE], out)


def _by(rows, key):
    return {r[key]: r for r in rows}


def test_self_evaluation_rows_match_published_figures(result) -> None:
    rows = result.tables.self_evaluations
    # sorted by year, department, project (issue 20): one department, so by name
    assert [r["name"] for r in rows] == sorted(p["name"] for p in PUBLISHED)
    published = {p["name"]: p for p in PUBLISHED}
    for row in rows:
        pub = published[row["name"]]
        assert row["execution_rate"] == Decimal(pub["execution_rate"]), row["name"]
        assert row["execution_score"] == Decimal(pub["execution_score"]), row["name"]
        assert row["total"] == Decimal(pub["total"]), row["name"]
        assert row["grade"] == pub["grade"] == "优"
    hot = _by(rows, "name")["热线服务保障经费"]
    assert (hot["budget"], hot["executed"]) == (Decimal("187.92"), Decimal("187.63"))
    assert hot["indicator_score"] == Decimal("81.00")
    assert hot["indicators"] == 13


def test_declaration_rows(result) -> None:
    rows = _by(result.tables.declarations, "name")
    assert {n: r["annual_total"] for n, r in rows.items()} == REQUESTED
    hot = rows["热线服务保障经费"]
    assert hot["cost_ceiling"] == Decimal("181.32") and hot["cost_check"] == "一致"
    # 44.00 + 27.18 + 28.00 = 99.18 万 vs 991,823 元: equal at the displayed 2 decimals
    assert rows["行业信访、安全及保障稳定的应急工作专项"]["cost_ceiling"] == Decimal("99.18")
    assert rows["行业信访、安全及保障稳定的应急工作专项"]["cost_check"] == "一致"
    admin = rows["绿化市容行政服务工作"]
    assert admin["cost_ceiling"] is None and admin["unit_costs"] == 7
    assert admin["cost_check"] == "无总额成本指标"
    assert (hot["indicators"], hot["quantitative"], hot["qualitative"]) == (15, 13, 2)
    assert (hot["n_cost"], hot["n_output"], hot["n_benefit"], hot["n_satisfaction"]) == (3, 7, 4, 1)
    mix = [m for m in result.tables.indicator_mix if m["project"] == "热线服务保障经费"]
    assert {(m["level1"], m["level2"]): m["count"] for m in mix}[("产出指标", "数量指标")] == 3


def test_deviations_list_reasons_and_missing_reasons(result) -> None:
    devs = result.tables.deviations
    tuidan = next(d for d in devs if d["indicator"] == "退单")
    assert tuidan["reason"] == NO_REASON and "得分低于分值" in tuidan["kind"]
    assert "未达到目标值" in tuidan["kind"]
    sustain = next(
        d for d in devs if d["indicator"] == "项目的可持续性" and d["project"] == "绿化市容行政服务工作经费"
    )
    assert sustain["reason"] == NO_REASON and (sustain["weight"], sustain["score"]) == (15, 13)
    staff = next(d for d in devs if d["indicator"] == "热线派遣人员数量")
    assert staff["reason"].startswith("偏差原因：一是服务项目人员有进出")
    # over-achievement past R4's 120 %: 2680 / 1600 = 168 %
    assert any(d["indicator"] == "测评数据差异化归集" and "超额完成（168%）" in d["kind"] for d in devs)
    # met indicators at full weight are not deviations
    assert not any(d["indicator"] == "先行联系热线合格率" for d in devs)


def test_cross_year_rows(result) -> None:
    links = {link.prev_name: link for link in result.links}
    assert links["热线服务保障经费"].cur_name == "热线服务保障经费"
    renamed = links["绿化市容行政服务工作经费"]
    assert renamed.cur_name == "绿化市容行政服务工作" and renamed.method == "名称近似"
    rows = result.tables.cross_year
    front = next(r for r in rows if r["cur_indicator"] == "前端诉件受理、甄别分类、对口移送")
    assert front["prev_indicator"] == "对口移送" and front["prev_actual_value"] == Decimal("34487.00")
    assert front["cur_target_value"] == Decimal("30000.00") and front["flag"] == BELOW_LAST_ACTUAL
    hours = next(
        r for r in rows if r["cur_indicator"] == "热线受理值班时长" and r["cur_project"] == "热线服务保障经费"
    )
    assert hours["prev_target"] == "=24.00(小时)" and hours["flag"] == ""
    gone = {r["prev_indicator"] for r in rows if r["status"] == "本年取消" and r["cur_project"] == "热线服务保障经费"}
    assert {"退单", "热线派遣人员数量", "先行联系和解释安抚"} <= gone
    # lower-is-better targets are never flagged as "below last year's actual"
    assert not any(r["flag"] and r["comparator"] in ("≤", "<") for r in rows)
    assert result.tables.stats()["below_last_actual"] == sum(r["flag"] == BELOW_LAST_ACTUAL for r in rows)


def test_project_name_matching() -> None:
    assert name_similarity("绿化市容行政服务工作", "绿化市容行政服务工作经费")[0] >= 0.9
    assert name_similarity("热线服务保障经费", "全市绿化、市容、环卫、林业诉求处置督查督办")[0] < 0.75
    links = match_projects([(2023, "甲项目经费"), (2023, "乙")], [(2026, "甲项目"), (2026, "丙")])
    assert [(link.prev_name, link.cur_name, link.method) for link in links] == [
        ("甲项目经费", "甲项目", "名称近似"),
        ("乙", None, "本年未申报"),
        (None, "丙", "无上年项目"),
    ]


def test_mapping_sheet_is_read_back_and_honoured(tmp_path) -> None:
    out = tmp_path / "s.xlsx"
    build_summary([SE, DE], out)
    wb = load_workbook(out)
    ws = wb["项目对照"]
    header = [c.value for c in ws[1]]
    prev_col, cur_col = header.index("上年项目名称"), header.index("本年项目名称")
    for row in ws.iter_rows(min_row=2):
        if row[prev_col].value == "绿化市容行政服务工作经费":
            row[cur_col].value = None  # the user says: no successor
        if row[prev_col].value == "热线服务保障经费":  # and pairs hotline with the督办 project
            row[cur_col].value = "全市绿化、市容、环卫、林业诉求处置督查督办"
        if row[prev_col].value == "全市绿化、市容、环卫、林业诉求处置督查督办":
            row[cur_col].value = "热线服务保障经费"
    wb.save(out)
    assert read_mapping(out)[(2023, "绿化市容行政服务工作经费")] is None
    again = build_summary([SE, DE], out)
    links = {link.prev_name: link for link in again.links if link.prev_name}
    assert links["绿化市容行政服务工作经费"].cur_name is None
    assert links["热线服务保障经费"].cur_name == "全市绿化、市容、环卫、林业诉求处置督查督办"
    assert links["热线服务保障经费"].method == "按对照表"
    assert not any(r["cur_project"] == "绿化市容行政服务工作" and r["prev_project"] for r in again.tables.cross_year)
    # the rewritten sheet keeps the user's choice for the next run
    assert read_mapping(out)[(2023, "绿化市容行政服务工作经费")] is None


def test_workbook_tables_and_formulas(result) -> None:
    wb = load_workbook(result.output)
    for key in ("self_evaluations", "deviations", "declarations", "cross_year", "mapping", "findings"):
        title, table, _ = SHEETS[key]
        assert table in wb[title].tables, title
    ws = wb["自评汇总"]
    header = [c.value for c in ws[1]]
    total = ws.cell(row=2, column=header.index("总分") + 1).value
    assert total.startswith("=") and "SelfEvalSummary[[#This Row],[执行率得分]]" in total
    assert "[@" not in total
    rate = ws.cell(row=2, column=header.index("执行率（％）") + 1).value
    assert "TRUNC(ROUND(" in rate
    # target texts such as "=24.00(小时)" stay text, never formulas
    cy = wb["跨年对比"]
    texts = [c.value for row in cy.iter_rows(min_row=2) for c in row if c.data_type == "s"]
    assert "=24.00(小时)" in texts
    assert "_xlfn" not in "".join(str(c.value) for w in wb for row in w.iter_rows() for c in row)
    assert any("COUNTIFS(SelfEvalSummary[[等级]]" in str(c.value) for row in wb["统计"].iter_rows() for c in row)
    assert wb.sheetnames[0] == "统计" and "图表" not in wb.sheetnames
    assert len(wb["统计"]._charts) == 3  # one year: its total, execution rate and grade charts


def test_folder_with_corrupt_and_foreign_json(tmp_path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SE, folder / "a_self.json")
    shutil.copy(DE, folder / "b_decl.json")
    (folder / "c_corrupt.json").write_bytes(b"\x00\x01{not json")
    shutil.copy(SEEDS / "published_2023.json", folder / "d_other_template.json")
    (folder / "notes.txt.bak").write_text("ignored", encoding="utf-8")
    seen = []
    res = build_summary([folder], tmp_path / "out.xlsx", progress=lambda i, n, p: seen.append((i, n, p.name)))
    assert seen == [(1, 4, "a_self.json"), (2, 4, "b_decl.json"), (3, 4, "c_corrupt.json"),
                    (4, 4, "d_other_template.json")]
    assert len(res.tables.self_evaluations) == 4 and len(res.tables.declarations) == 4
    skipped = {Path(s["file"]).name: s["reason"] for s in res.skipped}
    assert set(skipped) == {"c_corrupt.json", "d_other_template.json"}
    assert all(reason for reason in skipped.values())
    wb = load_workbook(tmp_path / "out.xlsx")
    assert [r[0] for r in wb["未读取文件"].iter_rows(min_row=2, values_only=True)] == [
        str(folder / "c_corrupt.json"), str(folder / "d_other_template.json")
    ]


def test_cli_json_and_progress(tmp_path, capsys) -> None:
    from perfxl.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SE, folder / "se.json")
    shutil.copy(DE, folder / "de.json")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    status = main(["summary", str(folder), "-o", str(tmp_path / "s.xlsx"), "--json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert status == 1  # a file was skipped
    assert "[1/3] 读取 broken.xlsx" in captured.err and "[3/3] 读取 se.json" in captured.err
    assert "未汇总" in captured.err and "broken.xlsx" in captured.err
    # sorted by department, then project (全市…, 热线…, 绿化…, 行业…)
    assert [r["total"] for r in data["self_evaluations"]] == ["92.00", "90.98", "92.00", "90.91"]
    assert [r["execution_rate"] for r in data["self_evaluations"]] == ["100.00", "99.84", "100.00", "79.18"]
    assert sorted(r["annual_total"] for r in data["declarations"]) == [
        "1813200.00", "350000.00", "975000.00", "991823.00"
    ]
    assert [Path(s["file"]).name for s in data["skipped"]] == ["broken.xlsx"]
    assert data["stats"]["grade_优"] == 4 and data["stats"]["requested"] == "4130023.00"
    assert data["findings"] and {"file", "code", "severity", "sheet", "cell", "message"} <= set(data["findings"][0])
    assert (tmp_path / "s.xlsx").exists()


def test_png_export(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    res = build_summary([SE], None, png_dir=tmp_path / "png")
    assert [p.name for p in res.pngs] == ["2023年度_各项目自评总分.png", "2023年度_各项目预算执行率.png",
                                          "2023年度_评分等级分布.png"]
    assert all(p.stat().st_size > 10_000 for p in res.pngs)


def test_build_summary_sheets_in_open_workbook_links_back() -> None:
    """The 汇总 button: summary sheets inside the workbook, deviations hyperlinked to cells."""
    pf = ProjectFile.model_validate_json(SE.read_text(encoding="utf-8"))
    wb = Workbook()
    wb.active.title = "热线服务保障经费"
    hot = pf.projects[0]
    set_sheet(hot, "热线服务保障经费")
    for i, ind in enumerate(hot.indicators):
        set_location(ind, "reason", "热线服务保障经费", f"I{12 + i}")
    tables = build_summary_sheets(wb, check(pf, [], "json"))
    assert wb.sheetnames[0] == "热线服务保障经费" and "偏差明细" in wb.sheetnames
    ws = wb["偏差明细"]
    header = [c.value for c in ws[1]]
    src = header.index("来源") + 1
    links = {ws.cell(row=r, column=3 + 2).value: ws.cell(row=r, column=src).hyperlink
             for r in range(2, ws.max_row + 1)}
    tuidan_row = 12 + [i.name for i in hot.indicators].index("退单")
    assert links["退单"].location == f"'热线服务保障经费'!I{tuidan_row}"
    assert len(tables.self_evaluations) == 4
    # run again: sheets are replaced, not duplicated
    build_summary_sheets(wb, check(pf, [], "json"))
    assert wb.sheetnames.count("偏差明细") == 1


# --- LibreOffice: the native formulas give the Python values; the charts render ----------------


ERRORS = ("#NAME?", "#DIV/0!", "#VALUE!", "#REF!", "#N/A", "#NUM!", "#NULL!", "Err:")


def _close(a, b) -> bool:
    if isinstance(b, Decimal):
        return a is not None and abs(Decimal(str(a)) - b) < Decimal("0.005")
    return a == b


@pytest.mark.libreoffice
def test_libreoffice_recalculation_and_pdf(result, tmp_path) -> None:
    from perfxl.libreoffice import recalculate, to_pdf
    from perfxl.summary.sheets import stats_layout
    from perfxl.summary.tables import COLUMNS

    [recalc] = recalculate([result.output], tmp_path / "recalc")
    wb = load_workbook(recalc, data_only=True)
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and c.value.startswith(ERRORS)), (ws.title, c.coordinate, c.value)
    checks = {
        "self_evaluations": ("execution_rate", "execution_score", "total", "grade"),
        "declarations": ("sources_sum", "cost_check", "quantitative_share"),
        "cross_year": ("flag",),
    }
    for key, cols in checks.items():
        title = SHEETS[key][0]
        ws = wb[title]
        header = [c.value for c in ws[1]]
        rows = getattr(result.tables, key)
        assert ws.max_row >= len(rows) + 1
        for i, row in enumerate(rows, start=2):
            for col in cols:
                got = ws.cell(row=i, column=header.index(COLUMNS[key][col][0]) + 1).value
                want = row[col]
                if want == "":
                    want = None  # an empty-string formula result reads back as empty
                assert _close(got, want), (title, i, col, got, want)
    by_year = result.tables.stats_by_year()
    ws = wb["统计"]
    where = stats_layout(result.tables).where
    assert len(where) == 6 + 4 + 4 + 2  # 2023 figures and grades, 2026 declarations and cross-year
    for (kind, year, key), cell in where.items():
        want = by_year[kind][year][key]
        assert _close(ws[cell].value, want), (kind, year, key, ws[cell].value, want)
    assert ws[where[("self_evaluation", 2023, "grade_优")]].value == 4
    assert ws[where[("declaration", 2026, "requested")]].value == 4130023

    # the charts render in the PDF, each year's on the page after its figures: titles with the
    # year are there (pdftotext puts a space between 2023 and 年度), and that page has blue bars
    [pdf] = to_pdf([result.output], tmp_path / "pdf")
    import subprocess

    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    for title in ("2023年度各项目自评总分", "2023年度各项目预算执行率", "2023年度评分等级分布"):
        assert title in flat
    subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-r", "40", "-png", str(pdf),
                    str(tmp_path / "page")], check=True)
    from PIL import Image

    [png] = list(tmp_path.glob("page*.png"))
    img = Image.open(png).convert("RGB")
    blue = sum(1 for px in img.get_flattened_data() if px[2] > 150 and px[0] < 110 and px[1] < 150)
    assert blue > 500, blue  # the bars (openpyxl's default series colour is #4472C4-like blue)


# --- seed workbooks (perfxl.forms.workbook) ------------------------------------------------------


@pytest.fixture(scope="module")
def seed_workbooks(tmp_path_factory):
    from perfxl.forms import workbook

    folder = tmp_path_factory.mktemp("seedbooks")
    for src, name in ((SE, "2023年度_绩效自评表.xlsx"), (DE, "2026年度_绩效目标申报表.xlsx")):
        pf = ProjectFile.model_validate_json(src.read_text(encoding="utf-8"))
        workbook.write_projects(pf, folder / name)
    return folder


def test_summary_of_seed_workbooks(seed_workbooks, tmp_path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(seed_workbooks, folder)
    (folder / "损坏.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    other = Workbook()
    other.active.title = "人员名单"
    other.active.append(["姓名", "部门"])
    other.active.append(["张三", "办公室"])
    other.save(folder / "其他模板.xlsx")
    out = tmp_path / "汇总.xlsx"
    res = build_summary([folder], out)
    se = res.tables.self_evaluations
    assert [r["execution_rate"] for r in se] == [Decimal("100.00"), Decimal("99.84"), Decimal("100.00"), Decimal("79.18")]
    assert [r["total"] for r in se] == [Decimal("92"), Decimal("90.98"), Decimal("92"), Decimal("90.91")]
    assert {r["name"]: r["annual_total"] for r in res.tables.declarations} == REQUESTED
    front = next(r for r in res.tables.cross_year if r["cur_indicator"] == "前端诉件受理、甄别分类、对口移送")
    assert front["prev_actual_value"] == Decimal("34487") and front["flag"] == BELOW_LAST_ACTUAL
    skipped = {Path(s["file"]).name: s["reason"] for s in res.skipped}
    assert set(skipped) == {"损坏.xlsx", "其他模板.xlsx"}, skipped
    assert "ModuleNotFoundError" not in "".join(skipped.values())
    # deviations link back into the source workbook, at a real cell
    wb = load_workbook(out)
    ws = wb["偏差明细"]
    header = [c.value for c in ws[1]]
    link = ws.cell(row=2, column=header.index("来源") + 1).hyperlink
    assert link is not None and link.target.endswith("2023年度_绩效自评表.xlsx") and "!" in link.location


def test_summary_button_on_seed_workbook(seed_workbooks) -> None:
    """build_summary_sheets on the open seed workbook: links land on the reason cells, and the
    workbook still reads back as the same four forms afterwards (summary sheets are ignored)."""
    from perfxl.forms.workbook import read_workbook

    wb = load_workbook(seed_workbooks / "2023年度_绩效自评表.xlsx")
    pf, findings, _ = read_workbook(wb)
    tables = build_summary_sheets(wb, check(pf, findings, "workbook"))
    assert [r["total"] for r in tables.self_evaluations] == [Decimal("92"), Decimal("90.98"), Decimal("92"), Decimal("90.91")]
    ws = wb["偏差明细"]
    header = [c.value for c in ws[1]]
    col = {h: header.index(h) + 1 for h in ("三级指标", "偏差原因分析", "来源")}
    checked = 0
    for r in range(2, ws.max_row + 1):
        link = ws.cell(row=r, column=col["来源"]).hyperlink
        sheet, cell = link.location.rsplit("!", 1)
        target = wb[sheet.strip("'")][cell].value
        reason = ws.cell(row=r, column=col["偏差原因分析"]).value
        assert (target or NO_REASON) == reason, (ws.cell(row=r, column=col["三级指标"]).value, target, reason)
        checked += 1
    assert checked == len(tables.deviations) > 10
    again, _, _ = read_workbook(wb)
    assert [p.name for p in again.projects] == [p.name for p in pf.projects]
