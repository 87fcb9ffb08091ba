"""财政项目支出绩效目标申报表 — the declaration sheet: layout, formulas, reading.

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
from decimal import Decimal

from openpyxl.utils import get_column_letter as L
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.findings import Finding, finding
from perfxl.forms import formulas as F
from perfxl.forms import printing
from perfxl.forms.grid import (
    CellError, Grid, carry_levels, decimal_format, formula_in_text_cell, is_error,
    quantize_to_format, read_year, ref, to_date, to_decimal, to_text, typed_text,
)
from perfxl.forms.layout import (
    CF_MARK, abs_ref, category_validations, groups, qualitative_word_patch, row_height,
)
from perfxl.forms.settings_sheet import LEVEL2
from perfxl.forms.targetcells import TARGET_SUB_HEADERS, structured_target, v1_finding
from perfxl.rules.targets import split_target
from perfxl.model import Declaration, DeclarationFunds, Indicator, Settings, set_location, set_sheet
from perfxl.patch import ConditionalFormat, DefineName, Formula, Patch, Validation, Write

TITLE = "财政项目支出绩效目标申报表"
FORM = "declaration"
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
CHECKS = ("project_sum", "annual_sum", "annual_vs_project", "cost_total", "cost_vs_funds")
CHECK_LABELS = {
    "project_sum": "项目资金：总额＝财政资金＋其他资金",
    "annual_sum": "年度资金：申请总额＝当年拨款＋上年结转＋其他",
    "annual_vs_project": "年度申请总额≤项目资金总额",
    "cost_total": "经济成本指标上限合计（万元）",
    "cost_vs_funds": "成本上限合计与年度申请总额（按万元两位小数）",
}
PROMPT_TITLES = ("一级指标", "二级指标", "年度指标值", "项目资金")


@dataclass
class SheetMap:
    sheet: str
    fields: dict[str, tuple[int, int]] = field(default_factory=dict)  # header fields, funds, goals
    header_row: int | None = None
    first_row: int | None = None  # the first indicator row (below the v2 sub-header)
    cols: dict[str, int] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    checks: dict[str, tuple[int, int]] = field(default_factory=dict)
    last_row: int | None = None

    def letters(self) -> dict[str, str]:
        return {k: L(c) for k, c in self.cols.items()}

    @property
    def v2(self) -> bool:
        """Whether the sheet has the structured target cells (template v2)."""
        return "cmp" in self.cols


def fresh_map(project: Declaration, sheet: str) -> SheetMap:
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


def layout(project: Declaration, sheet: str, settings: Settings) -> tuple[Patch, SheetMap]:
    m = fresh_map(project, sheet)
    p = Patch()
    S = sheet

    def put(r: int, c: int, value, role: str, fmt: str | None = None) -> None:
        p.write(S, ref(r, c), value, role, fmt)

    def box(r1: int, c1: int, r2: int, c2: int, value, role: str, fmt: str | None = None) -> None:
        p.merged(S, ref(r1, c1), ref(r2, c2), value, role, fmt)

    LP = LAST_PRINT_COL
    box(1, 1, 1, LP, TITLE, "title")
    box(2, 1, 2, LP, f"（{project.year}年度）", "subtitle")
    put(3, 1, "项目名称", "label")
    box(3, 2, 3, 4, project.name, "text")
    put(3, 5, "项目性质", "label")
    put(3, 6, project.nature, "text")
    put(3, 7, "项目类别", "label")
    put(3, 8, project.category, "text")
    put(4, 1, "主管部门", "label")
    box(4, 2, 4, 4, project.department, "text")
    put(4, 5, "实施单位", "label")
    box(4, 6, 4, LP, project.unit, "text")
    put(5, 1, "计划开始日期", "label")
    box(5, 2, 5, 4, project.start_date, "date")
    put(5, 5, "计划完成日期", "label")
    box(5, 6, 5, LP, project.end_date, "date")

    box(6, 1, 9, 1, "项目资金\n（元）", "label")
    fd = project.funds
    left = {6: ("project_total", "项目资金总额"), 7: ("project_fiscal", "其中：财政资金"),
            8: (None, None), 9: ("project_other", "其他资金")}
    right = {6: ("annual_total", "年度资金申请总额"), 7: ("annual_fiscal", "其中：当年财政拨款"),
             8: ("annual_carryover", "上年结转资金"), 9: ("annual_other", "其他资金")}
    for r in range(6, 10):
        key, label = left[r]
        box(r, 2, r, 3, label, "label")
        v = getattr(fd, key) if key else None
        put(r, 4, v, "money", decimal_format(v, True) if v is not None else None)
        key, label = right[r]
        box(r, 5, r, 6, label, "label")
        v = getattr(fd, key)
        box(r, 7, r, 8, v, "money", decimal_format(v, True) if v is not None else None)

    box(10, 1, 11, 1, "项目绩效目标", "label")
    box(10, 2, 10, 4, "项目总目标", "label")
    box(10, 5, 10, LP, "年度总体目标", "label")
    box(11, 2, 11, 4, project.overall_goal, "longtext")
    box(11, 5, 11, LP, project.annual_goal, "longtext")

    hr = m.header_row
    inds = project.indicators
    last = m.last_row
    sub = hr + 1
    box(hr, C_L1, sub, C_L1, "一级指标", "label")
    box(hr, C_L2, sub, C_L2, "二级指标", "label")
    box(hr, C_NAME, sub, C_NAME2, "三级指标", "label")
    box(hr, C_CMP, hr, C_TU, "年度（/项目）指标值", "label")
    for key, label in SUB_HEADERS.items():
        put(sub, m.cols[key], label, "label")
    for key, label, _t in HELPERS:
        put(hr, m.cols[key], label, "helper_header")
    for ind, r in zip(inds, m.rows):
        box(r, C_NAME, r, C_NAME2, ind.name, "text")
        cmp, value, unit = split_target(ind.target)
        put(r, C_CMP, cmp, "target_cmp")
        put(r, C_TV, value, "target_value", decimal_format(value) if isinstance(value, Decimal) else None)
        put(r, C_TU, unit, "target_unit")
    if not inds:
        r = m.first_row
        for c in (C_L1, C_L2):
            put(r, c, None, "category")
        box(r, C_NAME, r, C_NAME2, None, "text")
        for c, role in ((C_CMP, "target_cmp"), (C_TV, "target_value"), (C_TU, "target_unit")):
            put(r, c, None, role)

    put(5, C_CHECK_LABEL, "perfxl 核对（不打印）", "helper_header")
    put(5, C_CHECK, "结果", "helper_header")
    p.extend(formulas_patch(m, project))
    p.extend(names_patch(m))
    p.extend(validations_patch(m))
    p.extend(conditional_patch(m))

    heights = {1: 32.0, 2: 20.0, 3: 30.0, 4: 30.0, 5: 22.0, 6: 22.0, 7: 22.0, 8: 22.0, 9: 22.0,
               10: 22.0, hr: 22.0, hr + 1: 18.0}
    heights[11] = row_height([(project.overall_goal, 11 + 13 + 38, 1.0),
                              (project.annual_goal, 14 + 16 + 12 + 18, 1.0)], minimum=40.0)
    for ind, r in zip(inds, m.rows):
        heights[r] = row_height([(ind.name, WIDTHS["D"] + WIDTHS["E"], 1.0),
                                 (ind.target, WIDTHS["G"] + WIDTHS["H"], 1.0)],
                                line_pt=13.5)
    for (a, b) in groups(inds, lambda i: (i.level1, i.level2)):
        need = row_height([(inds[a].level2, WIDTHS["C"], 1.0)], line_pt=13.5)
        have = sum(heights[m.rows[i]] for i in range(a, b + 1))
        if need > have:
            heights[m.rows[b]] += need - have
    widths = dict(WIDTHS)
    helper_letters = [L(m.cols[k]) for k in HELPER_KEYS]
    for letter in helper_letters:
        widths[letter] = HELPER_WIDTH
    level2_groups = groups(inds, lambda i: (i.level1, i.level2))
    breaks = printing.page_breaks(heights, last, (hr, hr + 1), [
        (6, 9), (10, 11), *((m.rows[a], m.rows[b]) for a, b in level2_groups)])
    for r1, r2 in printing.split_at(hr, last, breaks):  # 绩效指标, 一级 and 二级: once per page
        box(r1, C_CAT, r2, C_CAT, "绩效指标", "label")
    for (a, b) in groups(inds, lambda i: i.level1):
        for r1, r2 in printing.split_at(m.rows[a], m.rows[b], breaks):
            box(r1, C_L1, r2, C_L1, inds[a].level1, "category")
    for (a, b) in level2_groups:
        for r1, r2 in printing.split_at(m.rows[a], m.rows[b], breaks):
            box(r1, C_L2, r2, C_L2, inds[a].level2, "category")
    p.add(printing.form_setup(S, widths=widths, heights=heights, last_col=L(LP), last_row=last,
                              title_rows=(hr, hr + 1), breaks=breaks, outline_cols=tuple(helper_letters)))
    return p, m


def formulas_patch(m: SheetMap, project: Declaration | None = None) -> Patch:
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
    p = Patch()
    S = m.sheet
    p.add(DefineName("pxl_form", f'"{FORM}"', S))
    for key, rc in m.fields.items():
        p.add(DefineName(f"pxl_{key}", abs_ref(S, ref(*rc)), S))
    if m.header_row:
        p.add(DefineName("pxl_indicator_header",
                         abs_ref(S, f"{ref(m.header_row, 1)}:{ref(m.header_row, LAST_PRINT_COL)}"), S))
    for key, rc in m.checks.items():
        p.add(DefineName(f"pxl_check_{key}", abs_ref(S, ref(*rc)), S))
    return p


def validations_patch(m: SheetMap) -> Patch:
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
        p.add(Validation(m.sheet, " ".join(money_cells), "decimal", "0", None, "greaterThanOrEqual",
                         strict=True, prompt_title="项目资金", prompt="金额（元），不小于 0",
                         error_title="项目资金", error="金额应为不小于 0 的数字"))
    return p


def conditional_patch(m: SheetMap) -> Patch:
    p = Patch()
    for key, rc in m.checks.items():
        if key == "cost_total":
            continue
        c = ref(*rc)
        p.add(ConditionalFormat(m.sheet, c, f'AND({CF_MARK},{c}<>"",{c}<>"一致")', "check_failed"))
    if m.rows and m.v2:
        cmp = L(m.cols["cmp"])
        p.extend(qualitative_word_patch(m.sheet, f"{cmp}{m.rows[0]}:{cmp}{m.rows[-1]}", f"${cmp}{m.rows[0]}"))
    return p


def findings_patch(m: SheetMap, project: Declaration, ps, ws, settings: Settings) -> Patch:
    return Patch()


# --- reading -------------------------------------------------------------------------------------


def _amount_cell(g: Grid, label: tuple[int, int]) -> tuple[int, int]:
    """The amount cell of a funds label: just right of the label's merged range; when staff
    unmerged the label (项目资金总额 over B:C becomes B, with C empty), the first filled cell to
    its right that holds a number, unless another label comes first."""
    r, c = g.value_right_of(*label)
    if g.raw(r, c) is not None or g.merged(*label) is not None:
        return r, c
    for col in range(c + 1, min(c + 3, g.max_col) + 1):
        v = g.raw(r, col)
        if v is None:
            continue
        try:
            return (r, col) if to_decimal(v) is not None else (r, c)
        except CellError:  # a label, or words: the amount is the blank cell
            return r, c
    return r, c


def is_declaration(grid: Grid) -> bool:
    return grid.find("绩效目标申报表", rows=range(1, min(grid.max_row, 6) + 1), exact=False) is not None


def read(ws: Worksheet, grid: Grid | None = None) -> tuple[Declaration | None, SheetMap, list[Finding]]:
    g = grid or Grid(ws)
    S = ws.title
    m = SheetMap(S)
    findings: list[Finding] = []

    def warn(cell: str, msg: str, code: str = "W703") -> None:
        findings.append(finding(code, S, cell, msg))

    year, year_cell, bad_year = read_year(g)
    if year_cell:
        m.fields["year"] = year_cell
    if bad_year:
        warn(ref(*year_cell), bad_year, "W710")
    elif year is None:
        warn("A2", "找不到年度（如“（2026年度）”），无法确定申报年度", "W706")

    for key, label in (("name", "项目名称"), ("nature", "项目性质"), ("category", "项目类别"),
                       ("department", "主管部门"), ("unit", "实施单位"),
                       ("start_date", "计划开始日期"), ("end_date", "计划完成日期")):
        hit = g.find(label)
        if hit:
            m.fields[key] = g.value_right_of(*hit)
        elif key in ("name", "department", "unit"):
            warn("", f"找不到“{label}”一栏，按空白处理")
    annual_hdr = g.find("年度资金申请总额")
    for key in FUND_LABELS:
        if key == "project_other" or key == "annual_other":
            hits = g.find_all("其他资金")
            if annual_hdr:
                hits = [h for h in hits if (h[1] < annual_hdr[1]) == (key == "project_other")]
            elif key == "annual_other":
                hits = hits[1:]
            hit = hits[0] if hits else None
        elif key == "project_fiscal":
            hit = g.find("其中：财政资金", "财政资金")
        elif key == "annual_fiscal":
            hit = g.find("其中：当年财政拨款", "当年财政拨款")
        elif key == "annual_carryover":
            hit = g.find("上年结转资金", "上年结转")
        else:
            hit = g.find(FUND_LABELS[key])
        if hit:
            m.fields[key] = _amount_cell(g, hit)
    for key, label in (("overall_goal", "项目总目标"), ("annual_goal", "年度总体目标")):
        hit = g.find(label)
        if hit:
            m.fields[key] = (g.bottom(*hit) + 1, hit[1])

    def text(key: str) -> str | None:
        rc = m.fields.get(key)
        if rc is None or g.is_formula(*rc):
            return None
        return to_text(g.raw(*rc))

    values: dict = {}
    for key in ("name", "nature", "category", "department", "unit", "overall_goal", "annual_goal"):
        values[key] = text(key) or ""
    for key in ("start_date", "end_date"):
        rc = m.fields.get(key)
        if rc:
            try:
                values[key] = to_date(g.raw(*rc))
            except CellError as e:
                warn(ref(*rc), f"{'计划开始日期' if key == 'start_date' else '计划完成日期'}：{e}", "W701")
    amounts: dict[str, Decimal | None] = {}
    for key in FUND_LABELS:
        rc = m.fields.get(key)
        if rc is None or g.is_formula(*rc):
            continue
        v = g.raw(*rc)
        try:
            d = to_decimal(v)
        except CellError as e:
            warn(ref(*rc), f"{FUND_LABELS[key]}：{e}", "W701")
            continue
        if d is not None and isinstance(v, str):
            warn(ref(*rc), f"{FUND_LABELS[key]}是以文本形式存储的数字“{v}”，已按 {d} 读取", code="W702")
        if d is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
            d = quantize_to_format(d, g.number_format(*rc))
        if d is not None and d < 0:
            warn(ref(*rc), f"金额不能为负数：{d}", "W701")
            continue
        amounts[key] = d
    funds = DeclarationFunds(**amounts)
    for key in amounts:
        set_location(funds, key, S, ref(*m.fields[key]))
    if not values["name"]:
        warn(ref(*m.fields["name"]) if "name" in m.fields else "", "项目名称为空", "W704")

    hit = g.find("三级指标")
    indicators: list[Indicator] = []
    if hit is None:
        warn("", "找不到绩效指标表头（三级指标），未读取任何指标")
    else:
        hr = m.header_row = hit[0]
        for key, label in IND_HEADERS.items():
            h = g.find(label, rows=[hr])
            if h is None and key == "target":
                h = g.find("指标值", rows=[hr], exact=False)
            if h:
                m.cols[key] = h[1]
        for key, label, _t in HELPERS:
            h = g.find(label, rows=[hr])
            if h:
                m.cols[key] = h[1]
        c = m.cols.get("target")
        if c is not None and g.own(hr + 1, c) == SUB_HEADERS["cmp"]:  # v2: the cells are named
            for key, label in SUB_HEADERS.items():
                h = g.find(label, rows=[hr + 1], cols=range(c, g.max_col + 1))
                if h:
                    m.cols[key] = h[1]
            m.cols["target"] = m.cols.get("tv", c)
            m.first_row = hr + 2
        elif c is not None:
            findings.append(v1_finding(S, ref(hr, c)))
        if "name" in m.cols and "target" in m.cols:
            input_cols = [m.cols[k] for k in ("level1", "level2", "name", "cmp", "target", "tu")
                          if k in m.cols]
            title_rows = {r for r, c in g.find_all(TITLE, exact=False) if c <= g.max_col}
            lvl1 = lvl2 = ""
            for r in range(m.first_row or hr + 1, g.max_row + 1):
                if g.row_is_blank(r, input_cols):
                    continue
                if r in title_rows:
                    break  # another form below this one

                def cell_text(key: str) -> str | None:
                    c = m.cols.get(key)
                    if c is None:
                        return None
                    if g.is_formula(r, c) or is_error(g.raw(r, c)):
                        label = IND_HEADERS.get(key) or IND_HEADERS["target"] + SUB_HEADERS[key]
                        warn(ref(r, c), formula_in_text_cell(label), code="W707")
                        return None
                    return typed_text(g.raw(r, c), g.number_format(r, c))

                l2 = cell_text("level2")
                lvl1, lvl2, inferred = carry_levels(lvl1, lvl2, cell_text("level1"), l2)
                if inferred:
                    c1 = m.cols.get("level1", 1)
                    warn(ref(r, c1), f"第 {r} 行没有一级指标（多为删除了该组第一行），按二级指标“{l2}”"
                         f"推断为“{inferred}”；请在 {ref(r, c1)} 补上一级指标", code="X512")
                if m.v2:  # the text the three cells spell, read by the one parser
                    target, fnd = structured_target(g, S, r, m.cols, cell_text, cell_text("name") or "")
                    findings.extend(fnd)
                else:
                    target = cell_text("target") or ""
                ind = Indicator(level1=lvl1, level2=lvl2, name=cell_text("name") or "", target=target)
                for key in ("level1", "level2", "name", "target"):
                    if key in m.cols:
                        set_location(ind, key, S, ref(r, m.cols[key]))
                for key, field_name in (("cmp", "target_comparator"), ("tu", "target_unit")):
                    if m.v2 and key in m.cols:  # inputs of no model field: finalize keeps them open
                        set_location(ind, field_name, S, ref(r, m.cols[key]))
                indicators.append(ind)
                m.rows.append(r)
            m.last_row = m.rows[-1] if m.rows else hr + 1
        else:
            warn(ref(hr, 1), "绩效指标表头缺少三级指标或指标值列")
    # the check cells beside the form (found by their labels)
    for key, label in CHECK_LABELS.items():
        h = g.find(label)
        if h:
            m.checks[key] = (h[0], h[1] + 1)
    if year is None:
        return None, m, findings
    project = Declaration(year=year, funds=funds, indicators=indicators, **values)
    set_sheet(project, S)
    if m.header_row:  # structure findings (X501) point at the indicator table's header
        set_location(project, "indicators", S, ref(m.header_row, m.cols.get("level1", 1)))
    for key in ("name", "nature", "category", "department", "unit", "start_date", "end_date",
                "overall_goal", "annual_goal", "year"):
        if key in m.fields:
            set_location(project, key, S, ref(*m.fields[key]))
    return project, m, findings
