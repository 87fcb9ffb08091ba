"""Reading the text of targets (年度指标值) and actual values (实际完成值) — domain.md §1.

Pure functions, no I/O. A target is either quantitative (comparator + number + unit, e.g.
``≥9.00(人)``) or qualitative (a word or phrase, e.g. ``及时``, ``严格执行相关制度规定``). An
actual value is a number with (or without) a unit, or one of the three achievement levels (R5).

Accepted spellings (after Unicode NFKC, so full-width ``（）％＞＜＝０-９`` become half-width):

- comparators ``≥ ≧ >=  ≤ ≦ <=  > <  = ==`` and the words 不少于/不低于/大于等于/至少 (≥),
  不多于/不高于/不超过/小于等于/至多 (≤), 大于/高于/超过 (>), 小于/低于 (<), 等于/达到 (=);
- a number with or without decimals (``11000``, ``9.00``, ``1,813,200.00``);
- a unit in brackets or bare: ``(人)``, ``（件）``, ``(元/份 (册))``, ``50个``, ``90%``;
  ``%``, ``％``, ``百分比`` and ``百分率`` all normalise to ``%``; whitespace inside is dropped.

A trailing 以上/及以上 (≥) or 以下/及以下/以内 (≤) is read as the comparator (``12次以上``).
An actual written with a comparator (``≥266米``) is read as its number, the comparator kept on
:class:`Actual` for the check T110; a plain word meaning "met" (:data:`MET_WORDS`: 及时, 完成, 合格,
是, 达标 …) is the level 达成, and so is the qualitative target's own word
(:func:`met_by_same_word`, applied where the target is known: ``scoring.read_actual_for``).
A number without a comparator (``100(%)``) is read as ``=`` (R2e); the check T103 points it out.
Anything else raises :class:`ValueError` with a Chinese message that says what was expected.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum

__all__ = [
    "Achievement",
    "Actual",
    "COMPARATORS",
    "COMPARATOR_CHOICES",
    "QUALITATIVE",
    "compose_target",
    "split_target",
    "structured_actual",
    "Target",
    "format_actual",
    "format_number",
    "format_target",
    "has_comparator",
    "has_decimals",
    "level_key",
    "met_by_same_word",
    "MET_WORDS",
    "normalize_unit",
    "parse_actual",
    "parse_level",
    "parse_target",
    "percent_spelling",
    "read_actual",
    "read_target",
    "same_unit",
]

#: Normalised comparators; ≥ > = are "higher is better" (R2, R2e), ≤ < "lower is better" (R3).
COMPARATORS = ("≥", ">", "=", "≤", "<")
HIGHER_IS_BETTER = frozenset({"≥", ">", "="})
LOWER_IS_BETTER = frozenset({"≤", "<"})

# Longest spellings first so that ">=" is not read as ">" followed by "=".
COMPARATOR_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("大于或等于", "≥"),
    ("小于或等于", "≤"),
    ("大于等于", "≥"),
    ("小于等于", "≤"),
    ("不少于", "≥"),
    ("不低于", "≥"),
    ("不小于", "≥"),
    ("不多于", "≤"),
    ("不高于", "≤"),
    ("不超过", "≤"),
    ("不大于", "≤"),
    ("至少", "≥"),
    ("至多", "≤"),
    ("大于", ">"),
    ("高于", ">"),
    ("超过", ">"),
    ("小于", "<"),
    ("低于", "<"),
    ("等于", "="),
    ("达到", "="),
    (">=", "≥"),
    ("=>", "≥"),
    ("<=", "≤"),
    ("=<", "≤"),
    ("==", "="),
    # lines that published forms use for "=" (box-drawing ═, geta 〓; full-width ＝ is NFKC'd)
    ("═", "="),
    ("〓", "="),
    ("≥", "≥"),
    ("≧", "≥"),
    ("⩾", "≥"),
    ("≤", "≤"),
    ("≦", "≤"),
    ("⩽", "≤"),
    (">", ">"),
    ("<", "<"),
    ("=", "="),
)

SUFFIX_COMPARATORS = (
    ("及以上", "≥"),
    ("以上", "≥"),
    ("及以下", "≤"),
    ("以下", "≤"),
    ("以内", "≤"),
)
_APPROXIMATE = ("左右", "上下", "约", "以上", "以下", "以内", "之间")
_APPROXIMATE_WORD = re.compile("|".join(_APPROXIMATE))
_UNIT_SIGNS = frozenset("≥≤<>=≧≦")  # comparator signs that make a "unit" unreadable
_SIGNS = frozenset("≥≧⩾≤≦⩽<>=")
_PERCENT_SPELLINGS = ("百分比", "百分率", "%")

_EXAMPLE = "应为 比较符+数值+单位，如 ≥9.00(人)，或定性词，如 及时"
_ACTUAL_EXAMPLE = "应为 数值+单位，如 8.00(人)，或完成档次，如 达成年度指标、部分达成年度指标并具有一定效果、未达成年度指标且效果较差"

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
# Characters that may appear in a unit: CJK, letters, digits after the first char, a few signs.
_UNIT_CHARS = re.compile(r"^[\u4e00-\u9fffA-Za-z%‰°℃²³·/()\-][\u4e00-\u9fffA-Za-z0-9%‰°℃²³·/()\-]*$")
_CJK_OR_LETTER = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_DIGIT = re.compile(r"\d")
_TWO_DIGITS = re.compile(r"\d\d")
_LEVEL_NOISE = re.compile(r"[\s。.,，;；!！、]+")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


_WS = re.compile(r"\s+")


def _strip_ws(text: str) -> str:
    return _WS.sub("", text)


def _outer_brackets(text: str) -> str | None:
    """Content of ``text`` if it is one bracketed group ``(…)`` (nested pairs allowed)."""
    if not (text.startswith("(") and text.endswith(")")):
        return None
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return None  # "(份)(册)": the first group closes before the end
    return text[1:-1] if depth == 0 else None


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


@functools.lru_cache(maxsize=4096)
def normalize_unit(unit: str | None) -> str | None:
    """Canonical spelling of a unit: NFKC, no whitespace, outer brackets dropped, ``%`` for
    ``%``/``％``/``百分比``/``百分率``; ``None`` for no unit."""
    if unit is None:
        return None
    u = _strip_ws(_nfkc(unit))
    while (inner := _outer_brackets(u)) is not None:
        u = inner
    if u in _PERCENT_SPELLINGS:
        return "%"
    return u or None


def same_unit(a: str | None, b: str | None) -> bool:
    """Whether two unit spellings mean the same unit (``%`` ≡ ``百分比``, full ≡ half width)."""
    return normalize_unit(a) == normalize_unit(b)


@functools.lru_cache(maxsize=8192)
def percent_spelling(text: str | None) -> str | None:
    """How a target/actual text spells a percentage: ``'%'``, ``'百分比'`` or ``None``."""
    if not text:
        return None
    t = _nfkc(text)
    if "百分比" in t or "百分率" in t:
        return "百分比"
    if "%" in t:
        return "%"
    return None


# One pattern tries the spellings in the same order (longest first) in a single call.
_COMPARATOR_START = re.compile("|".join(re.escape(spelling) for spelling, _ in COMPARATOR_SPELLINGS))
_COMPARATOR_OF = dict(COMPARATOR_SPELLINGS)


def _take_comparator(s: str) -> tuple[str | None, str]:
    m = _COMPARATOR_START.match(s)
    if m is None:
        return None, s
    return _COMPARATOR_OF[m.group(0)], s[m.end() :]


def _parse_quantity(s: str) -> tuple[Decimal, str | None]:
    """Read ``number unit`` from a whitespace-free NFKC string; raise :class:`_Unreadable`
    with a Chinese phrase when it is not a number followed by a readable unit."""
    m = _NUMBER.match(s)
    if not m:
        raise _Unreadable("缺少数值")
    try:
        value = Decimal(m.group(0).replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only lets numbers through
        raise _Unreadable("数值无法识别") from None
    rest = s[m.end() :]
    if not rest:
        return value, None
    inner = _outer_brackets(rest)
    if inner is None and rest.startswith("("):
        raise _Unreadable(f"数值后的“{rest}”不是单位")  # "(人)左右"
    unit = inner if inner is not None else rest
    if inner is not None and not inner:
        raise _Unreadable("括号内缺少单位")
    if not _balanced(unit) or not _UNIT_CHARS.match(unit) or _DIGIT.match(unit):
        raise _Unreadable(f"数值后的“{rest}”不是单位")
    if not _UNIT_SIGNS.isdisjoint(unit):
        raise _Unreadable(f"数值后的“{rest}”不是单位")
    if _APPROXIMATE_WORD.search(unit):
        raise _Unreadable(f"数值后的“{rest}”不是单位（含“左右/约/以上”等近似写法）")
    if _TWO_DIGITS.search(unit):
        raise _Unreadable(f"数值后的“{rest}”不是单位")  # "1e999", "9人10"
    if len(unit) > 12:
        raise _Unreadable(f"数值后的“{rest}”过长，不像单位")
    return value, normalize_unit(unit)


class _Unreadable(Exception):
    """Internal: why a text could not be read (turned into a ValueError by the callers)."""


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A parsed 年度指标值.

    ``comparator`` is one of :data:`COMPARATORS` (or ``None`` for a qualitative target),
    ``value`` the number, ``unit`` the normalised unit (``None`` if none was written),
    ``qualitative`` the word or phrase of a qualitative target.
    """

    text: str
    comparator: str | None
    value: Decimal | None
    unit: str | None
    qualitative: str | None
    # Derived once, as plain attributes (every check of every indicator reads them); not
    # arguments, not compared, not shown.
    quantitative: bool = field(init=False, repr=False, compare=False)
    #: R2/R2e: ≥, > and = are scored as higher-is-better; R3: ≤, < lower-is-better.
    higher_is_better: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantitative", self.value is not None)
        object.__setattr__(self, "higher_is_better", self.comparator in HIGHER_IS_BETTER)

    def __str__(self) -> str:
        return format_target(self)


