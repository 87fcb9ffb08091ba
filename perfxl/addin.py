"""Ribbon handlers of the Excel add-in: one function per button, called by ``RunPython``.

``macros/PerfxlRibbon.bas`` runs ``import perfxl.addin as a; a.score()`` and so on. Every
handler works on the workbook as it is on screen (``xw.Book.caller()``, unsaved edits included),
reads it through the live adapter (one bulk read per sheet), computes with the same core as the
CLI, writes back in blocks, shows progress in the status bar where Excel has one, and ends with
a short Chinese message box. A handler never shows a Python traceback: a problem the user can
fix becomes a message saying what to do; anything else is logged (:mod:`perfxl.errorlog`) and
the message names the log file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Callable

from perfxl.adapters import live
from perfxl.errors import InputError
from perfxl.findings import Finding, Severity
from perfxl.forms.styles import SEVERITY_FILL

TITLE = "绩效"
FINDINGS_SHEET = "校验结果"
FINDINGS_HEADER = ["序号", "代码", "严重程度", "工作表", "单元格", "问题说明", "定位"]
_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


class UserError(Exception):
    """Something the user can fix; the message (Chinese) says what to do."""


# --- the user interface of one run ---------------------------------------------------------------


class UI:
    """Status bar and message box of the calling Excel, each guarded (the remote engine has no
    status bar; an alert that cannot be shown must not hide the result)."""

    def __init__(self, book):
        self.book = book
        self.counter = live.CallCounter()

    def status(self, text: str | bool) -> None:
        try:
            self.book.app.status_bar = text
        except Exception:
            pass

    def alert(self, text: str, title: str = TITLE) -> None:
        try:
            self.book.app.alert(text, title=title)
        except Exception:
            from perfxl.errorlog import log_exception

            try:
                raise RuntimeError(f"无法显示消息框：{title}：{text}")
            except RuntimeError as exc:
                log_exception(exc)


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def run(action: str, work: Callable[[object, UI], str]) -> str:
    """Run one button's ``work(book, ui)`` and show its message; return the message shown."""
    from perfxl.errorlog import log_exception

    try:
        book = _caller()
    except Exception as exc:  # not started from Excel: nothing to show a message in
        log_exception(exc)
        return f"{action}未完成：没有找到调用的工作簿。"
    ui = UI(book)
    ui.status(f"{TITLE}：正在{action}……")
    try:
        message = work(book, ui)
        title = f"{TITLE} · {action}"
    except UserError as exc:
        message, title = f"{action}未完成：{exc}", f"{TITLE} · {action}未完成"
    except Exception as exc:  # never a traceback in Excel
        known = _known_error(exc)
        if known is not None:
            message, title = f"{action}未完成：{known}", f"{TITLE} · {action}未完成"
        else:
            log = log_exception(exc)
            message = (
                f"{action}未完成：发生了意外错误（{type(exc).__name__}: {exc}）。\n"
                f"工作簿未被改动或只改动了一部分，请检查后重试。\n"
                f"如仍出错，请把日志文件 {log} 发给维护人员。"
            )
            title = f"{TITLE} · {action}出错"
    finally:
        ui.status(False)
    ui.alert(message, title)
    return message


def _known_error(exc: Exception) -> str | None:
    """The Chinese message of an error the core raises for the user (not a bug)."""
    from perfxl.addin_build import AddinError
    from perfxl.cellvalues import CellValueError
    from perfxl.finalize import FinalizeRefused

    known = (live.LiveReadError, InputError, FinalizeRefused, AddinError, CellValueError)
    return str(exc) if isinstance(exc, known) else None


# --- reading the live workbook --------------------------------------------------------------------


def _forms():
    """The template's workbook module (perfxl.forms.workbook)."""
    try:
        from perfxl.forms import workbook
    except ModuleNotFoundError as exc:
        if exc.name != "perfxl.forms.workbook":
            raise
        raise UserError("perfxl 的模板读写模块未安装完整，请联系维护人员重新安装 perfxl。") from exc
    return workbook


def read_live(book, ui: UI):
    """(snapshot, ProjectFile, reader findings) of the workbook on screen, not yet scored."""
    forms = _forms()
    wb = live.snapshot(book, ui.counter)
    pf, findings, _maps = forms.read_workbook(wb)
    _require_projects(pf)
    return wb, pf, findings


def check_live(book, ui: UI):
    """(snapshot, checked projects) of the workbook on screen (:func:`perfxl.pipeline.check`)."""
    from perfxl.pipeline import check

    wb, pf, findings = read_live(book, ui)
    return wb, check(pf, findings, "live")


