"""The rules a self-evaluation sheet enforces itself: drop-downs and input prompts
(validations), and the conditional formats that colour a missing reason, a score outside its
band and weights that do not total 100."""

from __future__ import annotations

from perfxl.forms import formulas as F
from perfxl.forms.grid import ref
from perfxl.forms.layout import (
    CF_MARK, category_validations, column_range, money_validation, qualitative_word_patch,
)
from perfxl.forms.self_evaluation.spec import SheetMap
from perfxl.forms.settings_sheet import LIST_NAMES
from perfxl.patch import ConditionalFormat, Patch, Validation


def validations_patch(m: SheetMap) -> Patch:
    """Drop-downs and prompts of the indicator rows (levels, weights 0–100, scores, reasons) and
    the funds amounts."""
    S = m.sheet
    if not m.v2:  # a v1 sheet keeps its own (perfxl upgrade replaces them)
        return Patch()
    rows = m.rows or [m.first_row]

    def rng(key: str) -> str:
        return column_range(rows, m.cols[key])

    p = category_validations(
        S, rows, m.cols,
        level1="产出指标、效益指标、满意度指标或成本指标（可下拉选择）",
        level2="如 数量指标、质量指标、时效指标、社会效益指标…（可下拉选择）",
        target="定量：填数值，如 11000；定性（比较符选“定性”）：填定性词，如 及时、健全、有效保障",
    )
    p.add(Validation(S, rng("actual"), "list", LIST_NAMES["levels"],
                     prompt_title="实际完成值",
                     prompt="定量：填数值（单位取自指标值），如 8；定性：从下拉列表选择完成档次。修改后建议得分、得分、总分随之更新"))
    p.add(Validation(S, rng("weight"), "decimal", "0", "100", "between", strict=True,
                     prompt_title="分值", prompt="本指标的权重分值；全部分值（含预算执行率）合计应为 100",
                     error_title="分值", error="分值应为 0–100 之间的数字"))
    p.add(Validation(S, rng("typed"), "decimal", "0", "100", "between",
                     prompt_title="得分",
                     prompt="评价人在此填写得分（表上“得分”显示它）；留空时“得分”显示建议得分。定性指标：达成 80%–100%，部分达成 60%–80%（不含），未达成 60% 以下",
                     error_title="得分", error="得分应为 0 到分值之间的数字"))
    p.add(Validation(S, rng("reason"), "textLength", "0", "2000", "between",
                     prompt_title="偏差原因分析",
                     prompt="得分低于分值、未达成或超额完成（≥130%）时必须填写偏差原因和改进措施"))
    fc, fr = m.funds_cols, m.funds_rows
    if fc and fr:
        p.add(money_validation(S, f"{ref(fr['total'], fc['initial_budget'])}:{ref(fr['other'], fc['executed'])}",
                               "金额（单位见左侧），不小于 0；执行率按 全年执行数/全年预算数 计算"))
    return p


def conditional_patch(m: SheetMap) -> Patch:
    """Missing deviation reason, score outside its band, weights total ≠ 100."""
    p = Patch()
    S = m.sheet
    if not m.rows or not m.v2:
        return p
    r0 = m.rows[0]
    lt = m.letters()
    reason_rng = f"{ref(r0, m.cols['reason'])}:{ref(m.rows[-1], m.cols['reason'])}"
    p.add(ConditionalFormat(S, reason_rng,
                            f"AND({CF_MARK},${lt['need']}{r0}=TRUE,${lt['reason']}{r0}&\"\"=\"\")",
                            "missing_reason"))
    score_rng = m.column_cells("score")
    cells = {k: f"${v}" for k, v in lt.items()}  # columns fixed, rows relative to the first row
    p.add(ConditionalFormat(S, score_rng, f"AND({CF_MARK},{F.render(F.OUT_OF_BAND, cells, r0)[1:]})",
                            "out_of_band"))
    p.extend(qualitative_word_patch(S, m.column_cells("cmp"), f"${lt['cmp']}{r0}"))
    if m.total_weight:
        tw = ref(*m.total_weight)
        p.add(ConditionalFormat(S, tw, f"AND({CF_MARK},ISNUMBER({tw}),ROUND({tw},2)<>100)", "bad_total"))
    return p
