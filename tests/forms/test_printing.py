"""Printing the forms (issue 17, item 5): A4 fitted to the width only, header row repeated,
body text ≥ 10.5 pt measured in the PDF LibreOffice prints, 一级/二级 groups not split across
pages, no screen-only colours and a blank form that prints blank; the layout of each year."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

from perfxl.carry import to_next_declaration
from perfxl.findings import Severity
from perfxl.forms import printing, years
from perfxl.forms.styles import SEVERITY_FILL, cell_role
from perfxl.forms.workbook import Form, projects_workbook, template_project, write_projects
from perfxl.model import ProjectFile
from tests.conftest import load_seed
from tests.paths import ROOT

TEMPLATES = ROOT / "templates"


# --- page breaks: pure -------------------------------------------------------------------------


def test_breaks_fall_between_groups_and_the_header_stays_with_the_first():
    # rows 1-4 page top (100 pt each), header row 5, groups 6-8 and 9-11 of 40 pt rows
    heights = {r: 100.0 for r in range(1, 5)} | {5: 30.0} | {r: 40.0 for r in range(6, 12)}
    breaks = printing.page_breaks(heights, 11, (5, 5), [(6, 8), (9, 11)])
    # 400 + 30 + 120 = 550 > a page: header and first group move on together
    assert breaks == [5]
    heights = {r: 80.0 for r in range(1, 5)} | {5: 30.0} | {r: 40.0 for r in range(6, 12)}
    # 320 + 30 + 120 = 470 fits; the second group would straddle: it starts the next page
    assert printing.page_breaks(heights, 11, (5, 5), [(6, 8), (9, 11)]) == [9]


def test_a_group_taller_than_a_page_breaks_where_it_must():
    heights = {1: 30.0} | {r: 100.0 for r in range(2, 14)}
    breaks = printing.page_breaks(heights, 13, (1, 1), [(2, 13)])
    assert breaks and all(2 < b <= 13 for b in breaks)
    # every page holds what fits: the header copy plus at most 4 rows of 100 pt
    edges = [2, *breaks, 14]
    assert all(30 + 100 * (b - a) <= printing.PAGE_HEIGHT_PT for a, b in zip(edges, edges[1:]))


def test_split_at():
    assert printing.split_at(10, 20, [5, 15, 21, 30]) == [(10, 14), (15, 20)]
    assert printing.split_at(10, 20, []) == [(10, 20)]


# --- the laid-out sheets -------------------------------------------------------------------------


def _merged_runs(ws, col: int) -> list[tuple[int, int]]:
    return [(m.min_row, m.max_row) for m in ws.merged_cells.ranges
            if m.min_col == col == m.max_col and m.max_row > m.min_row]


@pytest.mark.parametrize("seed", ["self_evaluation_2023", "declaration_2026"])
def test_page_setup_of_every_seed_sheet(seed, tmp_path):
    wb = load_workbook(write_projects(load_seed(f"{seed}.json"), tmp_path / "x.xlsx"))
    forms = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert len(forms) == 4
    for ws in forms:
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
        header = ws.print_title_rows  # the indicator header row, repeated on every page
        top = int(header.split(":")[0].lstrip("$"))
        assert ws.cell(row=top, column=2).value == "一级指标" or ws.cell(row=top, column=1).value == "一级指标"
        area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
        last_col = re.sub(r"[$\d]", "", area.split("!")[-1].split(":")[1])
        printed = sum(ws.column_dimensions[get_column_letter(c)].width
                      for c in range(1, column_index_from_string(last_col) + 1))
        assert printed <= printing.PAGE_WIDTH_UNITS, ws.title
        starts = [b.id + 1 for b in ws.row_breaks.brk]  # first row of each later page
        # no merged 一级/二级 (or any other vertical merge) runs over a page break
        for c in range(1, 4):
            for a, b in _merged_runs(ws, c):
                assert not any(a < s <= b for s in starts), (ws.title, c, a, b, starts)


def test_long_sheets_get_breaks_and_repeat_the_category_label():
    wb = projects_workbook(load_seed("self_evaluation_2023.json"))
    ws = wb.worksheets[0]  # 热线服务保障经费: 22 indicators, more than a page
    starts = [b.id + 1 for b in ws.row_breaks.brk]
    assert starts
    # the 一级 产出指标 continues over the first break: merged once per page, label on each
    labels = {(a, ws.cell(row=a, column=1).value) for a, _b in _merged_runs(ws, 1)}
    assert sum(1 for _a, v in labels if v == "产出指标") >= 2


# --- screen-only colours off paper ----------------------------------------------------------------


def test_finalize_removes_screen_only_colours(tmp_path):
    from perfxl.finalize import finalize
    from tests.forms_helpers import score_workbook

    src = write_projects(load_seed("self_evaluation_2023.json"), tmp_path / "自评.xlsx")
    score_workbook(src, src)
    wb = load_workbook(src)
    ws = wb.worksheets[0]
    assert ws.conditional_formatting, "the sheet carries perfxl's conditional formats"
    needs = [c for row in ws.iter_rows() for c in row if cell_role(c) == "needs_reason"]
    assert needs, "a seed row lacks its deviation reason (R7): shown pink on screen"
    ws["C14"].fill = PatternFill("solid", fgColor=SEVERITY_FILL[Severity.WARNING].lstrip("#"))
    ws.page_setup.fitToHeight = 1  # a workbook from before issue 17: one shrunken page
    wb.save(src)

    out = finalize(src, tmp_path / "out", force=True).xlsx
    done = load_workbook(out)
    assert int(done.worksheets[0].page_setup.fitToHeight) == 0
    for sheet in done.worksheets:
        kept = [rule.dxf.numFmt.formatCode if rule.dxf and rule.dxf.numFmt else rule.formula
                for cf in sheet.conditional_formatting for rule in cf.rules]
        assert all(code == ";;;" for code in kept), (sheet.title, kept)  # only 定性 hidden on paper
        for row in sheet.iter_rows():
            for cell in row:
                assert cell_role(cell) != "needs_reason", cell.coordinate
                rgb = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else ""
                assert not str(rgb).upper().endswith(("FFC7CE", "FFEB9C", "DDEBF7", "FFE4E1")), (
                    sheet.title, cell.coordinate)


# --- the layout of each year -----------------------------------------------------------------------


def _level1s(project) -> list[str]:
    return list(dict.fromkeys(i.level1 for i in project.indicators))


def test_blank_forms_and_carry_use_the_layout_of_their_year():
    for form in (Form.SELF_EVALUATION, Form.DECLARATION):
        new = template_project(form, 2026)
        assert ("成本指标", "经济成本指标") in [(i.level1, i.level2) for i in new.indicators]
        assert "成本指标" not in [i.level2 for i in new.indicators]
        old = template_project(form, 2021)
        assert ("产出指标", "成本指标") in [(i.level1, i.level2) for i in old.indicators]
        assert "成本指标" not in _level1s(old)
    # carry: the 2023 seed (older layout) becomes a 2024 declaration of the 2021 guide
    se = load_seed("self_evaluation_2023.json").projects[0]
    assert ("产出指标", "成本指标") in [(i.level1, i.level2) for i in se.indicators]
    nxt = to_next_declaration(se)
    assert years.uses_2021_guide(nxt.year)
    assert not [i for i in nxt.indicators if i.level2 == "成本指标"]
    blank_pairs = {(i.level1, i.level2) for i in template_project(Form.DECLARATION, nxt.year).indicators}
    assert {(i.level1, i.level2) for i in nxt.indicators} <= blank_pairs


# --- on paper: LibreOffice's PDF --------------------------------------------------------------------

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _pages(pdf: Path, tmp_path: Path) -> list[list[tuple[float, str]]]:
    """(word height in pt, word) of every word, page by page (``pdftotext -bbox``)."""
    import subprocess

    html = tmp_path / (pdf.stem + ".html")
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(html)], check=True)
    text = html.read_text(encoding="utf-8")
    return [[(float(m[4]) - float(m[2]), m[5]) for m in _WORD.finditer(page)]
            for page in text.split("<page ")[1:]]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The finalized seed workbooks, the blank templates and a 10.5 pt reference printed at a
    fixed 100 % — one LibreOffice call."""
    from perfxl.finalize import finalize
    from perfxl.libreoffice import to_pdf

    tmp = tmp_path_factory.mktemp("printing")
    files = {}
    for seed in ("self_evaluation_2023", "declaration_2026"):
        src = write_projects(load_seed(f"{seed}.json"), tmp / f"{seed}.xlsx")
        files[seed] = finalize(src, tmp / seed, force=True).xlsx
    for name in ("绩效自评表", "绩效目标申报表"):
        files[name] = TEMPLATES / f"{name}.xlsx"
    ref = Workbook()
    ref.active["A1"] = "五号字参照"
    ref.active["A1"].font = Font(name="宋体", size=10.5)
    ref.active.page_setup.scale = 100
    ref.save(tmp / "reference.xlsx")
    files["reference"] = tmp / "reference.xlsx"
    pdfs = to_pdf(list(files.values()), tmp / "pdf")
    return {key: _pages(pdf, tmp) for key, pdf in zip(files, pdfs)}