def parse_target(text: str) -> Target:
    """Parse a 年度指标值 (cached: a Target is immutable, and batches repeat the same texts);
    see :func:`_parse_target`."""
    if not isinstance(text, str):
        return _parse_target(text)
    target, error = read_target(text)
    if error is not None:
        raise ValueError(error)
    return target


@functools.lru_cache(maxsize=8192)
def read_target(text: str) -> tuple[Target | None, str | None]:
    """:func:`parse_target` without raising: ``(target, None)``, or ``(None, the Chinese
    message)`` when ``text`` is unreadable. Cached."""
    try:
        return _parse_target(text), None
    except ValueError as exc:
        return None, str(exc)


def _parse_target(text: str) -> Target:
    """Parse a 年度指标值 (domain.md §1); raise ``ValueError`` (Chinese) when unreadable.

    >>> parse_target("≥9.00(人)").value
    Decimal('9.00')
    >>> parse_target(">=90%").unit
    '%'
    >>> parse_target("及时").qualitative
    '及时'
    """
    if text is None:
        raise ValueError(f"指标值为空：{_EXAMPLE}")
    original = text
    s = _strip_ws(_nfkc(text))
    if not s:
        raise ValueError(f"指标值为空：{_EXAMPLE}")
    comp, rest = _take_comparator(s)
    if not _DIGIT.search(s):
        # No number at all: a qualitative word or phrase (达到预期 and 高于同期 included) —
        # unless it starts with a comparator sign, as in "≥(人)".
        if s[0] in _SIGNS:
            raise ValueError(
                f"无法识别指标值“{original}”：比较符“{comp or s[0]}”后缺少数值；{_EXAMPLE}"
            )
        if not _CJK_OR_LETTER.search(s):
            raise ValueError(f"无法识别指标值“{original}”：{_EXAMPLE}")
        return Target(original, None, None, None, _nfkc(text).strip())
    if comp is None and not _NUMBER.match(s):
        raise ValueError(
            f"无法识别指标值“{original}”：含数字但不以比较符或数值开头；{_EXAMPLE}"
        )
    if comp is None:
        # "12次以上" / "5天以内": a trailing word instead of a leading comparator
        for suffix, word_comp in SUFFIX_COMPARATORS:
            if s.endswith(suffix) and len(s) > len(suffix):
                comp, rest = word_comp, s[: -len(suffix)]
                break
    if comp is not None and not rest:
        raise ValueError(f"无法识别指标值“{original}”：比较符“{comp}”后缺少数值；{_EXAMPLE}")
    try:
        value, unit = _parse_quantity(rest)
    except _Unreadable as exc:
        why = f"比较符“{comp}”后缺少数值" if comp is not None and not _NUMBER.match(rest) else exc
        raise ValueError(f"无法识别指标值“{original}”：{why}；{_EXAMPLE}") from None
    return Target(original, comp or "=", value, unit, None)


