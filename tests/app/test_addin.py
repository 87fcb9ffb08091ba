"""Ribbon handlers (perfxl.addin) and the live adapter on a real xlwings Book (remote engine).

The workbook is turned into the JSON Excel sends (tests/app/test_addin_support.py), the handler runs
on ``xw.Book.caller()``, and the actions it returns are replayed on the file with openpyxl.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from perfxl import addin
from perfxl.adapters import live
from perfxl.findings import Severity
from perfxl.model import ProjectFile, set_location, set_sheet
from perfxl.patch import Formula
from tests.app.test_addin_support import apply_actions, remote, remote_book  # noqa: F401
from tests.paths import ROOT


# --- a located workbook without the template module ---------------------------------------------


def _seed_workbook(tmp_path, pf: ProjectFile, n: int | None = None):
    """A workbook with one sheet per project (name in B3, indicators from row 13: name C,
    target D, actual E, weight F, score G, reason H) and the projects located on it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    projects = pf.projects if n is None else [pf.projects[i % len(pf.projects)] for i in range(n)]
    located = []
    for k, project in enumerate(projects):
        project = project.model_copy(deep=True)
        title = f"P{k + 1}"
        ws = wb.create_sheet(title)
        ws["A1"], ws["A3"], ws["B3"] = "财政项目支出绩效自评表", "项目名称", project.name
        set_sheet(project, title)
        set_location(project, "name", title, "B3")
        for i, ind in enumerate(project.indicators):
            r = 13 + i
            for col, field in zip("CDEFGH", ("name", "target", "actual", "weight", "score", "reason")):
                value = getattr(ind, field)
                ws[f"{col}{r}"] = float(value) if isinstance(value, Decimal) else value
                set_location(ind, field, title, f"{col}{r}")
        located.append(project)
    if not wb.sheetnames:
        wb.create_sheet("Sheet1")
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path, ProjectFile(settings=pf.settings, projects=located)


def _reason_cell(path, project: str, indicator: str) -> tuple[str, str]:
    """Found without the checker: on the sheet of ``project``, the 偏差原因分析 cell of the row
    whose indicator name is ``indicator``."""
    wb = openpyxl.load_workbook(path)
    ws = wb[project]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    header = next(c for c in cells if c.value == "偏差原因分析")
    row = next(c.row for c in cells if c.value == indicator and c.row > header.row)
    return ws.title, ws.cell(row, header.column).coordinate


def _fill_rgb(wb, sheet: str, cell: str) -> str | None:
    fill = wb[sheet][cell].fill
    return fill.fgColor.rgb[-6:] if fill.fill_type == "solid" else None


def test_check_on_a_template_workbook_flags_the_known_errors_and_clears_fixed_ones(remote, tmp_path, self_evaluations):
    """校验 on a real template workbook, nothing mocked: the two scores below their weight
    without a reason (domain.md §4: 热线·退单 5/6, 行政服务·项目的可持续性 13/15) are listed
    as errors with links and coloured red; the sheet equals `perfxl check --json`; after the
    user types a reason and runs 校验 again, that cell's flag and row are gone."""
    from perfxl.forms.workbook import write_projects

    path = write_projects(self_evaluations, tmp_path / "book.xlsx")
    known = [_reason_cell(path, "热线服务保障经费", "退单"),
             _reason_cell(path, "绿化市容行政服务工作经费", "项目的可持续性")]
    red = addin.SEVERITY_FILL[Severity.ERROR].lstrip("#")

    book = remote_book(path)
    message = addin.check()
    wb = openpyxl.load_workbook(path)
    extra = apply_actions(wb, book.json()["actions"])
    assert extra["alerts"][-1]["prompt"] == message and message.startswith("校验完成：错误")
    rows = list(wb[addin.FINDINGS_SHEET].iter_rows(values_only=True))
    assert list(rows[0]) == addin.FINDINGS_HEADER
    for sheet, cell in known:
        [row] = [r for r in rows[1:] if (r[3], r[4]) == (sheet, cell)]
        assert row[2] == "错误" and "原因" in row[5], row
        assert row[6] == f'=HYPERLINK("#\'{sheet}\'!{cell}","{sheet}!{cell}")'
        assert _fill_rgb(wb, sheet, cell) == red
    # the same findings as the command line reads from the file
    proc = _cli_check_json(path, tmp_path)
    cli_rows = {(f["code"], f["sheet"], f["cell"], f["message"]) for f in proc}
    assert {(r[1], r[3], r[4], r[5]) for r in rows[1:]} == cli_rows
    wb.save(path)

    # the user explains the first one and runs 校验 again
    sheet, cell = known[0]
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = "偏差原因：人员调整，已补充。"
    wb.save(path)
    book = remote_book(path)
    addin.check()
    wb = openpyxl.load_workbook(path)
    apply_actions(wb, book.json()["actions"])
    again = [r for r in wb[addin.FINDINGS_SHEET].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert wb.sheetnames.count(addin.FINDINGS_SHEET) == 1
    assert not [r for r in again[1:] if (r[3], r[4]) == (sheet, cell)]
    assert _fill_rgb(wb, sheet, cell) is None  # the previous run's flag is cleared
    assert _fill_rgb(wb, *known[1]) == red  # the other one is still flagged
    assert len(again) == len(rows) - 1  # cleared, not appended


def _cli_check_json(path, tmp_path) -> list[dict]:
    """`perfxl check --json FILE`: the findings as the command line prints them."""
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "perfxl.cli", "check", "--json", str(path)],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["findings"]


