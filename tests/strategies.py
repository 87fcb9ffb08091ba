"""Hypothesis strategies shared by the property tests: the grammar of real targets."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import strategies as st

# The grammar of real targets (domain.md §1 and §5): comparator (symbol, full-width, word,
# a trailing 以上/以内, or none for "="), a number with or without decimals and thousands
# separators (half- or full-width digits), and a unit bare or in half-/full-width brackets.
_SPELLINGS = {
    "≥": ["≥", ">=", "≧", "＞＝", "不少于", "不低于", "大于等于", "至少"],
    "≤": ["≤", "<=", "≦", "＜＝", "不超过", "不高于", "小于等于", "至多"],
    ">": [">", "＞", "大于", "超过"],
    "<": ["<", "＜", "小于", "低于"],
    "=": ["=", "＝", "等于", ""],
}
_SYMBOLS = frozenset("≥≤><=≧≦＞＜＝")
_SUFFIXES = {"≥": ["以上", "及以上"], "≤": ["以内", "以下", "及以下"]}
_UNITS = {
    None: [""],
    "%": ["%", "％", "(%)", "（百分比）", "百分比", "(百分比)"],
    "人": ["人", "(人)", "（人）"],
    "件": ["件", "(件)", "（件）"],
    "元/小时": ["(元/小时)", "元/小时"],
    "元/份(册)": ["(元/份 (册))", "（元/份（册））"],
    "万元": ["(万元)", "万元", "（万元）"],
}
_FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")

_values = st.decimals(min_value=D("-100000"), max_value=D("10000000"), places=2, allow_nan=False,
                     allow_infinity=False)


@st.composite
def target_parts(draw):
    """(comparator spelling, number text, unit text, suffix) and what they mean."""
    comp = draw(st.sampled_from(sorted(_SPELLINGS)))
    suffix = ""
    if comp in _SUFFIXES and draw(st.booleans()):
        spelling, suffix = "", draw(st.sampled_from(_SUFFIXES[comp]))
    else:
        spelling = draw(st.sampled_from(_SPELLINGS[comp]))
    places = draw(st.sampled_from([0, 1, 2, 3]))
    value = draw(_values).quantize(D(1).scaleb(-places))
    number = format(value, ",f" if draw(st.booleans()) else "f")
    if draw(st.booleans()):
        number = number.translate(_FULL_WIDTH)
    unit = draw(st.sampled_from(sorted(_UNITS, key=str)))
    unit_text = draw(st.sampled_from(_UNITS[unit]))
    space = draw(st.sampled_from(["", " ", "\u3000"]))
    return (spelling, space, number, space, unit_text, suffix), comp, value, unit


@st.composite
def target_texts(draw):
    parts, comp, value, unit = draw(target_parts())
    return "".join(parts), comp, value, unit



@st.composite
def damaged_target_texts(draw):
    """A real target with one defect seen on returned forms: the number left out, a closing
    bracket lost, a stray sign after the number, a second decimal part."""
    (spelling, space, number, space2, unit_text, suffix), _, _, _ = draw(target_parts())
    kinds = ["junk", "second decimals"]
    if spelling and spelling[-1] in _SYMBOLS:
        kinds.append("no number")
    if unit_text in ("(人)", "（人）", "(件)", "（件）", "(万元)", "（万元）"):
        kinds.append("unclosed bracket")
    kind = draw(st.sampled_from(kinds))
    if kind == "no number":
        number = ""
    elif kind == "unclosed bracket":
        unit_text = unit_text[:-1]
    elif kind == "junk":
        number += draw(st.sampled_from(["#", "＃", "?", "!", "@"]))
    else:
        number += ".5.0"
    return f"{spelling}{space}{number}{space2}{unit_text}{suffix}", kind