@functools.lru_cache(maxsize=4096)
def has_comparator(text: str) -> bool:
    """Whether a quantitative target text writes its comparator (``≥9``, ``12次以上``) rather
    than leaving it to be read as ``=`` (``100(%)``)."""
    s = _strip_ws(_nfkc(text or ""))
    comp, _ = _take_comparator(s)
    return comp is not None or any(
        s.endswith(suffix) and len(s) > len(suffix) for suffix, _ in SUFFIX_COMPARATORS
    )


def has_decimals(value: Decimal) -> bool:
    """Whether a number was written with decimals (``9.00``) rather than without (``9``).

    Its exponent is negative exactly when rounding it to an integer changes the exponent (a
    cheaper test than ``as_tuple()``, which builds a named tuple of every digit).
    """
    return value.is_finite() and not value.same_quantum(value.to_integral_value())


def format_number(value: Decimal) -> str:
    """At least two decimals, as the official forms print them (``9`` → ``9.00``)."""
    text = format(value, "f")
    if not value.is_finite():
        return text
    point = text.find(".")
    if point < 0:
        return text + ".00"
    # padded as text: quantize() fails beyond the context's 28 digits
    return text + "0" * max(0, 3 - (len(text) - point))


def format_target(t: Target) -> str:
    """Canonical spelling: ``≥9.00(人)``, ``=100.00(%)``, ``及时``.

    ``parse_target(format_target(t))`` equals ``t`` in every field but ``text``.
    """
    if not t.quantitative:
        return t.qualitative or ""
    unit = f"({t.unit})" if t.unit else ""
    return f"{t.comparator or '='}{format_number(t.value)}{unit}"


