"""Builders of the native Excel formulas the forms carry (design.md §2).

Rules: functions from Excel 2010 or earlier only (no ``_xlfn``), divisions guarded, and every
cut to 2 decimals done as ``TRUNC(ROUND(x,9),2)`` (or ``ROUND(ROUND(x,9),2)`` when the settings
sheet says ``half_up``) so floating-point noise cannot turn 29 into 28.99.

Text is parsed in the formulas themselves — the target (年度指标值) and the actual value
(实际完成值) a user edits — with ``SUMPRODUCT`` over array constants and over the lookup tables of
the settings sheet (evaluated as arrays without Ctrl+Shift+Enter in Excel, WPS and LibreOffice).
The parsing mirrors :mod:`perfxl.rules.targets`; every number mirrors :mod:`perfxl.rules.scoring`
(the docstrings there give the formula of each rule).

An indicator row's formulas are templates over *keys* (``{target}``, ``{tn}`` …) that
:func:`render` turns into relative cell references of that row, so the same definitions serve a
freshly laid-out sheet and a sheet whose user inserted rows or columns.
"""

from __future__ import annotations

import re

from perfxl.forms.settings_sheet import CMP_NAMES, LEVEL_NAMES, NAME, SUFFIX_NAMES

ROUNDING = NAME["rounding"]
OVER_FLAG = NAME["over_achievement_flag"]
OVER_REASON = NAME["over_achievement_reason_required"]
OVERRUN = NAME["overrun_formula"]
EXEC_REASON = NAME["execution_reason_below"]
CMP_TEXT, CMP_NORM = CMP_NAMES
SUF_TEXT, SUF_NORM = SUFFIX_NAMES
LVL_TEXT, LVL_CODE = LEVEL_NAMES

_MAX_NUM_LEN = 20
_POSITIONS = "{" + ",".join(str(i) for i in range(1, _MAX_NUM_LEN + 1)) + "}"
_DIGITS = "{0,1,2,3,4,5,6,7,8,9}"

# The subset of Unicode NFKC that matters on these forms, plus removal of all whitespace
# (targets._nfkc + _strip_ws): full-width signs, brackets, digits, and spaces/line breaks.
_NORMALISE: list[tuple[str, str]] = [
    ("＞", ">"), ("＜", "<"), ("＝", "="), ("（", "("), ("）", ")"), ("％", "%"),
    ("，", ","), ("．", "."), ("＋", "+"), ("－", "-"), ("／", "/"), ("；", ";"), ("！", "!"),
    ("：", ":"),
    ("０", "0"), ("１", "1"), ("２", "2"), ("３", "3"), ("４", "4"),
    ("５", "5"), ("６", "6"), ("７", "7"), ("８", "8"), ("９", "9"),
    ("　", ""), (" ", ""),
]
_WHITESPACE_CODES = (10, 13, 9, 160)
# Characters parse_level drops before matching a level phrase (after NFKC).
_LEVEL_PUNCT = ["。", ".", ",", ";", "!", "、"]


def cut2(x: str) -> str:
    """R6r: cut ``x`` to 2 decimals per the rounding mode of the settings sheet."""
    return f'IF({ROUNDING}="half_up",ROUND(ROUND({x},9),2),TRUNC(ROUND({x},9),2))'


def normalise(text: str) -> str:
    """``text`` (a cell reference) with full-width characters normalised and no whitespace."""
    expr = f'{text}&""'
    for code in _WHITESPACE_CODES:
        expr = f'SUBSTITUTE({expr},CHAR({code}),"")'
    for old, new in _NORMALISE:
        expr = f'SUBSTITUTE({expr},"{old}","{new}")'
    return expr


def shown(cell: str) -> str:
    """What ``cell`` shows, as text: a number in a percent format (typed ``88.5%`` in a cell that
    is not text-formatted: Excel, WPS and LibreOffice store 0.885) is its percentage, as
    :func:`perfxl.forms.grid.typed_text` reads it; anything else the cell's own value."""
    return (f'IF(AND(ISNUMBER({cell}),LEFT(CELL("format",{cell}),1)="P"),'
            f'ROUND({cell}*100,9)&"%",{cell})')


