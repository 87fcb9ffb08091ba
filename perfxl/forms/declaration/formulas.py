"""The computed cells of a declaration sheet — the helper columns that carry 一级/二级 down and
pick the 经济成本 ceilings, and the consistency checks beside the form (the funds sums of
domain.md §3, the ceilings against the requested funds) — and the sheet-local defined names."""

from __future__ import annotations

from perfxl.forms import formulas as F
from perfxl.forms.declaration.spec import (
    C_CHECK, C_CHECK_LABEL, CHECK_LABELS, FORM, HELPERS, LAST_PRINT_COL, SheetMap,
)
from perfxl.forms.grid import ref
from perfxl.forms.layout import abs_ref, form_name, indicator_header_name
from perfxl.model import Declaration
from perfxl.patch import DefineName, Formula, Patch, Write


def formulas_patch(m: SheetMap, project: Declaration | None = None) -> Patch:
    """Every computed cell perfxl owns on the sheet, at the places ``m`` says: each row's helper
    columns, and the check cells with their labels."""
    p = Patch()
    S = m.sheet
    letters = m.letters()
    for r in m.rows if m.v2 else ():  # a v1 sheet keeps its own (perfxl upgrade replaces them)
        for key, _label, tpl in HELPERS:
            p.add(Write(S, ref(r, m.cols[key]), Formula(F.render(tpl, letters, r)), "helper"))
    f = {k: ref(*rc) for k, rc in m.fields.items()}
    for key, (r, c) in m.checks.items():
        p.add(Write(S, ref(r, C_CHECK_LABEL if c == C_CHECK else c - 1), CHECK_LABELS[key], "flag"))

    def blank(*cells: str) -> str:
        return "AND(" + ",".join(f'{c}=""' for c in cells) + ")"

    def money(x: str) -> str:
        return f'TEXT({x},"#,##0.00")'

    out: dict[str, str] = {}
    if {"project_total", "project_fiscal", "project_other"} <= f.keys():
        t, a, b = f["project_total"], f["project_fiscal"], f["project_other"]
        out["project_sum"] = (
            f'IF(OR({blank(t)},{blank(a, b)}),"",IF(ROUND(N({t})-N({a})-N({b}),2)=0,"一致",'
            f'"不符：总额 "&{money(f"N({t})")}&"，财政资金＋其他资金 "&{money(f"N({a})+N({b})")}))')
    if {"annual_total", "annual_fiscal", "annual_carryover", "annual_other"} <= f.keys():
        t, a, b, c = (f[k] for k in ("annual_total", "annual_fiscal", "annual_carryover", "annual_other"))
        out["annual_sum"] = (
            f'IF(OR({blank(t)},{blank(a, b, c)}),"",IF(ROUND(N({t})-N({a})-N({b})-N({c}),2)=0,"一致",'
            f'"不符：申请总额 "&{money(f"N({t})")}&"，三项合计 "&{money(f"N({a})+N({b})+N({c})")}))')
    if {"annual_total", "project_total"} <= f.keys():
        t, pt = f["annual_total"], f["project_total"]
        out["annual_vs_project"] = (
            f'IF(OR({blank(t)},N({pt})=0),"",IF(N({t})<=N({pt}),"一致",'
            f'"年度申请总额大于项目资金总额"))')
    if "cost" in letters:
        cl = letters["cost"]
        out["cost_total"] = f'IF(COUNT({cl}:{cl})=0,"",SUM({cl}:{cl}))'
        if "annual_total" in f:
            ct = ref(*m.checks["cost_total"])
            t = f["annual_total"]
            out["cost_vs_funds"] = (
                f'IF(OR({ct}="",{blank(t)}),"",IF(ROUND({ct},2)=ROUND(N({t})/10000,2),"一致",'
                f'IF(ROUND({ct},2)>ROUND(N({t})/10000,2),"成本上限合计高于","成本上限合计低于")'
                f'&"申请资金："&TEXT({ct},"0.00")&" 万元 对 "&TEXT(N({t})/10000,"0.00")&" 万元"))')
    for key, formula in out.items():
        role = "formula" if key == "cost_total" else "flag"
        p.add(Write(S, ref(*m.checks[key]), Formula(formula), role))
    return p


def names_patch(m: SheetMap) -> Patch:
    """Sheet-local defined names (``pxl_name`` …) pointing at the fields and the check cells."""
    p = Patch()
    S = m.sheet
    p.add(form_name(S, FORM))
    for key, rc in m.fields.items():
        p.add(DefineName(f"pxl_{key}", abs_ref(S, ref(*rc)), S))
    if m.header_row:
        p.add(indicator_header_name(S, m.header_row, LAST_PRINT_COL))
    for key, rc in m.checks.items():
        p.add(DefineName(f"pxl_check_{key}", abs_ref(S, ref(*rc)), S))
    return p