def _require_projects(pf) -> None:
    if not pf.projects:
        raise UserError(
            "此工作簿中没有找到绩效申报表或自评表。请在 perfxl 模板生成的工作簿中使用，"
            "或先点击“新建项目”。"
        )


def _counts(findings) -> str:
    parts = [f"{sev.label} {n} 项" for sev in Severity if (n := sum(f.severity is sev for f in findings))]
    return "，".join(parts) if parts else "未发现问题"


# --- 评分 -----------------------------------------------------------------------------------------


def score_work(book, ui: UI) -> str:
    from perfxl.pipeline import score_book

    _forms()  # an incomplete install: a message that says so, not an import error
    wb = live.snapshot(book, ui.counter)
    ui.status(f"{TITLE}：正在计算得分……")
    checked, patch = score_book(wb, "live")  # one read, each project scored once
    _require_projects(checked.file)
    ui.status(f"{TITLE}：正在写入 {len(checked.file.projects)} 个项目的得分……")
    live.apply_patch(book, patch, ui.counter, skip=live.merged_followers(wb))
    scores = checked.scores
    lines = [
        f"{s.project.name}：{'总分 ' + format(s.total, 'f') + '，' + (s.grade or '') if s.total is not None else ('申报表（无总分）' if s.project.form.value == 'declaration' else '尚未填写（无总分）')}"
        for s in scores[:10]
    ]
    more = f"\n……共 {len(scores)} 个项目" if len(scores) > 10 else ""
    return (
        "评分完成。\n" + "\n".join(lines) + more +
        f"\n校验：{_counts(checked.findings)}。点击“校验”查看每个问题的位置。"
    )


def score() -> str:
    """评分: fill what ``perfxl score`` writes (execution rate and score, suggested scores,
    totals, grade, deviation flags)."""
    return run("评分", score_work)


# --- 校验 -----------------------------------------------------------------------------------------


def _link(sheet: str, cell: str) -> str | None:
    if not _CELL.match(cell or ""):
        return None
    target = "#'" + sheet.replace("'", "''") + "'!" + cell
    text = f"{sheet}!{cell}"
    return '=HYPERLINK("{}","{}")'.format(target.replace('"', '""'), text.replace('"', '""'))


def findings_rows(findings: list[Finding]) -> list[list]:
    """The 校验结果 table: header and one row per finding, a HYPERLINK to its cell."""
    from perfxl.patch import Formula

    rows: list[list] = [FINDINGS_HEADER]
    for i, f in enumerate(findings, 1):
        link = _link(f.sheet, f.cell)
        rows.append([i, f.code, f.severity.label, f.sheet, f.cell, f.message,
                     Formula(link) if link else ""])
    return rows


def _previous_flags(wb) -> dict[str, set[tuple[int, int]]]:
    """Cells a previous 校验 coloured, as listed in its 校验结果 sheet (read in the snapshot)."""
    out: dict[str, set[tuple[int, int]]] = defaultdict(set)
    if FINDINGS_SHEET not in wb.sheetnames:
        return out
    ws = wb[FINDINGS_SHEET]
    for row in ws.iter_rows(min_row=2, max_col=5, values_only=True):
        sheet, cell = row[3], row[4]
        if isinstance(sheet, str) and isinstance(cell, str) and (m := _CELL.match(cell)):
            out[sheet].add(_rc(m))
    return out


def _rc(m: re.Match) -> tuple[int, int]:
    from openpyxl.utils import column_index_from_string

    return int(m.group(2)), column_index_from_string(m.group(1))


def check_work(book, ui: UI) -> str:
    from perfxl.patch import Patch, Write

    wb, checked = check_live(book, ui)
    pf = checked.file
    ui.status(f"{TITLE}：正在校验 {len(pf.projects)} 个项目……")
    findings = [f for f in checked.findings if f.sheet != FINDINGS_SHEET]
    # the findings sheet: replaced, never duplicated
    names = [s.name for s in book.sheets]
    if FINDINGS_SHEET in names:
        book.sheets[FINDINGS_SHEET].clear_contents()
    else:
        book.sheets.add(FINDINGS_SHEET, after=book.sheets[len(names) - 1])
    ui.counter.add("sheet")
    patch = Patch()
    patch.add(Write(FINDINGS_SHEET, "A1", findings_rows(findings)))
    live.apply_patch(book, patch, ui.counter)
    # colours: clear the previous run's flags, then flag this run's cells (worst severity wins)
    colours: dict[str, dict[tuple[int, int], str | None]] = defaultdict(dict)
    for sheet, cells in _previous_flags(wb).items():
        if sheet in names:
            for cell in cells:
                colours[sheet][cell] = None
    rank = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
    worst: dict[tuple[str, tuple[int, int]], Severity] = {}
    for f in findings:
        m = _CELL.match(f.cell or "")
        if m and f.sheet in names:
            key = (f.sheet, _rc(m))
            if key not in worst or rank[f.severity] > rank[worst[key]]:
                worst[key] = f.severity
    for (sheet, cell), sev in worst.items():
        colours[sheet][cell] = SEVERITY_FILL[sev]
    for sheet, cells in colours.items():
        live.color_cells(book, sheet, cells, ui.counter)
    if not findings:
        return f"校验完成：{len(pf.projects)} 个项目未发现问题。"
    return (
        f"校验完成：{_counts(findings)}。\n"
        f"每个问题及其单元格列在“{FINDINGS_SHEET}”工作表中（点击“定位”可跳转），"
        "有问题的单元格已标色（红：错误，黄：警告，蓝：提示）。"
    )


