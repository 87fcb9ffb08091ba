"""The rules a declaration sheet enforces itself: drop-downs and input prompts (validations), and
the conditional formats that colour a failed check and hide the 定性 comparator."""

from __future__ import annotations

from openpyxl.utils import get_column_letter as L

from perfxl.forms.declaration.spec import FUND_LABELS, SheetMap
from perfxl.forms.grid import ref
from perfxl.forms.layout import CF_MARK, category_validations, money_validation, qualitative_word_patch
from perfxl.patch import ConditionalFormat, Patch


def validations_patch(m: SheetMap) -> Patch:
    """Drop-downs and prompts of the indicator rows, and the funds amounts (元, not below 0)."""
    if not m.v2:  # a v1 sheet keeps its own (perfxl upgrade replaces them)
        return Patch()
    p = category_validations(
        m.sheet, m.rows or [m.first_row], m.cols,
        level1="成本指标、产出指标、效益指标或满意度指标（可下拉选择）",
        level2="如 经济成本指标、数量指标、质量指标、时效指标、社会效益指标…（可下拉选择）",
        target="定量：填数值，如 9、72；定性（比较符选“定性”）：填定性词，如 及时、健全、有效保障",
    )
    money_cells = [ref(*m.fields[k]) for k in FUND_LABELS if k in m.fields]
    if money_cells:
        p.add(money_validation(m.sheet, " ".join(money_cells), "金额（元），不小于 0"))
    return p


def conditional_patch(m: SheetMap) -> Patch:
    """A failed check (not 一致) coloured; the 定性 comparator hidden."""
    p = Patch()
    for key, rc in m.checks.items():
        if key == "cost_total":
            continue
        c = ref(*rc)
        p.add(ConditionalFormat(m.sheet, c, f'AND({CF_MARK},{c}<>"",{c}<>"一致")', "check_failed"))
    if m.rows and m.v2:
        cmp = L(m.cols["cmp"])
        p.extend(qualitative_word_patch(m.sheet, m.column_cells("cmp"), f"${cmp}{m.rows[0]}"))
    return p
