"""Where everything is on a self-evaluation sheet: its title, labels, the columns and rows of a
freshly laid-out sheet, and :class:`SheetMap`, the places a layout or a read found.

Layout of a freshly written sheet (readers find everything by its label, so rows and columns may
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

from perfxl.forms import formulas as F
from perfxl.forms.grid import ref
from perfxl.forms.reading import TableMap
from perfxl.forms.targetcells import TARGET_SUB_HEADERS
from perfxl.model import Form, SelfEvaluation

TITLE = "财政项目支出绩效自评表"
FORM = Form.SELF_EVALUATION

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
# what a W707 calls each text cell of an indicator row
TEXT_LABELS = {**{k: IND_HEADERS["target"] + v for k, v in SUB_HEADERS.items()}, **IND_HEADERS}
# the row formulas that sit in columns of their own (not a printed cell)
HELPER_KEYS = [k for k in F.ROW_KEYS if k not in ("au", "score", "suggested", "flag")]
OFF_PRINT_HEADERS = {"typed": "填写得分", "suggested": "建议得分", "flag": "提示",
                     **{k: label for k, label, _t in F.ROW_FORMULAS if k in HELPER_KEYS}}

# titles of the input prompts perfxl writes (cleared before they are laid out again)
PROMPT_TITLES = ("一级指标", "二级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析",
                 "项目资金")


@dataclass
class SheetMap(TableMap):
    """Where the fields of one self-evaluation sheet are (1-based rows/columns)."""

    year: tuple[int, int] | None = None
    name: tuple[int, int] | None = None
    department: tuple[int, int] | None = None
    unit: tuple[int, int] | None = None
    funds_rows: dict[str, int] = field(default_factory=dict)
    funds_cols: dict[str, int] = field(default_factory=dict)
    expected_goal: tuple[int, int] | None = None
    achieved_goal: tuple[int, int] | None = None
    total_row: int | None = None
    grade_row: int | None = None
    total_weight: tuple[int, int] | None = None
    total: tuple[int, int] | None = None
    grade: tuple[int, int] | None = None
    # rows whose 得分 cell holds something the user typed (a number, or unreadable text): kept
    typed_scores: set[int] = field(default_factory=set)
    # (row, column) of a score that is the user's own formula (=F13*0.7 in 得分, v2 also in
    # 填写得分) -> the result it shows, stored again after perfxl saves the workbook (openpyxl
    # drops formula results): score_results
    formula_scores: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    # v2 rows whose printed 得分 holds the user's own number or formula (typed over the formula
    # that shows 填写得分): the sheet shows it, so perfxl reads it and does not write over it
    user_scores: set[int] = field(default_factory=set)
    # derived figures typed as numbers where the template computes them (execution_rate,
    # execution_score, total) -> (number, cell): compared with the inputs (perfxl.rules.printed)
    printed: dict[str, tuple[Decimal, str]] = field(default_factory=dict)

    def cell(self, rc: tuple[int, int] | None) -> str:
        return ref(*rc) if rc else ""


def fresh_map(project: SelfEvaluation, sheet: str) -> SheetMap:
    """The places of a freshly laid-out sheet for ``project``."""
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
