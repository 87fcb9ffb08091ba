"""Reading what people actually type into number and date cells.

Workbooks come back re-typed in WPS, pasted from Word, with numbers as text: ``"1,813,200.00"``,
full-width digits ``"１２３"``, ``"88.38%"``, ``"1 813 200"``, an Excel error value ``#DIV/0!``
where a formula failed, a date typed as ``2026年1月1日``. These helpers turn a raw cell value
(whatever openpyxl or calamine returns) into a ``Decimal`` or a ``date``, or raise
:class:`CellValueError` — a ``ValueError`` whose Chinese message says what is wrong and what is
expected, for the reader to wrap in a W7xx finding with sheet and cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Excel's error values, as openpyxl returns them (calamine returns '' for errors: see design.md).
ERROR_VALUES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"}
)
# Cells the official forms leave as a dash (分数/得分 below the 年度资金总额 row) or "无".
_EMPTY_MARKS = frozenset({"", "-", "—", "－", "--", "——", "/", "／", "无", "N/A", "n/a"})
_UNITS = ("万元", "元", "分", "百分比", "人", "个", "件", "次", "天", "小时")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


class CellValueError(ValueError):
    """A cell value that can't be read as what the form expects (message in Chinese)."""


@dataclass(frozen=True)
class NumberCell:
    """A number read from a cell, with what had to be forgiven to read it."""

    value: Decimal | None  # None for a blank / dash cell
    was_text: bool = False  # the cell held text, not a number
    percent: bool = False  # a trailing % (the value is the number as displayed: "88.38%" → 88.38)


def normalize_text(value: str) -> str:
    """NFKC (full-width digits/punctuation → ASCII) and no spaces of any kind."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value))


def error_value(value: object) -> str | None:
    """The Excel error value a cell holds (``#DIV/0!`` …), or None."""
    if isinstance(value, str) and value.strip().upper() in ERROR_VALUES:
        return value.strip().upper()
    return None


def read_number(value: object) -> NumberCell:
    """Read a number cell leniently; raise :class:`CellValueError` for what isn't a number."""
    if value is None:
        return NumberCell(None)
    if isinstance(value, bool):
        raise CellValueError(f"应为数字，单元格中是逻辑值 {'TRUE' if value else 'FALSE'}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellValueError(f"应为数字，单元格中是 {value}")
        return NumberCell(_in_range(value, value))
    if isinstance(value, int):
        return NumberCell(_in_range(Decimal(value), value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise CellValueError("应为数字，单元格中是无效数值（NaN 或无穷大）")
        return NumberCell(_in_range(float_decimal(value), value))
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        raise CellValueError(f"应为数字，单元格中是日期或时间 {value}；请把单元格格式改为“数值”")
    if not isinstance(value, str):
        raise CellValueError(f"应为数字，单元格中是无法识别的内容（{type(value).__name__}）")
    err = error_value(value)
    if err:
        raise CellValueError(f"公式计算出错（{err}），应为数字；请检查该单元格的公式或引用")
    text = normalize_text(value)
    if text in _EMPTY_MARKS:
        return NumberCell(None, was_text=bool(text))
    text = text.replace("，", ",").replace("。", ".")
    percent = False
    if text.endswith("%"):
        percent, text = True, text[:-1]
    for unit in _UNITS:
        if text.endswith(unit) and _NUMBER.fullmatch(text[: -len(unit)].replace(",", "")):
            raise CellValueError(f"“{value}”带有单位“{unit}”；此单元格只填数字（单位见表头）")
    negative = False
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":  # accounting negative (1,000)
        negative, text = True, text[1:-1]
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise CellValueError(f"“{value}”不是有效的数字（千位分隔符“,”的位置不对）")
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise CellValueError(f"“{_short(value)}”不是数字；应填写数字，如 1813200.00")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid numbers
        raise CellValueError(f"“{_short(value)}”不是数字") from exc
    _in_range(number, value)
    return NumberCell(-number if negative else number, was_text=True, percent=percent)


def float_decimal(value: float) -> Decimal:
    """A float read from a cell as Excel shows it: 15 significant digits (0.1 → 0.1, not
    0.1000000000000000055…; 4.199999999999999 → 4.2, so a score typed as ``=F13*0.7`` totals 90
    as the workbook shows it, not 89.999999999999999)."""
    return Decimal(f"{value:.15g}")


MAX_MAGNITUDE = 15  # |x| < 10**15: far above any budget in 元, and safe for 28-digit Decimal maths


def _in_range(number: Decimal, raw: object) -> Decimal:
    if not number.is_finite() or (number != 0 and number.adjusted() >= MAX_MAGNITUDE):
        raise CellValueError(f"“{_short(raw)}”超出合理的数值范围（应小于 10 的 {MAX_MAGNITUDE} 次方）")
    return number


def parse_number_cell(value: object) -> Decimal:
    """A cell value as a ``Decimal``: "1,813,200.00", "１２３", "88.38%" (→ 88.38), 3, 2.5.

    Blank or dash cells and anything not a number raise :class:`CellValueError`.
    """
    cell = read_number(value)
    if cell.value is None:
        raise CellValueError("应填写数字，单元格为空")
    return cell.value


def parse_optional_number(value: object) -> Decimal | None:
    """Like :func:`parse_number_cell`, but a blank or dash cell is ``None``."""
    return read_number(value).value


def _short(value: object, n: int = 30) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "…"


# --- dates -----------------------------------------------------------------------------------

_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_YEAR_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date_cell(value: object) -> dt.date | None:
    """A date cell: a real date, an Excel serial number, or text such as ``2026-01-01``,
    ``2026/1/1``, ``2026.01.01``, ``2026年1月1日``, ``2026年1月`` (→ the 1st). Blank → None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellValueError("应为日期，单元格中是逻辑值")
    if isinstance(value, (int, float, Decimal)):
        try:
            serial = float(value)
        except (TypeError, ValueError, OverflowError) as exc:
            raise CellValueError(f"应为日期，单元格中是 {value}") from exc
        if not (1 <= serial < 2958466) or serial != serial:
            raise CellValueError(f"应为日期，单元格中是数字 {value}")
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    if not isinstance(value, str):
        raise CellValueError(f"应为日期，单元格中是无法识别的内容（{type(value).__name__}）")
    err = error_value(value)
    if err:
        raise CellValueError(f"公式计算出错（{err}），应为日期")
    text = unicodedata.normalize("NFKC", value).strip()
    if normalize_text(text) in _EMPTY_MARKS:
        return None
    m = _DATE_TEXT.fullmatch(text) or _YEAR_MONTH.fullmatch(text)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        d = int(m.group(3)) if m.re is _DATE_TEXT else 1
        try:
            return dt.date(y, mo, d)
        except ValueError as exc:
            raise CellValueError(f"“{value}”不是有效日期（{y}年{mo}月{d}日不存在）") from exc
    raise CellValueError(f"“{_short(value)}”不是日期；应填写如 2026-01-01 或 2026年1月1日")


def text_cell(value: object) -> str:
    """A text field's cell as a string: numbers and dates rendered as shown, errors refused."""
    if value is None:
        return ""
    err = error_value(value)
    if err:
        raise CellValueError(f"公式计算出错（{err}），应为文字")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