# --- achievement levels and actual values ------------------------------------------------------


class Achievement(Enum):
    """R5: the three levels of a qualitative indicator's 实际完成值."""

    MET = "达成"
    PARTIAL = "部分达成"
    NOT_MET = "未达成"

    @property
    def phrase(self) -> str:
        """The national wording, as printed on the form."""
        return {
            "达成": "达成年度指标",
            "部分达成": "部分达成年度指标并具有一定效果",
            "未达成": "未达成年度指标且效果较差",
        }[self.value]


# National (年度指标), Shanghai (指标) and Anhui (预期指标) wordings; the tail is optional.
# The negative forms are tried first so that 未达成/部分达成 are never read as 达成.
LEVEL_OBJECTS = ("", "年度指标", "年度指标值", "年度目标", "预期指标", "预期目标", "绩效指标",
                 "指标", "指标值", "目标", "预期")
# Each level: (heads, tails); a phrase is head + object + tail. The template's lookup table on
# its settings sheet enumerates exactly these (perfxl.forms.settings_sheet.level_phrases).
LEVEL_SPELLINGS: dict[Achievement, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Achievement.NOT_MET: (("未达成", "未达到", "未完成"), ("", "且效果较差", "效果较差")),
    Achievement.PARTIAL: (("部分达成", "部分达到", "部分完成"),
                          ("", "并具有一定效果", "并有一定效果", "具有一定效果")),
    Achievement.MET: (("达成", "已达成", "已经达成", "全部达成", "完全达成"), ("",)),
}