def strip_level_punct(text: str) -> str:
    expr = text
    for ch in _LEVEL_PUNCT:
        expr = f'SUBSTITUTE({expr},"{ch}","")'
    return expr


def number_prefix_len(text: str) -> str:
    """How many leading characters of ``text`` are digits, '.' or ','."""
    inner = f'LEFT({text}&"x",{_POSITIONS})'
    for ch in "0123456789.,":
        inner = f'SUBSTITUTE({inner},"{ch}","")'
    return f'SUMPRODUCT(--({inner}=""))'


def leading_number(text: str, length: str) -> str:
    """The number at the start of ``text`` given its length (``""`` when there is none)."""
    return f'IF({length}=0,"",IFERROR(VALUE(SUBSTITUTE(LEFT({text},{length}),",","")),""))'


def prefix_len(text: str, names: str) -> str:
    """Length of the longest entry of the named list that ``text`` starts with (0: none)."""
    return f"SUMPRODUCT(MAX((LEFT({text},LEN({names}))={names})*LEN({names})))"


def suffix_len(text: str, names: str) -> str:
    """Length of the longest entry of the named list that ``text`` ends with, provided something
    precedes it (0: none)."""
    return (f"SUMPRODUCT(MAX((RIGHT({text},LEN({names}))={names})"
            f"*(LEN({text})>LEN({names}))*LEN({names})))")


def unit_norm(raw: str) -> str:
    """normalize_unit: drop one pair of outer brackets; %/百分比/百分率 → %."""
    inner = f'IF(AND(LEFT({raw},1)="(",RIGHT({raw},1)=")"),MID({raw},2,LEN({raw})-2),{raw})'
    return f'IF(OR({inner}="百分比",{inner}="百分率"),"%",{inner})'


_UNIT_BAD = [".", ",", ":", ";", "+", "*", "!", "?", "'", '"', "[", "]", "{", "}", "#", "@", "&",
             "~", "^", "_", "=", "<", ">", "≥", "≤", "≧", "≦", "|", "\\", "$", "、", "。", "“", "”",
             "《", "》", "…", "，"]


def unit_valid(raw: str) -> str:
    """targets._parse_quantity's test of what follows the number: empty, or one bracketed group
    or a bare unit — balanced brackets, no signs or punctuation, not starting with a digit, at
    most 12 characters (an approximation: nested groups such as (份)(册) count as invalid)."""
    inner = f'IF(LEFT({raw},1)="(",MID({raw},2,LEN({raw})-2),{raw})'
    bad = "{" + ",".join('"' + c.replace('"', '""') + '"' for c in _UNIT_BAD) + "}"
    return (f'OR({raw}="",AND(IF(LEFT({raw},1)="(",AND(RIGHT({raw},1)=")",LEN({raw})>2,'
            f'ISERROR(FIND(")(",{raw}))),TRUE),'
            f'LEN({raw})-LEN(SUBSTITUTE({raw},"(",""))=LEN({raw})-LEN(SUBSTITUTE({raw},")","")),'
            f'SUMPRODUCT(--ISNUMBER(FIND({bad},{raw})))=0,'
            f'ISERROR(FIND(LEFT({inner},1),"0123456789")),LEN({inner})<=12))')


def has_wildcard(text: str) -> str:
    return f'SUMPRODUCT(--ISNUMBER(FIND({{"*","?","~"}},{text})))>0'


# --- indicator-row helper columns -------------------------------------------------------------
#
# Each helper is (key, header label, formula template). Templates use {key} for cells of the same
# row: inputs {target} {actual} {weight} {score} {reason}, helpers by key, and {suggested}.

_SIGNS = "≥≧⩾≤≦⩽<>="

