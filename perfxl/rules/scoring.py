"""Scoring, rule by rule (domain.md §2, R1–R8). Pure functions of the model, no I/O.

Every number here must be reproducible by a native Excel formula in the template, so each
function's docstring gives the formula it corresponds to. Decimal arithmetic is exact; the
Excel side rounds to 9 decimals before truncating (``TRUNC(ROUND(x,9),2)``) so that binary
floating-point noise cannot change a result, which gives the same numbers.

Decisions (documented here and in the report):

- **Execution score (R6, R6r)** is computed from the *displayed* execution rate, i.e. the rate
  already cut to 2 decimals: ``score = cut2(MIN(rate, 100) × weight / 100)``. A reader can
  check it from the printed numbers (79.18 % × 10 = 7.918 → 7.91; half-up 79.19 → 7.919 →
  7.92; 99.84 → 9.98). Excel: ``=TRUNC(ROUND(MIN(rate_cell,100)*weight/100,9),2)`` (or
  ``ROUND(…,2)`` for half_up), where ``rate_cell = TRUNC(ROUND(executed/budget*100,9),2)``.
- **Suggested score for a qualitative level (R5)** is the top of the band: 达成 → the full
  weight; 部分达成 and 未达成, whose bands are open at the top, get the largest *whole* score
  strictly inside the band (weight 8 → 6, weight 4 → 3, weight 3 → 2, weight 10 → 7 — what the
  seed evaluators typed), or, when no whole number fits in the band (small weights), the
  largest 2-decimal score inside it (weight 1 → 0.79). See :func:`band_top`.
- **Overrun of a lower-is-better target (R3)** uses ``settings.overrun_formula``; the default
  ``linear`` gives ``weight × (1 − (actual − target) / target)``, 0 at twice the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Context, Decimal
from typing import NamedTuple

from perfxl.model import (
    Declaration,
    Indicator,
    OverrunFormula,
    Rounding,
    SelfEvaluation,
    SelfEvaluationFunds,
    Settings,
)
from perfxl.rules.targets import (
    Achievement,
    Actual,
    Target,
    met_by_same_word,
    normalize_unit,
    read_actual,
    read_target,
)

__all__ = [
    "IndicatorScore",
    "ProjectScore",
    "band",
    "band_top",
    "completion_ratio",
    "cut2",
    "execution_rate",
    "execution_score",
    "grade",
    "in_band",
    "read_actual_for",
    "score_project",
    "score_indicator",
    "suggest_score",
    "target_met",
    "units_compatible",
]

_CENT = Decimal("0.01")
_NOISE = Decimal("1e-9")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
_ONE = Decimal(1)


# 40 digits hold the 9-decimal step of any amount up to 1E+20; one shared context (only its
# flags change) instead of a new local context per number.
_CUT_CONTEXT = Context(prec=40)


def _cut_context(x: Decimal) -> Context:
    """A context with enough digits for the 9-decimal step of ``x``, even for absurd amounts
    typed into a cell (1E+30)."""
    if not x.is_finite() or x.adjusted() <= 20:
        return _CUT_CONTEXT
    return Context(prec=x.adjusted() + 20)


def cut2(x: Decimal, rounding: Rounding | str = Rounding.TRUNCATE) -> Decimal:
    """Cut to 2 decimals the way the form does (R6r).

    ``truncate`` (default, municipal seed): round to 9 decimals first, then truncate toward
    zero — Excel ``TRUNC(ROUND(x,9),2)``; the first step removes float-like noise such as
    ``28.999999999999996`` so that it is not truncated to 28.99. ``half_up``: Excel
    ``ROUND(x,2)`` (half away from zero).
    """
    x = Decimal(x)
    if not isinstance(rounding, Rounding):
        rounding = Rounding(rounding)
    ctx = _cut_context(x)
    x = x.quantize(_NOISE, rounding=ROUND_HALF_UP, context=ctx)
    if rounding is Rounding.HALF_UP:
        return x.quantize(_CENT, rounding=ROUND_HALF_UP, context=ctx)
    return x.quantize(_CENT, rounding=ROUND_DOWN, context=ctx)


def half_cent_formula(rounding_ref: str) -> str:
    """What R6r adds before cutting, as an Excel formula over the rounding mode's cell
    ``rounding_ref``: half a cent for ``half_up`` (equal to ROUND_HALF_UP for the numbers the
    forms cut: rates and scores, never negative), else 0 (truncate)."""
    return f'IF({rounding_ref}="half_up",0.005,0)'


def half_cent_constant(rounding: Rounding | str) -> str:
    """:func:`half_cent_formula`'s value for a known rounding mode, as formula text (for sheets
    without a settings sheet, such as the summary's)."""
    return "0.005" if Rounding(rounding) is Rounding.HALF_UP else "0"