@pytest.mark.libreoffice
def test_body_text_is_at_least_10_5_pt_on_paper(printed):
    (ref_height, ref_word), = printed["reference"][0]
    assert ref_word == "五号字参照"
    for key in ("self_evaluation_2023", "declaration_2026", "绩效自评表", "绩效目标申报表"):
        heights = [h for page in printed[key] for h, w in page if _CJK.search(w)]
        assert len(heights) > 40, key
        # every Chinese word is printed at least as tall as the 10.5 pt reference at 100 %
        assert min(heights) >= ref_height - 0.01, (key, min(heights), ref_height)


@pytest.mark.libreoffice
def test_every_page_repeats_the_header_row(printed):
    for key in ("self_evaluation_2023", "declaration_2026"):
        pages = printed[key]
        assert len(pages) > 4, "four projects over several pages, not one shrunken page each"
        titles, table = 0, False
        for n, page in enumerate(pages, 1):
            words = [w for _h, w in page]
            if words[0].startswith("财政项目支出绩效"):  # a form's first page
                titles, table = titles + 1, False
            elif table:  # a page after the indicator table began: the header row comes first
                assert words[0] == "一级指标", (key, n, words[:3])
            table = table or "三级指标" in words
        assert titles == 4, key


@pytest.mark.libreoffice
def test_a_blank_form_prints_blank(printed):
    for key in ("绩效自评表", "绩效目标申报表"):
        words = [w for page in printed[key] for _h, w in page]
        assert "三级指标" in words
        assert not [w for w in words if re.fullmatch(r"\d+\.\d\d", w)], key  # no 10.00, no 0.00
        assert not {"差", "优", "良", "中"} & set(words), key


@pytest.mark.libreoffice
def test_a_qualitative_target_prints_its_word_alone(printed):
    # the seeds' qualitative targets (及时, 有效保障 …) are 定性 in the comparator cell, which the
    # page does not show: the three target cells read as the printed form does
    for key in ("self_evaluation_2023", "declaration_2026"):
        words = [w for page in printed[key] for _h, w in page]
        assert "及时" in words or "有效保障" in words, key
        assert "定性" not in words, key