def test_unexpected_error_becomes_an_alert_and_a_log_entry(remote, tmp_path, monkeypatch):
    path, _ = _seed_workbook(tmp_path, ProjectFile(projects=[]))
    book = remote_book(path)

    def broken(book, ui):
        raise ZeroDivisionError("boom")

    message = addin.run("评分", broken)
    extra = apply_actions(openpyxl.load_workbook(path), book.json()["actions"])
    assert extra["alerts"] == [{"prompt": message, "title": "绩效 · 评分出错"}]
    assert "意外错误" in message and "perfxl.log" in message and "Traceback" not in message
    log = (tmp_path / "perfxl-home" / "perfxl.log").read_text(encoding="utf-8")
    assert "ZeroDivisionError: boom" in log and "Traceback" in log


def test_user_error_says_what_to_do(remote, tmp_path):
    path, _ = _seed_workbook(tmp_path, ProjectFile(projects=[]))
    book = remote_book(path)
    message = addin.finalize()  # the remote engine has no file to copy
    extra = apply_actions(openpyxl.load_workbook(path), book.json()["actions"])
    assert message.startswith("定稿未完成：") and "perfxl finalize" in message
    assert extra["alerts"][0]["title"] == "绩效 · 定稿未完成"


def test_no_caller_is_logged_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("PERFXL_HOME", str(tmp_path))
    assert "没有找到调用的工作簿" in addin.score()
    assert (tmp_path / "perfxl.log").exists()


# --- Excel round trips grow with sheets, not cells ---------------------------------------------


def _score_calls(tmp_path, pf: ProjectFile, n: int, indicator_copies: int = 1):
    """Run 评分 on a template workbook of ``n`` projects (the seeds, cycled; each indicator
    list repeated ``indicator_copies`` times); return (Excel actions by kind, sheets, cells
    written, the scored workbook)."""
    from perfxl.forms.workbook import write_projects

    projects = []
    for i in range(n):
        p = pf.projects[(i % 10) % len(pf.projects)].model_copy(deep=True)  # 50 = 5 × the 10
        p.name = f"{p.name}{i + 1}"
        p.indicators = [ind.model_copy() for _ in range(indicator_copies) for ind in p.indicators]
        projects.append(p)
    path = write_projects(ProjectFile(settings=pf.settings, projects=projects),
                          tmp_path / f"b{n}_{indicator_copies}.xlsx")
    book = remote_book(path)
    assert addin.score().startswith("评分完成")
    actions = book.json()["actions"]
    wb = openpyxl.load_workbook(path)
    extra = apply_actions(wb, actions)
    cells = sum(len(a["values"]) * len(a["values"][0]) for a in actions
                if a["func"] in ("setValues", "setFormula"))
    return extra["counts"], len(projects), cells, wb


