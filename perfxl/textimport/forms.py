"""One form (one project) of the text: header fields, funds, goals, indicators, printed totals."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from perfxl.model import (
    Declaration,
    DeclarationFunds,
    FundRow,
    SelfEvaluation,
    SelfEvaluationFunds,
)

from . import indicators as ind
from .cells import DASHES, Cell, Line, label, number, title_kind, year_in_title, year_of
from .rules import Sink

HEADER_LABELS = {
    "项目名称": "name",
    "主管部门": "department",
    "实施单位": "unit",
    "项目性质": "nature",
    "项目类别": "category",
    "计划开始日期": "start_date",
    "计划完成日期": "end_date",
}
# 绩效自评表 funds block: row labels and column labels
SELF_FUND_ROWS = {"年度资金总额": "total", "当年财政拨款": "fiscal", "上年结转资金": "carryover",
                  "其他资金": "other"}
SELF_FUND_COLS = (("年初预算", "initial_budget"), ("全年预算", "budget"), ("全年执行", "executed"),
                  ("分数", "weight"), ("分值", "weight"), ("执行率", "rate"), ("得分", "score"))
# 绩效目标申报表 funds block (元); 其他资金 appears twice and is told apart by position
DECL_FUND_LABELS = {"项目资金总额": "project_total", "年度资金申请总额": "annual_total",
                    "财政资金": "project_fiscal", "当年财政拨款": "annual_fiscal",
                    "上年结转资金": "annual_carryover", "其他资金": "other"}


@dataclass
class Printed:
    """Derived numbers printed on the form, kept for cross-checking (not part of the model)."""

    line: int
    kind: str
    name: str = ""
    fund_rates: dict[str, Decimal | None] = field(default_factory=dict)  # 执行率(%) per row
    fund_score: Decimal | None = None  # 得分 of 年度资金总额
    total_weight: Decimal | None = None  # 总分 (100)
    total_score: Decimal | None = None
    grade: str | None = None
    money_unit: str | None = None  # unit printed by 项目资金


def find_forms(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    starts = [(i, k) for i, line in enumerate(lines) if (k := title_kind(line))]
    bounds = [i for i, _ in starts] + [len(lines)]
    return [(kind, lines[i:bounds[n + 1]]) for n, (i, kind) in enumerate(starts)]


class FormReader:
    def __init__(self, kind: str, block: list[Line], sink: Sink):
        self.kind, self.block, self.sink = kind, block, sink
        self.title = block[0]
        self.year: int | None = year_in_title(self.title)
        self.fields: dict[str, tuple[str, int]] = {}
        self.printed = Printed(self.title.no, kind)
        # funds
        self.fund_cols: list[str] = []
        self.self_funds: dict[str, dict[str, Decimal | None]] = {}
        self.decl_funds: dict[str, Decimal | None] = {}
        self.annual_col: int | None = None
        # goals: field -> column of its header; text pieces
        self.goal_cols: list[tuple[int, str]] = []
        self.goals: dict[str, str] = {}
        # indicators
        self.cols: ind.Columns | None = None
        self.ind_lines: list[Line] = []

    # --- pass over the lines ---------------------------------------------------------------

    def read(self) -> None:
        state = "head"
        for line in self.block[1:]:
            if not line.cells:
                continue
            labels = line.labels
            if state == "head" and self.year is None and (y := year_of(line)):
                self.year = y
                continue
            if state == "ind":
                if ind.is_grade_row(line):
                    self.printed.grade = line.cells[1].text if len(line.cells) > 1 else None
                    state = "tail"
                elif ind.is_total_row(line):
                    nums = [number(c.text) for c in line.cells if number(c.text) is not None]
                    if len(nums) >= 2:
                        self.printed.total_weight, self.printed.total_score = nums[0], nums[-1]
                    state = "tail"
                else:
                    self.ind_lines.append(line)
                continue
            if ind.is_header(line):
                self.cols = ind.header_columns(line)
                state = "ind"
            elif labels[0].startswith("项目资金"):
                state = "funds"
                self._funds_header(line)
            elif "项目总目标" in labels or "预期目标" in labels or "实际完成情况" in labels:
                state = "goals"
                self._goals_header(line, labels)
            elif any(lab in HEADER_LABELS for lab in labels):
                self._header_row(line, labels)
            elif state == "funds":
                self._funds_row(line, labels)
            elif state == "goals":
                self._goal_text(line)
            elif state == "tail" and ind.is_grade_row(line):
                self.printed.grade = line.cells[1].text if len(line.cells) > 1 else None
            else:
                self.sink.add("I910", line.no, f"无法识别的行（“{_short(line)}”），已忽略")

    def _header_row(self, line: Line, labels: list[str]) -> None:
        current = None
        for cell, lab in zip(line.cells, labels):
            if lab in HEADER_LABELS:
                current = HEADER_LABELS[lab]
            elif current is not None:
                if current not in self.fields:
                    self.fields[current] = (cell.text, line.no)
                current = None

    # --- funds ---------------------------------------------------------------------------------

    def _funds_header(self, line: Line) -> None:
        unit = label(line.cells[0].text)
        self.printed.money_unit = "万元" if "万元" in unit else ("元" if "元" in unit else None)
        if self.kind == "self":
            for lab in line.labels[1:]:
                key = next((k for prefix, k in SELF_FUND_COLS if lab.startswith(prefix)), None)
                if key:
                    self.fund_cols.append(key)
        else:
            if self.printed.money_unit == "万元":
                self.sink.add("I912", line.no, "申报表项目资金印为万元，模型按元保存，数字未换算")
            self._decl_funds_row(line, line.labels)

    def _funds_row(self, line: Line, labels: list[str]) -> None:
        if self.kind == "decl":
            self._decl_funds_row(line, labels)
            return
        row_key, start = None, 0
        for k, lab in enumerate(labels):
            key = next((v for name, v in SELF_FUND_ROWS.items() if name in lab), None)
            if key:
                row_key, start = key, k + 1
                break
        values = [c for c in line.cells[start:] if number(c.text) is not None or c.text in DASHES]
        if row_key is None:
            missing = [k for k in SELF_FUND_ROWS.values() if k not in self.self_funds]
            if not values or not missing:
                self.sink.add("I910", line.no, f"无法识别的资金行（“{_short(line)}”），已忽略")
                return
            row_key = missing[0]
            self.sink.add("I907", line.no, f"资金行没有行名，按顺序作为“{_fund_row_name(row_key)}”")
        cols = self.fund_cols or ["initial_budget", "budget", "executed", "weight", "rate", "score"]
        if len(values) != len(cols):
            self.sink.add(
                "I907",
                line.no,
                f"资金行有{len(values)}个数字而表头有{len(cols)}列，按顺序对应",
            )
        row: dict[str, Decimal | None] = {}
        for key, cell in zip(cols, values):
            row[key] = None if cell.text in DASHES else number(cell.text)
        self.self_funds[row_key] = row

    def _decl_funds_row(self, line: Line, labels: list[str]) -> None:
        others = [c for c, lab in zip(line.cells, labels) if lab == "其他资金"]
        current = None
        for cell, lab in zip(line.cells, labels):
            if lab in DECL_FUND_LABELS:
                current = DECL_FUND_LABELS[lab]
                if lab in ("年度资金申请总额", "当年财政拨款"):
                    self.annual_col = cell.col
                if current == "other":
                    current = self._which_other(cell, others, line.no)
                continue
            value = number(cell.text)
            if value is None:
                if cell.text not in DASHES and not lab.startswith("项目资金"):
                    self.sink.add("I912", line.no, f"资金“{cell.text}”无法读取")
                continue
            if current is None:
                self.sink.add("I910", line.no, f"资金“{cell.text}”前没有项目，已忽略")
            elif current in self.decl_funds:
                self.sink.add("I910", line.no, f"资金“{cell.text}”重复，已忽略")
            else:
                self.decl_funds[current] = value
                current = None

    def _which_other(self, cell: Cell, others: list[Cell], line: int) -> str:
        if len(others) >= 2:
            return "project_other" if cell is others[0] else "annual_other"
        if self.annual_col is not None:
            return "project_other" if cell.col < self.annual_col else "annual_other"
        self.sink.add("I907", line, "“其他资金”无法按列区分，按年度资金申请处理")
        return "annual_other"

    # --- goals --------------------------------------------------------------------------------

    def _goals_header(self, line: Line, labels: list[str]) -> None:
        names = (
            {"项目总目标": "overall_goal", "年度总体目标": "annual_goal"}
            if self.kind == "decl"
            else {"预期目标": "expected_goal", "实际完成情况": "achieved_goal"}
        )
        self.goal_cols = [(c.col, names[lab]) for c, lab in zip(line.cells, labels) if lab in names]

    def _goal_text(self, line: Line) -> None:
        if not self.goal_cols:
            self.sink.add("I910", line.no, f"目标文字前没有目标表头（“{_short(line)}”），已忽略")
            return
        exact = {col: name for col, name in self.goal_cols}
        fields = [name for _col, name in self.goal_cols]
        for n, cell in enumerate(line.cells):
            target = exact.get(cell.col)
            if target is None:
                if len(line.cells) == len(fields):
                    target = fields[n]
                else:
                    target = min(self.goal_cols, key=lambda cn: abs(cn[0] - cell.col))[1]
                self.sink.add(
                    "I906",
                    line.no,
                    f"目标文字不在表头列下，按位置归入“{_goal_name(target)}”",
                )
            if self.goals.get(target):
                self.sink.add(
                    "I902",
                    line.no,
                    f"“{_goal_name(target)}”的文字跨行，已与上一行合并",
                )
                self.goals[target] += cell.text
            else:
                self.goals[target] = cell.text

    # --- the model ----------------------------------------------------------------------------

    def project(self, prev_year: int | None) -> SelfEvaluation | Declaration | None:
        sink = self.sink
        rows = []
        if self.cols is None:
            sink.add("I911", self.title.no, "未找到绩效指标表头（一级指标/二级指标/三级指标）")
        else:
            rows = ind.read_rows(self.ind_lines, self.kind, self.cols, sink)
        indicators = ind.resolve(rows, self.kind, self.cols or ind.Columns(), sink)
        name = self.fields.get("name", ("", 0))[0]
        self.printed.name = name
        if not name:
            sink.add("I911", self.title.no, "未找到项目名称")
        common = {
            "name": name,
            "department": self.fields.get("department", ("", 0))[0],
            "unit": self.fields.get("unit", ("", 0))[0],
            "indicators": indicators,
        }
        if self.kind == "self":
            project = SelfEvaluation(
                year=2000,
                funds=self._self_funds(),
                expected_goal=self.goals.get("expected_goal", ""),
                achieved_goal=self.goals.get("achieved_goal", ""),
                **common,
            )
        else:
            project = Declaration(
                year=2000,
                nature=self.fields.get("nature", ("", 0))[0],
                category=self.fields.get("category", ("", 0))[0],
                start_date=self._date("start_date"),
                end_date=self._date("end_date"),
                funds=DeclarationFunds(
                    **{k: v for k, v in self._checked(self.decl_funds).items() if k != "other"}
                ),
                overall_goal=self.goals.get("overall_goal", ""),
                annual_goal=self.goals.get("annual_goal", ""),
                **common,
            )
        year = self._year(prev_year, project)
        if year is None:
            sink.add("I913", self.title.no, f"表“{name}”未找到年度，未导入")
            return None
        project.year = year
        return project

    def _year(self, prev_year: int | None, project) -> int | None:
        if self.year is not None and 2000 <= self.year <= 2100:
            return self.year
        start = getattr(project, "start_date", None)
        if start is not None:
            self.sink.add("I905", self.title.no, f"未找到“(XXXX年度)”，按计划开始日期推断为{start.year}年度")
            return start.year
        if prev_year is not None:
            self.sink.add("I905", self.title.no, f"未找到“(XXXX年度)”，按前一张表推断为{prev_year}年度")
            return prev_year
        return None

    def _self_funds(self) -> SelfEvaluationFunds:
        funds = SelfEvaluationFunds()
        for key, values in self.self_funds.items():
            money = self._checked(
                {k: values.get(k) for k in ("initial_budget", "budget", "executed")}
            )
            setattr(funds, key, FundRow(**money))
            self.printed.fund_rates[key] = values.get("rate")
            if key == "total":
                self.printed.fund_score = values.get("score")
                if values.get("weight") is not None:
                    funds.weight = values["weight"]
                else:
                    self.sink.add("I907", self.title.no, "未读到预算执行率的分数，按10分处理")
        return funds

    def _checked(self, values: dict[str, Decimal | None]) -> dict[str, Decimal | None]:
        out = {}
        for key, value in values.items():
            if value is not None and value < 0:
                self.sink.add("I912", self.title.no, f"资金“{value}”为负数，已置空")
                value = None
            out[key] = value
        return out

    def _date(self, key: str) -> dt.date | None:
        if key not in self.fields:
            return None
        text, line = self.fields[key]
        t = unicodedata.normalize("NFKC", text).strip()
        m = re.match(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$", t)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
        self.sink.add("I912", line, f"日期“{text}”无法读取")
        return None


def _short(line: Line) -> str:
    text = " ".join(c.text for c in line.cells).replace("\n", " ")
    return text if len(text) <= 30 else text[:30] + "…"


def _fund_row_name(key: str) -> str:
    return {v: k for k, v in SELF_FUND_ROWS.items()}[key]


def _goal_name(key: str) -> str:
    return {"overall_goal": "项目总目标", "annual_goal": "年度总体目标",
            "expected_goal": "预期目标", "achieved_goal": "实际完成情况"}[key]
