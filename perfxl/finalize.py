"""定稿: the file staff actually email.

:func:`finalize` refuses while errors remain (unless ``force``), then writes a macro-free
``.xlsx`` named ``{year}年度_{project or unit}_{form}.xlsx`` in which

* native formulas stay live (and Excel/WPS recalculate them on opening: ``fullCalcOnLoad``);
* formulas that call perfxl worksheet functions (xlwings UDFs, ``perfxl_…(``) are replaced by
  their last computed value — people without perfxl would see ``#NAME?``;
* formula cells are locked, input cells (the cells the reader locates model fields in, and cells
  with the ``input`` style role) unlocked, and every sheet protected — without a password by
  default, so the sender can still unprotect it deliberately;
* the document properties (title, subject, creator, keywords, description) are filled;
* nothing prints in a screen-only colour: perfxl's conditional formats, the missing-reason fill
  and the fills of the 校验 button are removed; form sheets fitted to one page (older files) are
  fitted to the page width only, so they print at a legible size over several pages;

plus, on request, a PDF of every visible sheet (LibreOffice, :func:`perfxl.libreoffice.to_pdf`)
and an ``.eml`` draft with both attached (:mod:`perfxl.email_draft`).

The file name is sanitised: no path separators, ``..``, ``:``, control characters, characters
Windows forbids, or reserved device names (``CON``, ``NUL``, ``COM1`` …) can come through.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from perfxl.findings import Finding, Severity
from perfxl.model import ProjectFile, locations
from perfxl.pipeline import Checked

__all__ = [
    "FinalizeRefused",
    "FinalizeResult",
    "finalize",
    "freeze_udfs",
    "is_udf_formula",
    "output_name",
    "protect_sheets",
    "safe_component",
    "verify_macro_free",
]

_MAX_COMPONENT_BYTES = 150  # UTF-8 bytes of the project/unit part (names stay < 255 bytes)

# A call of a perfxl worksheet function, possibly through the add-in ('perfxl.xlam'!f( / [1]!f().
_UDF_CALL = re.compile(r"(?<![A-Za-z0-9_.])(?:(?:'[^']*'|\[\d+\])!)?(perfxl_[A-Za-z0-9_.]*)\s*\(", re.I)


class FinalizeRefused(Exception):
    """Errors remain and ``force`` was not given; ``findings`` lists the errors."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        lines = "\n".join(f"  {f}" for f in findings)
        super().__init__(f"仍有 {len(findings)} 个错误，未定稿（改正后重试，或用 --force 强制定稿）：\n{lines}")


@dataclass
class FinalizeResult:
    xlsx: Path
    pdf: Path | None = None
    eml: Path | None = None
    findings: list[Finding] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)  # "Sheet!B7" of UDF formulas turned to values
    notes: list[str] = field(default_factory=list)  # Chinese remarks for the user
    stored: str = ""  # Chinese: where the stored results of the formula cells come from

    @property
    def files(self) -> list[Path]:
        return [p for p in (self.xlsx, self.pdf) if p is not None]


# --- the name ----------------------------------------------------------------------------------


def safe_component(text: str, fallback: str = "未命名") -> str:
    """``text`` made safe as part of one file name (:func:`perfxl.safety.safe_filename`)."""
    from perfxl.safety import safe_filename

    return safe_filename(text or "", max_bytes=_MAX_COMPONENT_BYTES, default=fallback)


def output_name(pf: ProjectFile) -> str:
    """``{year}年度_{project or unit}_{form}.xlsx`` for the projects of one workbook."""
    if not pf.projects:
        return "perfxl_定稿.xlsx"
    first = pf.projects[0]
    years = sorted({p.year for p in pf.projects})
    year = str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    if len(pf.projects) == 1:
        who = first.name
    else:
        units = {p.unit for p in pf.projects}
        departments = {p.department for p in pf.projects}
        who = (units.pop() if len(units) == 1 and first.unit else
               departments.pop() if len(departments) == 1 and first.department else "多个项目")
    forms = {p.form for p in pf.projects}
    form = forms.pop().title if len(forms) == 1 else "绩效目标申报表及自评表"
    return f"{safe_component(year)}年度_{safe_component(who)}_{form}.xlsx"


# --- the workbook ------------------------------------------------------------------------------