def test_round_trips_of_score_grow_with_sheets_only(remote, tmp_path, self_evaluations):
    """评分 on the real template: 50 projects make 5× the Excel calls of 10, and doubling every
    project's indicators (twice the cells written) makes no more calls."""
    c10, s10, cells10, _ = _score_calls(tmp_path, self_evaluations, 10)
    c10x2, _, cells10x2, _ = _score_calls(tmp_path, self_evaluations, 10, indicator_copies=2)
    c50, s50, cells50, _ = _score_calls(tmp_path, self_evaluations, 50)
    assert (s10, s50) == (10, 50)
    assert cells10x2 > 1.5 * cells10 and cells50 == 5 * cells10  # the work really grows
    assert c10 == c10x2, (c10, c10x2)  # twice the indicators: the same calls
    assert c10["alert"] == c50["alert"] == 1
    per_sheet = {k: v for k, v in c10.items() if k != "alert"}
    assert {k: v for k, v in c50.items() if k != "alert"} == {k: 5 * v for k, v in per_sheet.items()}
    assert sum(per_sheet.values()) / 10 <= 12, c10  # a dozen calls per sheet at most


def test_blocks_cover_cells_with_rectangles():
    cells = {(r, c): f"{r},{c}" for r in range(13, 53) for c in (7, 8, 11, 12)}
    cells[(6, 8)] = "x"
    rects = live.blocks(cells)
    assert [(r, c, len(v), len(v[0])) for r, c, v in rects] == [
        (6, 8, 1, 1), (13, 7, 40, 2), (13, 11, 40, 2)]
    assert rects[1][2][0] == ["13,7", "13,8"]


def test_excel_values_keep_text_as_text():
    assert live.excel_value("=not a formula") == "'=not a formula"
    assert live.excel_value(Formula("=SUM(A1:A2)")) == "=SUM(A1:A2)"
    assert live.excel_value(Decimal("5.00")) == 5 and live.excel_value(Decimal("5.33")) == 5.33


# --- 评分 on the real template workbook: the same cells as `perfxl score` ---------------------------


@pytest.fixture(scope="module")
def seed_books(tmp_path_factory):
    """The seed self-evaluations and declarations written with the template, each with its
    LibreOffice recalculation (the values Excel would send for formula cells; one soffice call).
    {form: (written, recalculated)}."""
    from perfxl.forms.workbook import write_projects
    from perfxl.libreoffice import recalculate, soffice_path
    from tests.conftest import load_seed

    if soffice_path() is None:
        pytest.skip("LibreOffice is not installed")
    tmp = tmp_path_factory.mktemp("seeds")
    written = []
    for seed in ("self_evaluation_2023.json", "declaration_2026.json"):
        written.append(write_projects(load_seed(seed), tmp / (seed.split(".")[0] + ".xlsx")))
    recalculated = recalculate(written, tmp / "recalc")
    return dict(zip(("self_evaluation", "declaration"), zip(written, recalculated)))


def _clear_computed_cells(path) -> int:
    """Empty what scoring must fill in again — the formula cells perfxl owns on odd rows (the
    others keep their formulas, which the remote engine shows as computed values) and the first
    typed score of each self-evaluation — as in a workbook of an older version or edited by
    hand. Returns the number of cells emptied."""
    from perfxl.forms.workbook import read_workbook, score_patch

    wb = openpyxl.load_workbook(path)
    patch, _pf, _ = score_patch(wb)
    n = 0
    for w in patch.writes():
        if isinstance(w.value, Formula) and live._anchor(w.ref)[0] % 2 == 1:
            wb[w.sheet][w.ref].value = None
            n += 1
    _pf, _, maps = read_workbook(wb)
    for project, smap in maps:
        if project.form == "self_evaluation" and smap.rows:
            wb[smap.sheet].cell(smap.rows[0], smap.cols["score"]).value = None
            n += 1
    wb.save(path)
    return n


@pytest.mark.parametrize("form", ["self_evaluation", "declaration"])
def test_score_gives_the_same_cells_as_the_cli(remote, tmp_path, seed_books, form):
    import shutil

    from tests.forms_helpers import score_workbook
    from tests.app.test_addin_support import cell_snapshot

    written, recalculated = seed_books[form]
    src = tmp_path / "seed.xlsx"
    shutil.copy(written, src)
    cleared = _clear_computed_cells(src)
    assert cleared > 100
    cli_out = score_workbook(src, tmp_path / "cli.xlsx")

    book = remote_book(src, values_from=recalculated)
    message = addin.score()
    assert message.startswith("评分完成"), message
    wb = openpyxl.load_workbook(src)
    extra = apply_actions(wb, book.json()["actions"])
    assert extra["alerts"][-1]["prompt"] == message
    assert extra["counts"]["setValues"] + extra["counts"]["setFormula"] > 0
    before = cell_snapshot(openpyxl.load_workbook(src))
    ours, theirs = cell_snapshot(wb), cell_snapshot(openpyxl.load_workbook(cli_out))
    assert len(set(theirs) - set(before)) >= cleared  # the CLI filled in every emptied cell
    diff = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs)
            if ours.get(k) != theirs.get(k)}
    assert not diff, sorted(diff.items())[:10]