#: Plain words that published forms write as the actual of a qualitative indicator to mean "met"
#: (domain.md §5): each is read as 达成 (R5 then decides the band). The one synonym table; the
#: template's level lookup (perfxl.forms.settings_sheet.level_phrases) lists them too. An actual
#: that repeats its own qualitative target word (健全 for 健全) is met as well
#: (:func:`met_by_same_word`).
MET_WORDS: tuple[str, ...] = (
    "及时", "完成", "已完成", "全部完成", "按时完成", "合格", "是", "达标", "已达标", "按时",
    "有效", "良好", "优良", "符合", "符合要求", "满足", "满足要求", "实现", "已实现",
)


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True) if w)


_LEVEL_PATTERNS: tuple[tuple[Achievement, re.Pattern[str]], ...] = tuple(
    (level, re.compile(
        rf"^(?:{_alternatives(heads)})(?:{_alternatives(LEVEL_OBJECTS)})?"
        + (rf"(?:{_alternatives(tails)})?" if any(tails) else "") + "$"))
    for level, (heads, tails) in LEVEL_SPELLINGS.items()  # negative forms first
)


@functools.lru_cache(maxsize=4096)
def parse_level(text: str | None) -> Achievement | None:
    """The achievement level a phrase names (R5), or ``None`` if it names none.

    >>> parse_level("部分达成指标并具有一定效果")
    <Achievement.PARTIAL: '部分达成'>
    """
    if not text:
        return None
    s = _LEVEL_NOISE.sub("", _nfkc(text))
    for level, pattern in _LEVEL_PATTERNS:
        if pattern.match(s):
            return level
    if s in _MET_WORDS:
        return Achievement.MET
    return None


_MET_WORDS = frozenset(MET_WORDS)


def level_key(text: str | None) -> str:
    """A word as :func:`parse_level` compares it: NFKC, no whitespace or punctuation."""
    return _LEVEL_NOISE.sub("", _nfkc(text or ""))


def met_by_same_word(target: "Target | None", actual_text: str | None) -> bool:
    """Whether an actual repeats its qualitative target's own word (健全 for 健全, 有效保障 for
    有效保障): the target is met (R5 达成)."""
    if target is None or target.quantitative or not actual_text:
        return False
    key = level_key(actual_text)
    return bool(key) and key == level_key(target.qualitative)


@dataclass(frozen=True)
class Actual:
    """A parsed 实际完成值: a number (``value``/``unit``) or an achievement ``level``."""

    text: str
    value: Decimal | None
    unit: str | None
    level: Achievement | None
    #: a comparator written before the number (``≥266米``): read as the number, with a warning
    comparator: str | None = None
    quantitative: bool = field(init=False, repr=False, compare=False)  # derived, like Target's

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantitative", self.value is not None)

    def __str__(self) -> str:
        return format_actual(self)


def parse_actual(text: str) -> Actual:
    """Parse a 实际完成值 (cached, like :func:`parse_target`); see :func:`_parse_actual`."""
    if not isinstance(text, str):
        return _parse_actual(text)
    actual, error = read_actual(text)
    if error is not None:
        raise ValueError(error)
    return actual


@functools.lru_cache(maxsize=8192)
def read_actual(text: str) -> tuple[Actual | None, str | None]:
    """:func:`parse_actual` without raising (like :func:`read_target`). Cached."""
    try:
        return _parse_actual(text), None
    except ValueError as exc:
        return None, str(exc)


