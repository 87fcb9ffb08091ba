"""Builders of the native Excel formulas the forms carry (design.md §2).

Rules: functions from Excel 2010 or earlier only (no ``_xlfn``), divisions guarded, and every
cut to 2 decimals (R6r) the formula text :func:`perfxl.rules.scoring.cut2_formula` writes, which
rounds to 9 places first so floating-point noise cannot turn 29 into 28.99.

Template v2: a target is three input cells (比较符 ``{cmp}``, 指标值 ``{tv}``, 单位 ``{tu}``) and
the actual one cell (a number, or a level word), so no formula reads text apart: every formula
compares whole cells. The free-text parser is Python's (:mod:`perfxl.rules.targets`); every
number mirrors :mod:`perfxl.rules.scoring` (the docstrings there give the formula of each rule).

An indicator row's formulas are templates over *keys* that :func:`render` turns into relative
cell references of that row, so the same definitions serve a freshly laid-out sheet and a sheet
whose user inserted rows or columns. At most 8 formula cells per indicator row.
"""

from __future__ import annotations

import re

from perfxl.forms.settings_sheet import HALF_CENT, LEVEL_WORDS, NAME
from perfxl.rules.scoring import cut2_formula
from perfxl.rules.targets import QUALITATIVE

OVER_REASON = NAME["over_achievement_reason_required"]
OVERRUN = NAME["overrun_formula"]
EXEC_REASON = NAME["execution_reason_below"]

# R5 levels in drop-down order: 1 达成, 2 部分达成, 3 未达成 (the level codes below).
_LEVELS = "{" + ",".join(f'"{w}"' for w in LEVEL_WORDS) + "}"


def cut2(x: str) -> str:
    """R6r: cut ``x`` to 2 decimals per the rounding mode of the settings sheet
    (:func:`perfxl.rules.scoring.cut2_formula`, the rule's own formula text)."""
    return cut2_formula(x, HALF_CENT)


# --- what the structured target cells say -----------------------------------------------------
# A number in the value cell is a quantitative target (compose_target spells it with its
# comparator); a blank comparator before a number reads as "=" (parse_target of a bare number).
QUANT = 'ISNUMBER({tv})'
QUAL = f'{{cmp}}="{QUALITATIVE}"'  # the word in the value cell; a bare word is no target
HIGHER = 'NOT(OR({cmp}="≤",{cmp}="<"))'  # R2/R2e ≥ > =; else ≤ < (R3)
EQUAL = 'OR({cmp}="=",{cmp}="")'
_BOTH_NUM = "COUNT({tv},{actual})=2"  # a quantitative target and a number to score


def _over(threshold: str) -> str:
    """scoring.completion_ratio ≥ ``threshold`` (R4), only for higher-is-better targets (no
    number to compare, or a zero target: the division's error, FALSE)."""
    return f'IFERROR(AND({HIGHER},{{an}}/{{tv}}>={threshold}),FALSE)'


def _percent(cell: str) -> str:
    """1 when ``cell`` has a percent number format (CELL's format code starts with P, code 80:
    ``88.5%`` typed in Excel is stored as 0.885), else 0 — what grid.is_percent_format says."""
    return f'(CODE(CELL("format",{cell}))=80)'


# scoring.target_met is False: the fraction below 1 (for a level the fraction is 1/level, 1 only
# for 达成)
_MET_FALSE = 'AND(ISNUMBER({fr}),{fr}<1)'
# scoring.band in points: 达成 [0.8w, w]; 部分达成 [0.6w, 0.8w); 未达成 [0, 0.6w)
_LO = 'CHOOSE({al},0.8,0.6,0)*{weight}'
_HI = 'CHOOSE({al},1,0.8,0.6)*{weight}'
# scoring.band_top: the weight for 达成; for 部分达成 (2) and 未达成 (3) — band [3(3−al)w/5,
# (6−al)w/5) — the largest whole number in the band, else just under its top (lo ≥ 0)
_HI23 = '(6-{al})*{weight}/5'
_TOP = 'CEILING(ROUND(' + _HI23 + ',9),1)-1'
_BAND_TOP = f'IF({{al}}=1,{{weight}},MAX(IF({_TOP}>=(3-{{al}})*3*{{weight}}/5,{_TOP},{_HI23}-0.01),0))'

