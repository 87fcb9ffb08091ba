"""Public API of the workbook side: write projects into the official sheets, read them back,
lay out what scoring writes, build the templates.

- :func:`new_workbook` — an empty form (template) for a year;
- :func:`write_projects` — one sheet per project (declarations and self-evaluations may share a
  workbook) plus the hidden settings sheet;
- :func:`read_projects` — every form sheet back into a :class:`ProjectFile`, with a finding for
  each unreadable cell; model objects remember their cells (:func:`perfxl.model.locate`);
- :func:`score_patch` — what scoring writes (formulas, suggested scores, flags, styles of
  missing reasons), leaving everything else; applied by ``perfxl score`` through the pipeline;
- :func:`formula_values` — the results to store in a saved workbook's formula cells (perfxl's own
  numbers over LibreOffice's, :mod:`perfxl.stored_values` writes them);
- :func:`build_templates` / :func:`snapshot` — the committed templates and their structural
  snapshot.

Layer: excel (tests/project/test_import_graph.py) — it lays the forms out and reads them through the
file adapter, so it sits above perfxl/forms' other modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook, load_workbook

from perfxl import reader
from perfxl.adapters.file import apply_patch, save
from perfxl.findings import Finding, finding
from perfxl.forms import all_forms, form_for
from perfxl.forms import settings_sheet
from perfxl.forms import years
from perfxl.forms.grid import SOURCE, Grid
from perfxl.forms.layout import CF_MARKS, sheet_title
from perfxl.model import (
    Declaration, Form, Indicator, Project, ProjectFile, SelfEvaluation, Settings,
)
from perfxl.patch import ClearRules, Patch

if TYPE_CHECKING:
    from perfxl.rules.scoring import ProjectScore

TEMPLATE_FILES = {Form.DECLARATION: "绩效目标申报表.xlsx", Form.SELF_EVALUATION: "绩效自评表.xlsx"}

WorkbookReadError = reader.WorkbookReadError  # raised here too: a workbook holding no readable form

# --- writing ------------------------------------------------------------------------------------


def _empty_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def layout_projects(pf: ProjectFile) -> Patch:
    """The patch that lays out every project of ``pf`` (one sheet each) and the settings sheet."""
    from perfxl.patch import AddSheet

    p = Patch()
    taken: set[str] = {settings_sheet.SHEET}
    for project in pf.projects:
        module = form_for(project.form)
        title = sheet_title(project.name or Form(project.form).title, taken)
        taken.add(title)
        p.add(AddSheet(title))
        sheet_patch, _map = module.layout(project, title, pf.settings)
        p.extend(sheet_patch)
    p.extend(settings_sheet.layout(pf.settings))
    return p


def write_projects(pf: ProjectFile, path: str | Path) -> Path:
    """Write every project of ``pf`` into a new workbook at ``path`` (saved atomically; an
    existing file is kept as ``NAME.bak.xlsx``). Returns the path."""
    return save(projects_workbook(pf), path, backup=True)


def projects_workbook(pf: ProjectFile) -> Workbook:
    """A new openpyxl workbook laid out with every project of ``pf`` (not saved)."""
    wb = _empty_workbook()
    apply_patch(wb, layout_projects(pf))
    if not wb.sheetnames or all(ws.sheet_state != "visible" for ws in wb.worksheets):
        raise ValueError("没有可写入的项目")
    wb.active = 0
    return wb


def template_project(form: Form, year: int) -> Project:
    """The blank project a template shows: the categories of the year's layout
    (:mod:`perfxl.forms.years`), one empty row each."""
    inds = [Indicator(level1=a, level2=b, name="", target="") for a, b in years.categories(year)]
    if form is Form.SELF_EVALUATION:
        return SelfEvaluation(name="", year=year, indicators=inds)
    return Declaration(name="", year=year, indicators=inds)


def new_workbook(form: Form | str, year: int, path: str | Path,
                 settings: Settings | None = None) -> Path:
    """An empty form for ``year`` (the template), saved at ``path``."""
    form = Form(form.replace("-", "_") if isinstance(form, str) else form)
    pf = ProjectFile(settings=settings or Settings(), projects=[template_project(form, year)])
    wb = _empty_workbook()
    p = Patch()
    from perfxl.patch import AddSheet

    title = form.title
    p.add(AddSheet(title))
    sheet_patch, _ = form_for(form).layout(pf.projects[0], title, pf.settings)
    p.extend(sheet_patch)
    p.extend(settings_sheet.layout(pf.settings))
    apply_patch(wb, p)
    wb.active = 0
    return save(wb, path, backup=True)


# --- reading ------------------------------------------------------------------------------------


def open_workbook(path: str | Path) -> Workbook:
    """The workbook at ``path`` loaded with openpyxl, for writing (:class:`WorkbookReadError`
    when it is not a workbook)."""
    path = Path(path)
    try:
        wb = load_workbook(path)
        setattr(wb, SOURCE, path)  # Grid.result reads the formulas' stored results from it
        return wb
    except Exception as exc:  # missing, zipfile.BadZipFile, KeyError, InvalidFileException, XML
        raise reader.unreadable(path, exc) from exc


def _form_of(ws, grid: Grid) -> Form | None:
    dn = ws.defined_names.get("pxl_form") if hasattr(ws, "defined_names") else None
    if dn is not None:
        value = (dn.attr_text or "").strip().strip('"')
        if value in (f.value for f in Form):
            return Form(value)
    return next((spec.form for spec in all_forms() if spec.recognises(grid)), None)


def _printed_findings(maps, settings: Settings) -> list[Finding]:
    """S210: a typed 执行率, 执行率得分 or 总分 that its inputs do not give (R6, R6r), with the
    rounding that would give it."""
    from perfxl.rules.printed import compare_printed

    out = []
    for project, smap in maps:
        printed = getattr(smap, "printed", None)
        if not printed or not isinstance(project, SelfEvaluation):
            continue
        values = {fld: value for fld, (value, _cell) in printed.items()}
        for c in compare_printed(project, values, settings):
            if not c.agrees:
                out.append(finding("S210", smap.sheet, printed[c.field][1],
                                   c.message(settings.rounding)))
    return out


def _grid(ws: Any) -> Grid:
    """The Grid of a sheet: built by :mod:`perfxl.reader` with the sheet, or of an openpyxl
    worksheet (a workbook being edited)."""
    return ws.grid if isinstance(ws, reader.Sheet) else Grid(ws)


def read_workbook(wb: Workbook | reader.Book) -> tuple[ProjectFile, list[Finding], list[tuple[Any, Any]]]:
    """Read a workbook (a file read by :func:`perfxl.reader.read_book`, or an open openpyxl
    workbook): the project file, findings, and (project, sheet map) pairs."""
    findings: list[Finding] = []
    has_settings = settings_sheet.SHEET in wb.sheetnames
    settings, fnd = settings_sheet.read(_grid(wb[settings_sheet.SHEET]) if has_settings else None)
    findings.extend(fnd)
    projects: list[Project] = []
    maps: list[tuple[Any, Any]] = []
    for ws in wb.worksheets:
        if ws.title == settings_sheet.SHEET:
            continue
        grid = _grid(ws)
        form = _form_of(ws, grid)
        if form is None:
            continue  # a sheet of the user's own: left alone
        project, smap, fnd = form_for(form).read(ws, grid)
        findings.extend(fnd)
        if project is None:
            findings.append(finding("W708", ws.title, "",
                                    f"工作表“{ws.title}”像是{form.title}，但无法读出项目，已跳过"))
            continue
        projects.append(project)
        maps.append((project, smap))
    findings.extend(_printed_findings(maps, settings))
    if not projects:
        findings.append(finding("W709", "", "",
                                "工作簿中没有找到绩效目标申报表或绩效自评表"))
    pf = ProjectFile(settings=settings, projects=projects)
    # ProjectFile validation copies the models; keep the located originals
    pf.projects[:] = projects
    return pf, findings, maps


_WHY_NOT_READ = ("W706", "W708", "W710")


def require_forms(wb: Any, pf: ProjectFile, findings: list[Finding]) -> None:
    """Raise :class:`WorkbookReadError` (exit status 2) when nothing in ``wb`` could be read as a
    form: the message names the sheets looked at and what was looked for, and why a sheet that
    looked like a form was not read."""
    if pf.projects:
        return
    sheets = [t for t in wb.sheetnames if t != settings_sheet.SHEET]
    looked = "、".join(f"“{t}”" for t in sheets) if sheets else "（没有工作表）"
    why = [f"{f.sheet}{'!' + f.cell if f.cell else ''}：{f.message}"
           for f in findings if f.code in _WHY_NOT_READ]
    raise WorkbookReadError(
        "工作簿中没有可读取的绩效目标申报表或绩效自评表。查看了工作表：" + looked
        + "；查找的是：前 6 行中含标题“绩效目标申报表”或“绩效自评表”、并有年度（如“（2023年度）”）"
        "的工作表，或 perfxl 模板的 pxl_form 名称"
        + ("。" + "；".join(why) if why else "") + "。请用 perfxl 模板或官方表样填写。")


def read_projects(path: str | Path, *, package=None) -> tuple[ProjectFile, list[Finding]]:
    """Read every form sheet of the workbook at ``path`` through :mod:`perfxl.reader` (values
    with python-calamine, no openpyxl load). ``package``: the gate's read of the file
    (:func:`perfxl.safety.gate_workbook`), so the reader need not open it again.

    Raises :class:`WorkbookReadError` when the file is not a workbook or holds no readable form
    (:func:`require_forms`); anything unreadable inside it is a W7xx finding with sheet and cell.
    """
    wb = reader.read_book(path, package)
    pf, findings, _ = read_workbook(wb)
    require_forms(wb, pf, findings)
    return pf, findings


# --- scoring -------------------------------------------------------------------------------------


def score_patch(wb: Workbook, *, with_scores: bool = False):
    """What scoring writes into ``wb``: every computed cell perfxl owns, defined names,
    validations and conditional formats laid out again for the rows as they are now, and the
    reason cells' style where a reason is missing (domain.md R7).

    Returns ``(patch, pf, findings)``; with ``with_scores`` also each project's score (in
    ``pf.projects`` order), so a caller checks the same read without scoring again."""
    from perfxl.rules.scoring import score_project

    pf, findings, maps = read_workbook(wb)
    p = Patch()
    scores = []
    for project, smap in maps:
        module = form_for(project.form)
        ps = score_project(project, pf.settings)
        scores.append(ps)
        if smap.v2:  # a v1 sheet keeps its validations and formats (perfxl upgrade replaces them)
            p.add(ClearRules(smap.sheet, cf_markers=CF_MARKS, prompt_titles=module.prompt_titles))
        p.extend(module.formulas_patch(smap, project))
        p.extend(module.names_patch(smap))
        p.extend(module.validations_patch(smap))
        p.extend(module.conditional_patch(smap))
        p.extend(module.findings_patch(smap, project, ps, wb[smap.sheet], pf.settings))
        p.results.update(module.score_results(smap))
    if settings_sheet.SHEET not in wb.sheetnames:
        p.extend(settings_sheet.layout(pf.settings))
    if with_scores:
        return p, pf, findings, scores
    return p, pf, findings


def store_results(saved: Path, patch) -> Path:
    """Store ``patch.results`` (the results of the user's own 得分 formulas) in the workbook
    perfxl just ``saved``: openpyxl writes formulas without results, and a reader that does not
    recalculate — perfxl itself included — would then see no score there."""
    if patch.results:
        from perfxl.stored_values import store_values

        store_values(saved, patch.results)
    return saved


def python_values(wb, scores: Mapping[str, ProjectScore]) -> dict[tuple[str, str], object]:
    """The results perfxl computes itself, at the cells of the open openpyxl ``wb`` where the
    self-evaluation forms hold their formulas (the list in :mod:`perfxl.stored_values`).
    ``scores``: each project's score by its sheet's title, as the pipeline computed it
    (:mod:`perfxl.pipeline`)."""
    from openpyxl.utils import get_column_letter as col

    from perfxl.model import SelfEvaluation, SelfEvaluationFunds
    from perfxl.rules.scoring import execution_rate

    pf, _findings, maps = read_workbook(wb)
    out: dict[tuple[str, str], object] = {}
    for project, m in maps:
        if not isinstance(project, SelfEvaluation):
            continue
        S = m.sheet
        ps = scores[S]
        fc = m.funds_cols
        for key, r in m.funds_rows.items():  # R6, R6r: the rate of every funds row
            row = getattr(project.funds, key)
            out[(S, f"{col(fc['rate'])}{r}")] = execution_rate(SelfEvaluationFunds(total=row), pf.settings.rounding)
        out[(S, f"{col(fc['score'])}{m.funds_rows['total']}")] = ps.execution_score
        for s, r in zip(ps.indicators, m.rows):
            out[(S, f"{col(m.cols['suggested'])}{r}")] = s.suggested
            out[(S, f"{col(m.cols['score'])}{r}")] = s.effective
            if "ratio" in m.cols:  # a v1 sheet's 完成比例 helper
                out[(S, f"{col(m.cols['ratio'])}{r}")] = s.ratio
        if m.total_weight:
            weights = [i.weight for i in project.indicators if i.weight is not None]
            out[(S, f"{col(m.total_weight[1])}{m.total_weight[0]}")] = (
                sum(weights, project.funds.weight or 0) if weights else "")  # blank form: blank
        if m.total:
            out[(S, f"{col(m.total[1])}{m.total[0]}")] = ps.total
        if m.grade:
            out[(S, f"{col(m.grade[1])}{m.grade[0]}")] = ps.grade or ""
    return out


def formula_values(path: Path, wb, scores: Mapping[str, ProjectScore]
                   ) -> tuple[dict[tuple[str, str], object], bool]:
    """The results to store in the workbook saved at ``path`` from the openpyxl ``wb``:
    LibreOffice's for every formula when it is installed, Python's (``scores``, by sheet title)
    over them where perfxl computes the number itself. (values, whether LibreOffice was used)"""
    from perfxl.stored_values import libreoffice_values

    lo = libreoffice_values(path, wb)
    values = dict(lo or {})
    values.update(python_values(wb, scores))
    return values, lo is not None


# --- templates -------------------------------------------------------------------------------------


def build_templates(directory: str | Path = "templates", year: int | None = None) -> list[Path]:
    """Write ``绩效目标申报表.xlsx`` and ``绩效自评表.xlsx`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for form, filename in TEMPLATE_FILES.items():
        y = year or (2026 if form is Form.DECLARATION else 2025)
        target = directory / filename
        out.append(new_workbook(form, y, target))
        bak = target.with_name(f"{target.stem}.bak{target.suffix}")
        bak.unlink(missing_ok=True)
    return out


def snapshot(path: str | Path) -> dict:
    """A structural description of a workbook for comparing files: per sheet its state, every
    non-empty cell (value or formula, style role, number format), merges, defined names,
    validations, conditional formats, column widths and print setup. Not zip bytes."""
    from perfxl.forms.styles import cell_role

    wb = load_workbook(path)
    out: dict[str, Any] = {"sheets": [], "names": {}}
    for name, dn in sorted(wb.defined_names.items()):
        out["names"][name] = dn.attr_text
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                role = cell_role(c)
                if c.value is None and role is None:
                    continue
                v = c.value
                cells[c.coordinate] = [
                    None if v is None else (str(v) if not isinstance(v, (int, float)) else float(v)),
                    c.data_type, role, c.number_format,
                ]
        sheet = {
            "title": ws.title,
            "state": ws.sheet_state,
            "cells": cells,
            "merges": sorted(str(r) for r in ws.merged_cells.ranges),
            "names": {k: v.attr_text for k, v in sorted(ws.defined_names.items())},
            "validations": sorted(
                [str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.operator, dv.promptTitle,
                 dv.prompt, bool(dv.showErrorMessage)]
                for dv in ws.data_validations.dataValidation
            ),
            "conditional": sorted(
                [str(cf.sqref), r.type, list(r.formula or [])]
                for cf in ws.conditional_formatting for r in cf.rules
            ),
            "widths": {k: d.width for k, d in sorted(ws.column_dimensions.items()) if d.width},
            "print": [ws.print_area, ws.print_title_rows, ws.page_setup.orientation,
                      ws.page_setup.paperSize, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight],
        }
        out["sheets"].append(sheet)
    return out
