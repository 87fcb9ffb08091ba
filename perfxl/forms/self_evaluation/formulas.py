"""The computed cells of a self-evaluation sheet — execution rates and score (R6), the funds'
提示, each indicator row's scoring steps (:mod:`perfxl.forms.formulas`), totals (R6r) and grade
(R8) — and the sheet-local defined names that point at its fields."""

from __future__ import annotations

from perfxl.forms import formulas as F
from perfxl.forms.grid import ref
from perfxl.forms.layout import abs_ref, form_name, indicator_header_name
from perfxl.forms.self_evaluation.spec import FORM, FUND_HEADERS, LAST_PRINT_COL, SheetMap
from perfxl.model import SelfEvaluation
from perfxl.patch import DefineName, Formula, Patch, Write


def formulas_patch(m: SheetMap, project: SelfEvaluation | None = None) -> Patch:
    """Every computed cell perfxl owns on the sheet, at the places ``m`` says (``project`` is
    not needed: the evaluator's typed scores live in their own input cells, 填写得分)."""
    p = Patch()
    S = m.sheet
    fc = m.funds_cols
    # R6: execution rate of each funds row, execution score of the 年度资金总额 row
    for key, r in m.funds_rows.items():
        b, e = ref(r, fc["budget"]), ref(r, fc["executed"])
        rate = (f'=IF(OR(NOT(ISNUMBER({b})),NOT(ISNUMBER({e}))),"",'
                f'IF({b}=0,0,{F.cut2(f"{e}/{b}*100")}))')
        p.add(Write(S, ref(r, fc["rate"]), Formula(rate), "formula"))
    tr = m.funds_rows["total"]
    rate_cell, weight_cell = ref(tr, fc["rate"]), ref(tr, fc["weight"])
    score = f'=IF(NOT(ISNUMBER({rate_cell})),"",{F.cut2(f"MIN({rate_cell},100)*N({weight_cell})/100")})'
    p.add(Write(S, ref(tr, fc["score"]), Formula(score), "formula"))

    if "flag" in m.cols:
        p.extend(_funds_flags(m))

    letters = m.letters()
    if m.v2:  # a v1 sheet keeps its own row formulas (perfxl upgrade replaces them)
        # a column the user deleted leaves its formulas (and those that read it) out
        usable = [(key, tpl) for key, _label, tpl in F.ROW_FORMULAS
                  if key in m.cols and F.keys(tpl) <= m.cols.keys()]
        for r in m.rows:
            for key, tpl in usable:
                if key == "score" and r in m.user_scores:
                    continue
                role = {"au": "actual_unit", "score": "score", "suggested": "suggested",
                        "flag": "flag"}.get(key, "helper")
                p.add(Write(S, ref(r, m.cols[key]), Formula(F.render(tpl, letters, r)), role))
    # totals (R6r: plain sum of the displayed scores) and grade (R8); the ranges run from the
    # header row to the row above, so rows inserted anywhere in the table are summed
    if m.total_row and m.header_row:
        t = m.total_row
        wl, sl = letters["weight"], letters["score"]
        hr = m.header_row
        first = m.first_row or hr + 1
        # a blank form prints a blank 总分 分值, not the execution weight alone
        weights = f"{wl}{first}:INDEX({wl}:{wl},ROW()-1)"
        p.add(Write(S, ref(t, m.cols["weight"]), Formula(
            f'=IF(COUNT({weights})=0,"",ROUND(N({weight_cell})+SUM({wl}{hr}:INDEX({wl}:{wl},ROW()-1)),9))'),
            "total"))
        # scoring.has_inputs: a form with nothing evaluated has no total (and so no grade)
        al = letters.get("actual")
        budget_exec = f"{ref(tr, fc['budget'])},{ref(tr, fc['executed'])}" if {
            "budget", "executed"} <= fc.keys() else weight_cell
        actuals = f"{al}{first}:INDEX({al}:{al},ROW()-1)" if al else None
        scores = f"{sl}{first}:INDEX({sl}:{sl},ROW()-1)"
        inputs = (f"COUNT({budget_exec},{actuals},{scores})+COUNTIF({actuals},\"?*\")" if actuals
                  else f"COUNT({budget_exec},{scores})")
        p.add(Write(S, ref(t, m.cols["score"]), Formula(
            f'=IF({inputs}=0,"",ROUND(N({ref(tr, fc["score"])})+SUM({sl}{hr}:INDEX({sl}:{sl},ROW()-1)),9))'),
            "total"))
        if m.grade:
            tot = ref(t, m.cols["score"])
            p.add(Write(S, ref(*m.grade), Formula(
                f'=IF(NOT(ISNUMBER({tot})),"",IF({tot}>=90,"优",IF({tot}>=80,"良",'
                f'IF({tot}>=60,"中","差"))))'), "grade"))
    return p


def _funds_flags(m: SheetMap) -> Patch:
    """提示 beside the funds rows: F402 executed above budget (each row); on the 年度资金总额 row
    also F401 rows not adding up and D304 execution below the threshold, unexplained (R7)."""
    p = Patch()
    fc, rows = m.funds_cols, m.funds_rows
    if not {"budget", "executed", "rate"} <= fc.keys():
        return p
    flag_col = m.cols["flag"]
    for key, r in rows.items():
        b, e = ref(r, fc["budget"]), ref(r, fc["executed"])
        parts = [f'IF(AND(ISNUMBER({b}),ISNUMBER({e}),{e}>{b}),"执行数大于预算数 ","")']
        if key == "total" and len(rows) == 4:
            for col in ("initial_budget", "budget", "executed"):
                if col not in fc:
                    continue
                t = ref(r, fc[col])
                others = ",".join(ref(rows[k], fc[col]) for k in ("fiscal", "carryover", "other"))
                parts.append(f'IF(AND(ISNUMBER({t}),COUNT({others})>0),'
                             f'IF(ABS({t}-SUM({others}))>=0.005,"{FUND_HEADERS[col]}合计不符 ",""),"")')
            rate = ref(r, fc["rate"])  # D304's word search in the explanation is Python's
            parts.append(f'IF(AND(ISNUMBER({rate}),{rate}<ROUND({F.EXEC_REASON}*100,9)),'
                         f'"执行率低于"&{F.EXEC_REASON}*100&"%须说明原因 ","")')
        formula = "=" + "&".join(parts)
        p.add(Write(m.sheet, ref(r, flag_col), Formula(formula), "flag"))
    return p


def names_patch(m: SheetMap) -> Patch:
    """Sheet-local defined names (``pxl_name`` …) pointing at the fields."""
    p = Patch()
    S = m.sheet
    p.add(form_name(S, FORM))
    for key in ("year", "name", "department", "unit", "expected_goal", "achieved_goal",
                "total", "total_weight", "grade"):
        rc = getattr(m, key)
        if rc:
            p.add(DefineName(f"pxl_{key}", abs_ref(S, ref(*rc)), S))
    fc = m.funds_cols
    rows = m.funds_rows
    if rows and fc:
        p.add(DefineName("pxl_funds", abs_ref(
            S, f"{ref(rows['total'], fc['initial_budget'])}:{ref(rows['other'], fc['executed'])}"), S))
        for key in ("weight", "rate", "score"):
            p.add(DefineName(f"pxl_exec_{key}", abs_ref(S, ref(rows["total"], fc[key])), S))
    if m.header_row:
        p.add(indicator_header_name(S, m.header_row, LAST_PRINT_COL))
    return p