# --- the desktop snapshot: one SaveCopyAs, and a Chinese message when Excel cannot ------------------


class _FakeDesktopApp:
    """The parts of a desktop ``xw.App`` the handlers touch before reading the workbook."""

    class engine:
        name = "excel"

    def __init__(self):
        self.alerts, self.status = [], []

    @property
    def status_bar(self):
        return None

    @status_bar.setter
    def status_bar(self, value):
        self.status.append(value)

    def alert(self, text, title=""):
        self.alerts.append((title, text))


class _FakeDesktopBook:
    """A desktop ``xw.Book`` whose ``api.SaveCopyAs`` copies ``source`` (or raises ``error``)."""

    def __init__(self, name, source=None, error=None):
        import shutil
        import types

        self.name, self.fullname, self.app = name, name, _FakeDesktopApp()
        self.saved = []

        def save_copy_as(path):
            self.saved.append(path)
            if error is not None:
                raise error
            shutil.copy(source, path)

        self.api = types.SimpleNamespace(SaveCopyAs=save_copy_as)


def test_desktop_snapshot_is_one_save_copy_as_with_formulas_and_merges(tmp_path, self_evaluations):
    from perfxl.forms.workbook import write_projects

    src = write_projects(self_evaluations, tmp_path / "seed.xlsx")
    book = _FakeDesktopBook("seed.xlsx", source=src)
    counter = live.CallCounter()
    wb = live.snapshot(book, counter)
    assert dict(counter.calls) == {"read": 1} and len(book.saved) == 1
    ws = wb.worksheets[0]
    assert ws["O14"].data_type == "f" and ws.merged_cells.ranges  # formulas and merges kept (v2: 建议得分)


@pytest.mark.parametrize("name, error, expect", [
    ("工作簿1", Exception(-2147352567, "发生意外。", (0, "Microsoft Excel", "SaveCopyAs 方法失败", None, 0, 0), None),
     "请先保存工作簿"),
    ("旧表.xls", None, "另存为"),
    ("坏副本.xlsx", None, "无法读取工作簿“坏副本.xlsx”的临时副本"),
])
def test_desktop_read_errors_become_a_chinese_message(tmp_path, monkeypatch, name, error, expect):
    monkeypatch.setenv("PERFXL_HOME", str(tmp_path / "home"))
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    book = _FakeDesktopBook(name, source=junk, error=error)
    monkeypatch.setattr(addin, "_caller", lambda: book)
    message = addin.score()
    assert message.startswith("评分未完成：") and expect in message, message
    assert "Traceback" not in message and "Error" not in message
    assert book.app.alerts == [("绩效 · 评分未完成", message)]
    assert book.app.status[-1] is False  # the status bar is given back
    if name.endswith(".xls"):
        assert book.saved == []  # refused before asking Excel for a copy


# --- 汇总 and 生成自评表 through the remote engine ------------------------------------------------------


