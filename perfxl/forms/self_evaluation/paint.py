"""What scoring paints on a self-evaluation sheet beyond its formulas: the style of a missing
deviation reason (R7), and the results of the user's own 得分 formulas to store after a save."""

from __future__ import annotations

from decimal import Decimal

from perfxl.forms.grid import ref
from perfxl.forms.self_evaluation.spec import SheetMap
from perfxl.model import SelfEvaluation, Settings
from perfxl.patch import Patch, Style


def score_results(m: SheetMap) -> dict[tuple[str, str], Decimal]:
    """(sheet, cell) -> the result of each 得分 formula of the user's own (``formula_scores``),
    to store again in a workbook perfxl saved (:func:`perfxl.stored_values.store_values`)."""
    return {(m.sheet, ref(r, c)): v for (r, c), v in m.formula_scores.items()}


def reason_missing(score, settings: Settings) -> bool:
    """domain.md R7 as the sheet's 须说明原因 helper computes it: a reason is required (score
    below the weight, target missed, or over-achievement at the reason-required threshold, R4)
    and the reason cell is empty."""
    from perfxl.rules.scoring import target_met

    ind = score.indicator
    if ind.reason and ind.reason.strip():
        return False
    w, eff = score.weight, score.effective
    if w is not None and eff is not None and eff < w:
        return True
    if score.target is not None and target_met(score.target, score.actual) is False:
        return True
    return bool(score.target is not None and score.target.higher_is_better
                and score.ratio is not None
                and score.ratio >= settings.over_achievement_reason_required)


def findings_patch(m: SheetMap, project: SelfEvaluation, ps, ws, settings: Settings) -> Patch:
    """Styles that show the Python check's result: a missing deviation reason (R7) gets the
    ``needs_reason`` role, an explained one ``reason`` — only on cells styled by perfxl (or not
    styled at all), so a user's own formatting is kept."""
    from perfxl.forms.styles import cell_role, cell_style_name

    p = Patch()
    c = m.cols.get("reason")
    if c is None:
        return p
    for s, r in zip(ps.indicators, m.rows):
        cell = ws.cell(row=r, column=c)
        current = cell_role(cell)
        if current is None and (cell_style_name(cell) not in (None, "Normal") or cell.has_style):
            continue  # the user's formatting
        role = "needs_reason" if reason_missing(s, settings) else "reason"
        if role != current:
            p.add(Style(m.sheet, ref(r, c), role))
    return p
