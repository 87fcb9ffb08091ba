"""Per-project rows of the summary.

Rows are plain dicts keyed by English column keys (:data:`COLUMNS` gives each key its Chinese
header and kind); numbers are ``Decimal``. The row builders take one project at a time, so a
summary of many files keeps only rows, never workbooks. Every number comes from
:mod:`perfxl.rules` (scores) or straight from the form; nothing here re-scores.

Money: self-evaluation funds are shown in 万元 (a form in 元 is converted, R6 is a ratio so the
rate is unchanged); declaration funds in 元, as on the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from typing import TYPE_CHECKING

from perfxl.findings import Finding, Severity
from perfxl.model import Declaration, SelfEvaluation, Settings, locate, sheet_of
from perfxl.rules.categories import CATEGORIES_2021
from perfxl.rules.scoring import cut2, target_met
from perfxl.rules.targets import parse_actual, parse_target
from perfxl.summary.matching import ProjectLink, match_indicators

if TYPE_CHECKING:  # pandas is imported only by the CSV export, not by every check
    import pandas as pd

WAN = Decimal(10000)
NO_REASON = "未填写原因"

# key -> (Chinese header, kind); kinds: text, int, money, num, pct, link
COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "self_evaluations": {
        "year": ("年度", "int"),
        "department": ("主管部门", "text"),
        "unit": ("实施单位", "text"),
        "name": ("项目名称", "text"),
        "source": ("来源文件", "text"),
        "budget": ("全年预算数（万元）", "money"),
        "executed": ("全年执行数（万元）", "money"),
        "execution_rate": ("执行率（％）", "num"),
        "execution_weight": ("执行率分值", "num"),
        "execution_score": ("执行率得分", "num"),
        "indicator_score": ("指标得分", "num"),
        "total": ("总分", "num"),
        "grade": ("等级", "text"),
        "indicators": ("指标数", "int"),
        "not_met": ("未达成指标数", "int"),
        "below_weight": ("低于分值指标数", "int"),
        "errors": ("错误", "int"),
        "warnings": ("警告", "int"),
        "infos": ("提示", "int"),
    },
    "deviations": {
        "year": ("年度", "int"),
        "project": ("项目名称", "text"),
        "level1": ("一级指标", "text"),
        "level2": ("二级指标", "text"),
        "indicator": ("三级指标", "text"),
        "target": ("年度指标值", "text"),
        "actual": ("实际完成值", "text"),
        "weight": ("分值", "num"),
        "score": ("得分", "num"),
        "kind": ("偏差类型", "text"),
        "reason": ("偏差原因分析", "text"),
        "source": ("来源", "link"),
    },
    "declarations": {
        "year": ("年度", "int"),
        "department": ("主管部门", "text"),
        "unit": ("实施单位", "text"),
        "name": ("项目名称", "text"),
        "source": ("来源文件", "text"),
        "annual_total": ("年度资金申请总额（元）", "money"),
        "annual_fiscal": ("当年财政拨款（元）", "money"),
        "annual_carryover": ("上年结转资金（元）", "money"),
        "annual_other": ("其他资金（元）", "money"),
        "sources_sum": ("分项合计（元）", "money"),
        "cost_ceiling": ("成本上限合计（万元）", "money"),
        "unit_costs": ("单位成本指标数", "int"),
        "cost_check": ("成本与申请额", "text"),
        "indicators": ("指标数", "int"),
        "quantitative": ("定量指标数", "int"),
        "qualitative": ("定性指标数", "int"),
        "quantitative_share": ("定量占比（％）", "num"),
        "n_cost": ("成本指标", "int"),
        "n_output": ("产出指标", "int"),
        "n_benefit": ("效益指标", "int"),
        "n_satisfaction": ("满意度指标", "int"),
        "errors": ("错误", "int"),
        "warnings": ("警告", "int"),
        "infos": ("提示", "int"),
    },
    "indicator_mix": {
        "year": ("年度", "int"),
        "project": ("项目名称", "text"),
        "level1": ("一级指标", "text"),
        "level2": ("二级指标", "text"),
        "count": ("指标数", "int"),
        "quantitative": ("定量", "int"),
        "qualitative": ("定性", "int"),
    },
    "cross_year": {
        "prev_year": ("上年年度", "int"),
        "prev_project": ("上年项目名称", "text"),
        "cur_year": ("本年年度", "int"),
        "cur_project": ("本年项目名称", "text"),
        "level1": ("一级指标", "text"),
        "level2": ("二级指标", "text"),
        "prev_indicator": ("上年指标", "text"),
        "prev_target": ("上年指标值", "text"),
        "prev_actual": ("上年实际完成值", "text"),
        "prev_actual_value": ("上年实际数值", "num"),
        "cur_indicator": ("本年指标", "text"),
        "cur_target": ("本年指标值", "text"),
        "comparator": ("比较符", "text"),
        "cur_target_value": ("本年目标数值", "num"),
        "unit": ("单位", "text"),
        "status": ("状态", "text"),
        "flag": ("提示", "text"),
    },
    "mapping": {
        "prev_year": ("上年年度", "int"),
        "prev_name": ("上年项目名称", "text"),
        "cur_year": ("本年年度", "int"),
        "cur_name": ("本年项目名称", "text"),
        "method": ("对照方式", "text"),
        "similarity": ("相似度", "num"),
    },
    "findings": {
        "file": ("文件", "text"),
        "code": ("代码", "text"),
        "severity": ("级别", "text"),
        "sheet": ("工作表", "text"),
        "cell": ("单元格", "text"),
        "message": ("说明", "text"),
    },
    "skipped": {
        "file": ("文件", "text"),
        "reason": ("原因", "text"),
    },
}

KINDS = {"self_evaluation": "绩效自评", "declaration": "绩效目标申报", "cross_year": "跨年度对照"}
# the figures of the 统计 sheet (and 统计.csv), by key; the CSV's columns too
STAT_LABELS = {
    "self_evaluations": "自评项目数", "budget": "全年预算数合计（万元）", "executed": "全年执行数合计（万元）",
    "execution_rate": "总体执行率（％）", "average_total": "平均总分", "max_total": "最高总分",
    "min_total": "最低总分", "missing_reasons": "偏差未填写原因（条）",
    **{f"grade_{g}": f"等级“{g}”项目数" for g in ("优", "良", "中", "差")},
    "declarations": "申报项目数", "requested": "年度资金申请总额合计（元）", "declared_indicators": "申报指标数",
    "declared_quantitative": "其中定量指标", "below_last_actual": "目标低于上年实际",
    "gone": "本年取消的上年指标",
    "kind": "类别", "year": "年度", "figure": "指标", "value": "数值",
}

# 一级指标 -> its count column, in the 2021 guide's order
LEVEL1 = dict(zip(dict.fromkeys(l1 for l1, _ in CATEGORIES_2021), ("n_cost", "n_output", "n_benefit", "n_satisfaction")))
CONTINUED, NEW, GONE = "延续", "本年新增", "本年取消"
BELOW_LAST_ACTUAL = "目标低于上年实际"
BELOW_WEIGHT, MISSED, OVERRUN = "得分低于分值", "未达到目标值", "超出目标上限"
NOT_MET_KINDS = (MISSED, OVERRUN, "部分达成", "未达成")
_CELL = re.compile(r"^\$?[A-Z]{1,3}\$?\d+$")


# Columns whose rows hold a keyword (as the JSON output writes it) that the sheets show in Chinese.
SHOWN_AS = {"severity": {s.value: s.label for s in Severity}}


def shown(key: str, value):
    """A row's value as every summary sheet shows it (a severity keyword as 错误/警告/提示)."""
    labels = SHOWN_AS.get(key)
    return value if labels is None else labels.get(value, value)


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    return {
        "errors": sum(f.severity is Severity.ERROR for f in findings),
        "warnings": sum(f.severity is Severity.WARNING for f in findings),
        "infos": sum(f.severity is Severity.INFO for f in findings),
    }