def cut2_formula(x: str, half_ref: str) -> str:
    """:func:`cut2` as an Excel formula over the cell text ``x`` (R6r): ``TRUNC(ROUND(x,9),2)``
    after adding ``half_ref`` (a name holding :func:`half_cent_formula`), ``x`` written once."""
    return f'TRUNC(ROUND(ROUND({x},9)+{half_ref},9),2)'


# --- R6: budget execution --------------------------------------------------------------------


def execution_rate(funds: SelfEvaluationFunds, rounding: Rounding | str) -> Decimal | None:
    """执行率 in percent, cut to 2 decimals (R6, R6r): 全年执行数 / 全年预算数 × 100.

    The adjusted budget (全年预算数), not 年初预算数. A zero budget gives 0 (R6, not an
    error); a missing budget or executed amount gives ``None``. Not capped (an overspent budget
    shows its rate above 100; the score is capped).
    Excel: ``=IF(budget=0,0,TRUNC(ROUND(executed/budget*100,9),2))``.
    """
    budget, executed = funds.total.budget, funds.total.executed
    if budget is None or executed is None:
        return None
    if budget == 0:  # R6: a zero budget gives 0
        return cut2(_ZERO, rounding)
    return cut2(executed / budget * _HUNDRED, rounding)


def execution_score(funds: SelfEvaluationFunds, rounding: Rounding | str) -> Decimal | None:
    """执行率得分 (R6, R6r): ``cut2(MIN(rate, 100) × weight / 100)``, from the displayed rate.

    Computed from the rate *as displayed* (already cut to 2 decimals), so that the printed
    rate and score agree for a reader: 79.18 → 7.91 (truncate), 79.19 → 7.92 (half_up),
    99.84 → 9.98. Capped at the weight (R6).
    Excel: ``=TRUNC(ROUND(MIN(rate_cell,100)*weight/100,9),2)``.
    """
    rate = execution_rate(funds, rounding)
    if rate is None:
        return None
    return cut2(min(rate, _HUNDRED) * funds.weight / _HUNDRED, rounding)


# --- R2, R2e, R3: quantitative indicators --------------------------------------------------------


def units_compatible(target: Target, actual: Actual) -> bool:
    """An actual's unit fits its target's: equal after normalisation (``%`` ≡ ``百分比``), or
    the actual has no unit at all (``8`` for a target ``≥9.00(人)``)."""
    return actual.unit is None or normalize_unit(actual.unit) == normalize_unit(target.unit)


def completion_ratio(target: Target, actual: Actual | None) -> Decimal | None:
    """actual / target, unrounded, for a quantitative target (R2, R4).

    ``None`` when either side is not a number, units differ, or the target is 0.
    Excel: ``=IF(target=0,"",actual/target)``.
    """
    if actual is None or not target.quantitative or actual.value is None:
        return None
    if not units_compatible(target, actual) or target.value == 0:
        return None
    return actual.value / target.value


def _quantitative_fraction(
    target: Target, actual_value: Decimal, overrun: OverrunFormula
) -> Decimal:
    """Fraction of the weight earned (before clamping to [0, 1])."""
    t, a = target.value, actual_value
    assert t is not None
    if target.higher_is_better:
        if target.comparator == "=" and t == 0:
            # R2e: target 0 — actual ≤ 0 earns the full weight, anything else 0
            return _ONE if a <= 0 else _ZERO
        if t <= 0:
            # ≥ 0 (or a negative floor): met or not; no proportion of a non-positive target
            met = a >= t if target.comparator != ">" else a > t
            return _ONE if met else _ZERO
        # R2 (≥, >) and R2e (=, scored like ≥): met → full, otherwise actual / target
        return _ONE if a >= t else a / t
    # R3: lower is better (≤, <); actual ≤ target or actual 0 → full weight
    if a <= t or a == 0:
        return _ONE
    if t <= 0:
        return _ZERO  # any overrun of a zero (or negative) ceiling
    if OverrunFormula(overrun) is OverrunFormula.RATIO:
        return t / a  # R3 alternative: weight × target / actual
    return _ONE - (a - t) / t  # R3 default: linear, 0 at twice the target