def test_summary_sheets_equal_build_summary_sheets(remote, tmp_path, self_evaluations):
    """汇总 writes the values of every summary table that ``build_summary_sheets`` (the file
    path) writes: same headers, same rows, links to the same source cells; rerun replaces."""
    import re as _re

    from perfxl.forms.workbook import read_workbook, write_projects
    from perfxl.pipeline import check
    from perfxl.summary.build import build_summary_sheets

    src = write_projects(self_evaluations, tmp_path / "seed.xlsx")
    ref = openpyxl.load_workbook(src)
    pf, read_findings, _ = read_workbook(ref)
    build_summary_sheets(ref, check(pf, read_findings, "live"), label=addin.SUMMARY_LABEL)

    for run in (1, 2):
        book = remote_book(src)
        message = addin.summary()
        assert message.startswith("汇总完成："), message
        wb = openpyxl.load_workbook(src)
        apply_actions(wb, book.json()["actions"])
        wb.save(src)
    added = [s for s in wb.sheetnames if s not in openpyxl.load_workbook(write_projects(
        self_evaluations, tmp_path / "plain.xlsx")).sheetnames]
    assert len(added) == len(set(added)) >= 5 and "自评汇总" in added and "偏差明细" in added
    compared = 0
    for title in added:
        ours = [r for r in wb[title].iter_rows(values_only=True)]
        theirs = [r for r in ref[title].iter_rows(values_only=True) if any(v is not None for v in r)]
        assert len(ours) == len(theirs), title
        for i, (a, b) in enumerate(zip(ours, theirs)):
            for j, (x, y) in enumerate(zip(a, b)):
                if isinstance(y, str) and y.startswith("=") or (i == 0 and y is None):
                    continue  # a formula of the file's table: the handler writes its value
                if isinstance(x, str) and x.startswith("=HYPERLINK"):
                    sheet, cell = _re.search(r"#'(.+)'!([A-Z]+\d+)", x).groups()
                    assert y == f"{addin.SUMMARY_LABEL} · {sheet}!{cell}", (title, i, j)
                    assert sheet in wb.sheetnames, (title, i, j)  # the link lands in this workbook
                    continue
                if isinstance(y, Decimal):
                    y = float(y)
                assert x == y, (title, i, j, x, y)
                compared += 1
    assert compared > 300
    # the computed columns hold the core's values: 热线服务保障经费 total 90.98, 优 (domain.md §4)
    row = next(r for r in wb["自评汇总"].iter_rows(values_only=True) if r[3] == "热线服务保障经费")
    assert 90.98 in row and "优" in row


def test_self_evaluation_button_writes_what_perfxl_carry_writes(remote, tmp_path, monkeypatch, declarations):
    from perfxl.carry import carry_workbook
    from perfxl.forms.workbook import write_projects
    from tests.app.test_addin_support import cell_snapshot

    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # an unsaved remote book writes to ~/Documents
    (tmp_path / "home" / "Documents").mkdir(parents=True)
    src = write_projects(declarations, tmp_path / "申报.xlsx")
    cli = tmp_path / "cli.xlsx"
    carry_workbook(src, cli)  # perfxl carry

    book = remote_book(src)
    message = addin.self_evaluation()
    assert message.startswith(f"已生成 {len(declarations.projects)} 个项目的绩效自评表"), message
    written = list((tmp_path / "home" / "Documents").glob("*绩效自评表.xlsx"))
    assert len(written) == 1 and str(written[0]) in message
    extra = apply_actions(openpyxl.load_workbook(src), book.json()["actions"])
    assert [a["title"] for a in extra["alerts"]] == ["绩效 · 生成自评表"]
    ours, theirs = cell_snapshot(openpyxl.load_workbook(written[0])), cell_snapshot(openpyxl.load_workbook(cli))
    diff = {k: (ours.get(k), theirs.get(k)) for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)}
    assert not diff, sorted(diff.items())[:10]
    assert len(ours) > 500


# --- 新建项目 ---------------------------------------------------------------------------------------


def test_new_project_needs_desktop_excel_on_the_remote_engine(remote, tmp_path, self_evaluations):
    from perfxl.forms.workbook import write_projects

    src = write_projects(self_evaluations, tmp_path / "seed.xlsx")
    book = remote_book(src)
    message = addin.new_project()
    assert message.startswith("新建项目未完成：新建项目需要桌面版 Excel") and "perfxl new" in message
    extra = apply_actions(openpyxl.load_workbook(src), book.json()["actions"])
    assert [a["title"] for a in extra["alerts"]] == ["绩效 · 新建项目未完成"]
    assert extra["counts"]["addSheet"] == 0  # nothing half-built


class _FakeSheet:
    def __init__(self, book, name):
        import types

        self.book, self.name = book, name
        self.api = types.SimpleNamespace(Copy=self._copy, sheet=self)
        self.activated = False

    def _copy(self, After):
        dest = After.sheet.book
        dest.calls.append(("Copy", self.book.path, self.name))
        new = _FakeSheet(dest, self.name if self.name not in dest.sheet_names() else self.name + " (2)")
        dest.sheets.insert(dest.sheets.index(After.sheet) + 1, new)

    def activate(self):
        self.activated = True