def project_findings(project, findings: list[Finding]) -> list[Finding]:
    """The findings whose sheet is the project's sheet (or its name, for JSON input)."""
    sheets = {project.name, sheet_of(project)}
    return [f for f in findings if f.sheet in sheets]


def _to_wan(value: Decimal | None, settings: Settings) -> Decimal | None:
    if value is None:
        return None
    return value / WAN if settings.money_unit == "元" else value


def _target(text: str):
    try:
        return parse_target(text)
    except (ValueError, TypeError):
        return None


def _actual(text: str | None):
    if not text:
        return None
    try:
        return parse_actual(text)
    except (ValueError, TypeError):
        return None


def indicator_deviation(si, settings: Settings) -> list[str]:
    """Why a scored indicator (``IndicatorScore``) belongs on the deviations sheet ([] if not).

    Below its weight (score < 分值, R7), target missed (R2/R3 quantitative, R5 部分/未达成), or
    over-achieved past the R4 flag threshold.
    """
    kinds = []
    if si.weight is not None and si.effective is not None and si.effective < si.weight:
        kinds.append(BELOW_WEIGHT)
    t, a = si.target, si.actual
    if t is None or a is None:
        return kinds
    met = target_met(t, a)
    if met is False:
        if a.level is not None:
            kinds.append(a.level.value)
        else:
            kinds.append(MISSED if t.higher_is_better else OVERRUN)
    elif met and t.quantitative and t.higher_is_better:
        ratio = si.ratio
        if ratio is not None and ratio >= settings.over_achievement_flag:
            kinds.append(f"超额完成（{ratio * 100:.0f}%）")
    return kinds