def check() -> str:
    """校验: list every finding in the 校验结果 sheet and colour the flagged cells."""
    return run("校验", check_work)


# --- 新建项目, 生成自评表, 汇总, 定稿 ----------------------------------------------------------------


def _new_project_form(pf):
    """The form of a new project sheet: a self-evaluation in a workbook of self-evaluations,
    otherwise a declaration (the budget cycle starts with one); the year of the workbook's
    projects, or the coming budget year."""
    import datetime as dt

    from perfxl.model import Form

    forms_in_book = [Form(p.form) for p in pf.projects]
    if forms_in_book and all(f is Form.SELF_EVALUATION for f in forms_in_book):
        form = Form.SELF_EVALUATION
        default_year = dt.date.today().year - 1
    else:
        form = Form.DECLARATION
        default_year = dt.date.today().year + 1
    years = [p.year for p in pf.projects if Form(p.form) is form and p.year]
    return form, (max(years) if years else default_year)


def new_project_work(book, ui: UI) -> str:
    """Lay out a blank form with the template (forms code, file adapter) in a temporary
    workbook and copy its sheet in with Excel's own ``Worksheet.Copy`` — merges, validations,
    conditional formats, print setup and formulas come along, which the live adapter cannot
    build. The settings sheet (perfxl设置, with the names the formulas use) is copied first when
    the workbook has none. Desktop Excel only: the remote engine cannot copy between books."""
    import tempfile

    from perfxl.forms import settings_sheet
    from perfxl.forms.layout import sheet_title

    forms = _forms()
    if live.engine_name(book) == "remote":
        raise UserError(
            "新建项目需要桌面版 Excel（要从模板复制带格式、下拉列表和公式的工作表）。"
            "请在 Windows 或 macOS 的桌面版 Excel 中使用，或用命令行 perfxl new 生成空白表后复制进来。"
        )
    wb = live.snapshot(book, ui.counter)
    pf, _findings, _maps = forms.read_workbook(wb)
    form, year = _new_project_form(pf)
    names = [s.name for s in book.sheets]
    title = sheet_title(form.title, set(names) | {settings_sheet.SHEET})
    ui.status(f"{TITLE}：正在从模板新建{form.title}……")
    app = book.app
    with tempfile.TemporaryDirectory(prefix="perfxl-new-") as tmp:
        path = forms.new_workbook(form, year, Path(tmp) / "perfxl_template.xlsx", pf.settings)
        alerts = app.display_alerts
        app.display_alerts = False  # name conflicts: keep this workbook's names, no dialog
        template = app.books.open(str(path))
        ui.counter.add("open")
        try:
            if settings_sheet.SHEET not in names:
                template.sheets[settings_sheet.SHEET].api.Copy(After=book.sheets[-1].api)
                ui.counter.add("copy")
            template.sheets[form.title].api.Copy(After=book.sheets[-1].api)
            ui.counter.add("copy")
        finally:
            template.close()
            app.display_alerts = alerts
    new = book.sheets[-1]
    if new.name != title:
        new.name = title
    new.activate()
    return (
        f"已新建{form.title}工作表“{title}”（{year} 年度）。\n"
        "请填写项目名称、资金与绩效指标，然后点击“校验”。"
    )


def new_project() -> str:
    """新建项目: add a project sheet from the template."""
    return run("新建项目", new_project_work)


def output_dir(book) -> Path:
    """Where a handler writes a new file: beside the workbook, or (an unsaved workbook)
    the user's Documents folder."""
    try:
        full = Path(book.fullname)
    except Exception:
        full = Path(book.name)
    if full.is_absolute() and full.parent.is_dir():
        return full.parent
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


