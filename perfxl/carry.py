"""Carry a project forward between forms: model → model, pure, no I/O.

* :func:`to_self_evaluation` — a 绩效目标申报表 (Declaration) becomes the same year's 绩效自评表
  (SelfEvaluation): header, funds, indicators and targets carried over, weights proposed by R1,
  actuals, scores and reasons left empty for the evaluator.
* :func:`to_next_declaration` — a 绩效自评表 becomes next year's 绩效目标申报表, keeping the
  indicators and targets; :func:`actual_hints` gives last year's actual per indicator so that the
  workbook layer can show it beside each target (outside the print area).

Identity: the project name, 主管部门 and 实施单位 are copied unchanged, so later summaries
(which match projects by name and unit) find the same project in both years.

Weights (domain.md R1: 预算执行率 10, 产出 50, 效益 30, 满意度 10).  Decision on 成本指标: since
财预〔2021〕101号 成本指标 is a first-level indicator, but neither that guide nor 财预〔2020〕10号
gives it a separate share of the 100 points, and the older self-evaluation layout (2023 seed)
files cost under 产出指标.  perfxl therefore lets **成本 and 产出 indicators share the 产出 50**:
the 50 is split equally over all 产出 and 成本 indicators present.  The indicators keep the
first-level they were declared under; only the points are pooled.  A first-level group that is
absent hands its share on (满意度 → 效益, as in the seed project with 效益 40 and no 满意度;
效益 → 产出; 产出/成本 → 效益), so the proposal always sums to 100 whenever any indicator
exists.  Within a group the share is split equally at 2 decimals; the cents left over go to the
first indicators one by one, so the sum is exact (50 over 22 indicators → 6 × 2.28 + 16 × 2.27).
Staff adjust the proposal on the sheet; the checks (S2xx) keep the total at 100.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from perfxl.forms.years import uses_2021_guide
from perfxl.model import (
    Declaration,
    DeclarationFunds,
    FundRow,
    Indicator,
    SelfEvaluation,
    SelfEvaluationFunds,
    Settings,
)

__all__ = [
    "EXECUTION_WEIGHT",
    "GROUP_SHARES",
    "HINT_HEADER",
    "actual_hints",
    "carry_file",
    "indicator_group",
    "propose_weights",
    "split_evenly",
    "to_next_declaration",
    "to_self_evaluation",
    "yuan_to_unit",
]

CENT = Decimal("0.01")

#: R1: the budget-execution weight (预算执行率 分值).
EXECUTION_WEIGHT = Decimal("10")
#: R1: the shares of the first-level groups; 成本 indicators belong to the 产出 group (see above).
GROUP_SHARES: dict[str, Decimal] = {
    "产出": Decimal("50"),
    "效益": Decimal("30"),
    "满意度": Decimal("10"),
}
# Where the share of an absent group goes, in order of preference.
_FALLBACK: dict[str, tuple[str, ...]] = {
    "满意度": ("效益", "产出"),
    "效益": ("产出", "满意度"),
    "产出": ("效益", "满意度"),
}

#: Header of the hint column written beside next year's targets (outside the print area).
HINT_HEADER = "上年实际完成值（参考）"


def indicator_group(ind: Indicator) -> str:
    """The R1 weight group of an indicator: 产出 (incl. 成本 and anything unrecognised), 效益, 满意度."""
    level1 = ind.level1 or ""
    if "满意" in level1:
        return "满意度"
    if "效益" in level1:
        return "效益"
    return "产出"


def split_evenly(total: Decimal, count: int) -> list[Decimal]:
    """``total`` split over ``count`` parts at 2 decimals, summing exactly to ``total``.

    Each part is the share truncated to cents; the cents left over go to the first parts.
    """
    if count <= 0:
        return []
    base = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    left = int(((total - base * count) / CENT).to_integral_value())
    return [base + (CENT if i < left else Decimal(0)) for i in range(count)]


def propose_weights(indicators: list[Indicator]) -> list[Decimal]:
    """R1 weights for ``indicators`` (in order): 50/30/10 over the groups present, 2 decimals.

    With the execution weight of 10 the total is exactly 100 whenever ``indicators`` is not empty.
    """
    groups = [indicator_group(ind) for ind in indicators]
    present = set(groups)
    shares: dict[str, Decimal] = {g: Decimal(0) for g in GROUP_SHARES}
    for group, share in GROUP_SHARES.items():
        if group in present:
            shares[group] += share
            continue
        for heir in _FALLBACK[group]:
            if heir in present:
                shares[heir] += share
                break
    parts = {g: iter(split_evenly(shares[g], groups.count(g))) for g in present}
    return [next(parts[g]) for g in groups]


def yuan_to_unit(amount: Decimal | None, unit: str) -> Decimal | None:
    """An amount in 元 expressed in the self-evaluation's money unit (``元`` or ``万元``).

    万元 amounts are rounded half-up to 2 decimals, as the form shows them: a cell holding
    99.1823 but showing 99.18 would make an executed 99.18 look like a 99.99 % execution.
    """
    if amount is None:
        return None
    if unit == "万元":
        return (amount / Decimal(10000)).quantize(CENT, rounding=ROUND_HALF_UP)
    return amount


def _fund_row(amount: Decimal | None, unit: str) -> FundRow:
    # 年初预算数 = the amount requested in the declaration.  全年预算数 (the adjusted budget, R6)
    # and 全年执行数 are year-end figures the evaluator types: left empty on purpose, so that
    # an unadjusted copy can never pass for the real adjusted budget.
    return FundRow(initial_budget=yuan_to_unit(amount, unit))


def _annual_total(funds: DeclarationFunds) -> Decimal | None:
    if funds.annual_total is not None:
        return funds.annual_total
    parts = [funds.annual_fiscal, funds.annual_carryover, funds.annual_other]
    if all(p is None for p in parts):
        return None
    return sum((p for p in parts if p is not None), Decimal(0))


def to_self_evaluation(
    decl: Declaration, settings: Settings | None = None, *, weights: bool = True
) -> SelfEvaluation:
    """The 绩效自评表 of the same project and year, started from its 绩效目标申报表."""
    settings = settings or Settings()
    unit = settings.money_unit
    proposed = propose_weights(decl.indicators) if weights else [None] * len(decl.indicators)
    indicators = [
        Indicator(level1=ind.level1, level2=ind.level2, name=ind.name, target=ind.target, weight=w)
        for ind, w in zip(decl.indicators, proposed)
    ]
    f = decl.funds
    funds = SelfEvaluationFunds(
        total=_fund_row(_annual_total(f), unit),
        fiscal=_fund_row(f.annual_fiscal, unit),
        carryover=_fund_row(f.annual_carryover, unit),
        other=_fund_row(f.annual_other, unit),
        weight=EXECUTION_WEIGHT,
    )
    return SelfEvaluation(
        name=decl.name,
        year=decl.year,
        department=decl.department,
        unit=decl.unit,
        indicators=indicators,
        funds=funds,
        expected_goal=decl.annual_goal,  # 年度总体目标 → 预期目标
        achieved_goal="",
    )


def _current_layout(ind: Indicator, year: int) -> tuple[str, str]:
    """(一级, 二级) under the 2021 guide: the older 产出指标/成本指标 becomes 成本指标/经济成本指标."""
    if uses_2021_guide(year) and "产出" in ind.level1 and ind.level2.strip() == "成本指标":
        return "成本指标", "经济成本指标"
    return ind.level1, ind.level2


def to_next_declaration(se: SelfEvaluation, *, year: int | None = None) -> Declaration:
    """Next year's 绩效目标申报表 started from this year's 绩效自评表.

    Indicators and targets are kept (in their order); indicators filed as 产出指标/成本指标 in
    the older layout move to the first-level 成本指标 (二级 经济成本指标) of the 2021 guide.
    Funds, dates, 项目性质/类别 and 项目总目标 are new each year and left empty; the expected
    goal is carried over as a draft of the 年度总体目标.  Last year's actuals: :func:`actual_hints`.
    """
    year = se.year + 1 if year is None else year
    indicators = []
    for ind in se.indicators:
        level1, level2 = _current_layout(ind, year)
        indicators.append(Indicator(level1=level1, level2=level2, name=ind.name, target=ind.target))
    return Declaration(
        name=se.name,
        year=year,
        department=se.department,
        unit=se.unit,
        indicators=indicators,
        annual_goal=se.expected_goal,
    )


def actual_hints(se: SelfEvaluation) -> list[str | None]:
    """Last year's 实际完成值 per indicator, in the order of :func:`to_next_declaration`'s list."""
    return [(ind.actual or "").strip() or None for ind in se.indicators]


def carry_file(pf, *, next_year: bool = False):
    """Carry every project of a :class:`~perfxl.model.ProjectFile`.

    Forward (``next_year=False``): each Declaration becomes a SelfEvaluation.  With
    ``next_year=True`` each SelfEvaluation becomes next year's Declaration.  Projects of the other
    form are skipped.  Returns ``(new ProjectFile, hints)`` where ``hints`` has one list per new
    project (last year's actuals for ``next_year``, else empty lists).
    """
    from perfxl.model import ProjectFile

    projects, hints = [], []
    for p in pf.projects:
        if next_year and isinstance(p, SelfEvaluation):
            projects.append(to_next_declaration(p))
            hints.append(actual_hints(p))
        elif not next_year and isinstance(p, Declaration):
            projects.append(to_self_evaluation(p, pf.settings))
            hints.append([])
    return ProjectFile(settings=pf.settings.model_copy(), projects=projects), hints


# --- the file layer (used by the CLI and the 生成自评表 button) ---------------------------------


def carry_workbook(src, out, *, next_year: bool = False):
    """Carry the projects of the workbook (or JSON) ``src`` into a new workbook ``out``.

    Returns ``(ProjectFile written, findings from reading src)``.  With ``next_year`` the hint
    column 「上年实际完成值（参考）」 is written beside the targets, right of the print area.
    """
    from pathlib import Path

    from perfxl.forms.workbook import write_projects
    from perfxl.errors import InputError
    from perfxl.sources import load

    pf, findings = load(src)
    new, hints = carry_file(pf, next_year=next_year)
    if not new.projects:
        wanted = "绩效自评表" if next_year else "绩效目标申报表"
        raise InputError(f"{src} 中没有{wanted}，无法生成" + ("下一年度申报表" if next_year else "自评表"))
    out = Path(out)
    write_projects(new, out)
    if next_year and any(any(h) for h in hints):
        write_hints(out, hints)
    return new, findings


def write_hints(path, hints: list[list[str | None]]) -> list[tuple[str, str]]:
    """Write last year's actuals beside each target of the declarations in ``path``.

    The column is the first one right of the sheet's print area (and of the target column),
    headed :data:`HINT_HEADER` in the row above the first indicator; it is not printed.
    ``hints[i][j]`` belongs to the j-th indicator of the i-th project, as ``read_projects``
    returns them.  Returns the (sheet, cell) written.
    """
    from pathlib import Path

    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

    from perfxl.atomic import atomic_save
    from perfxl.forms.workbook import read_projects
    from perfxl.model import locate
    from perfxl.safety import set_text_cell

    path = Path(path)
    pf, _ = read_projects(path)
    wb = load_workbook(path)
    written: list[tuple[str, str]] = []
    for project, project_hints in zip(pf.projects, hints):
        rows: dict[str, list[tuple[int, int, str]]] = {}
        for ind, hint in zip(project.indicators, project_hints):
            sheet, cell = locate(project, ind, "target")
            if sheet not in wb.sheetnames or not cell[:1].isalpha():
                continue
            col = "".join(ch for ch in cell.replace("$", "") if ch.isalpha())
            row = int("".join(ch for ch in cell if ch.isdigit()))
            rows.setdefault(sheet, []).append((row, column_index_from_string(col), hint or ""))
        for sheet, items in rows.items():
            ws = wb[sheet]
            right = max(c for _, c, _ in items)
            for area in _print_areas(ws):
                right = max(right, range_boundaries(area)[2])
            first_row = min(r for r, _, _ in items)
            used_rows = [max(first_row - 1, 1), *(r for r, _, _ in items)]
            col = right + 1  # the first column right of the print area free in these rows
            while any(ws.cell(row=r, column=col).value not in (None, "") for r in used_rows):
                col += 1
            head = ws.cell(row=max(first_row - 1, 1), column=col, value=HINT_HEADER)
            head.font = Font(bold=True, color="808080")
            head.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            for row, _, hint in items:
                c = ws.cell(row=row, column=col)
                set_text_cell(c, hint or None)  # "=24.00(小时)" stays text, never a formula
                c.font = Font(italic=True, color="808080")
                c.alignment = Alignment(wrap_text=True, vertical="center")
                written.append((sheet, f"{get_column_letter(col)}{row}"))
            ws.column_dimensions[get_column_letter(col)].width = 18
    atomic_save(path, wb.save)
    return written


def _print_areas(ws) -> list[str]:
    area = ws.print_area
    if not area:
        return []
    parts = area if isinstance(area, (list, tuple)) else str(area).split(",")
    return [p.split("!")[-1].replace("$", "") for p in parts if p]
