"""Checks: small functions from a project (and its :class:`ProjectScore`) to findings.

Modelled on beancount's ``ops/validation.py``: each check is a plain function
``(project, scored, settings) -> list[Finding]`` and :data:`CHECKS` lists them as data. A project
is parsed and scored once (:func:`perfxl.rules.scoring.score_project`) and every check reads the
same :class:`ProjectScore`. Locations come from :func:`perfxl.model.locate` (sheet + cell, or
the project name + JSON path for a project read from JSON). Messages are Chinese and name the
indicator and the numbers; the rule code (see :mod:`perfxl.rules.catalog`) is on the finding.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

from perfxl.findings import Finding, finding
from perfxl.model import (
    Declaration,
    Indicator,
    ProjectFile,
    SelfEvaluation,
    Settings,
    is_computed,
    locate,
    locations,
)
from perfxl.rules.categories import LEVEL1, level2_of
from perfxl.rules.scoring import (
    IndicatorScore,
    ProjectScore,
    band,
    in_band,
    score_project,
    target_met,
)
from perfxl.rules.targets import (
    LOWER_IS_BETTER,
    Achievement,
    Target,
    format_number,
    has_comparator,
    has_decimals,
    normalize_unit,
    parse_actual,
    parse_target,
    percent_spelling,
)

__all__ = ["CHECKS", "Check", "check_file", "check_project", "check_years"]

Project = Declaration | SelfEvaluation
Check = Callable[[Project, ProjectScore, Settings], list[Finding]]

_CENT = Decimal("0.01")
_WAN = Decimal(10000)
_HUNDRED = Decimal(100)
_EMPTY_REASONS = frozenset({"", "-", "—", "——", "/", "无", "暂无", "无。", "/。"})


# --- helpers ------------------------------------------------------------------------------------


def _finding(code: str, project: Project, obj, field: str, message: str) -> Finding:
    sheet, cell = locate(project, obj, field)
    return finding(code, sheet, cell, message)


def _n(x: Decimal | None) -> str:
    """A number as the form prints it: at least two decimals."""
    return "（空）" if x is None else format_number(x)


def _pct(ratio: Decimal) -> str:
    """1.2291 → '122.9%'; a whole percentage without decimals (1.20 → '120%')."""
    p = (ratio * _HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return (format(p.quantize(Decimal(1)), "f") if p == p.to_integral_value() else format(p, "f")) + "%"


def _q2(x: Decimal) -> Decimal:
    return x.quantize(_CENT, rounding=ROUND_HALF_UP)


_WS = re.compile(r"\s+")
_POINTS = re.compile(r"\(\d+(?:\.\d+)?分\)")


@functools.lru_cache(maxsize=4096)
def _nfkc_ws(text: str | None) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text or ""))


@functools.lru_cache(maxsize=4096)
def _level_key(name: str | None) -> str:
    """产出指标 / 经济成本 指标 / 服务对象 满意度指 标 → 产出 / 经济成本 / 服务对象满意度."""
    s = _nfkc_ws(name)
    s = _POINTS.sub("", s)  # "产出指标(50分)"
    return s[:-2] if s.endswith("指标") else s


_PUNCT = re.compile(r"[\s、，,；;：:。.“”\"'‘’()（）【】\[\]《》<>\-—·!！?？]+")


@functools.lru_cache(maxsize=8192)
def _name_key(name: str | None) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", name or ""))


def _has_reason(ind: Indicator) -> bool:
    return _nfkc_ws(ind.reason) not in _EMPTY_REASONS


def _label(ind: Indicator) -> str:
    if not (ind.name or "").strip():
        return f"“{ind.level2 or ind.level1}”下未填名称的三级指标"
    return f"“{ind.name}”"


@functools.lru_cache(maxsize=1024)
def _is_money(unit: str | None) -> bool:
    return normalize_unit(unit) in ("万元", "元")


_PER_UNIT = re.compile(r"^(万?元)/(.+)$")


@functools.lru_cache(maxsize=1024)
def _per_unit(unit: str | None) -> tuple[Decimal, str] | None:
    """(元 per 1 unit of money, denominator) for 元/件, 万元/人 …; None otherwise."""
    m = _PER_UNIT.match(normalize_unit(unit) or "")
    if not m:
        return None
    return (_WAN if m.group(1) == "万元" else Decimal(1)), normalize_unit(m.group(2)) or ""


def _is_cost(s: IndicatorScore) -> bool:
    """A cost indicator: money or money-per-unit unit, or 成本 in its name or levels."""
    ind, t = s.indicator, s.target
    money = t is not None and (_is_money(t.unit) or _per_unit(t.unit) is not None)
    return money or "成本" in (ind.name or "")


def _money_ceiling_wan(s: IndicatorScore) -> Decimal | None:
    """A 经济成本 ceiling in 万元 (≤/</= with unit 万元 or 元, 成本 in name or levels)."""
    t, ind = s.target, s.indicator
    if t is None or t.comparator not in ("≤", "<", "=") or not t.quantitative:
        return None
    if not _is_money(t.unit):
        return None
    if "成本" not in f"{ind.level1}{ind.level2}{ind.name}":
        return None
    return t.value if normalize_unit(t.unit) == "万元" else t.value / _WAN


# --- T1xx: target and actual text ---------------------------------------------------------------


def check_target_text(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """T101 unreadable target · T103 no comparator · T104 no decimals."""
    out = []
    for s in scored.indicators:
        ind = s.indicator
        if s.target_error:
            out.append(_finding("T101", project, ind, "target", f"{_label(ind)}：{s.target_error}"))
            continue
        t = s.target
        if t is None or not t.quantitative:
            continue
        if not has_comparator(t.text):
            out.append(_finding(
                "T103", project, ind, "target",
                f"{_label(ind)}的年度指标值“{t.text}”没有比较符，暂按“=”处理；"
                f"请写明 ≥、≤ 或 =，如 ≥{_n(t.value)}{f'({t.unit})' if t.unit else ''}"))
        if not has_decimals(t.value):
            out.append(_finding(
                "T104", project, ind, "target",
                f"{_label(ind)}的年度指标值“{t.text}”缺少小数位，表样写法为 "
                f"{t.comparator}{_n(t.value)}{f'({t.unit})' if t.unit else ''}"))
    return out


def check_actual_text(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """T108 actual missing · T102 unreadable actual · T104 actual without decimals ·
    T110 actual with a comparator · T109 a bare fraction against a percentage target."""
    if not isinstance(project, SelfEvaluation):
        return []
    out = []
    for s in scored.indicators:
        ind, a, t = s.indicator, s.actual, s.target
        if a is not None and a.comparator is not None:
            out.append(_finding(
                "T110", project, ind, "actual",
                f"{_label(ind)}的实际完成值“{a.text}”带比较符“{a.comparator}”，已按 "
                f"{_n(a.value)}{f'({a.unit})' if a.unit else ''} 读取；实际完成值只写完成的数量"))
        if (a is not None and a.value is not None and a.unit is None and t is not None
                and t.quantitative and t.unit == "%" and 0 < a.value <= 1 < t.value):
            out.append(_finding(
                "T109", project, ind, "actual",
                f"{_label(ind)}的年度指标值是百分比（{t.text}），实际完成值“{a.text}”却是不大于 1 的"
                f"数，按 {a.value}% 计分；若指 {_n((a.value * _HUNDRED).normalize())}%，请写作 "
                f"{_n((a.value * _HUNDRED).normalize())}% 或把单元格设为百分比格式"))
        if s.actual_error:
            out.append(_finding("T102", project, ind, "actual", f"{_label(ind)}：{s.actual_error}"))
        elif s.actual is None:
            out.append(_finding("T108", project, ind, "actual",
                                f"{_label(ind)}未填写实际完成值（年度指标值为“{ind.target}”）"))
        elif s.actual.value is not None and not has_decimals(s.actual.value):
            out.append(_finding(
                "T104", project, ind, "actual",
                f"{_label(ind)}的实际完成值“{s.actual.text}”缺少小数位，表样写法为 "
                f"{_n(s.actual.value)}{f'({s.actual.unit})' if s.actual.unit else ''}"))
    return out


# An actual that is only a percentage, as a percent-formatted cell shows a typed 96.7% ("96.70%"):
# the accepted way to type a percentage as a number (README), not a spelling of the unit (T105).
_TYPED_PERCENT = re.compile(r"^\s*[0-9]+(?:\.[0-9]+)?\s*[%％]\s*$")


def check_units(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """T105 % and 百分比 mixed in one project · T106 actual unit ≠ target unit · T107 type."""
    out = []
    # T105: which spelling does each indicator use; the less used one is reported
    spellings = [(s, fld, sp) for s in scored.indicators  # (score, field, spelling)
                 for fld, text in (("target", s.indicator.target), ("actual", s.indicator.actual))
                 if (sp := percent_spelling(text))
                 and not (fld == "actual" and _TYPED_PERCENT.match(text))]
    counts = Counter(sp for _, _, sp in spellings)
    if len(counts) > 1:
        major = max(counts, key=lambda k: (counts[k], -[sp for _, _, sp in spellings].index(k)))
        seen: set[int] = set()
        for s, fld, sp in spellings:
            if sp != major and id(s) not in seen:
                seen.add(id(s))
                out.append(_finding(
                    "T105", project, s.indicator, fld,
                    f"{_label(s.indicator)}写作“{sp}”，而本项目其余 {counts[major]} 处写作"
                    f"“{major}”：两者含义相同，请统一写法"))
    if not isinstance(project, SelfEvaluation):
        return out
    for s in scored.indicators:
        ind, t, a = s.indicator, s.target, s.actual
        if t is None or a is None:
            continue
        if t.quantitative and a.value is not None:
            if a.unit is not None and normalize_unit(a.unit) != normalize_unit(t.unit):
                out.append(_finding(
                    "T106", project, ind, "actual",
                    f"{_label(ind)}的实际完成值单位“{a.unit}”与年度指标值单位"
                    f"“{t.unit or '（无）'}”不一致，无法计算完成比例"))
        elif t.quantitative and a.level is not None:
            out.append(_finding(
                "T107", project, ind, "actual",
                f"{_label(ind)}是定量指标（{t.text}），实际完成值却写作完成档次“{a.text}”；"
                f"应填写数值，如 {_n(t.value)}{f'({t.unit})' if t.unit else ''}"))
        elif not t.quantitative and a.value is not None:
            out.append(_finding(
                "T107", project, ind, "actual",
                f"{_label(ind)}是定性指标（{t.text}），实际完成值却是数值“{a.text}”；"
                "应填写 达成年度指标、部分达成年度指标并具有一定效果 或 未达成年度指标且效果较差"))
    return out


# --- S2xx: weights and scores --------------------------------------------------------------------

_PARENT_WEIGHT = re.compile(r"[(（]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]")
_CATEGORY_ALIASES = {"产出": "产出", "成本": "成本", "效益": "效益", "效果": "效益", "满意度": "满意度"}


@functools.lru_cache(maxsize=4096)
def _category(level1: str | None) -> str | None:
    return _CATEGORY_ALIASES.get(_level_key(level1))


@functools.lru_cache(maxsize=4096)
def _parent_weight(level_name: str | None) -> Decimal | None:
    """The weight written into a level1/level2 name (“产出指标（50分）” → 50), if any."""
    m = _PARENT_WEIGHT.search(unicodedata.normalize("NFKC", level_name or ""))
    return Decimal(m.group(1)) if m else None


def _check_parent_weights(project: Project, scored: ProjectScore) -> list[Finding]:
    """S202: a weight written into a level1/level2 name (“产出指标（50分）”) ≠ the sum of the
    weights under it (R1)."""
    if all(_parent_weight(s.indicator.level1) is None and _parent_weight(s.indicator.level2) is None
           for s in scored.indicators):
        return []
    out = []
    groups: dict[tuple[str, ...], list[IndicatorScore]] = defaultdict(list)
    declared: dict[tuple[str, ...], tuple[Decimal, Indicator, str, str]] = {}
    for s in scored.indicators:
        ind = s.indicator
        k1 = (_level_key(ind.level1),)
        k2 = (_level_key(ind.level1), _level_key(ind.level2))
        for key, fld, text in ((k1, "level1", ind.level1), (k2, "level2", ind.level2)):
            groups[key].append(s)
            parent = _parent_weight(text)
            if parent is not None and key not in declared:
                declared[key] = (parent, ind, fld, text)
    for key, (parent, ind, fld, text) in declared.items():
        members = groups[key]
        if any(s.weight is None for s in members):
            continue
        total = sum((s.weight for s in members), Decimal(0))
        if total != parent:
            out.append(_finding(
                "S202", project, ind, fld,
                f"“{text}”写明 {_n(parent)} 分，其下 {len(members)} 个三级指标分值合计 "
                f"{_n(total)}（R1）"))
    return out


def check_weights(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """S207 weight missing · S201 total ≠ 100 · S202 parent weight · S203 R1 default split."""
    if not isinstance(project, SelfEvaluation):
        return []
    out = []
    missing = [s for s in scored.indicators if s.weight is None]
    for s in missing:
        out.append(_finding("S207", project, s.indicator, "weight", f"{_label(s.indicator)}未填写分值"))
    out.extend(_check_parent_weights(project, scored))
    if missing:
        return out
    indicators_total = sum((s.weight for s in scored.indicators), Decimal(0))
    total = project.funds.weight + indicators_total
    if total != _HUNDRED:
        out.append(_finding(
            "S201", project, project.funds, "weight",
            f"分值合计 {_n(total)}（预算执行率 {_n(project.funds.weight)} + 三级指标 "
            f"{_n(indicators_total)}），应为 100（R1）"))
    split = defaultdict(lambda: Decimal(0))
    for s in scored.indicators:
        cat = _category(s.indicator.level1)
        split["产出" if cat == "成本" else (cat or "其他")] += s.weight
    actual = (project.funds.weight, split["产出"], split["效益"], split["满意度"])
    default = (Decimal(10), Decimal(50), Decimal(30), Decimal(10))
    if actual != default or split["其他"]:
        extra = f"、其他 {_n(split['其他'])}" if split["其他"] else ""
        out.append(_finding(
            "S203", project, project.funds, "weight",
            f"分值分配为 预算执行率 {_n(actual[0])}、产出（含成本）{_n(actual[1])}、效益 "
            f"{_n(actual[2])}、满意度 {_n(actual[3])}{extra}，与原则性的 10/50/30/10 不同"
            "（仅提示，R1）"))
    return out


def check_scores(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """S204 outside [0, weight] · S205 outside its R5 band · S206 above the rule · S208 missing
    (truly empty: a formula showing the suggestion counts as filled)."""
    if not isinstance(project, SelfEvaluation):
        return []
    out = []
    for s in scored.indicators:
        ind, w, sc = s.indicator, s.weight, s.score
        if w is None:
            continue
        if sc is None and is_computed(ind, "score"):
            continue  # the cell's formula shows the suggested score (=建议得分): filled
        if sc is None:
            sug = f"，合计时按建议得分 {_n(s.suggested)} 计" if s.suggested is not None else ""
            out.append(_finding("S208", project, ind, "score", f"{_label(ind)}未填写得分{sug}"))
            continue
        if sc < 0 or sc > w:
            out.append(_finding(
                "S204", project, ind, "score",
                f"{_label(ind)}得分 {_n(sc)} 超出 [0, {_n(w)}]（分值 {_n(w)}）"))
            continue
        level = s.actual.level if s.actual is not None else None
        if level is not None and not in_band(sc, w, level):
            lo, hi = band(level)
            close = "]" if level is Achievement.MET else ")"
            share = _pct(sc / w) if w else "—"
            note = {
                Achievement.MET: "",
                Achievement.PARTIAL: "；恰好 80% 属于达成",
                Achievement.NOT_MET: "；恰好 60% 属于部分达成",
            }[level]
            out.append(_finding(
                "S205", project, ind, "score",
                f"{_label(ind)}完成档次为“{level.value}”，得分 {_n(sc)} 为分值 {_n(w)} 的 {share}，"
                f"应在 [{_n(_q2(lo * w))}, {_n(_q2(hi * w))}{close} 内{note}（R5）"))
        elif (level is None and s.suggested is not None and s.target is not None
              and s.target.quantitative and sc > s.suggested):
            out.append(_finding(
                "S206", project, ind, "score",
                f"{_label(ind)}实际完成 {s.actual.text}、指标值 {s.target.text}，按规则得分 "
                f"{_n(s.suggested)}，评价人给出 {_n(sc)}（R2/R3）"))
    return out


def _over_ratio(s: IndicatorScore) -> Decimal | None:
    """R4: actual / target for ≥, > and = targets (None otherwise)."""
    if s.ratio is None or s.target is None or s.target.comparator in LOWER_IS_BETTER:
        return None
    return s.ratio


def check_over_achievement(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """S209 (R4): actual ≥ settings.over_achievement_flag × target for ≥, > and =."""
    if not isinstance(project, SelfEvaluation):  # a declaration has no actuals
        return []
    out = []
    for s in scored.indicators:
        r = _over_ratio(s)
        if r is None or r < settings.over_achievement_flag:
            continue
        ind = s.indicator
        out.append(_finding(
            "S209", project, ind, "actual",
            f"{_label(ind)}实际完成 {_n(s.actual.value)}，为指标值 {_n(s.target.value)} 的 {_pct(r)}，"
            f"达到超额完成提示线 {_pct(settings.over_achievement_flag)}：指标值可能定得偏低，"
            "请考虑是否扣分并说明原因（R4）"))
    return out


# --- D3xx: deviation reasons (R7) ---------------------------------------------------------------


def check_reasons(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """R7: one finding per indicator without 偏差原因分析, the first that applies of
    D301 (score below weight), D302 (target missed), D303 (over-achieved ≥ reason threshold)."""
    if not isinstance(project, SelfEvaluation):
        return []
    out = []
    for s in scored.indicators:
        ind = s.indicator
        if _has_reason(ind):
            continue
        if s.effective is not None and s.weight is not None and s.effective < s.weight:
            out.append(_finding(
                "D301", project, ind, "reason",
                f"{_label(ind)}得分 {_n(s.effective)} 低于分值 {_n(s.weight)}，但未填写偏差原因分析（R7）"))
            continue
        if s.target is not None and target_met(s.target, s.actual) is False:
            out.append(_finding(
                "D302", project, ind, "reason",
                f"{_label(ind)}实际完成值“{s.actual.text}”未达到年度指标值“{s.target.text}”，"
                "但未填写偏差原因分析（R7）"))
            continue
        r = _over_ratio(s)
        if r is not None and r >= settings.over_achievement_reason_required:
            out.append(_finding(
                "D303", project, ind, "reason",
                f"{_label(ind)}实际完成 {_n(s.actual.value)}，为指标值 {_n(s.target.value)} 的 "
                f"{_pct(r)}，超过 {_pct(settings.over_achievement_reason_required)}，"
                "但未填写偏差原因分析（R4、R7）"))
    return out


_EXECUTION_WORDS = ("执行率", "预算", "资金", "结余", "节约", "支付")


def check_execution_reason(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """D304 (R7): execution rate below settings.execution_reason_below, not explained.

    Explained means: 实际完成情况 (achieved_goal) or any 偏差原因分析 mentions one of
    执行率 / 预算 / 资金 / 结余 / 节约 / 支付 — the form has no dedicated field for it.
    """
    if not isinstance(project, SelfEvaluation) or scored.execution_rate is None:
        return []
    threshold = settings.execution_reason_below * _HUNDRED
    if scored.execution_rate >= threshold:
        return []
    texts = [project.achieved_goal] + [i.reason or "" for i in project.indicators]
    if any(word in text for text in texts for word in _EXECUTION_WORDS):
        return []
    return [_finding(
        "D304", project, project.funds.total, "executed",
        f"预算执行率 {_n(scored.execution_rate)}% 低于 {_n(threshold)}%，但“实际完成情况”和"
        "偏差原因分析中没有说明（未提到 执行率、预算、资金、结余、节约 或 支付）（R7）")]


# --- F4xx: funds ------------------------------------------------------------------------------------

_COLUMNS = (("initial_budget", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"))
_ROWS = (("total", "年度资金总额"), ("fiscal", "当年财政拨款"), ("carryover", "上年结转资金"),
         ("other", "其他资金"))


def _sum_mismatch(total: Decimal | None, parts: list[Decimal | None]) -> Decimal | None:
    if total is None or all(p is None for p in parts):
        return None
    s = sum((p for p in parts if p is not None), Decimal(0))
    return s if abs(total - s) >= Decimal("0.005") else None


def check_fund_sums(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """F401 rows not adding up · F402 executed above budget · F406 annual above project total."""
    out = []
    f = project.funds
    if isinstance(project, SelfEvaluation):
        unit = settings.money_unit
        for col, col_name in _COLUMNS:
            total = getattr(f.total, col)
            parts = [getattr(f.fiscal, col), getattr(f.carryover, col), getattr(f.other, col)]
            s = _sum_mismatch(total, parts)
            if s is not None:
                out.append(_finding(
                    "F401", project, f.total, col,
                    f"{col_name}：年度资金总额 {_n(total)} {unit} ≠ 当年财政拨款 + 上年结转资金 + "
                    f"其他资金 = {' + '.join(_n(p or Decimal(0)) for p in parts)} = {_n(s)} {unit}"))
        for row, row_name in _ROWS:
            r = getattr(f, row)
            if r.budget is not None and r.executed is not None and r.executed > r.budget:
                out.append(_finding(
                    "F402", project, r, "executed",
                    f"{row_name}：全年执行数 {_n(r.executed)} {unit} 大于全年预算数 {_n(r.budget)} {unit}"))
        return out
    s = _sum_mismatch(f.annual_total, [f.annual_fiscal, f.annual_carryover, f.annual_other])
    if s is not None:
        out.append(_finding(
            "F401", project, f, "annual_total",
            f"年度资金申请总额 {_n(f.annual_total)} 元 ≠ 当年财政拨款 + 上年结转资金 + 其他资金 = {_n(s)} 元"))
    s = _sum_mismatch(f.project_total, [f.project_fiscal, f.project_other])
    if s is not None:
        out.append(_finding(
            "F401", project, f, "project_total",
            f"项目资金总额 {_n(f.project_total)} 元 ≠ 财政资金 + 其他资金 = {_n(s)} 元"))
    if f.project_total and f.annual_total is not None and f.annual_total > f.project_total:
        out.append(_finding(
            "F406", project, f, "annual_total",
            f"年度资金申请总额 {_n(f.annual_total)} 元大于项目资金总额 {_n(f.project_total)} 元"))
    return out


def _requested(project: Project, settings: Settings):
    """(candidates in 万元 as (label, value), obj, field) the cost ceilings are compared with."""
    f = project.funds
    if isinstance(project, Declaration):
        if f.annual_total is None:
            return [], None, None
        return [("年度资金申请总额", f.annual_total / _WAN)], f, "annual_total"
    scale = Decimal(1) if settings.money_unit == "万元" else 1 / _WAN
    cands = [(name, getattr(f.total, col) * scale)
             for col, name in (("initial_budget", "年初预算数"), ("budget", "全年预算数"))
             if getattr(f.total, col) is not None]
    return cands, f.total, "initial_budget"


def check_cost_ceilings(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """F403/F404: Σ 经济成本 ceilings (万元) vs the requested funds (declaration, 元) or the
    budget (self-evaluation: 年初预算数 or 全年预算数), equal within display precision (2
    decimals of 万元: 99.18 万 vs 991,823 元 = 99.1823 万 → equal)."""
    ceilings = [(s, c) for s in scored.indicators if (c := _money_ceiling_wan(s)) is not None]
    if not ceilings:
        return []
    cands, obj, fld = _requested(project, settings)
    if not cands:
        return []
    total = _q2(sum((c for _, c in ceilings), Decimal(0)))
    shown = [(name, _q2(v)) for name, v in cands]
    if any(total == v for _, v in shown):
        return []
    terms = " + ".join(_n(_q2(c)) for _, c in ceilings)
    against = "、".join(f"{name} {_n(v)} 万元" for name, v in shown)
    if all(total > v for _, v in shown):
        return [_finding("F403", project, obj, fld,
                         f"成本指标上限合计 {terms} = {_n(total)} 万元，超过{against}")]
    if all(total < v for _, v in shown):
        return [_finding("F404", project, obj, fld,
                         f"成本指标上限合计 {terms} = {_n(total)} 万元，低于{against}")]
    return []


def _unit_cost(t: Target | None) -> tuple[str, Decimal] | None:
    """(denominator, 元 per one of it) of a unit-cost ceiling (≤/</= … 元/件, 万元/人)."""
    if t is None or not t.quantitative or t.comparator not in ("≤", "<", "="):
        return None
    per = _per_unit(t.unit)
    return None if per is None else (per[1], t.value * per[0])


def check_unit_costs(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """F405: Σ(quantity × unit cost) + money ceilings > requested funds, when quantities exist.

    Unit costs (≤ … 元/件) are paired with 数量指标 quantities of the same unit (件). The pairing
    is unknown when several share a unit, so the bound is the least it can be: the cheapest unit
    cost × the smallest quantities, one per cost. Unit costs without a quantity (元/小时 when
    the hours are not a 数量指标) are left out. Only a bound above the funds is reported.
    """
    costs: dict[str, list[Decimal]] = defaultdict(list)
    for s in scored.indicators:
        if (cost := _unit_cost(s.target)) is not None:
            costs[cost[0]].append(cost[1])
    if not costs:
        return []
    quantities: dict[str, list[Decimal]] = defaultdict(list)
    for s in scored.indicators:
        t = s.target
        if (t is not None and t.quantitative and _unit_cost(t) is None
                and _level_key(s.indicator.level2) == "数量" and t.comparator in ("≥", ">", "=")
                and t.unit and not _is_money(t.unit)):
            quantities[normalize_unit(t.unit)].append(t.value)
    bound = Decimal(0)
    used = []
    for denom, cs in costs.items():
        qs = sorted(quantities.get(denom, []))
        if not qs:
            continue
        part = min(cs) * sum(qs[: len(cs)], Decimal(0))
        bound += part
        used.append(f"{_n(min(cs))} 元/{denom} × {'+'.join(_n(q) for q in qs[: len(cs)])} {denom}")
    if not used:
        return []
    ceilings = sum((c for s in scored.indicators if (c := _money_ceiling_wan(s)) is not None),
                   Decimal(0)) * _WAN
    cands, obj, fld = _requested(project, settings)
    if not cands:
        return []
    requested = max(v for _, v in cands) * _WAN
    total = bound + ceilings
    if _q2(total) <= _q2(requested):
        return []
    extra = f" + 金额成本指标 {_n(ceilings)} 元" if ceilings else ""
    return [_finding("F405", project, obj, fld,
                     f"单位成本 × 数量至少 {'；'.join(used)}，合计 {_n(bound)} 元{extra}，"
                     f"超过资金 {_n(requested)} 元")]


# --- X5xx: structure ----------------------------------------------------------------------------

# 二级指标 allowed under each 一级指标 (keys and names without 指标): both layouts of
# perfxl.rules.categories (成本 a 一级指标 in the 2021 guide, a 二级 under 产出指标 before it),
# and the other spellings published forms use.
_LEVEL2_SPELLINGS = {"成本": {"生态成本", "成本"}, "效益": {"生态环境效益"}, "满意度": {"满意度"}}
LEVEL2_CATALOG: dict[str, frozenset[str]] = {
    l1.removesuffix("指标"): frozenset(
        {l2.removesuffix("指标") for l2 in level2_of(l1)} | _LEVEL2_SPELLINGS.get(l1.removesuffix("指标"), set()))
    for l1 in LEVEL1
}
_ALL_LEVEL2 = frozenset().union(*LEVEL2_CATALOG.values())


def level1_for(level1: str | None, level2: str | None) -> str | None:
    """The standard 一级指标 a 二级指标 belongs to when ``level1`` (blank, or carried over from
    the group above) does not hold it; ``None`` when ``level1`` fits or the 二级 is not in exactly
    one 一级's catalogue (经济效益指标 → 效益指标; 成本指标 is under 产出 and 成本 alike)."""
    k2 = _level_key(level2)
    if not k2:
        return None
    cat = _category(level1)
    if cat is not None and k2 in LEVEL2_CATALOG[cat]:
        return None
    homes = [c for c, allowed in LEVEL2_CATALOG.items() if k2 in allowed]
    return f"{homes[0]}指标" if len(homes) == 1 else None