# Each row formula: (key, header label, template). Templates use {key} for cells of the row:
# inputs {cmp} {tv} {tu} {actual} {weight} {typed} {reason}, and the formula cells by key.
ROW_FORMULAS: list[tuple[str, str, str]] = [
    # the actual on the target's scale: a percent-formatted number is read as percent (0.885
    # shown as 88.50% is 88.5), the way the Python reader reads it (targetcells.value_text)
    ("an", "实际值(按目标)",
     f'IF({_BOTH_NUM},{{actual}}*100^({_percent("{actual}")}-{_percent("{tv}")}),"")'),
    # the actual's unit, shown from the target: the unit format brackets text and hides numbers,
    # so the 0 of no actual (or of a blank unit) shows nothing — an empty text would show "()"
    ("au", "实际单位", 'IF(ISNUMBER({an}),{tu},0)'),
    # R5 level code of an actual: 1 达成 2 部分达成 3 未达成; a qualitative target's own word is
    # 达成 (targets.met_by_same_word)
    ("al", "完成档次",
     f'IF({{actual}}="","",IFERROR(MATCH({{actual}},{_LEVELS},0),'
     f'IF(AND({QUAL},EXACT({{actual}},{{tv}})),1,"")))'),
    # scoring._quantitative_fraction (R2, R2e, R3); for a level 1/level, so that a fraction
    # below 1 means the target is missed for both kinds
    ("fr", "计分比例",
     'IF({al}<>"",1/{al},IF(ISNUMBER({an}),'
     f'IF({HIGHER},IF({{tv}}>0,MIN({{an}}/{{tv}},1),'
     f'IF(AND({EQUAL},{{tv}}=0),N({{an}}<=0),IF({{cmp}}=">",N({{an}}>{{tv}}),N({{an}}>={{tv}})))),'
     f'IF(OR({{an}}<={{tv}},{{an}}=0),1,IF({{tv}}<=0,0,'
     f'IF({OVERRUN}="ratio",{{tv}}/{{an}},1-({{an}}-{{tv}})/{{tv}})))),""))'),
    # scoring.suggest_score: band_top for a level, else weight × fraction; cut once (R6r)
    ("suggested", "建议得分",
     'IF(COUNT({weight},{fr})<2,"",'
     + cut2(f'IF({{al}}<>"",{_BAND_TOP},{{weight}}*MIN(MAX({{fr}},0),1))') + ')'),
    # the printed 得分: the evaluator's typed score wins, blank shows the suggestion
    ("score", "得分", 'IF({typed}<>"",{typed},{suggested})'),
    # R7: a reason is required when the score is below the weight, the target is missed, or the
    # over-achievement passes the reason-required threshold (R4)
    ("need", "须说明原因",
     'OR(AND(COUNT({score},{weight})=2,{score}<{weight}),'
     f'{_MET_FALSE},{_over(OVER_REASON)})'),
    ("flag", "提示",
     'IF(ISNUMBER({weight}),'
     'IF(AND({tv}<>"",{actual}=""),"未填实际值 ","")'
     '&IF(AND({actual}<>"",{fr}=""),"实际值无法计分 ","")'
     f'&IF({_MET_FALSE},"未达成 ","")'
     '&IF(AND({need},{reason}=""),"需说明原因 ",""),"")'),
]
ROW_KEYS = [k for k, _label, _tpl in ROW_FORMULAS]

# scoring.in_band: FALSE when the shown 得分 is outside its band — a conditional format (stored
# once for the column, not a cell per row) marks the score
OUT_OF_BAND = ('AND(ISNUMBER({score}),ISNUMBER({weight}),NOT(IF({al}="",AND({score}>=0,{score}<={weight}),'
               f'AND({{score}}>={_LO},OR({{score}}<{_HI},AND({{al}}=1,{{score}}={_HI}))))))')

_KEY = re.compile(r"\{([a-z0-9_]+)(@-1)?\}")


def keys(template: str) -> set[str]:
    """The cells (keys) a template reads."""
    return {m.group(1) for m in _KEY.finditer(template)}


def render(template: str, cols: dict[str, str], row: int) -> str:
    """Replace each ``{key}`` by the cell of column ``cols[key]`` in ``row`` (a relative ref), and
    ``{key@-1}`` by the cell of the row above."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in cols:
            raise KeyError(f"formula needs column {key!r}")
        return f"{cols[key]}{row - 1 if m.group(2) else row}"

    return "=" + _KEY.sub(sub, template)
