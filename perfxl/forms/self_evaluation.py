"""财政项目支出绩效自评表 — the self-evaluation sheet: layout, formulas, reading.

Layout (a freshly written sheet; readers find everything by its label, so rows and columns may
move)::

    1   财政项目支出绩效自评表                                   (A1:I1)
    2   （2023年度）                                               (A2:I2)
    3   项目名称 | name (B:I)
    4   主管部门 | dept (B:D) | 实施单位 | unit (F:I)
    5   项目资金（万元）» | (B:C) | 年初预算数 | 全年预算数 | 全年执行数 | 分数 | 执行率(%) | 得分
    6-9   年度资金总额 / 其中：当年财政拨款 / 上年结转资金 / 其他资金
    10  年度总体目标» | 预期目标 (B:E) | 实际完成情况 (F:I)
    11                | text           | text
    12  一级指标 | 二级指标 | 三级指标 | 年度指标值 (D:F) | 实际完成值 (G:H) | 分值 | 得分 | 偏差原因分析 (K:L)
    13                                 | 比较符 | 指标值 | 单位 | 完成值 | 单位
    14… one row per indicator; 一级 and 二级 merged over their rows
    t   总分 (A:H) | Σ分值 | 总分
    t+1 评分等级 (A:H) | grade (I:L)

Template v2: the target is three input cells — comparator drop-down (≥ ≤ = > < 定性),
number (or a qualitative word), unit — and the actual a number (its unit shown from the target) or
an R5 level; row 13 names them. Beside the printed area (A:L): N 填写得分 (the evaluator's score:
the printed 得分 shows it, or the suggestion when it is blank), O 建议得分, P 提示, and the scoring
steps from Q on — at most 8 formula cells per row, none parsing text (perfxl.forms.formulas).
A v1 sheet (one 年度指标值 text cell, no 比较符 row) is still read; ``perfxl upgrade`` rewrites it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl.utils import get_column_letter as L
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.findings import Finding, finding
from perfxl.forms import formulas as F
from perfxl.forms import printing
from perfxl.forms.grid import (
    CellError, Grid, carry_levels, decimal_format, formula_in_text_cell, is_blank, is_error,
    quantize_to_format, read_year, ref, to_decimal, to_text, typed_text,
)
from perfxl.forms.layout import (
    CF_MARK, abs_ref, category_validations, column_range, groups, qualitative_word_patch, row_height,
)
from perfxl.forms.settings_sheet import LIST_NAMES
from perfxl.model import (
    FundRow, Indicator, SelfEvaluation, SelfEvaluationFunds, Settings, mark_computed, set_location,
    set_sheet,
)
from perfxl.forms.targetcells import TARGET_SUB_HEADERS, structured_target, v1_finding, value_cell
from perfxl.patch import (
    ConditionalFormat, DefineName, Formula, Patch, Style, Validation, Write,
)

TITLE = "财政项目支出绩效自评表"
FORM = "self_evaluation"

# Column numbers of a freshly laid-out sheet.
(C_L1, C_L2, C_NAME, C_CMP, C_TV, C_TU, C_ACTUAL, C_AU, C_WEIGHT, C_SCORE, C_REASON,
 C_REASON2) = range(1, 13)
C_TYPED, C_SUGGESTED, C_FLAG = 14, 15, 16
C_HELPER0 = 17
LAST_PRINT_COL = C_REASON2
WIDTHS = {"A": 8, "B": 10, "C": 20, "D": 7, "E": 10, "F": 9, "G": 10, "H": 9, "I": 8, "J": 8,
          "K": 10, "L": 27, "M": 2, "N": 9, "O": 9, "P": 30}
HELPER_WIDTH = 9
SUB_HEADERS = {**TARGET_SUB_HEADERS, "actual": "完成值", "au": "单位"}

ROW_TITLE, ROW_YEAR, ROW_NAME, ROW_DEPT, ROW_FUNDS_HDR = 1, 2, 3, 4, 5
FUND_KEYS = ("total", "fiscal", "carryover", "other")
FUND_LABELS = {"total": "年度资金总额", "fiscal": "其中：当年财政拨款", "carryover": "上年结转资金",
               "other": "其他资金"}
FUND_COLS = ("initial_budget", "budget", "executed", "weight", "rate", "score")
# funds columns of a fresh v2 sheet: the three amounts over two columns each (D:E, F:G, H:I)
FUND_COL_NUMBERS = (4, 6, 8, 10, 11, 12)
FUND_SPAN = {"initial_budget": 2, "budget": 2, "executed": 2}
FUND_HEADERS = {"initial_budget": "年初预算数", "budget": "全年预算数", "executed": "全年执行数",
                "weight": "分数", "rate": "执行率(%)", "score": "得分"}

IND_HEADERS = {
    "level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值",
    "actual": "实际完成值", "weight": "分值", "score": "得分", "reason": "偏差原因分析",
}
# the row formulas that sit in columns of their own (not a printed cell)
HELPER_KEYS = [k for k in F.ROW_KEYS if k not in ("au", "score", "suggested", "flag")]
OFF_PRINT_HEADERS = {"typed": "填写得分", "suggested": "建议得分", "flag": "提示",
                     **{k: label for k, label, _t in F.ROW_FORMULAS if k in HELPER_KEYS}}



@dataclass
class SheetMap:
    """Where the fields of one self-evaluation sheet are (1-based rows/columns)."""

    sheet: str
    year: tuple[int, int] | None = None
    name: tuple[int, int] | None = None
    department: tuple[int, int] | None = None
    unit: tuple[int, int] | None = None
    funds_rows: dict[str, int] = field(default_factory=dict)
    funds_cols: dict[str, int] = field(default_factory=dict)
    expected_goal: tuple[int, int] | None = None
    achieved_goal: tuple[int, int] | None = None
    header_row: int | None = None
    first_row: int | None = None  # the first indicator row (below the v2 sub-header)
    cols: dict[str, int] = field(default_factory=dict)  # indicator columns and helpers
    rows: list[int] = field(default_factory=list)  # one per indicator, in order
    total_row: int | None = None
    grade_row: int | None = None
    total_weight: tuple[int, int] | None = None
    total: tuple[int, int] | None = None
    grade: tuple[int, int] | None = None
    # rows whose 得分 cell holds something the user typed (a number, or unreadable text): kept
    typed_scores: set[int] = field(default_factory=set)
    # (row, column) of a score that is the user's own formula (=F13*0.7 in 得分, v2 also in
    # 填写得分) -> the result it shows, stored again
    # after perfxl saves the workbook (openpyxl drops formula results): score_results
    formula_scores: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    # v2 rows whose printed 得分 holds the user's own number or formula (typed over the formula
    # that shows 填写得分): the sheet shows it, so perfxl reads it and does not write over it
    user_scores: set[int] = field(default_factory=set)
    # derived figures typed as numbers where the template computes them (execution_rate,
    # execution_score, total) -> (number, cell): compared with the inputs (perfxl.rules.printed)
    printed: dict[str, tuple[Decimal, str]] = field(default_factory=dict)

    def letters(self) -> dict[str, str]:
        return {k: L(c) for k, c in self.cols.items()}

    @property
    def v2(self) -> bool:
        """Whether the sheet has the structured target cells (template v2)."""
        return "cmp" in self.cols

    def cell(self, rc: tuple[int, int] | None) -> str:
        return ref(*rc) if rc else ""


# --- writing ----------------------------------------------------------------------------------


def fresh_map(project: SelfEvaluation, sheet: str) -> SheetMap:
    n = max(len(project.indicators), 1)
    m = SheetMap(sheet)
    m.year = (ROW_YEAR, 1)
    m.name = (ROW_NAME, 2)
    m.department = (ROW_DEPT, 2)
    m.unit = (ROW_DEPT, C_ACTUAL + 1)
    m.funds_rows = {k: ROW_FUNDS_HDR + 1 + i for i, k in enumerate(FUND_KEYS)}
    m.funds_cols = dict(zip(FUND_COLS, FUND_COL_NUMBERS))
    goals_hdr = ROW_FUNDS_HDR + 5
    m.expected_goal = (goals_hdr + 1, 2)
    m.achieved_goal = (goals_hdr + 1, C_ACTUAL)
    m.header_row = goals_hdr + 2
    m.first_row = m.header_row + 2
    m.cols = {
        "level1": C_L1, "level2": C_L2, "name": C_NAME, "cmp": C_CMP, "tv": C_TV, "target": C_TV,
        "tu": C_TU, "actual": C_ACTUAL, "au": C_AU, "weight": C_WEIGHT, "score": C_SCORE,
        "reason": C_REASON, "typed": C_TYPED, "suggested": C_SUGGESTED, "flag": C_FLAG,
    }
    for i, key in enumerate(HELPER_KEYS):
        m.cols[key] = C_HELPER0 + i
    m.rows = [m.first_row + i for i in range(len(project.indicators))]
    m.total_row = m.first_row + n
    m.grade_row = m.total_row + 1
    m.total_weight = (m.total_row, C_WEIGHT)
    m.total = (m.total_row, C_SCORE)
    m.grade = (m.grade_row, C_WEIGHT)
    return m


def _num(value: Decimal | None, money: bool = False) -> tuple[Decimal | None, str | None]:
    if value is None:
        return None, None
    return value, decimal_format(value, money)


def layout(project: SelfEvaluation, sheet: str, settings: Settings) -> tuple[Patch, SheetMap]:
    """The whole sheet for ``project``: labels, inputs, merges, formulas, validations, print."""
    from perfxl.rules.targets import split_target, structured_actual

    m = fresh_map(project, sheet)
    p = Patch()
    S = sheet
    last = L(LAST_PRINT_COL)

    def put(r: int, c: int, value, role: str, fmt: str | None = None) -> None:
        p.write(S, ref(r, c), value, role, fmt)

    def box(r1: int, c1: int, r2: int, c2: int, value, role: str, fmt: str | None = None) -> None:
        p.merged(S, ref(r1, c1), ref(r2, c2), value, role, fmt)

    box(ROW_TITLE, 1, ROW_TITLE, LAST_PRINT_COL, TITLE, "title")
    box(ROW_YEAR, 1, ROW_YEAR, LAST_PRINT_COL, f"（{project.year}年度）", "subtitle")
    put(ROW_NAME, 1, "项目名称", "label")
    box(ROW_NAME, 2, ROW_NAME, LAST_PRINT_COL, project.name, "text")
    put(ROW_DEPT, 1, "主管部门", "label")
    box(ROW_DEPT, 2, ROW_DEPT, C_ACTUAL - 1, project.department, "text")
    put(ROW_DEPT, C_ACTUAL, "实施单位", "label")  # one cell: its value is the cell to its right
    box(ROW_DEPT, C_ACTUAL + 1, ROW_DEPT, LAST_PRINT_COL, project.unit, "text")

    # funds block
    h = ROW_FUNDS_HDR
    box(h, 1, h + 4, 1, f"项目资金\n（{settings.money_unit}）", "label")
    box(h, 2, h, 3, None, "label")

    def fund_cell(r: int, key: str, value, role: str, fmt: str | None = None) -> None:
        c = m.funds_cols[key]
        box(r, c, r, c + FUND_SPAN.get(key, 1) - 1, value, role, fmt)

    for key in m.funds_cols:
        fund_cell(h, key, FUND_HEADERS[key], "label")
    funds = project.funds
    for key in FUND_KEYS:
        r = m.funds_rows[key]
        box(r, 2, r, 3, FUND_LABELS[key], "label")
        row: FundRow = getattr(funds, key)
        for fkey in ("initial_budget", "budget", "executed"):
            v, fmt = _num(getattr(row, fkey))
            fund_cell(r, fkey, v, "money", fmt or "0.00")
        if key == "total":
            v, fmt = _num(funds.weight)
            put(r, m.funds_cols["weight"], v, "number", fmt)
        else:
            put(r, m.funds_cols["weight"], "-", "dash")
            put(r, m.funds_cols["score"], "-", "dash")

    # goals
    g = h + 5
    box(g, 1, g + 1, 1, "年度总体目标", "label")
    box(g, 2, g, C_ACTUAL - 1, "预期目标", "label")
    box(g, C_ACTUAL, g, LAST_PRINT_COL, "实际完成情况", "label")
    box(g + 1, 2, g + 1, C_ACTUAL - 1, project.expected_goal, "longtext")
    box(g + 1, C_ACTUAL, g + 1, LAST_PRINT_COL, project.achieved_goal, "longtext")

    # indicator table: two header rows; the second names the target's and actual's cells
    hr, sub = m.header_row, m.header_row + 1
    for key, c in (("level1", C_L1), ("level2", C_L2), ("name", C_NAME), ("weight", C_WEIGHT),
                   ("score", C_SCORE)):
        box(hr, c, sub, c, IND_HEADERS[key], "label")
    box(hr, C_CMP, hr, C_TU, IND_HEADERS["target"], "label")
    box(hr, C_ACTUAL, hr, C_AU, IND_HEADERS["actual"], "label")
    box(hr, C_REASON, sub, C_REASON2, IND_HEADERS["reason"], "label")
    for key, label in SUB_HEADERS.items():
        put(sub, m.cols[key], label, "label")
    for key, label in OFF_PRINT_HEADERS.items():
        put(hr, m.cols[key], label, "helper_header")
    inds = project.indicators
    for ind, r in zip(inds, m.rows):
        put(r, C_NAME, ind.name, "text")
        cmp, value, unit = split_target(ind.target)
        put(r, C_CMP, cmp, "target_cmp")
        put(r, C_TV, value, "target_value", decimal_format(value) if isinstance(value, Decimal) else None)
        put(r, C_TU, unit, "target_unit")
        actual = structured_actual(ind.target, ind.actual)
        put(r, C_ACTUAL, actual, "actual_value",
            decimal_format(actual) if isinstance(actual, Decimal) else None)
        v, fmt = _num(ind.weight)
        put(r, C_WEIGHT, v, "number", fmt)
        v, fmt = _num(ind.score)
        put(r, C_TYPED, v, "typed_score", fmt)
        box(r, C_REASON, r, C_REASON2, ind.reason, "reason")
    if not inds:  # an empty row to type into
        r = m.first_row
        for c, role in ((C_L1, "category"), (C_L2, "category"), (C_NAME, "text"),
                        (C_CMP, "target_cmp"), (C_TV, "target_value"), (C_TU, "target_unit"),
                        (C_ACTUAL, "actual_value"), (C_WEIGHT, "number"), (C_TYPED, "typed_score")):
            put(r, c, None, role)
        box(r, C_REASON, r, C_REASON2, None, "reason")
    t = m.total_row
    box(t, 1, t, C_AU, "总分", "label")
    box(t, C_REASON, t, C_REASON2, None, "blank")
    gr = m.grade_row
    box(gr, 1, gr, C_AU, "评分等级", "label")
    box(gr, C_WEIGHT, gr, LAST_PRINT_COL, None, "grade")

    p.extend(formulas_patch(m, project))
    p.extend(names_patch(m))
    p.extend(validations_patch(m))
    p.extend(conditional_patch(m))

    # sheet setup
    heights = {ROW_TITLE: 32.0, ROW_YEAR: 20.0, ROW_NAME: 22.0, ROW_DEPT: 30.0, h: 30.0}
    for r in m.funds_rows.values():
        heights[r] = 20.0
    heights[g] = 20.0
    heights[g + 1] = row_height([(project.expected_goal, sum(WIDTHS[c] for c in "BCDEF"), 1.0),
                                 (project.achieved_goal, sum(WIDTHS[c] for c in "GHIJKL"), 1.0)],
                                minimum=40.0)
    heights[hr] = 22.0
    heights[sub] = 18.0
    for ind, r in zip(inds, m.rows):
        heights[r] = row_height([(ind.name, WIDTHS["C"], 1.0), (ind.target, WIDTHS["E"] + WIDTHS["F"], 1.0),
                                 (ind.actual if not ind.target or not split_target(ind.target)[1] else None,
                                  WIDTHS["G"], 1.0),
                                 (ind.reason, WIDTHS["K"] + WIDTHS["L"], 0.86)], line_pt=13.5)
    for (a, b) in groups(inds, lambda i: (i.level1, i.level2)):  # a merged 二级 label's lines
        need = row_height([(inds[a].level2, WIDTHS["B"], 1.0)], line_pt=13.5)
        have = sum(heights[m.rows[i]] for i in range(a, b + 1))
        if need > have:
            heights[m.rows[b]] += need - have
    heights[t] = 22.0
    heights[gr] = 24.0
    widths = dict(WIDTHS)
    helper_letters = [L(m.cols[k]) for k in HELPER_KEYS]
    for letter in helper_letters:
        widths[letter] = HELPER_WIDTH
    level2_groups = groups(inds, lambda i: (i.level1, i.level2))
    breaks = printing.page_breaks(heights, gr, (hr, sub), [  # merged blocks stay on one page
        (h, h + 4), (g, g + 1), *((m.rows[a], m.rows[b]) for a, b in level2_groups[:-1]),
        (m.rows[level2_groups[-1][0]] if inds else t, gr)])  # the last group with the total
    for (a, b) in groups(inds, lambda i: i.level1):  # 一级 and 二级 merged once per page
        for r1, r2 in printing.split_at(m.rows[a], m.rows[b], breaks):
            box(r1, C_L1, r2, C_L1, inds[a].level1, "category")
    for (a, b) in level2_groups:
        for r1, r2 in printing.split_at(m.rows[a], m.rows[b], breaks):
            box(r1, C_L2, r2, C_L2, inds[a].level2, "category")
    p.add(printing.form_setup(S, widths=widths, heights=heights, last_col=last, last_row=gr,
                              title_rows=(hr, sub), breaks=breaks, outline_cols=tuple(helper_letters)))
    return p, m


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
    p.add(DefineName("pxl_form", f'"{FORM}"', S))
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
        p.add(DefineName("pxl_indicator_header", abs_ref(
            S, f"{ref(m.header_row, 1)}:{ref(m.header_row, LAST_PRINT_COL)}"), S))
    return p


def _table_range(m: SheetMap, key: str) -> str | None:
    if not m.rows or key not in m.cols:
        return None
    c = m.cols[key]
    return f"{ref(m.rows[0], c)}:{ref(m.rows[-1], c)}"


def validations_patch(m: SheetMap) -> Patch:
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
        p.add(Validation(S, f"{ref(fr['total'], fc['initial_budget'])}:{ref(fr['other'], fc['executed'])}",
                         "decimal", "0", None, "greaterThanOrEqual", strict=True,
                         prompt_title="项目资金", prompt="金额（单位见左侧），不小于 0；执行率按 全年执行数/全年预算数 计算",
                         error_title="项目资金", error="金额应为不小于 0 的数字"))
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
    score_rng = _table_range(m, "score")
    cells = {k: f"${v}" for k, v in lt.items()}  # columns fixed, rows relative to the first row
    p.add(ConditionalFormat(S, score_rng, f"AND({CF_MARK},{F.render(F.OUT_OF_BAND, cells, r0)[1:]})",
                            "out_of_band"))
    p.extend(qualitative_word_patch(S, _table_range(m, "cmp"), f"${lt['cmp']}{r0}"))
    if m.total_weight:
        tw = ref(*m.total_weight)
        p.add(ConditionalFormat(S, tw, f"AND({CF_MARK},ISNUMBER({tw}),ROUND({tw},2)<>100)", "bad_total"))
    return p


# --- reading ----------------------------------------------------------------------------------


def is_self_evaluation(grid: Grid) -> bool:
    hit = grid.find("绩效自评表", rows=range(1, min(grid.max_row, 6) + 1), exact=False)
    return hit is not None


def read(ws: Worksheet, grid: Grid | None = None) -> tuple[SelfEvaluation | None, SheetMap, list[Finding]]:
    """Read one self-evaluation sheet. Every unreadable cell becomes a W7xx finding."""
    g = grid or Grid(ws)
    S = ws.title
    m = SheetMap(S)
    findings: list[Finding] = []

    def num(r: int, c: int, what: str, money: bool = False) -> Decimal | None:
        v = g.own(r, c)
        if v is None:  # blank (a formula cell holds the FORMULA marker)
            return None
        if g.is_formula(r, c):
            return None
        try:
            d = to_decimal(v)
        except CellError as e:
            findings.append(finding("W701", S, ref(r, c), f"{what}：{e}"))
            return None
        if d is not None and isinstance(v, str):
            findings.append(finding("W702", S, ref(r, c),
                                     f"{what}是以文本形式存储的数字“{v}”，已按 {d} 读取；请改为数值格式，"
                                     "否则表内公式不计算它"))
        if d is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
            d = quantize_to_format(d, g.number_format(r, c))
        return d

    def text_at(rc: tuple[int, int] | None) -> str | None:
        if rc is None:
            return None
        if g.is_formula(*rc):
            return None
        return to_text(g.raw(*rc))

    def labelled(label: str, field: str) -> tuple[int, int] | None:
        hit = g.find(label)
        if hit is None:
            findings.append(finding("W703", S, "", f"找不到“{label}”一栏，{field}按空白处理"))
            return None
        return g.value_right_of(*hit)

    # header
    year, m.year, bad_year = read_year(g)
    if bad_year:
        findings.append(finding("W710", S, ref(*m.year), bad_year))
    m.name = labelled("项目名称", "项目名称")
    m.department = labelled("主管部门", "主管部门")
    m.unit = labelled("实施单位", "实施单位")
    name = text_at(m.name)
    if not name:
        findings.append(finding("W704", S, m.cell(m.name) or "", "项目名称为空"))
    if year is None and not bad_year:
        findings.append(finding("W706", S, "A2", "找不到年度（如“（2023年度）”），无法确定评价年度"))

    # funds block
    hdr = g.find("年初预算数")
    if hdr is not None:
        fr = hdr[0]
        for key, label in FUND_HEADERS.items():
            hit = g.find(label, rows=[fr], exact=False) if key != "score" else g.find("得分", rows=[fr])
            if key == "weight" and hit is None:
                hit = g.find("分值", rows=[fr])
            if hit is None and key == "rate":
                hit = g.find("执行率", rows=[fr], exact=False)
            if hit:
                m.funds_cols[key] = hit[1]
        for key in FUND_KEYS:
            labels = {"total": ("年度资金总额",), "fiscal": ("其中：当年财政拨款", "当年财政拨款"),
                      "carryover": ("上年结转资金", "其中：上年结转资金", "上年结转"),
                      "other": ("其他资金", "其中：其他资金")}[key]
            label = labels[0]
            hit = g.find(*labels, rows=range(fr + 1, min(fr + 10, g.max_row) + 1))
            if hit:
                m.funds_rows[key] = hit[0]
            else:
                findings.append(finding("W703", S, "", f"项目资金中找不到“{label}”一行"))
    else:
        findings.append(finding("W703", S, "", "找不到项目资金表头（年初预算数），资金按空白处理"))
    fund_rows: dict[str, FundRow] = {}
    for key, r in m.funds_rows.items():
        amounts: dict[str, Decimal | None] = {}
        for fkey in ("initial_budget", "budget", "executed"):
            c = m.funds_cols.get(fkey)
            if c is None:
                continue
            d = num(r, c, f"{FUND_LABELS[key]}的{FUND_HEADERS[fkey]}", money=True)
            if d is not None and d < 0:
                findings.append(finding("W701", S, ref(r, c), f"金额不能为负数：{d}"))
                d = None
            amounts[fkey] = d
        fund_rows[key] = row = FundRow(**amounts)
        for fkey in amounts:
            set_location(row, fkey, S, ref(r, m.funds_cols[fkey]))
    funds = SelfEvaluationFunds(**fund_rows)
    if "total" in m.funds_rows and "weight" in m.funds_cols:
        r, c = m.funds_rows["total"], m.funds_cols["weight"]
        w = num(r, c, "预算执行率分值")
        if w is not None and w >= 0:
            funds.weight = w
        set_location(funds, "weight", S, ref(r, c))

    # goals
    for key, label in (("expected_goal", "预期目标"), ("achieved_goal", "实际完成情况")):
        hit = g.find(label)
        if hit:
            setattr(m, key, (g.bottom(*hit) + 1, hit[1]))
        else:
            findings.append(finding("W703", S, "", f"找不到“{label}”一栏"))

    # indicator table
    hit = g.find("三级指标")
    if hit is None:
        findings.append(finding("W703", S, "", "找不到绩效指标表头（三级指标），未读取任何指标"))
    else:
        hr = m.header_row = hit[0]
        for key, label in IND_HEADERS.items():
            h = g.find(label, rows=[hr])
            if h is None and key == "target":
                h = g.find("指标值", rows=[hr], exact=False)
            if h is None and key == "reason":
                h = g.find("偏差原因", rows=[hr], exact=False)
            if h is None and key == "actual":
                h = g.find("实际完成", rows=[hr], exact=False)
            if h:
                m.cols[key] = h[1]
        for key, label in OFF_PRINT_HEADERS.items():
            h = g.find(label, rows=[hr])
            if h:
                m.cols[key] = h[1]
        if v1_helper := g.find("完成比例", rows=[hr]):  # v1's ratio helper (stored values)
            m.cols["ratio"] = v1_helper[1]
        _find_structured(g, m, hr)
        missing = [IND_HEADERS[k] for k in ("name", "target") if k not in m.cols]
        if missing:
            findings.append(finding("W703", S, ref(hr, 1), "绩效指标表头缺少：" + "、".join(missing)))
    indicators: list[Indicator] = []
    if m.header_row and "name" in m.cols and "target" in m.cols:
        end = g.max_row
        first_cols = range(1, (m.cols.get("weight") or 6) + 1)
        below = range(m.header_row + 1, g.max_row + 1)
        total = g.find("总分", "合计", "总计", rows=below, cols=first_cols)
        grade = g.find("评分等级", rows=below, cols=first_cols)
        if total and (grade is None or total[0] <= grade[0]):
            m.total_row = total[0]
            end = m.total_row - 1
        elif grade:
            m.grade_row = grade[0]
            end = m.grade_row - 1
        if m.total_row:
            for r in range(m.total_row, min(m.total_row + 4, g.max_row) + 1):
                if g.find("评分等级", rows=[r], cols=first_cols):
                    m.grade_row = r
                    break
            if "weight" in m.cols:
                m.total_weight = (m.total_row, m.cols["weight"])
            if "score" in m.cols:
                m.total = (m.total_row, m.cols["score"])
        if m.grade_row:
            h = g.find("评分等级", rows=[m.grade_row])
            if h:
                m.grade = (m.grade_row, g.right_end(*h) + 1)
        score_col = m.cols.get("typed") or m.cols.get("score")
        other_cols = [m.cols[k] for k in ("level1", "level2", "name", "cmp", "target", "tu", "actual",
                                           "weight", "reason") if k in m.cols and m.cols[k] != score_col]
        lvl1 = lvl2 = ""
        for r in range(m.first_row or m.header_row + 1, end + 1):
            if g.row_is_blank(r, other_cols) and (
                    score_col is None or g.is_formula(r, score_col) or g.own(r, score_col) in (None, "")):
                continue
            ind, fnd = _read_row(g, S, m, r, lvl1, lvl2, num)
            findings.extend(fnd)
            lvl1, lvl2 = ind.level1, ind.level2
            indicators.append(ind)
            m.rows.append(r)

    if m.header_row and not m.v2:
        findings.append(v1_finding(S, ref(m.header_row, m.cols.get("target", 1))))
    project = SelfEvaluation(
        name=name or "", year=year or 2000, department=text_at(m.department) or "",
        unit=text_at(m.unit) or "", indicators=indicators, funds=funds,
        expected_goal=text_at(m.expected_goal) or "", achieved_goal=text_at(m.achieved_goal) or "",
    )
    set_sheet(project, S)
    if m.header_row:  # structure findings (X501/X502) point at the indicator table's header
        set_location(project, "indicators", S, ref(m.header_row, m.cols.get("level1", 1)))
    for key in ("name", "department", "unit", "expected_goal", "achieved_goal"):
        rc = getattr(m, key)
        if rc:
            set_location(project, key, S, ref(*rc))
    if m.year:
        set_location(project, "year", S, ref(*m.year))
    if m.total:
        set_location(project, "total", S, ref(*m.total))
    if m.grade:
        set_location(project, "grade", S, ref(*m.grade))
    if "total" in m.funds_rows:
        r = m.funds_rows["total"]
        for key in ("rate", "score"):
            if key in m.funds_cols:
                set_location(funds, f"execution_{key}", S, ref(r, m.funds_cols[key]))
    _read_printed(g, m)
    if year is None:
        return None, m, findings
    return project, m, findings


def _read_printed(g: Grid, m: SheetMap) -> None:
    """Numbers typed where the form computes 执行率, 执行率得分 and 总分 (a published form, or a
    formula replaced by its value): kept in ``m.printed``."""
    cells = {}
    if "total" in m.funds_rows:
        r = m.funds_rows["total"]
        for key, fld in (("rate", "execution_rate"), ("score", "execution_score")):
            if key in m.funds_cols:
                cells[fld] = (r, m.funds_cols[key])
    if m.total:
        cells["total"] = m.total
    for fld, (r, c) in cells.items():
        v = g.own(r, c)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not g.is_formula(r, c):
            try:
                d = to_decimal(v)
            except CellError:
                continue
            m.printed[fld] = (quantize_to_format(d, g.number_format(r, c)), ref(r, c))


def _find_structured(g: Grid, m: SheetMap, hr: int) -> None:
    """A v2 sheet: the row below the header names the target's and actual's cells (比较符 …)."""
    c = m.cols.get("target")
    if c is None or g.own(hr + 1, c) != SUB_HEADERS["cmp"]:
        return
    sub = hr + 1
    for key, label in SUB_HEADERS.items():
        start = m.cols["actual"] if key in ("actual", "au") and "actual" in m.cols else c
        hit = g.find(label, rows=[sub], cols=range(start, g.max_col + 1))
        if hit:
            m.cols[key] = hit[1]
    m.cols["target"] = m.cols.get("tv", c)
    m.first_row = sub + 1


def _read_row(g: Grid, S: str, m: SheetMap, r: int, lvl1: str, lvl2: str, num):
    findings: list[Finding] = []

    def text(key: str) -> str | None:
        c = m.cols.get(key)
        if c is None:
            return None
        if g.is_formula(r, c) or is_error(g.raw(r, c)):
            label = IND_HEADERS.get(key) or IND_HEADERS["target"] + SUB_HEADERS[key]
            findings.append(finding("W707", S, ref(r, c), formula_in_text_cell(label)))
            return None
        return typed_text(g.raw(r, c), g.number_format(r, c))

    lvl1, lvl2, inferred = carry_levels(lvl1, lvl2, text("level1"), text("level2"))
    if inferred:
        c1 = m.cols.get("level1", 1)
        findings.append(finding(
            "X512", S, ref(r, c1),
            f"第 {r} 行没有一级指标（多为删除了该组第一行），按二级指标“{text('level2')}”推断为"
            f"“{inferred}”；请在 {ref(r, c1)} 补上一级指标"))
    weight = score = None
    score_formula = False
    score_key = "score"  # the column the score is read from (and its findings point at)
    if "weight" in m.cols:
        weight = num(r, m.cols["weight"], f"第 {r} 行分值")
        if weight is not None and weight < 0:
            findings.append(finding("W701", S, ref(r, m.cols["weight"]), f"分值不能为负数：{weight}"))
            weight = None
    typed_col = m.cols.get("typed")
    typed = False  # v2: the score is the evaluator's own cell, 填写得分 (a number or a formula)
    if (typed_col is not None and not is_blank(g.own(r, typed_col))
            and not _score_replaced(g, m, r, typed_col)):
        if not g.is_formula(r, typed_col):
            score, typed = num(r, typed_col, f"第 {r} 行填写得分"), True
        elif (shown := _formula_score(g, m, r, typed_col)) is not None:
            score, typed = shown, True  # =I14*0.7: its result, as typed
            m.formula_scores[r, typed_col] = shown
    if typed:
        m.typed_scores.add(r)
        score_key = "typed"
    elif "score" in m.cols:
        c = m.cols["score"]
        if not g.is_formula(r, c):
            score = num(r, c, f"第 {r} 行得分")
            if not is_blank(g.own(r, c)):
                m.typed_scores.add(r)
        elif (shown := _formula_score(g, m, r, c)) is not None:
            score = shown  # the user's own formula: its result is the score, as typed
            m.typed_scores.add(r)
            m.formula_scores[r, c] = shown
        elif not is_blank(g.own(r, c)):
            score_formula = True
    if m.v2:  # the text the three cells spell, read by the one parser (rules/targets.py)
        target, fnd = structured_target(g, S, r, m.cols, text, text("name") or "")
        findings.extend(fnd)
        c = m.cols.get("actual")  # a percent-formatted number as its percentage, as the formulas read it
        actual = None
        if c is not None:
            actual, fnd = value_cell(g, S, r, c, "实际完成值")
            findings.extend(fnd)
        unit = text("tu")
        shown = g.result(r, c) if c is not None and g.is_formula(r, c) else g.raw(r, c) if c else None
        if actual and unit and isinstance(shown, (int, float)) and not isinstance(shown, bool):
            actual = f"{actual}({unit})"  # as printed: 8.00(人)
    else:
        target, actual = text("target") or "", text("actual")
    ind = Indicator(level1=lvl1, level2=lvl2, name=text("name") or "", target=target,
                    actual=actual, weight=weight, score=score, reason=text("reason"))
    for key in ("level1", "level2", "name", "target", "actual", "weight", "score", "reason"):
        c = m.cols.get(score_key if key == "score" else key)
        if c is not None:
            set_location(ind, key, S, ref(r, c))
    # input cells no model field reads from, located so that finalize leaves them editable: the
    # comparator and unit cells, and 填写得分 where the score is read from the printed 得分
    for key, field_name in (("cmp", "target_comparator"), ("tu", "target_unit"), ("typed", "score_typed")):
        if m.v2 and key in m.cols:
            set_location(ind, field_name, S, ref(r, m.cols[key]))
    if m.v2 and score_key == "score" and r in m.typed_scores and typed_col is not None:
        m.user_scores.add(r)
    if score_formula:  # 得分 shows a formula's result (the suggestion, =建议得分): filled
        mark_computed(ind, "score")
    return ind, findings


def _score_replaced(g: Grid, m: SheetMap, r: int, typed_col: int) -> bool:
    """Whether the printed 得分 cell of a v2 row no longer shows its 填写得分 (N): the user typed a
    number over the 得分 formula, or a formula of their own there (``=I26*0.882``) whose stored
    result differs from N. Then the sheet's 得分 and 总分 show that cell, and so does perfxl."""
    c = m.cols.get("score")
    if c is None:
        return False
    if not g.is_formula(r, c):
        return not is_blank(g.own(r, c))
    shown = g.result(r, c)
    typed = g.result(r, typed_col) if g.is_formula(r, typed_col) else g.own(r, typed_col)
    if shown is None or typed is None:
        return False
    try:
        return (quantize_to_format(to_decimal(shown), g.number_format(r, c))
                != quantize_to_format(to_decimal(typed), g.number_format(r, typed_col)))
    except CellError:
        return False