class _FakeBooks:
    def __init__(self, app):
        self.app = app

    def open(self, path):
        template = _FakeDesktopBook(Path(path).name)
        template.path, template.app = path, self.app
        template.sheets = _SheetList(_FakeSheet(template, t) for t in openpyxl.load_workbook(path).sheetnames)
        template.close = lambda: self.app.closed.append(path)
        self.app.opened.append((path, openpyxl.load_workbook(path)))
        return template


class _SheetList(list):
    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)


def _fake_desktop_with_sheets(src):
    book = _FakeDesktopBook(Path(src).name, source=src)
    book.path, book.calls = str(src), []
    book.sheets = _SheetList(_FakeSheet(book, t) for t in openpyxl.load_workbook(src).sheetnames)
    book.sheet_names = lambda: [s.name for s in book.sheets]
    app = book.app
    app.display_alerts, app.opened, app.closed = True, [], []
    app.books = _FakeBooks(app)
    return book


def _patch_sheets(book):
    # _FakeDesktopBook builds plain lists; the handler indexes sheets by name as xlwings does
    book.sheets = _SheetList(book.sheets)
    return book



@pytest.mark.parametrize("seed, form_title, year", [
    ("self_evaluations", "绩效自评表", 2023), ("declarations", "绩效目标申报表", 2026)])
def test_new_project_copies_a_template_sheet_in_one_call(tmp_path, monkeypatch, request, seed, form_title, year):
    """Desktop: the blank form is laid out by the forms code in a temporary workbook, opened in
    the same Excel, and its sheet copied in with one Worksheet.Copy (the workbook already has
    perfxl设置); dialogs are off during the copy and back on after; the template is closed."""
    from perfxl.forms.workbook import read_projects, write_projects

    monkeypatch.setenv("PERFXL_HOME", str(tmp_path / "home"))
    pf = request.getfixturevalue(seed)
    src = write_projects(pf, tmp_path / "seed.xlsx")
    book = _patch_sheets(_fake_desktop_with_sheets(src))
    monkeypatch.setattr(addin, "_caller", lambda: book)
    before = book.sheet_names()
    message = addin.new_project()
    assert message.startswith(f"已新建{form_title}工作表“{form_title}”（{year} 年度）"), message
    assert book.sheet_names() == before + [form_title]
    assert book.calls == [("Copy", book.app.opened[0][0], form_title)]  # one Excel copy
    assert book.sheets[-1].activated and book.app.display_alerts is True
    assert book.app.closed == [book.app.opened[0][0]]
    # the template that was copied is a blank form of that year the reader recognises
    template_path, template = book.app.opened[0]
    assert template.sheetnames[0] == form_title
    template.save(tmp_path / "copied.xlsx")
    blank, _ = read_projects(tmp_path / "copied.xlsx")
    assert [p.year for p in blank.projects] == [year] and blank.projects[0].name == ""
    assert template[form_title].merged_cells.ranges and template[form_title].data_validations.dataValidation
    assert not Path(template_path).exists()  # the temporary workbook is gone

    # again: the title is taken, so the copy is renamed to a unique one
    book.calls.clear()
    message = addin.new_project()
    assert f"工作表“{form_title}(2)”" in message, message
    assert book.sheet_names() == before + [form_title, f"{form_title}(2)"]  # Excel's "… (2)" renamed
    assert book.calls == [("Copy", book.app.opened[1][0], form_title)]


def test_new_project_in_an_empty_workbook_copies_the_settings_sheet_too(tmp_path, monkeypatch):
    from perfxl.forms import settings_sheet

    monkeypatch.setenv("PERFXL_HOME", str(tmp_path / "home"))
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    src = tmp_path / "empty.xlsx"
    wb.save(src)
    book = _patch_sheets(_fake_desktop_with_sheets(src))
    monkeypatch.setattr(addin, "_caller", lambda: book)
    message = addin.new_project()
    assert "绩效目标申报表" in message, message
    assert [c[2] for c in book.calls] == [settings_sheet.SHEET, "绩效目标申报表"]
    assert book.sheet_names() == ["Sheet1", settings_sheet.SHEET, "绩效目标申报表"]