def _link(project, ind, field: str) -> str:
    sheet, cell = locate(project, ind, field)
    return f"{sheet}!{cell}" if _CELL.match(cell or "") else ""


@dataclass
class ProjectRows:
    """What one project contributes to the summary."""

    self_evaluation: dict | None = None
    declaration: dict | None = None
    deviations: list[dict] = field(default_factory=list)
    indicator_mix: list[dict] = field(default_factory=list)


def self_evaluation_rows(
    project: SelfEvaluation, scored, settings: Settings, findings: list[Finding], source: str
) -> ProjectRows:
    execution_score = scored.execution_score
    total = scored.total
    indicator_score = None if total is None else total - (execution_score or Decimal(0))
    deviations = []
    not_met = below = 0
    for si in scored.indicators:
        ind = si.indicator
        kinds = indicator_deviation(si, settings)
        not_met += any(k in NOT_MET_KINDS for k in kinds)
        below += BELOW_WEIGHT in kinds
        if not kinds:
            continue
        reason = (ind.reason or "").strip()
        deviations.append(
            {
                "year": project.year,
                "project": project.name,
                "level1": ind.level1,
                "level2": ind.level2,
                "indicator": ind.name,
                "target": ind.target,
                "actual": ind.actual or "",
                "weight": si.weight,
                "score": si.effective,
                "kind": "；".join(kinds),
                "reason": reason or NO_REASON,
                "source": f"{source} · {_link(project, ind, 'reason') or locate(project, ind, 'reason')[1]}",
                "_file": source,
                "_link": _link(project, ind, "reason"),
                "_has_reason": bool(reason),
            }
        )
    row = {
        "year": project.year,
        "department": project.department,
        "unit": project.unit,
        "name": project.name,
        "source": source,
        "budget": _to_wan(project.funds.total.budget, settings),
        "executed": _to_wan(project.funds.total.executed, settings),
        "execution_rate": scored.execution_rate,
        "execution_weight": project.funds.weight,
        "execution_score": execution_score,
        "indicator_score": indicator_score,
        "total": total,
        "grade": scored.grade,
        "indicators": len(project.indicators),
        "not_met": not_met,
        "below_weight": below,
        **severity_counts(findings),
        "_rounding": settings.rounding.value,
        "_below": settings.execution_reason_below * 100,  # R7: execution below this (％) needs a reason
    }
    return ProjectRows(self_evaluation=row, deviations=deviations)