def is_udf_formula(formula: str, defined_names: set[str] = frozenset()) -> bool:
    """Whether a formula calls a perfxl worksheet function (not merely a ``perfxl_`` name)."""
    for m in _UDF_CALL.finditer(formula or ""):
        if m.group(1).lower() not in defined_names:
            return True
    return False


def _formula_text(cell) -> str | None:
    """The formula of an openpyxl cell, None for any other cell (text such as
    ``=24.00(小时)`` stored as a string is not a formula)."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    value = cell.value
    if isinstance(value, ArrayFormula):
        return value.text
    if isinstance(value, DataTableFormula):
        return None
    if cell.data_type == "f" and isinstance(value, str):
        return value
    return None


def _located_cells(pf: ProjectFile) -> set[tuple[str, str]]:
    """(sheet, cell) of every model field the reader located: the form's input cells."""
    seen: set[tuple[str, str]] = set()

    def visit(obj) -> None:
        for where in locations(obj).values():
            if where[1]:
                seen.add((where[0], where[1].replace("$", "").upper()))
        for name in type(obj).model_fields:
            child = getattr(obj, name)
            items = child if isinstance(child, list) else [child]
            for item in items:
                if isinstance(item, BaseModel):
                    visit(item)

    for project in pf.projects:
        visit(project)
    return seen


def _score_cells(pf: ProjectFile) -> set[tuple[str, str]]:
    """(sheet, cell) of every indicator's 得分 on the self-evaluations: an input, typed or not."""
    from perfxl.model import SelfEvaluation

    out = set()
    for project in pf.projects:
        if isinstance(project, SelfEvaluation):
            for ind in project.indicators:
                where = locations(ind).get("score")
                if where and where[1]:
                    out.add((where[0], where[1].replace("$", "").upper()))
    return out


def _input_role(cell) -> bool:
    """True for a cell with the forms' ``input`` style role; False for foreign or unreadable
    styles (LibreOffice and WPS point cells at style records openpyxl does not list)."""
    from perfxl.forms.styles import cell_role

    return cell_role(cell) == "input"


_ERRORS = {"#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!"}
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
# One whole-cell call of a scalar perfxl function with cell or literal arguments.
_SIMPLE_CALL = re.compile(
    r"^=\s*(?:(?:'[^']*'|\[\d+\])!)?(PERFXL_SCORE|PERFXL_RATIO|PERFXL_GRADE)\s*\(([^()]*)\)\s*$", re.I
)


def _evaluate_udf(formula: str, sheet, cached_sheet):
    """Compute a simple perfxl function call in Python (the last cached value is missing or an
    error, e.g. the file was saved by openpyxl or by LibreOffice).  None when it cannot."""
    m = _SIMPLE_CALL.match(formula)
    if not m:
        return None
    try:
        from perfxl import udfs
    except Exception:  # xlwings missing: nothing to compute with
        return None
    func = {
        "perfxl_score": udfs.suggested_score_cell,
        "perfxl_ratio": udfs.completion_ratio_cell,
        "perfxl_grade": udfs.grade_cell,
    }[m.group(1).lower()]
    args = []
    for raw in (a.strip() for a in m.group(2).split(",")) if m.group(2).strip() else ():
        ref = _REF.match(raw)
        if ref:
            coord = f"{ref.group(1).upper()}{ref.group(2)}"
            value = cached_sheet[coord].value
            if value is None and _formula_text(sheet[coord]) is not None:
                return None  # depends on a formula whose value is unknown here
            args.append(value)
        elif raw.startswith('"') and raw.endswith('"'):
            args.append(raw[1:-1].replace('""', '"'))
        else:
            try:
                args.append(float(raw))
            except ValueError:
                return None
    try:
        return func(*args)
    except TypeError:
        return None


