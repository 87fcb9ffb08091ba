"""Lines, cells and what a cell's content looks like (target, actual, number, category label).

The importer classifies cells by content rather than by column, because the extracted text
shifts rows and collapses empty cells (domain.md §4).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from perfxl.rules.categories import LEVEL1, LEVEL2_PARENT

# --- indicator vocabulary (domain.md §1; the categories are perfxl.rules.categories') -----------

TABLE_LABEL = "绩效指标"  # first column of the declaration's indicator block
CATEGORY_WORDS = frozenset(LEVEL1) | frozenset(LEVEL2_PARENT)
_JOINABLE = CATEGORY_WORDS | {TABLE_LABEL}


def children(level1: str) -> list[str]:
    return [l2 for l2, l1 in LEVEL2_PARENT.items() if l1 == level1]


def category_prefix_of(norm: str) -> str | None:
    """The one category word (or 绩效指标) that ``norm`` is a truncated start of, if any."""
    if len(norm) < 2 or norm in _JOINABLE:
        return None
    hits = [w for w in _JOINABLE if w.startswith(norm)]
    return hits[0] if len(hits) == 1 else None


def joins_to_category(head: str, tail: str) -> str | None:
    word = head + tail
    return word if word in _JOINABLE else None


# --- cleaning ------------------------------------------------------------------------------------

_PARA = re.compile(r"</p\s*>\s*<p(\s[^>]*)?>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_WS = re.compile(r"\s+")


def clean(raw: str) -> str:
    """HTML remnants removed, paragraphs joined with a newline, ends stripped."""
    text = _BR.sub("\n", _PARA.sub("\n", raw))
    text = html.unescape(_TAG.sub("", text))
    parts = [p.strip() for p in text.split("\n")]
    return "\n".join(p for p in parts if p)


def squash(text: str) -> str:
    """Without any whitespace (labels printed as "年度 总体 目标", "经济成本 指标")."""
    return _WS.sub("", text)


def label(text: str) -> str:
    """A header label normalised: no spaces, no leading 其中, no trailing colon."""
    lab = squash(unicodedata.normalize("NFKC", text)).strip(":：")
    if lab.startswith("其中"):
        lab = lab[2:].strip(":：")
    return lab


@dataclass
class Cell:
    col: int  # 0-based position in the tab-separated line
    text: str  # cleaned

    @property
    def norm(self) -> str:
        return squash(self.text)


@dataclass
class Line:
    no: int  # 1-based line number in the text
    cells: list[Cell]  # non-empty cells only

    @property
    def labels(self) -> list[str]:
        return [label(c.text) for c in self.cells]


def split_lines(text: str) -> list[Line]:
    lines = []
    for no, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        cells = [Cell(col, clean(part)) for col, part in enumerate(raw.split("\t"))]
        lines.append(Line(no, [c for c in cells if c.text]))
    return lines


# --- numbers -------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
DASHES = {"-", "—", "－", "–", "/", "——"}


def number(text: str) -> Decimal | None:
    """A printed decimal ("1,813,200.00", "6.00", "100"), kept with its printed decimals."""
    t = unicodedata.normalize("NFKC", text).replace(" ", "").replace("，", ",")
    if not _NUMBER.match(t):
        return None
    try:
        return Decimal(t.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def is_plain_number(text: str) -> bool:
    return number(text) is not None


# --- targets and actuals (domain.md §1) ----------------------------------------------------------

_CMP = r"(≥|≤|>=|<=|=>|=<|==|=|＝|>|<|＞|＜|≧|≦|⩾|⩽|不低于|不少于|不高于|不超过|大于等于|小于等于|大于|小于|等于|达到)"
_TARGET_NUM = re.compile(rf"^{_CMP}\s*[+-]?\d")
_ACTUAL_NUM = re.compile(
    r"^[+-]?\d[\d,]*(\.\d+)?(\s*[(（].*[)）]|\s*[%％]|[^\d\s.,()（）]{1,4})$"
)
QUALITATIVE = frozenset(
    "及时 按时 准时 健全 完善 有效 有效保障 可持续 提高 提升 持续提升 明显提升 逐步提高 改善 "
    "良好 显著 明显 稳定 达标 合格 优良 规范 降低 减少 增加 是 否 有 无 长期 持续 "
    "中长期 不断完善 基本完成 全部完成 完成".split()
)


def looks_target(text: str) -> bool:
    t = unicodedata.normalize("NFKC", text).strip()
    return bool(_TARGET_NUM.match(t)) or squash(t) in QUALITATIVE


def is_level_phrase(text: str) -> bool:
    """A qualitative actual: 达成年度指标 / 部分达成…并具有一定效果 / 未达成…且效果较差."""
    return "达成" in text and len(squash(text)) <= 20


def looks_actual(text: str) -> bool:
    t = unicodedata.normalize("NFKC", text).strip()
    return bool(_ACTUAL_NUM.match(t)) or is_level_phrase(t)


def value_text(text: str) -> str:
    """A target/actual as printed, without the spaces extraction puts inside a number+unit value
    ("≤40.00(元/份 (册))" -> "≤40.00(元/份(册))"); worded values keep their spacing."""
    if looks_target(text) or looks_actual(text):
        t = unicodedata.normalize("NFKC", text).strip()
        if _TARGET_NUM.match(t) or _ACTUAL_NUM.match(t):
            return squash(text)
    return text


def looks_value(text: str) -> bool:
    return looks_target(text) or looks_actual(text) or is_plain_number(text)


# --- form titles and years -----------------------------------------------------------------------

SELF_TITLE = "绩效自评表"
DECL_TITLE = "绩效目标申报表"
_YEAR = re.compile(r"(\d{4})\s*年度?")
_YEAR_LINE = re.compile(r"^[(（]?\s*(\d{4})\s*年度?\s*[)）]?$")


def title_kind(line: Line) -> str | None:
    """"self" or "decl" when the line is a form's title (alone on its line)."""
    if len(line.cells) != 1:
        return None
    t = squash(line.cells[0].text).lstrip("#")
    if len(t) > 40:
        return None
    if SELF_TITLE in t:
        return "self"
    if DECL_TITLE in t:
        return "decl"
    return None


def year_of(line: Line) -> int | None:
    if len(line.cells) != 1:
        return None
    m = _YEAR_LINE.match(squash(unicodedata.normalize("NFKC", line.cells[0].text)))
    return int(m.group(1)) if m else None


def year_in_title(line: Line) -> int | None:
    m = _YEAR.search(line.cells[0].text) if line.cells else None
    return int(m.group(1)) if m else None