TARGET_HELPERS: list[tuple[str, str, str]] = [
    ("tn", "目标规范", normalise(shown("{target}"))),
    ("tcl", "比较符长", prefix_len("{tn}", CMP_TEXT)),
    ("tsl", "后置词长", f"IF({{tcl}}>0,0,{suffix_len('{tn}', SUF_TEXT)})"),
    ("tr", "目标数值文本", "MID({tn},{tcl}+1,MAX(0,LEN({tn})-{tcl}-{tsl}))"),
    ("tnl", "目标数长", number_prefix_len("{tr}")),
    ("tu0", "目标单位原文", "MID({tr},{tnl}+1,99)"),
    ("tuv", "目标单位可读", unit_valid("{tu0}")),
    ("tt", "目标类型",
     f'IF({{tn}}="","",IF(SUMPRODUCT(--ISNUMBER(FIND({_DIGITS},{{tn}})))=0,'
     f'IF(OR({{tcl}}>0,ISNUMBER(FIND(LEFT({{tn}},1),"{_SIGNS}"))),"E","Q"),'
     f'IF(AND(ISNUMBER({leading_number("{tr}", "{tnl}")}),{{tuv}}),"N","E")))'),
    ("tc", "比较符",
     f'IF({{tt}}<>"N","",IF({{tcl}}>0,INDEX({CMP_NORM},MATCH(LEFT({{tn}},{{tcl}}),{CMP_TEXT},0)),'
     f'IF({{tsl}}>0,INDEX({SUF_NORM},MATCH(RIGHT({{tn}},{{tsl}}),{SUF_TEXT},0)),"=")))'),
    ("tv", "目标值", f'IF({{tt}}="N",{leading_number("{tr}", "{tnl}")},"")'),
    ("tu", "目标单位", f'IF({{tt}}="N",{unit_norm("{tu0}")},"")'),
]

_SAME_WORD = (f'IF(AND({{tt}}="Q",EXACT({strip_level_punct("{an}")},{strip_level_punct("{tn}")})),1,"")')