def cost_ceiling(scored) -> tuple[Decimal | None, int]:
    """Σ of the total-cost ceilings (≤ … 万元/元) in 万元, and the number of unit-cost targets.

    Cost indicators are those under 成本指标 (2021+) or a second level named 成本指标 (old layout).
    """
    total: Decimal | None = None
    unit_costs = 0
    for si in scored.indicators:
        ind, t = si.indicator, si.target
        if ind.level1 != "成本指标" and "成本" not in ind.level2:
            continue
        if t is None or not t.quantitative or t.higher_is_better:
            continue
        if t.unit == "万元":
            total = (total or Decimal(0)) + t.value
        elif t.unit == "元":
            total = (total or Decimal(0)) + t.value / WAN
        elif t.unit and "/" in t.unit:
            unit_costs += 1
    return total, unit_costs


def cost_check(requested: Decimal | None, ceiling: Decimal | None) -> str:
    """Cost ceilings vs requested funds (domain.md §3), equal at the displayed 2 decimals of 万元."""
    if ceiling is None:
        return "无总额成本指标"
    if requested is None:
        return "未填申请额"
    if round(requested / WAN, 2) == round(ceiling, 2):
        return "一致"
    return "成本上限高于申请额" if ceiling * WAN > requested else "成本上限低于申请额"


def declaration_rows(
    project: Declaration, scored, findings: list[Finding], source: str
) -> ProjectRows:
    f = project.funds
    quant = qual = 0
    counts = {k: 0 for k in LEVEL1.values()}
    mix: dict[tuple[str, str], dict] = {}
    for si in scored.indicators:
        ind, t = si.indicator, si.target
        is_quant = bool(t and t.quantitative)
        quant += is_quant
        qual += not is_quant
        if ind.level1 in LEVEL1:
            counts[LEVEL1[ind.level1]] += 1
        m = mix.setdefault(
            (ind.level1, ind.level2),
            {"year": project.year, "project": project.name, "level1": ind.level1,
             "level2": ind.level2, "count": 0, "quantitative": 0, "qualitative": 0},
        )
        m["count"] += 1
        m["quantitative" if is_quant else "qualitative"] += 1
    parts = [f.annual_fiscal, f.annual_carryover, f.annual_other]
    ceiling, unit_costs = cost_ceiling(scored)
    n = len(project.indicators)
    row = {
        "year": project.year,
        "department": project.department,
        "unit": project.unit,
        "name": project.name,
        "source": source,
        "annual_total": f.annual_total,
        "annual_fiscal": f.annual_fiscal,
        "annual_carryover": f.annual_carryover,
        "annual_other": f.annual_other,
        "sources_sum": sum((p or Decimal(0) for p in parts), Decimal(0)),
        "cost_ceiling": ceiling,
        "unit_costs": unit_costs,
        "cost_check": cost_check(f.annual_total, ceiling),
        "indicators": n,
        "quantitative": quant,
        "qualitative": qual,
        "quantitative_share": (Decimal(quant) * 100 / n).quantize(Decimal("0.01"), ROUND_HALF_UP) if n else Decimal(0),
        **counts,
        **severity_counts(findings),
    }
    return ProjectRows(declaration=row, indicator_mix=list(mix.values()))


# --- cross-year -------------------------------------------------------------------------------


def cross_year_rows(link: ProjectLink, prev: SelfEvaluation, cur: Declaration) -> list[dict]:
    """Last year's actual beside next year's target, indicator by indicator (current order,
    then the indicators that disappeared)."""
    pairs, gone, new = match_indicators(prev.indicators, cur.indicators)
    base = {
        "prev_year": prev.year,
        "prev_project": prev.name,
        "cur_year": cur.year,
        "cur_project": cur.name,
    }
    rows = []
    paired = {id(c): p for p, c, _ in pairs}
    for ic in cur.indicators:
        ip = paired.get(id(ic))
        rows.append(_cross_row(base, ip, ic))
    for ip in gone:
        rows.append(_cross_row(base, ip, None))
    return rows