def _parse_actual(text: str) -> Actual:
    """Parse a 实际完成值; raise ``ValueError`` (Chinese) when unreadable.

    >>> parse_actual("88.38(%)").value
    Decimal('88.38')
    >>> parse_actual("达成预期指标").level
    <Achievement.MET: '达成'>
    """
    if text is None or not _strip_ws(text):
        raise ValueError(f"实际完成值为空：{_ACTUAL_EXAMPLE}")
    original = text
    level = parse_level(text)
    if level is not None:
        return Actual(original, None, None, level)
    s = _strip_ws(_nfkc(text))
    comp, rest = _take_comparator(s)
    try:
        value, unit = _parse_quantity(rest)
    except _Unreadable as why:
        raise ValueError(f"无法识别实际完成值“{original}”：{why}；{_ACTUAL_EXAMPLE}") from None
    # "≥266米": the number is read; the comparator is kept for the check T110 to point out
    return Actual(original, value, unit, None, comp if comp not in (None, "=") else None)


def format_actual(a: Actual) -> str:
    """Canonical spelling: ``8.00(人)`` (``≥8.00(人)`` when written with a comparator) or the
    national phrase of the level."""
    if a.level is not None:
        return a.level.phrase
    if a.value is None:
        return ""
    unit = f"({a.unit})" if a.unit else ""
    # a comparator the form wrote before the number (``≥266米``) stays: it is what was reported
    return f"{a.comparator or ''}{format_number(a.value)}{unit}"


# --- structured cells (template v2: 比较符 | 指标值 | 单位) ------------------------------------------

#: The comparator drop-down of a v2 form: the five comparators and 定性 (a qualitative target,
#: whose word sits in the value cell).
QUALITATIVE = "定性"
COMPARATOR_CHOICES: tuple[str, ...] = (*COMPARATORS, QUALITATIVE)


def split_target(text: str | None) -> tuple[str | None, Decimal | str | None, str | None]:
    """The three v2 cells (comparator, value, unit) of a free-text 年度指标值, read by the one
    parser (:func:`read_target`): ``≥11000(件)`` → ``("≥", 11000, "件")``, ``及时`` →
    ``("定性", "及时", None)``. Unreadable text stays whole in the value cell, without a
    comparator, so the form shows it and its check reports it."""
    if text is None or not str(text).strip():
        return None, None, None
    target, _error = read_target(str(text))
    if target is None:
        return None, str(text), None
    if not target.quantitative:
        return QUALITATIVE, target.qualitative, None
    unit = percent_spelling(str(text)) if target.unit == "%" else target.unit  # 百分比 stays 百分比
    return target.comparator or "=", target.value, unit


def compose_target(comparator: str | None, value: str | None, unit: str | None) -> str:
    """The 年度指标值 text the v2 cells spell (what the printed page reads): ``≥`` ``11000``
    ``件`` → ``≥11000(件)``; ``定性`` ``及时`` → ``及时``. ``value`` is the value cell as shown."""
    value = (value or "").strip()
    comparator = (comparator or "").strip()
    unit = (unit or "").strip()
    if comparator == QUALITATIVE or not value:  # no value: no target (X508), whatever else is set
        return value
    return comparator + value + (f"({unit})" if unit else "")


def structured_actual(target_text: str | None, actual_text: str | None) -> Decimal | str | None:
    """The v2 实际完成值 cell of a free-text actual: the number when it is one in the target's
    unit (the unit is shown from the target; a comparator before it is read past, as T110 says), the level word (达成 / 部分达成 / 未达成, R5) when
    it names a level, else the text as written (its check then reports it)."""
    if actual_text is None or not str(actual_text).strip():
        return None
    actual, _error = read_actual(str(actual_text))
    target, _t_error = read_target(str(target_text or ""))
    if met_by_same_word(target, str(actual_text)):
        return Achievement.MET.value
    if actual is None:
        return str(actual_text)
    if actual.level is not None:
        return actual.level.value
    if (actual.quantitative and target is not None
            and target.quantitative and same_unit(actual.unit or target.unit, target.unit)):
        return actual.value
    return str(actual_text)