ACTUAL_HELPERS: list[tuple[str, str, str]] = [
    ("an", "实际规范", normalise(shown("{actual}"))),
    # a level phrase or a word meaning met (targets.MET_WORDS) from the lookup table; else the
    # qualitative target's own word (targets.met_by_same_word) is 达成
    ("al", "完成档次",
     f'IF({{an}}="","",IF({has_wildcard("{an}")},{_SAME_WORD},'
     f'IFERROR(INDEX({LVL_CODE},MATCH({strip_level_punct("{an}")},{LVL_TEXT},0)),{_SAME_WORD})))'),
    ("acl", "实际比较符长", prefix_len("{an}", CMP_TEXT)),
    ("ar", "实际数值文本", "MID({an},{acl}+1,99)"),
    ("anl", "实际数长", number_prefix_len("{ar}")),
    ("au0", "实际单位原文", "MID({ar},{anl}+1,99)"),
    ("auv", "实际单位可读", unit_valid("{au0}")),
    # a comparator before the number (≥266米) is read past, as parse_actual does (T110)
    ("av", "实际值",
     f'IF(OR({{an}}="",{{al}}<>"",NOT({{auv}})),"",{leading_number("{ar}", "{anl}")})'),
    ("au", "实际单位", f'IF({{av}}="","",{unit_norm("{au0}")})'),
    ("uc", "单位相符", 'IF(OR({av}="",{tt}<>"N"),"",OR({au}="",EXACT({au},{tu})))'),
    # scoring.completion_ratio
    ("ratio", "完成比例",
     'IF(OR({tt}<>"N",{av}="",{uc}<>TRUE),"",IF({tv}=0,"",{av}/{tv}))'),
    # scoring._quantitative_fraction
    ("fr", "计分比例",
     'IF(OR({tt}<>"N",{av}="",{uc}<>TRUE),"",'
     'IF(OR({tc}="≥",{tc}=">",{tc}="="),'
     'IF(AND({tc}="=",{tv}=0),IF({av}<=0,1,0),'
     'IF({tv}<=0,IF(IF({tc}=">",{av}>{tv},{av}>={tv}),1,0),IF({av}>={tv},1,{av}/{tv}))),'
     'IF(OR({av}<={tv},{av}=0),1,IF({tv}<=0,0,'
     f'IF({OVERRUN}="ratio",{{tv}}/{{av}},1-({{av}}-{{tv}})/{{tv}})))))'),
    # scoring.band (in points): 达成 [0.8w, w]; 部分达成 [0.6w, 0.8w); 未达成 [0, 0.6w)
    ("lo", "得分下限",
     'IF(NOT(ISNUMBER({weight})),"",IF({al}=1,0.8*{weight},IF({al}=2,0.6*{weight},0)))'),
    ("hi", "得分上限",
     'IF(NOT(ISNUMBER({weight})),"",IF({al}=2,0.8*{weight},IF({al}=3,0.6*{weight},{weight})))'),
    # scoring.suggest_score before the cut: band_top for a level, else weight × clamp(fraction)
    ("raw", "原始建议分",
     'IF(OR(NOT(ISNUMBER({weight})),{tt}="",{tt}="E"),"",IF({al}<>"",IF({al}=1,{weight},'
     'IF(AND(CEILING(ROUND({hi},9),1)-1>={lo},CEILING(ROUND({hi},9),1)-1>=0),'
     'CEILING(ROUND({hi},9),1)-1,MAX({hi}-0.01,0))),'
     'IF({fr}="","",{weight}*MIN(MAX({fr},0),1))))'),
    # scoring.target_met
    ("met", "达成",
     'IF(OR({tt}="",{tt}="E"),"",IF({al}<>"",{al}=1,IF({fr}="","",{fr}>=1)))'),
    ("over", "超额",
     f'AND(OR({{tc}}="≥",{{tc}}=">",{{tc}}="="),ISNUMBER({{ratio}}),{{ratio}}>={OVER_FLAG})'),
    ("ok", "得分合规",
     'IF(NOT(ISNUMBER({score})),TRUE,IF(NOT(ISNUMBER({weight})),TRUE,IF(OR({al}=2,{al}=3),'
     'AND({score}>={lo},{score}<{hi}),AND({score}>={lo},{score}<={hi}))))'),
    # R7: a reason is required when the score is below the weight, the target is missed, or
    # the over-achievement passes the reason-required threshold (R4)
    ("need", "须说明原因",
     'OR(AND(ISNUMBER({score}),ISNUMBER({weight}),{score}<{weight}),{met}=FALSE,'
     f'AND(OR({{tc}}="≥",{{tc}}=">",{{tc}}="="),ISNUMBER({{ratio}}),{{ratio}}>={OVER_REASON}))'),
]

SUGGESTED = ("suggested", "建议得分", f'IF({{raw}}="","",MIN(MAX({cut2("{raw}")},0),{{weight}}))')
FLAG = (
    "flag", "提示",
    'IF(ISNUMBER({weight}),SUBSTITUTE(TRIM('
    'IF({tt}="E","指标值无法识别 ","")'
    '&IF(AND({an}<>"",{al}="",{av}=""),"实际值无法识别 ","")'
    '&IF(AND({tn}<>"",{an}=""),"未填实际值 ","")'
    '&IF(AND({tt}="Q",{av}<>""),"类型不符 ","")'
    '&IF({uc}=FALSE,"单位不符 ","")'
    '&IF({met}=FALSE,"未达成 ","")'
    '&IF({over},"超额"&TEXT({ratio},"0%")&" ","")'
    '&IF(AND({need},LEN(TRIM({reason}))=0),"需说明原因 ","")'
    '&IF({ok}=FALSE,"得分超出区间 ","")),'
    '" ","；"),"")',
)
SCORE_DEFAULT = '{suggested}'

_KEY = re.compile(r"\{([a-z0-9_]+)(@-1)?\}")


def render(template: str, cols: dict[str, str], row: int) -> str:
    """Replace each ``{key}`` by the cell of column ``cols[key]`` in ``row`` (a relative ref), and
    ``{key@-1}`` by the cell of the row above."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in cols:
            raise KeyError(f"formula needs column {key!r}")
        return f"{cols[key]}{row - 1 if m.group(2) else row}"

    return "=" + _KEY.sub(sub, template)
