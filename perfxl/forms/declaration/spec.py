"""Where everything is on a declaration sheet: its title, labels, the columns and rows of a
freshly laid-out sheet, the helper columns beside it, and :class:`SheetMap`, the places a layout or
a read found.

Layout of a freshly written sheet (readers find everything by its label)::

    1   财政项目支出绩效目标申报表                                        (A1:H1)
    2   （2026年度）
    3   项目名称 | name (B:D) | 项目性质 | nature | 项目类别 | category
    4   主管部门 | dept (B:D) | 实施单位 | unit (F:H)
    5   计划开始日期 | date (B:D) | 计划完成日期 | date (F:H)
    6   项目资金（元）» | 项目资金总额 (B:C) | amount | 年度资金申请总额 (E:F) | amount (G:H)
    7                   | 其中：财政资金     | amount | 其中：当年财政拨款       | amount
    8                   |                    |        | 上年结转资金             | amount
    9                   | 其他资金           | amount | 其他资金                 | amount
    10  项目绩效目标»   | 项目总目标 (B:D) | 年度总体目标 (E:H)
    11                  | text             | text
    12  绩效指标»       | 一级指标 | 二级指标 | 三级指标 (D:E) | 年度（/项目）指标值 (F:H)
    13                                                         | 比较符 | 指标值 | 单位
    14… one row per indicator; 一级 and 二级 merged over their rows

Template v2: the target is three input cells (comparator drop-down, number or
qualitative word, unit), printed as one box. Beside the printed area (J:K, not printed) perfxl
keeps the consistency checks as formulas: the funds sums (domain.md §3) and the 经济成本 ceilings
(万元) against the requested funds (元); from M on three formula cells per row carry 一级/二级
down and pick the ceilings — none parses text. A v1 sheet (one target cell) is still read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perfxl.forms import formulas as F
from perfxl.forms.reading import TableMap
from perfxl.forms.settings_sheet import LEVEL2
from perfxl.forms.targetcells import TARGET_SUB_HEADERS
from perfxl.model import Declaration, Form

TITLE = "财政项目支出绩效目标申报表"
FORM = Form.DECLARATION
LAST_PRINT_COL = 8
C_CAT, C_L1, C_L2, C_NAME, C_NAME2, C_CMP, C_TV, C_TU = range(1, 9)  # target: F:H, one box
C_CHECK_LABEL, C_CHECK = 10, 11
C_HELPER0 = 13
WIDTHS = {"A": 10, "B": 11, "C": 13, "D": 48, "E": 14, "F": 8, "G": 14, "H": 10,
          "I": 2, "J": 22, "K": 34, "L": 2}
HELPER_WIDTH = 9

# key -> label; the helper "cost" marks a 经济成本 ceiling in 万元 (domain.md §3)
# 一级/二级 of the row, carried down through merged (empty) cells from the row above
CATEGORY_HELPERS = [
    ("c1", "一级(续)", 'IF({level1}&""<>"",{level1}&"",{c1@-1}&"")'),
    ("c2", "二级(续)", 'IF({level2}&""<>"",{level2}&"",IF({level1}&""<>"","",{c2@-1}&""))'),
]
_COST_LEVEL1 = '{"成本指标"}'
_COST_LEVEL2 = "{" + ",".join(f'"{x}"' for x in LEVEL2 if "成本" in x) + "}"
COST_HELPER = (
    "cost", "成本上限(万元)",
    f'IF(AND({F.QUANT},OR({{cmp}}="≤",{{cmp}}="<",{F.EQUAL}),{{tu}}="万元",'
    f'OR(ISNUMBER(MATCH({{c1}},{_COST_LEVEL1},0)),ISNUMBER(MATCH({{c2}},{_COST_LEVEL2},0)))),{{tv}},"")',
)
HELPERS = [*CATEGORY_HELPERS, COST_HELPER]
SUB_HEADERS = TARGET_SUB_HEADERS
HELPER_KEYS = [k for k, _l, _t in HELPERS]

FUND_LABELS = {
    "project_total": "项目资金总额", "project_fiscal": "其中：财政资金", "project_other": "其他资金",
    "annual_total": "年度资金申请总额", "annual_fiscal": "其中：当年财政拨款",
    "annual_carryover": "上年结转资金", "annual_other": "其他资金",
}
IND_HEADERS = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标",
               "target": "年度（/项目）指标值"}
# what a W707 calls each text cell of an indicator row
TEXT_LABELS = {**{k: IND_HEADERS["target"] + v for k, v in SUB_HEADERS.items()}, **IND_HEADERS}
CHECKS = ("project_sum", "annual_sum", "annual_vs_project", "cost_total", "cost_vs_funds")
CHECK_LABELS = {
    "project_sum": "项目资金：总额＝财政资金＋其他资金",
    "annual_sum": "年度资金：申请总额＝当年拨款＋上年结转＋其他",
    "annual_vs_project": "年度申请总额≤项目资金总额",
    "cost_total": "经济成本指标上限合计（万元）",
    "cost_vs_funds": "成本上限合计与年度申请总额（按万元两位小数）",
}
# titles of the input prompts perfxl writes (cleared before they are laid out again)
PROMPT_TITLES = ("一级指标", "二级指标", "年度指标值", "项目资金")


@dataclass
class SheetMap(TableMap):
    """Where the fields of one declaration sheet are (1-based rows/columns)."""

    fields: dict[str, tuple[int, int]] = field(default_factory=dict)  # header fields, funds, goals
    checks: dict[str, tuple[int, int]] = field(default_factory=dict)  # the check cells beside the form
    last_row: int | None = None


def fresh_map(project: Declaration, sheet: str) -> SheetMap:
    """The places of a freshly laid-out sheet for ``project``."""
    m = SheetMap(sheet)
    m.fields = {
        "year": (2, 1), "name": (3, 2), "nature": (3, 6), "category": (3, 8),
        "department": (4, 2), "unit": (4, 6), "start_date": (5, 2), "end_date": (5, 6),
        "project_total": (6, 4), "project_fiscal": (7, 4), "project_other": (9, 4),
        "annual_total": (6, 7), "annual_fiscal": (7, 7), "annual_carryover": (8, 7),
        "annual_other": (9, 7), "overall_goal": (11, 2), "annual_goal": (11, 5),
    }
    m.header_row = 12
    m.first_row = 14
    m.cols = {"category": C_CAT, "level1": C_L1, "level2": C_L2, "name": C_NAME, "cmp": C_CMP,
              "tv": C_TV, "target": C_TV, "tu": C_TU}
    for i, key in enumerate(HELPER_KEYS):
        m.cols[key] = C_HELPER0 + i
    m.rows = [m.first_row + i for i in range(len(project.indicators))]
    m.last_row = m.first_row - 1 + max(len(project.indicators), 1)
    m.checks = {key: (6 + i, C_CHECK) for i, key in enumerate(CHECKS)}
    return m