def target_met(target: Target, actual: Actual | None) -> bool | None:
    """Whether the actual reaches the target (R2/R2e/R3 "met"; a level: 达成). ``None`` when
    it cannot be told (no actual, a number for a qualitative target, different units)."""
    if actual is None:
        return None
    if actual.level is not None:
        return actual.level is Achievement.MET
    if not target.quantitative or actual.value is None or not units_compatible(target, actual):
        return None
    return _quantitative_fraction(target, actual.value, OverrunFormula.LINEAR) >= 1


_BANDS = {
    Achievement.MET: (Decimal("0.8"), Decimal("1")),
    Achievement.PARTIAL: (Decimal("0.6"), Decimal("0.8")),
    Achievement.NOT_MET: (Decimal("0"), Decimal("0.6")),
}


def band(level: Achievement) -> tuple[Decimal, Decimal]:
    """R5: the score band of a level as fractions of the weight.

    达成 [0.8, 1.0] (closed: exactly 80 % is 达成); 部分达成 [0.6, 0.8); 未达成 [0, 0.6).
    """
    return _BANDS[level]


def in_band(score: Decimal, weight: Decimal, level: Achievement) -> bool:
    """Whether a typed score lies in its level's R5 band (80 % is 达成, 60 % is 部分达成)."""
    lo, hi = band(level)
    if level is Achievement.MET:
        return lo * weight <= score <= hi * weight
    return lo * weight <= score < hi * weight


def band_top(level: Achievement, weight: Decimal) -> Decimal:
    """R5 suggested score: the top of the level's band.

    达成: the full weight. 部分达成/未达成 (bands open at the top): the largest whole number
    strictly below ``hi × weight`` if it is at least 1 and still inside the band (what staff
    type: the seed has 部分达成 6/8, 3/4, 2/3); else the largest 2-decimal score strictly below
    ``hi × weight``. Weight 8 → 部分达成 6, 未达成 4; weight 10 → 7, 5; weight 3 → 2, 1;
    weight 1 → 0.79, 0.59.
    Excel (部分达成, w = weight):
    ``=IF(AND(CEILING(ROUND(w*0.8,9),1)-1>=w*0.6,CEILING(ROUND(w*0.8,9),1)-1>=1),``
    ``CEILING(ROUND(w*0.8,9),1)-1,``
    ``CEILING(ROUND(w*0.8,9),0.01)-0.01)``
    (未达成: 0.6 and 0 instead of 0.8 and 0.6).
    """
    lo, hi = band(level)
    if level is Achievement.MET:
        return weight
    top = hi * weight
    whole = top.to_integral_value(rounding=ROUND_CEILING) - 1
    if whole >= lo * weight and whole >= 1:
        return whole
    return max(top.quantize(_CENT, rounding=ROUND_CEILING) - _CENT, _ZERO)


def suggest_score(
    target: Target, actual: Actual | None, weight: Decimal | None, settings: Settings
) -> Decimal | None:
    """The score perfxl suggests for one indicator, cut to 2 decimals (settings.rounding).

    - qualitative target (or any target with a level as actual): R5 :func:`band_top`;
    - ≥ and > (R2), = (R2e): met → weight, else ``weight × actual / target``; a target of 0
      with ``=`` earns the weight when actual ≤ 0, else 0;
    - ≤ and < (R3): actual ≤ target or actual 0 → weight, else the overrun formula
      (``settings.overrun_formula``).
    Always within [0, weight]. ``None`` when there is no actual, the units differ, or a
    qualitative target has a number as its actual.
    """
    if actual is None or weight is None:
        return None
    if actual.level is not None:
        raw = band_top(actual.level, weight)
    elif not target.quantitative or actual.value is None:
        return None
    elif not units_compatible(target, actual):
        return None
    else:
        frac = _quantitative_fraction(target, actual.value, settings.overrun_formula)
        raw = weight * min(max(frac, _ZERO), _ONE)
    return min(max(cut2(raw, settings.rounding), _ZERO), weight)


# --- R8 grade -------------------------------------------------------------------------------


def grade(total: Decimal | None) -> str | None:
    """评分等级 (R8): 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 < 60.

    Excel: ``=IF(total>=90,"优",IF(total>=80,"良",IF(total>=60,"中","差")))``.
    """
    if total is None:
        return None
    if total >= 90:
        return "优"
    if total >= 80:
        return "良"
    if total >= 60:
        return "中"
    return "差"


# --- a whole project ------------------------------------------------------------------------