def _open_in_excel(book, path: Path) -> bool:
    """Open a written file in the same Excel (desktop only); False where that is impossible."""
    if live.engine_name(book) == "remote":
        return False
    try:
        book.app.books.open(str(path))
        return True
    except Exception:
        return False


def self_evaluation_work(book, ui: UI) -> str:
    from perfxl.carry import carry_file
    from perfxl.forms.workbook import write_projects
    from perfxl.finalize import safe_component

    _, pf, _ = read_live(book, ui)
    new, _ = carry_file(pf)
    if not new.projects:
        raise UserError("此工作簿中没有绩效目标申报表，无法生成自评表。")
    ui.status(f"{TITLE}：正在生成 {len(new.projects)} 个项目的自评表……")
    year = new.projects[0].year
    stem = safe_component(Path(book.name).stem)
    out = output_dir(book) / f"{year}年度_{stem}_绩效自评表.xlsx"
    write_projects(new, out)
    opened = _open_in_excel(book, out)
    return (
        f"已生成 {len(new.projects)} 个项目的绩效自评表：\n{out}\n"
        + ("已在 Excel 中打开。" if opened else "请在 Excel 中打开该文件填写实际完成值。")
        + "请填写实际完成值与得分，然后点击“评分”。"
    )


def self_evaluation() -> str:
    """生成自评表: the self-evaluation of each declaration in the workbook (a new workbook)."""
    return run("生成自评表", self_evaluation_work)


SUMMARY_LABEL = "本工作簿"


def _summary_value(value, kind: str):
    from decimal import Decimal

    from perfxl.patch import Formula

    if kind == "link" and isinstance(value, str) and "!" in value:
        sheet, cell = value.rsplit("!", 1)
        # the tables name a source as "FILE · SHEET"; here the file is this workbook
        sheet = sheet.removeprefix(SUMMARY_LABEL + " · ")
        link = _link(sheet, cell)
        return Formula(link) if link else value
    if isinstance(value, Decimal):
        return value
    return value


def summary_work(book, ui: UI) -> str:
    """Values of every summary table, one sheet each, replaced on every run."""
    from perfxl.patch import Patch, Write
    from perfxl.summary.build import summary_tables
    from perfxl.summary.sheets import SHEETS
    from perfxl.summary.tables import COLUMNS, shown

    _, checked = check_live(book, ui)
    ui.status(f"{TITLE}：正在汇总 {len(checked.file.projects)} 个项目……")
    tables = summary_tables(checked, SUMMARY_LABEL)
    names = [s.name for s in book.sheets]
    patch = Patch()
    written = []
    for key, (title, _table, _attr) in SHEETS.items():
        if key not in COLUMNS or key == "skipped":
            continue
        rows = getattr(tables, key)
        cols = COLUMNS[key]
        if title in names:
            book.sheets[title].clear_contents()
        else:
            book.sheets.add(title, after=book.sheets[len(book.sheets) - 1])
            names.append(title)
        ui.counter.add("sheet")
        block = [[header for header, _ in cols.values()]]
        for row in rows:
            block.append([_summary_value(shown(k, row.get(k)), kind) for k, (_, kind) in cols.items()])
        patch.add(Write(title, "A1", block))
        written.append(f"{title}（{len(rows)} 行）")
    live.apply_patch(book, patch, ui.counter)
    return "汇总完成：" + "，".join(written) + "。\n如需带图表与公式的汇总工作簿，请使用命令行 perfxl summary。"


def summary() -> str:
    """汇总: the cross-project summary sheets."""
    return run("汇总", summary_work)


def finalize_work(book, ui: UI) -> str:
    import tempfile

    from perfxl.finalize import finalize as finalize_file

    if live.engine_name(book) == "remote":
        raise UserError("定稿需要桌面版 Excel（要先保存一份工作簿副本）。请在桌面版 Excel 中使用，或用命令行 perfxl finalize。")
    read_live(book, ui)  # refuse early, with the usual message, when there are no projects
    ui.status(f"{TITLE}：正在生成定稿副本……")
    with tempfile.TemporaryDirectory(prefix="perfxl-final-") as tmp:
        suffix = Path(book.name).suffix.lower()
        copy = Path(tmp) / ("perfxl_live_copy" + (suffix if suffix in (".xlsx", ".xlsm") else ".xlsx"))
        live.save_copy(book, copy)  # the workbook as on screen, unsaved edits included
        result = finalize_file(copy, output_dir(book))
    return f"已生成定稿副本（不含宏，可直接发送）：\n{result.xlsx}"


def finalize() -> str:
    """定稿: an emailable macro-free copy beside the workbook."""
    return run("定稿", finalize_work)