def _cross_row(base: dict, ip, ic) -> dict:
    t = _target(ic.target) if ic is not None else None
    tp = _target(ip.target) if ip is not None else None
    a = _actual(ip.actual) if ip is not None else None
    prev_value = a.value if a is not None and a.quantitative else None
    cur_value = t.value if t is not None and t.quantitative else None
    comparator = t.comparator if t is not None and t.quantitative else ""
    unit = (t.unit if t is not None else None) or (tp.unit if tp is not None else None) or ""
    status = CONTINUED if ip is not None and ic is not None else NEW if ic is not None else GONE
    flag = ""
    if (
        prev_value is not None
        and cur_value is not None
        and comparator in ("≥", ">", "=")
        and cur_value < prev_value
    ):
        flag = BELOW_LAST_ACTUAL
    src = ic if ic is not None else ip
    return {
        **base,
        "level1": src.level1,
        "level2": src.level2,
        "prev_indicator": ip.name if ip is not None else "",
        "prev_target": ip.target if ip is not None else "",
        "prev_actual": (ip.actual or "") if ip is not None else "",
        "prev_actual_value": prev_value,
        "cur_indicator": ic.name if ic is not None else "",
        "cur_target": ic.target if ic is not None else "",
        "comparator": comparator,
        "cur_target_value": cur_value,
        "unit": unit,
        "status": status,
        "flag": flag,
    }


def mapping_rows(links: list[ProjectLink]) -> list[dict]:
    return [
        {
            "prev_year": link.prev_year,
            "prev_name": link.prev_name or "",
            "cur_year": link.cur_year,
            "cur_name": link.cur_name or "",
            "method": link.method,
            "similarity": None if link.similarity is None else Decimal(str(link.similarity)),
        }
        for link in links
    ]


def finding_rows(file: str, findings: list[Finding]) -> list[dict]:
    return [
        {
            "file": file,
            "code": f.code,
            "severity": f.severity.value,
            "sheet": f.sheet,
            "cell": f.cell,
            "message": f.message,
        }
        for f in findings
    ]


# --- the whole summary --------------------------------------------------------------------------


