"""Ribbon handlers (perfxl.addin) and the live adapter on a real xlwings Book (remote engine).

The workbook is turned into the JSON Excel sends (tests/test_addin_support.py), the handler runs
on ``xw.Book.caller()``, and the actions it returns are replayed on the file with openpyxl.
"""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from perfxl import addin
from perfxl.adapters import live
from perfxl.findings import Finding, Severity
from perfxl.model import ProjectFile, SelfEvaluation, set_location, set_sheet
from perfxl.patch import Formula, Patch, Write
from tests.test_addin_support import apply_actions, remote, remote_book  # noqa: F401


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


@pytest.fixture
def seeded(remote, tmp_path, monkeypatch, self_evaluations):
    path, pf = _seed_workbook(tmp_path, self_evaluations)

    def fake_read_live(book, ui):
        wb = live.snapshot(book, ui.counter)  # the real bulk read, on the remote engine
        assert wb["P1"]["B3"].value == pf.projects[0].name
        return wb, pf, []

    monkeypatch.setattr(addin, "read_live", fake_read_live)
    return path, pf


def test_check_lists_findings_with_links_and_colours_and_replaces_on_rerun(seeded):
    path, pf = seeded
    findings = addin.all_findings(pf, [])
    located = [f for f in findings if f.sheet.startswith("P") and addin._CELL.match(f.cell)]
    assert located, "the seeds have known problems (domain.md §4)"

    book = remote_book(path)
    message = addin.check()
    wb = openpyxl.load_workbook(path)
    extra = apply_actions(wb, book.json()["actions"])
    ws = wb[addin.FINDINGS_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == addin.FINDINGS_HEADER
    assert len(rows) == 1 + len(findings)
    first = located[0]
    row = next(r for r in rows[1:] if r[1] == first.code and r[3] == first.sheet and r[4] == first.cell)
    assert row[2] == first.severity.label and row[5] == first.message
    assert row[6] == f'=HYPERLINK("#\'{first.sheet}\'!{first.cell}","{first.sheet}!{first.cell}")'
    flagged = wb[first.sheet][first.cell]
    assert flagged.fill.fgColor.rgb[-6:] in {c.lstrip("#") for c in addin.SEVERITY_FILL.values()}
    assert extra["alerts"] and "校验完成" in extra["alerts"][-1]["prompt"]
    assert message == extra["alerts"][-1]["prompt"] and "Traceback" not in message
    wb.save(path)

    # run again on the result: the sheet is replaced (cleared and rewritten), never duplicated,
    # and the previous flags are cleared before this run's are set
    book = remote_book(path)
    addin.check()
    wb = openpyxl.load_workbook(path)
    apply_actions(wb, book.json()["actions"])
    assert wb.sheetnames.count(addin.FINDINGS_SHEET) == 1
    assert [s for s in wb.sheetnames if s.startswith(addin.FINDINGS_SHEET)] == [addin.FINDINGS_SHEET]
    assert ws.max_row == len(list(wb[addin.FINDINGS_SHEET].iter_rows(values_only=True)))
    assert wb[first.sheet][first.cell].fill.fgColor.rgb[-6:] == flagged.fill.fgColor.rgb[-6:]


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


def _score_patch(sheets: int, indicators: int) -> Patch:
    """What scoring writes per sheet: execution rate and score, a suggested score and a flag
    per indicator, total and grade (the shape of the self-evaluation layout)."""
    patch = Patch()
    for s in range(sheets):
        title = f"P{s + 1}"
        patch.add(Write(title, "H6", Formula("=IF(D6=0,0,E6/D6*100)")))
        patch.add(Write(title, "I6", Decimal("9.98"), "score"))
        for i in range(indicators):
            r = 13 + i
            patch.add(Write(title, f"K{r}", Decimal("5.33"), "suggested"))
            patch.add(Write(title, f"L{r}", "需说明偏差原因" if i % 3 == 0 else None, "flag"))
            patch.add(Write(title, f"H{r}", None, "needs_reason" if i % 3 == 0 else "reason"))
        patch.add(Write(title, f"G{13 + indicators}", Formula(f"=SUM(G13:G{12 + indicators})"), "total"))
        patch.add(Write(title, f"F{14 + indicators}", "优", "grade"))
    return patch


def _actions(remote, tmp_path, sheets: int, indicators: int) -> tuple[int, live.CallCounter]:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for s in range(sheets):
        wb.create_sheet(f"P{s + 1}")["A1"] = "财政项目支出绩效自评表"
    path = tmp_path / f"b{sheets}_{indicators}.xlsx"
    wb.save(path)
    book = remote_book(path)
    counter = live.apply_patch(book, _score_patch(sheets, indicators))
    actions = book.json()["actions"]
    # the actions really perform the patch
    check = openpyxl.load_workbook(path)
    apply_actions(check, actions)
    ws = check[f"P{sheets}"]
    assert ws["K13"].value == 5.33 and ws[f"K{12 + indicators}"].value == 5.33
    assert ws["L13"].value == "需说明偏差原因" and ws[f"F{14 + indicators}"].value == "优"
    assert ws["H13"].fill.fgColor.rgb[-6:] == "FFE4E1"  # needs_reason fill
    assert len(actions) == counter.total
    return len(actions), counter


def test_round_trips_grow_with_sheets_only(remote, tmp_path):
    few_10, _ = _actions(remote, tmp_path, 10, 3)
    many_10, _ = _actions(remote, tmp_path, 10, 40)
    many_50, counter = _actions(remote, tmp_path, 50, 40)
    assert few_10 == many_10  # 3 or 40 indicators per sheet: the same number of Excel calls
    assert many_50 == 5 * many_10  # 5× the sheets: 5× the calls
    per_sheet = many_50 // 50
    assert per_sheet <= 8, counter.calls  # a handful of block writes and one colour call per sheet


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

    from perfxl.forms.workbook import score_workbook
    from tests.test_addin_support import cell_snapshot

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