def check_categories(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """X501 (declaration) / X502 (self-evaluation): a 一级指标 missing."""
    if not project.indicators:
        code = "X501" if isinstance(project, Declaration) else "X502"
        return [_finding(code, project, project, "indicators", "没有任何绩效指标")]
    cats = {_category(i.level1) for i in project.indicators}
    has_cost = "成本" in cats or any(
        _category(i.level1) == "产出" and _level_key(i.level2) == "成本" for i in project.indicators)
    required = ["产出", "效益", "满意度"]
    if isinstance(project, Declaration) and project.year >= 2021:
        required.insert(0, "成本")
    missing = [c for c in required if (has_cost if c == "成本" else c in cats) is False]
    if not missing:
        return []
    names = "、".join(f"{c}指标" for c in missing)
    if isinstance(project, Declaration):
        why = "（2021 年起须有成本指标，财预〔2021〕101号）" if "成本" in missing else ""
        return [_finding("X501", project, project, "indicators", f"申报表缺少一级指标：{names}{why}")]
    return [_finding("X502", project, project, "indicators",
                     f"自评表缺少一级指标：{names}（地方表样可能不同，请核实）")]


def check_levels(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """X503 二级 not under its 一级 · X504 name not in the catalogue (once per distinct name)."""
    out = []
    seen: set[tuple[str, str]] = set()
    for ind in project.indicators:
        k1, k2 = _level_key(ind.level1), _level_key(ind.level2)
        if (k1, k2) in seen:  # this pair, and so its 一级指标, already looked at
            continue
        cat = _category(ind.level1)
        if (k1, "") not in seen:
            seen.add((k1, ""))
            if cat is None:
                out.append(_finding(
                    "X504", project, ind, "level1",
                    f"一级指标“{ind.level1}”不是 成本/产出/效益/满意度 指标之一"))
        if (k1, k2) in seen or cat is None:
            continue
        seen.add((k1, k2))
        allowed = LEVEL2_CATALOG[cat]
        if k2 in allowed:
            continue
        if k2 in _ALL_LEVEL2:
            homes = "、".join(f"{c}指标" for c, v in LEVEL2_CATALOG.items() if k2 in v)
            out.append(_finding(
                "X503", project, ind, "level2",
                f"二级指标“{ind.level2}”不属于一级指标“{ind.level1}”（应在{homes}下）；"
                f"{ind.level1}下可用：{'、'.join(sorted(f'{x}指标' for x in allowed))}"))
        else:
            out.append(_finding(
                "X504", project, ind, "level2",
                f"二级指标“{ind.level2}”不在{ind.level1}的标准目录中"
                f"（{'、'.join(sorted(f'{x}指标' for x in allowed))}）"))
    return out


def check_cost_under_timeliness(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """X505: a cost indicator (money unit or 成本 in its name) filed under 时效指标."""
    out = []
    for s in scored.indicators:
        ind = s.indicator
        if _level_key(ind.level2) == "时效" and _is_cost(s):
            home = "成本指标—经济成本指标" if _category(ind.level1) != "产出" or any(
                _category(i.level1) == "成本" for i in project.indicators) else "产出指标—成本指标"
            out.append(_finding(
                "X505", project, ind, "level2",
                f"{_label(ind)}（{ind.target}）是成本指标，却放在“{ind.level2}”下；应移到{home}"))
    return out


def check_duplicates(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """X506 same 三级指标 twice under one 二级 · X507 same name under different 二级."""
    out = []
    first: dict[str, Indicator] = {}
    for ind in project.indicators:
        key = _name_key(ind.name)
        if not key:
            continue
        prev = first.get(key)
        if prev is None:
            first[key] = ind
            continue
        where = locate(project, prev, "name")[1]
        if _level_key(prev.level2) == _level_key(ind.level2):
            out.append(_finding("X506", project, ind, "name",
                                f"{_label(ind)}在“{ind.level2}”下重复出现（首次见 {where}）"))
        else:
            out.append(_finding(
                "X507", project, ind, "name",
                f"{_label(ind)}同时出现在“{prev.level2}”（{where}）和“{ind.level2}”下，"
                "容易混淆，建议改名（如“…成本控制情况”）"))
    return out


def check_empty(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """X508 empty 年度指标值 · X509 empty 三级指标."""
    out = []
    for ind in project.indicators:
        if not (ind.name or "").strip():
            out.append(_finding("X509", project, ind, "name",
                                f"“{ind.level2}”下有一行没有三级指标名称"))
        if not (ind.target or "").strip():
            out.append(_finding("X508", project, ind, "target",
                                f"{_label(ind)}未填写年度指标值"))
    return out


# --- required inputs ------------------------------------------------------------------------------

_REQUIRED_TEXT = {
    Declaration: (("name", "项目名称"), ("department", "主管部门"), ("unit", "实施单位")),
    SelfEvaluation: (("name", "项目名称"), ("department", "主管部门"), ("unit", "实施单位"),
                     ("achieved_goal", "年度总体目标的实际完成情况")),
}


def check_required(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """X511 项目名称/主管部门/实施单位/实际完成情况 blank · F407 全年预算数/全年执行数 blank (R6).

    A workbook's blank 项目名称 is already W704 from the reader (which knows the cell); X511
    reports it for a project read from JSON or text."""
    out = []
    for fld, label in _REQUIRED_TEXT[type(project)]:
        if (getattr(project, fld) or "").strip():
            continue
        if fld == "name" and "name" in locations(project):
            continue  # W704
        out.append(_finding("X511", project, project, fld, f"{label}未填写"))
    if isinstance(project, SelfEvaluation):
        total = project.funds.total
        for fld, label in (("budget", "全年预算数"), ("executed", "全年执行数")):
            if getattr(total, fld) is None:
                out.append(_finding(
                    "F407", project, total, fld,
                    f"年度资金总额的{label}未填写：预算执行率和执行率得分无法计算（R6）"))
    return out


# --- N8xx: text ----------------------------------------------------------------------------------

_REPEAT = re.compile(r"([\u4e00-\u9fff]{2,})\1")
# Verb reduplications that are correct Chinese (研究研究); rare in these forms.
_LEGIT_REPEATS = frozenset({"研究研究", "讨论讨论", "商量商量", "学习学习", "了解了解", "考虑考虑"})


@functools.lru_cache(maxsize=8192)
def _repeats(text: str | None) -> tuple[str, ...]:
    """The repeats in ``text``, in order (cached: departments, units and goals recur across a
    batch, and the backtracking search of a long text costs far more than a lookup)."""
    return tuple(m.group(0) for m in _REPEAT.finditer(text or "") if m.group(0) not in _LEGIT_REPEATS)


@functools.lru_cache(maxsize=8192)
def _repeats_in(texts: tuple[str | None, ...]) -> tuple[tuple[int, str], ...]:
    """(index in ``texts``, repeat) of every repeat, in order. Cached on the whole row of
    texts too: an indicator row recurs as a whole, and one lookup per row is cheaper still."""
    return tuple((i, rep) for i, text in enumerate(texts) for rep in _repeats(text))


_PROJECT_TEXT = {
    Declaration: (("name", "项目名称"), ("department", "主管部门"), ("unit", "实施单位"),
                  ("overall_goal", "项目总目标"), ("annual_goal", "年度总体目标")),
    SelfEvaluation: (("name", "项目名称"), ("department", "主管部门"), ("unit", "实施单位"),
                     ("expected_goal", "预期目标"), ("achieved_goal", "实际完成情况")),
}
_INDICATOR_TEXT = (("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                   ("target", "年度指标值"), ("reason", "偏差原因分析"))
_INDICATOR_TEXTS = attrgetter(*(fld for fld, _ in _INDICATOR_TEXT))


def check_repeated_text(project: Project, scored: ProjectScore, settings: Settings) -> list[Finding]:
    """N801: two or more CJK characters immediately repeated (防汛防汛)."""
    out = []
    project_fields = _PROJECT_TEXT[type(project)]
    for i, rep in _repeats_in(tuple(getattr(project, fld) for fld, _ in project_fields)):
        fld, name = project_fields[i]
        out.append(_finding("N801", project, project, fld, f"{name}中“{rep}”疑似重复录入"))
    for ind in project.indicators:
        texts = _INDICATOR_TEXTS(ind)
        for i, rep in _repeats_in(texts):
            fld, name = _INDICATOR_TEXT[i]
            where = f"{_label(ind)}的{name}" if fld != "name" else f"三级指标“{texts[i]}”"
            out.append(_finding("N801", project, ind, fld, f"{where}中“{rep}”疑似重复录入"))
    return out


# --- the list of checks, and running them ------------------------------------------------------------

CHECKS: tuple[Check, ...] = (
    check_target_text,
    check_actual_text,
    check_units,
    check_weights,
    check_scores,
    check_over_achievement,
    check_reasons,
    check_execution_reason,
    check_fund_sums,
    check_cost_ceilings,
    check_unit_costs,
    check_categories,
    check_levels,
    check_cost_under_timeliness,
    check_duplicates,
    check_empty,
    check_required,
    check_repeated_text,
)


def check_scored(scored: ProjectScore, settings: Settings) -> list[Finding]:
    """Run every check on an already scored project (the CLI scores once, then checks)."""
    project = scored.project
    out: list[Finding] = []
    for check in CHECKS:
        out.extend(check(project, scored, settings))
    return out


def check_project(project: Project, settings: Settings | None = None) -> list[Finding]:
    """Score ``project`` once and run every check in :data:`CHECKS` on it."""
    settings = settings or Settings()
    return check_scored(score_project(project, settings), settings)


def check_file(pf: ProjectFile, scores: list[ProjectScore] | None = None) -> list[Finding]:
    """All findings of a project file: each project's, then file-level ones (X510).

    ``scores`` are the projects already scored (in order), so nothing is parsed twice.
    """
    if scores is None:
        scores = [score_project(project, pf.settings) for project in pf.projects]
    out: list[Finding] = []
    for scored in scores:
        out.extend(check_scored(scored, pf.settings))
    seen: dict[tuple[str, int, str], Project] = {}
    for project in pf.projects:
        key = (project.form.value, project.year, _name_key(project.name))
        if key in seen:
            out.append(_finding(
                "X510", project, project, "name",
                f"{project.year} 年度{project.form.title}“{project.name}”在本文件中出现了两次"))
        else:
            seen[key] = project
    return out


# --- Y6xx: across years -----------------------------------------------------------------------------


_NAME_SEPARATOR = re.compile(r"[、，,；;和及与]")


@functools.lru_cache(maxsize=8192)
def _name_parts(key: str, name: str) -> frozenset[str]:
    parts = _NAME_SEPARATOR.split(unicodedata.normalize("NFKC", name or ""))
    return frozenset({_name_key(p) for p in parts if _name_key(p)} | {key})


def _match_previous(ind: Indicator, previous: list[Indicator]) -> list[Indicator]:
    """Previous-year indicators with the same name: exact, then normalised, then as a part."""
    exact = [p for p in previous if p.name == ind.name]
    if exact:
        return exact
    key = _name_key(ind.name)
    norm = [p for p in previous if _name_key(p.name) == key]
    if norm:
        return norm
    mine = _name_parts(key, ind.name)
    return [p for p in previous
            if _name_key(p.name) in mine or key in _name_parts(_name_key(p.name), p.name)]


def check_years(previous: SelfEvaluation, current: Declaration) -> list[Finding]:
    """Y601: a new (≥, >, =) target below last year's actual for the same indicator.

    Indicators are matched by name (exact, then normalised, then one name being a 、-separated
    part of the other) and by unit; a name matching several previous indicators with the same
    unit is skipped as ambiguous. Project matching across years is done by the caller.
    """
    out = []
    for ind in current.indicators:
        try:
            t = parse_target(ind.target)
        except ValueError:
            continue
        if not t.quantitative or t.comparator in LOWER_IS_BETTER:
            continue
        candidates = []
        for p in _match_previous(ind, previous.indicators):
            try:
                a = parse_actual(p.actual) if p.actual else None
            except ValueError:
                continue
            if a is None or a.value is None:
                continue
            unit = a.unit if a.unit is not None else _target_unit(p)
            if normalize_unit(unit) == normalize_unit(t.unit):
                candidates.append((p, a))
        if len(candidates) != 1:
            continue
        p, a = candidates[0]
        if t.value < a.value:
            same = "" if p.name == ind.name else f"（上年名为“{p.name}”）"
            out.append(_finding(
                "Y601", current, ind, "target",
                f"{_label(ind)}{current.year} 年度指标值 {t.text} 低于 {previous.year} 年实际完成 "
                f"{a.text}{same}：目标可能定得偏低"))
    return out


def _target_unit(ind: Indicator) -> str | None:
    try:
        return parse_target(ind.target).unit
    except ValueError:
        return None