class IndicatorScore(NamedTuple):
    """One indicator, parsed once and scored once; checks reuse it.

    ``target``/``actual`` are ``None`` when the text is missing or unreadable, and then
    ``target_error``/``actual_error`` hold the parser's Chinese message. ``score`` is the
    evaluator's typed score, ``suggested`` perfxl's, ``effective`` the typed one if present,
    else the suggested one. ``ratio`` is :func:`completion_ratio`.

    A named tuple, immutable like a frozen dataclass but built several times faster: a batch
    builds one per indicator of every workbook.
    """

    indicator: Indicator
    target: Target | None
    actual: Actual | None
    weight: Decimal | None
    score: Decimal | None
    suggested: Decimal | None
    effective: Decimal | None
    ratio: Decimal | None = None
    target_error: str | None = None
    actual_error: str | None = None


@dataclass(frozen=True)
class ProjectScore:
    """The derived numbers of one project (R6, R6r, R8). A declaration has only indicators.

    ``total`` = execution score + Σ effective indicator scores, a plain sum of the displayed
    2-decimal numbers (R6r); a missing part counts 0, as Excel's ``SUM`` counts a blank cell.
    """

    project: Declaration | SelfEvaluation
    execution_rate: Decimal | None
    execution_score: Decimal | None
    indicators: list[IndicatorScore] = field(default_factory=list)
    total: Decimal | None = None
    grade: str | None = None


def _read(read, text: str | None) -> tuple:
    """``read(text)`` (:func:`read_target` or :func:`read_actual`); ``(None, None)`` for no text."""
    if text is None or not text.strip():
        return None, None
    return read(text)


def read_actual_for(target: Target | None, text: str | None) -> tuple[Actual | None, str | None]:
    """An actual read against its target: :func:`read_actual`, and the qualitative target's own
    word (健全 for 健全) read as met — R5 decides the band. ``(None, None)`` for no text."""
    actual, error = _read(read_actual, text)
    if error is not None and met_by_same_word(target, text):
        return Actual(text, None, None, Achievement.MET), None
    return actual, error


def score_indicator(ind: Indicator, settings: Settings, *, evaluate: bool) -> IndicatorScore:
    """Parse and score one indicator (``evaluate``: a self-evaluation row with actuals)."""
    target, target_error = _read(read_target, ind.target)
    # an empty target gives (None, None): reported by the structure check, not as unreadable
    if not evaluate:
        return IndicatorScore(ind, target, None, ind.weight, ind.score, None, ind.score,
                              None, target_error, None)
    actual, actual_error = read_actual_for(target, ind.actual)
    suggested = ratio = None
    if target is not None:
        suggested = suggest_score(target, actual, ind.weight, settings)
        ratio = completion_ratio(target, actual)
    effective = ind.score if ind.score is not None else suggested
    return IndicatorScore(ind, target, actual, ind.weight, ind.score, suggested, effective,
                          ratio, target_error, actual_error)


def has_inputs(project: SelfEvaluation) -> bool:
    """Whether a self-evaluation has anything evaluated: a 全年预算数 or 全年执行数, an actual
    value or a typed score. Without any, it gets no total and no grade.
    Excel (the 总分 cell): ``COUNT(budget,executed,actuals,scores)+COUNTIF(actuals,"?*")=0`` → ""."""
    total = project.funds.total
    return (total.budget is not None or total.executed is not None
            or any((i.actual or "").strip() or i.score is not None for i in project.indicators))


def score_project(project: Declaration | SelfEvaluation, settings: Settings) -> ProjectScore:
    """Every derived number of one project (R2–R8), each target/actual parsed exactly once."""
    if isinstance(project, SelfEvaluation):
        rate = execution_rate(project.funds, settings.rounding)
        exec_score = execution_score(project.funds, settings.rounding)
        indicators = [score_indicator(i, settings, evaluate=True) for i in project.indicators]
        if not has_inputs(project):
            # nothing evaluated yet (a blank form): no total and no grade, not 0 and 差
            return ProjectScore(project, rate, exec_score, indicators, None, None)
        # R6r: the total is the plain sum of the displayed scores
        total = (exec_score or _ZERO) + sum(
            (s.effective for s in indicators if s.effective is not None), _ZERO
        )
        return ProjectScore(project, rate, exec_score, indicators, total, grade(total))
    indicators = [score_indicator(i, settings, evaluate=False) for i in project.indicators]
    return ProjectScore(project, None, None, indicators, None, None)