def _formula_score(g: Grid, m: SheetMap, r: int, c: int) -> Decimal | None:
    """The score a 得分 formula of the user's own shows (``=F13*0.7``: 4.20), from the result the
    office suite stored, at the cell's decimals (the total and grade the
    workbook shows); None for a formula that shows the row's 建议得分 (perfxl's ``=K13``: the
    same stored result, or none stored), which counts as the suggestion."""
    shown = g.result(r, c)
    if shown is None:
        return None
    try:
        d = quantize_to_format(to_decimal(shown), g.number_format(r, c))
    except CellError:
        return None
    sc = m.cols.get("suggested")
    suggested = g.result(r, sc) if sc is not None else None
    if suggested is not None:
        try:
            if quantize_to_format(to_decimal(suggested), g.number_format(r, sc)) == d:
                return None
        except CellError:
            pass
    return d


def score_results(m: SheetMap) -> dict[tuple[str, str], Decimal]:
    """(sheet, cell) -> the result of each 得分 formula of the user's own (``formula_scores``),
    to store again in a workbook perfxl saved (:func:`perfxl.stored_values.store_values`)."""
    return {(m.sheet, ref(r, c)): v for (r, c), v in m.formula_scores.items()}


PROMPT_TITLES = ("一级指标", "二级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析",
                 "项目资金")


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