def freeze_udfs(wb, cached, defined_names: set[str] | None = None) -> tuple[list[str], list[str]]:
    """Replace every formula calling a perfxl worksheet function by its value.

    The value is the last one Excel computed (``cached``: the same workbook loaded with
    ``data_only=True``); when that is missing or an error (``#NAME?`` where perfxl is absent)
    simple calls are computed in Python with :mod:`perfxl.udfs`.  Returns (cells frozen, notes).
    """
    if defined_names is None:
        defined_names = {n.lower() for n in wb.defined_names}
        for ws in wb.worksheets:
            defined_names |= {n.lower() for n in ws.defined_names}
    from perfxl.safety import set_text_cell

    frozen, notes = [], []
    for ws in wb.worksheets:
        cws = cached[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                formula = _formula_text(cell)
                if formula is None or not is_udf_formula(formula, defined_names):
                    continue
                value = cws[cell.coordinate].value
                if value is None or value in _ERRORS:
                    value = _evaluate_udf(formula, ws, cws)
                where = f"{ws.title}!{cell.coordinate}"
                if value is None:
                    notes.append(
                        f"{where} 的 perfxl 函数没有可用的计算结果，已清空；"
                        "请在装有 perfxl 的 Excel 中重算并保存后再定稿"
                    )
                if isinstance(value, str):
                    set_text_cell(cell, value)  # a value, never re-read as a formula
                else:
                    cell.value = value
                frozen.append(where)
    return frozen, notes


def protect_sheets(wb, inputs: set[tuple[str, str]], *, password: str | None = None,
                   formula_inputs: set[tuple[str, str]] = frozenset()) -> None:
    """Lock formula cells, unlock input cells, protect every sheet (no password by default).

    Input cells: ``inputs`` (sheet, cell) — where the reader found model fields — and cells with
    the forms' ``input`` style role.  Other cells keep the lock state the template gave them.
    ``formula_inputs`` are inputs that may hold a formula: the 得分 cells showing the suggested
    score until the evaluator types one — unlocked like a typed score.
    """
    from openpyxl.styles import Protection

    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.__class__.__name__ == "MergedCell":
                    continue
                if (ws.title, cell.coordinate) in formula_inputs:
                    cell.protection = Protection(locked=False)
                elif _formula_text(cell) is not None or cell.data_type == "f":
                    cell.protection = Protection(locked=True)
                elif (ws.title, cell.coordinate) in inputs or _input_role(cell):
                    cell.protection = Protection(locked=False)
        for sheet, ref in inputs:  # located but still empty input cells
            if sheet == ws.title:
                target = ws[ref]
                if target.__class__.__name__ != "MergedCell" and (
                        _formula_text(target) is None or (sheet, ref) in formula_inputs):
                    target.protection = Protection(locked=False)
        p = ws.protection
        p.sheet = True
        p.formatColumns = False  # allowed: widen columns, heighten rows to read long text
        p.formatRows = False
        p.selectLockedCells = False
        p.selectUnlockedCells = False
        if password:
            p.password = password


def _prepare(src: Path, pf: ProjectFile, *, protect: bool, password: str | None,
             result: FinalizeResult):
    from openpyxl import load_workbook

    from perfxl.forms.grid import SOURCE

    wb = load_workbook(src, keep_vba=False, keep_links=True, rich_text=False)
    setattr(wb, SOURCE, src)  # a 得分 formula of the user's own shows its stored result (Grid.result)
    cached = load_workbook(src, data_only=True, keep_vba=False)
    result.frozen, result.notes = freeze_udfs(wb, cached)
    _off_paper(wb, pf)
    if protect:
        protect_sheets(wb, _located_cells(pf), password=password, formula_inputs=_score_cells(pf))
    # Links to the add-in (.xlam/.xlsm) are dead once the UDF values are frozen.
    links = getattr(wb, "_external_links", [])
    kept = [ln for ln in links if not _links_to_addin(ln)]
    if len(kept) != len(links):
        wb._external_links = kept
    wb.calculation.fullCalcOnLoad = True  # Excel/WPS recompute the live formulas on opening
    return wb


def _off_paper(wb, pf: ProjectFile) -> None:
    """Ready for paper (:mod:`perfxl.forms.printing`): no screen-only colours (perfxl's
    conditional formats, the missing-reason fill, the 校验 button's fills), and every form
    sheet fitted to the page width only."""
    from perfxl.adapters.file import apply_patch
    from perfxl.forms.printing import clear_check_fills, fit_width_only, screen_marks_patch
    from perfxl.model import sheet_of

    apply_patch(wb, screen_marks_patch(wb))
    clear_check_fills(wb)
    for sheet in {sheet_of(p) for p in pf.projects} & set(wb.sheetnames):
        fit_width_only(wb[sheet])


def _store_results(out: Path, wb, checked: Checked, result: FinalizeResult) -> None:
    """Every formula cell of ``out`` gets its result stored (:mod:`perfxl.stored_values`), so
    viewers that do not recalculate show the numbers: perfxl's own as ``checked`` scored them."""
    from perfxl.model import sheet_of
    from perfxl.forms.workbook import formula_values
    from perfxl.stored_values import store_values

    values, with_lo = formula_values(out, wb, {sheet_of(s.project): s for s in checked.scores})
    store_values(out, values)
    if with_lo:
        result.stored = ("公式单元格均已存入计算结果（由 LibreOffice 重算；执行率、得分、总分、等级为 perfxl 的计算），"
                         "不重算的预览与导入工具也能读到数值")
    else:
        result.stored = ("未找到 LibreOffice：只有执行率、得分、总分、等级等 perfxl 计算的单元格存入了计算结果，"
                         "提示列与隐藏辅助列在 Excel/WPS 打开时重算")
        result.notes.append(result.stored)


def _links_to_addin(link) -> bool:
    target = getattr(getattr(link, "file_link", None), "Target", "") or ""
    return target.lower().endswith((".xlam", ".xlsm", ".xla"))


def _fill_properties(wb, pf: ProjectFile, name: str) -> None:
    import datetime as dt

    props = wb.properties
    first = pf.projects[0] if pf.projects else None
    forms = sorted({p.form.title for p in pf.projects})
    years = sorted({str(p.year) for p in pf.projects})
    props.title = Path(name).stem.replace("_", " ")
    props.subject = "项目支出绩效 " + "、".join(forms) if forms else "项目支出绩效"
    creator = (first.unit or first.department) if first else ""
    props.creator = creator or "perfxl"
    props.lastModifiedBy = props.creator
    props.keywords = "; ".join(
        ["预算绩效", *forms, *(f"{y}年度" for y in years), *(p.name for p in pf.projects)]
    )
    props.description = "定稿：" + "；".join(f"{p.name}（{p.year}年度{p.form.title}）" for p in pf.projects)
    props.category = "项目支出绩效"
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    props.modified = now


def verify_macro_free(path: Path) -> None:
    """Raise if ``path`` carries a VBA part or a macro-enabled content type."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode("utf-8", "replace")
    bad = [n for n in names if n.lower().endswith(("vbaproject.bin", "vbadata.xml"))]
    bad += [n for n in names if n.lower().startswith("customui")]
    if bad or "macroEnabled" in types:
        raise RuntimeError(f"定稿文件仍含宏部件：{', '.join(bad) or '[Content_Types].xml'}")


# --- the whole step ----------------------------------------------------------------------------


def finalize(
    path: str | Path,
    outdir: str | Path | None = None,
    *,
    pdf: bool = False,
    force: bool = False,
    email: bool = False,
    protect: bool = True,
    password: str | None = None,
    to: str | list[str] = (),
) -> FinalizeResult:
    """Finalize the workbook at ``path`` into ``outdir`` (default: beside it). See module doc.

    Raises :class:`FinalizeRefused` while errors remain and ``force`` is false.
    """
    from perfxl.atomic import atomic_save
    from perfxl.outputs import EML, FORM, PDF, prepare_output
    from perfxl.errors import InputError
    from perfxl.pipeline import load
    from perfxl.sources import WORKBOOK_SUFFIXES

    src = Path(path)
    if src.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise InputError(f"定稿只接受工作簿（.xlsx/.xlsm）：{src}")
    checked = load(src)
    pf, findings = checked.file, list(checked.findings)
    if checked.has_errors and not force:
        raise FinalizeRefused([f for f in findings if f.severity is Severity.ERROR])
    outdir = Path(outdir) if outdir is not None else src.parent
    name = output_name(pf)
    out = outdir / name
    # the output policy before any work: never an input, never a file perfxl did not write,
    # not while open in Excel/WPS/LibreOffice (W730, W731, H956)
    out = prepare_output(out, [src], kind=FORM)
    for wanted, side, kind in ((pdf, ".pdf", PDF), (email, ".eml", EML)):
        if wanted:
            prepare_output(out.with_suffix(side), [src], kind=kind)
    result = FinalizeResult(xlsx=out, findings=findings)
    wb = _prepare(src, pf, protect=protect, password=password, result=result)
    _fill_properties(wb, pf, name)

    def write(tmp: Path) -> None:  # the results are stored before the file takes its name
        wb.save(tmp)
        _store_results(tmp, wb, checked, result)

    atomic_save(out, write, backup=True)
    verify_macro_free(out)
    if pdf:
        from perfxl.libreoffice import to_pdf

        result.pdf = to_pdf([out], outdir)[0]
    if email:
        from perfxl.email_draft import draft

        result.eml = draft(checked, result.files, out.with_suffix(".eml"), to=to)
    return result