@dataclass
class SummaryTables:
    """Every table of the summary, as lists of row dicts (see :data:`COLUMNS`)."""

    self_evaluations: list[dict] = field(default_factory=list)
    deviations: list[dict] = field(default_factory=list)
    declarations: list[dict] = field(default_factory=list)
    indicator_mix: list[dict] = field(default_factory=list)
    cross_year: list[dict] = field(default_factory=list)
    mapping: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def add(self, rows: ProjectRows) -> None:
        if rows.self_evaluation is not None:
            self.self_evaluations.append(rows.self_evaluation)
        if rows.declaration is not None:
            self.declarations.append(rows.declaration)
        self.deviations += rows.deviations
        self.indicator_mix += rows.indicator_mix

    def frame(self, name: str) -> pd.DataFrame:
        """The table ``name`` as a DataFrame with the documented columns (English keys)."""
        import pandas as pd

        cols = list(COLUMNS[name])
        return pd.DataFrame([{k: r.get(k) for k in cols} for r in getattr(self, name)], columns=cols)

    def stats_frame(self) -> pd.DataFrame:
        """:meth:`stats_by_year` as one long table: kind, year, figure, value."""
        import pandas as pd

        rows = [{"kind": KINDS[kind], "year": year, "figure": STAT_LABELS.get(key, key), "value": value}
                for kind, years in self.stats_by_year().items()
                for year, figures in years.items() for key, value in figures.items()]
        return pd.DataFrame(rows, columns=["kind", "year", "figure", "value"])

    def sort(self) -> None:
        """Rows by year, then department, then project (then source file); the deviations and
        the indicator mix follow their project's department, keeping the indicators' order."""
        def key(r):
            return (r["year"], r["department"] or "", r["name"], r["source"])

        self.self_evaluations.sort(key=key)
        self.declarations.sort(key=key)
        se = {(r["year"], r["name"]): r["department"] or "" for r in self.self_evaluations}
        de = {(r["year"], r["name"]): r["department"] or "" for r in self.declarations}
        self.deviations.sort(key=lambda r: (r["year"], se.get((r["year"], r["project"]), ""), r["project"]))
        self.indicator_mix.sort(key=lambda r: (r["year"], de.get((r["year"], r["project"]), ""), r["project"]))
        self.cross_year.sort(key=lambda r: (r["cur_year"], de.get((r["cur_year"], r["cur_project"]), ""),
                                            r["cur_project"] or r["prev_project"]))

    def years(self, table: str = "self_evaluations") -> list[int]:
        """The years of ``table``'s rows, newest first."""
        return sorted({r["year"] for r in getattr(self, table)}, reverse=True)

    def attention(self, year: int) -> list[dict]:
        """The self-evaluations of ``year`` a division head should look at: execution below the
        R7 threshold (90 % by default) or deviations without a reason, in table order."""
        unexplained: dict[tuple, int] = {}
        for d in self.deviations:
            if d["year"] == year and not d["_has_reason"]:
                k = (d["project"], d["_file"])
                unexplained[k] = unexplained.get(k, 0) + 1
        out = []
        for r in self.self_evaluations:
            if r["year"] != year:
                continue
            n = unexplained.get((r["name"], r["source"]), 0)
            rate = r["execution_rate"]
            low = rate is not None and rate < r.get("_below", Decimal(90))
            if low or n:
                out.append({"name": r["name"], "department": r["department"], "execution_rate": rate,
                            "unexplained": n, "total": r["total"], "grade": r["grade"]})
        return out

    def stats_by_year(self) -> dict[str, dict[int, dict]]:
        """The figures of the 统计 sheet, one dict per year: ``self_evaluation`` and
        ``declaration`` years, and ``cross_year`` by the current (declaration) year."""
        out: dict[str, dict[int, dict]] = {"self_evaluation": {}, "declaration": {}, "cross_year": {}}
        for y in self.years():
            out["self_evaluation"][y] = self._self_evaluation_stats(
                [r for r in self.self_evaluations if r["year"] == y],
                [r for r in self.deviations if r["year"] == y])
        for y in self.years("declarations"):
            de = [r for r in self.declarations if r["year"] == y]
            out["declaration"][y] = {
                "declarations": len(de),
                "requested": sum((r["annual_total"] or Decimal(0) for r in de), Decimal(0)),
                "declared_indicators": sum(r["indicators"] for r in de),
                "declared_quantitative": sum(r["quantitative"] for r in de),
            }
        for y in sorted({r["cur_year"] for r in self.cross_year}, reverse=True):
            cy = [r for r in self.cross_year if r["cur_year"] == y]
            out["cross_year"][y] = {
                "below_last_actual": sum(r["flag"] == BELOW_LAST_ACTUAL for r in cy),
                "gone": sum(r["status"] == GONE for r in cy),
            }
        return out

    @staticmethod
    def _self_evaluation_stats(se: list[dict], deviations: list[dict]) -> dict:
        budget = sum((r["budget"] or Decimal(0) for r in se), Decimal(0))
        executed = sum((r["executed"] or Decimal(0) for r in se), Decimal(0))
        totals = [r["total"] for r in se if r["total"] is not None]
        rate = Decimal(0)
        if budget > 0:  # R6 over the year's projects, cut as the sheet cuts (R6r truncate)
            rate = cut2(executed / budget * 100)
        out = {
            "self_evaluations": len(se),
            "budget": budget,
            "executed": executed,
            "execution_rate": rate,
            "average_total": (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if totals else Decimal(0),
            "max_total": max(totals) if totals else None,
            "min_total": min(totals) if totals else None,
            "missing_reasons": sum(not r["_has_reason"] for r in deviations),
        }
        for g in ("优", "良", "中", "差"):
            out[f"grade_{g}"] = sum(r["grade"] == g for r in se)
        return out

    def stats(self) -> dict[str, Decimal | int | str | None]:
        """The figures of the latest year (``year``: self-evaluations, ``declaration_year``:
        declarations); every year's in :meth:`stats_by_year`. No figure mixes years."""
        by_year = self.stats_by_year()
        se_years, de_years = self.years(), self.years("declarations")
        out: dict = {"year": se_years[0] if se_years else None}
        out.update(by_year["self_evaluation"].get(out["year"]) or
                   self._self_evaluation_stats([], []))
        out["declaration_year"] = de_years[0] if de_years else None
        out.update(by_year["declaration"].get(out["declaration_year"]) or
                   {"declarations": 0, "requested": Decimal(0), "declared_indicators": 0,
                    "declared_quantitative": 0})
        out.update(by_year["cross_year"].get(out["declaration_year"]) or {"below_last_actual": 0, "gone": 0})
        return out
