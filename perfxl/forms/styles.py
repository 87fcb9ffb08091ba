"""Named style roles of perfxl's sheets.

Every cell perfxl lays out gets a *role* (``input``, ``formula``, ``score`` …).  In a file a role
is an Excel named cell style called ``perfxl-<role>``, so the role of a cell can be read back
(``cell.style``) — the structural snapshot of the templates compares roles, not raw formats.
Fonts are the ones on every Chinese Windows (宋体, 仿宋, 黑体); LibreOffice substitutes them.

Conditional formatting uses *differential* styles (:data:`DXF`), named the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat

from perfxl.findings import Severity

PREFIX = "perfxl-"

SONG = "宋体"
FANGSONG = "仿宋"
HEI = "黑体"

_thin = Side(style="thin", color="000000")
BOX = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
NO_BORDER = Border()

MONEY_FMT = "#,##0.00"
NUM2_FMT = "0.00"
UNIT_FMT = '"("@")"'  # a unit cell shows 件 as (件)
ACTUAL_UNIT_FMT = ';;;"("@")"'  # the same for the actual's unit formula, whose blank (0) it hides


@dataclass(frozen=True)
class RoleSpec:
    font: Font
    align: Alignment
    border: Border = BOX
    number_format: str = "General"
    fill: PatternFill | None = None


def _font(name: str = SONG, size: float = 10.5, bold: bool = False, color: str | None = None) -> Font:
    return Font(name=name, size=size, bold=bold, color=color)


_center = Alignment(horizontal="center", vertical="center", wrap_text=True)
_left = Alignment(horizontal="left", vertical="center", wrap_text=True)
_left_top = Alignment(horizontal="left", vertical="top", wrap_text=True)
_right = Alignment(horizontal="right", vertical="center", wrap_text=False)
_left_nowrap = Alignment(horizontal="left", vertical="center", wrap_text=False)

ROLES: dict[str, RoleSpec] = {
    # printed form
    "title": RoleSpec(_font(HEI, 18), Alignment(horizontal="center", vertical="center"), NO_BORDER),
    "subtitle": RoleSpec(_font(SONG, 12), Alignment(horizontal="center", vertical="center"), NO_BORDER),
    "label": RoleSpec(_font(SONG, 10.5, bold=True), _center),
    "header": RoleSpec(_font(HEI, 10.5), _center),
    "category": RoleSpec(_font(SONG, 10.5), _center),  # 一级/二级指标, merged over their rows
    "text": RoleSpec(_font(FANGSONG, 10.5), _left),  # names, units, short free text
    "longtext": RoleSpec(_font(FANGSONG, 10.5), _left_top),  # 年度总体目标 etc.
    # target / actual text typed by staff: text-formatted (@), so =24.00(小时) and 95% stay as typed
    "input": RoleSpec(_font(FANGSONG, 10.5), _center, BOX, "@"),
    # v2 structured target (比较符 | 指标值 | 单位) and actual (值 | 单位): one box on paper, no
    # inner borders, so the page reads ≥11000(件); the unit cells show their text in brackets
    "target_cmp": RoleSpec(_font(FANGSONG, 10.5), _right, Border(left=_thin, top=_thin, bottom=_thin), "@"),
    "target_value": RoleSpec(_font(FANGSONG, 10.5), _left, Border(top=_thin, bottom=_thin), NUM2_FMT),
    "target_unit": RoleSpec(_font(FANGSONG, 10.5), _left_nowrap, Border(right=_thin, top=_thin, bottom=_thin),
                            UNIT_FMT),
    "actual_value": RoleSpec(_font(FANGSONG, 10.5), _right, Border(left=_thin, top=_thin, bottom=_thin),
                             NUM2_FMT),
    "actual_unit": RoleSpec(_font(FANGSONG, 10.5), _left_nowrap, Border(right=_thin, top=_thin, bottom=_thin),
                            ACTUAL_UNIT_FMT),
    "money": RoleSpec(_font(FANGSONG, 10.5), _right, BOX, MONEY_FMT),
    "number": RoleSpec(_font(FANGSONG, 10.5), _center, BOX, NUM2_FMT),  # 分值 etc.
    "date": RoleSpec(_font(FANGSONG, 10.5), _center, BOX, "yyyy-mm-dd"),
    "score": RoleSpec(_font(FANGSONG, 10.5), _center, BOX, NUM2_FMT),  # 得分 (typed or formula)
    "formula": RoleSpec(_font(FANGSONG, 10.5), _center, BOX, NUM2_FMT),  # computed cells
    "total": RoleSpec(_font(SONG, 10.5, bold=True), _center, BOX, "0.00##"),
    "grade": RoleSpec(_font(HEI, 12), _center),
    "reason": RoleSpec(_font(FANGSONG, 10.5), _left),  # 偏差原因分析
    # a missing reason on screen; finalize turns it back into ``reason`` (no colour on paper)
    "needs_reason": RoleSpec(
        _font(FANGSONG, 10.5), _left, BOX, "General", PatternFill("solid", fgColor="FFE4E1")
    ),
    "dash": RoleSpec(_font(FANGSONG, 10.5), _center),  # "-" cells of the funds block
    "blank": RoleSpec(_font(FANGSONG, 10.5), _center),  # bordered empty cell of the form
    # beside the printed form (not printed)
    "suggested": RoleSpec(_font(FANGSONG, 10, color="1F4E79"), _center, NO_BORDER, NUM2_FMT),
    "flag": RoleSpec(_font(SONG, 9, color="C00000"), _left, NO_BORDER),
    # 填写得分: the evaluator types a score here; the printed 得分 shows it (or the suggestion)
    "typed_score": RoleSpec(_font(FANGSONG, 10.5), _center, BOX, NUM2_FMT, PatternFill("solid", fgColor="FFF2CC")),
    "helper_header": RoleSpec(
        _font(SONG, 9, bold=True, color="595959"), _center, NO_BORDER, "General",
        PatternFill("solid", fgColor="EDEDED"),
    ),
    "helper": RoleSpec(_font(SONG, 9, color="7F7F7F"), _center, NO_BORDER),
    # hidden settings sheet
    "setting_key": RoleSpec(_font(SONG, 10), _left, NO_BORDER),
    "setting_value": RoleSpec(_font(SONG, 10, bold=True), _left, NO_BORDER),
}

# Differential styles of the conditional formats.
DXF: dict[str, DifferentialStyle] = {
    "missing_reason": DifferentialStyle(
        fill=PatternFill(bgColor="FFC7CE", fill_type="solid"), font=Font(color="9C0006")
    ),
    "out_of_band": DifferentialStyle(
        fill=PatternFill(bgColor="FFEB9C", fill_type="solid"), font=Font(color="9C5700")
    ),
    "bad_total": DifferentialStyle(
        fill=PatternFill(bgColor="FFC7CE", fill_type="solid"), font=Font(color="9C0006", bold=True)
    ),
    "check_failed": DifferentialStyle(font=Font(color="C00000", bold=True)),
    # shows nothing (on screen and paper): 定性 in the comparator cell of a qualitative target
    "hidden_text": DifferentialStyle(numFmt=NumberFormat(numFmtId=200, formatCode=";;;")),
}


# Fills the 校验 button paints on the cells of its findings (screen only: finalize removes them).
SEVERITY_FILL: dict[Severity, str] = {
    Severity.ERROR: "#FFC7CE",
    Severity.WARNING: "#FFEB9C",
    Severity.INFO: "#DDEBF7",
}


def style_name(role: str) -> str:
    if role not in ROLES:
        raise KeyError(f"unknown style role {role!r}")
    return PREFIX + role


def role_of(style_name_: str | None) -> str | None:
    """The role of a named style (``perfxl-input`` → ``input``), None for foreign styles."""
    if style_name_ and style_name_.startswith(PREFIX) and style_name_[len(PREFIX):] in ROLES:
        return style_name_[len(PREFIX):]
    return None


def cell_style_name(cell) -> str | None:
    """The named style of ``cell``, None when it has none or the file's style table is off.

    Files saved by LibreOffice or WPS can point cells at style records openpyxl does not list
    (``IndexError`` inside openpyxl); such a cell simply has no perfxl role.
    """
    try:
        return getattr(cell, "style", None)
    except IndexError:
        return None


def cell_role(cell) -> str | None:
    """The perfxl role of ``cell``'s named style, None for foreign or unreadable styles."""
    return role_of(cell_style_name(cell))


def named_style(role: str) -> NamedStyle:
    spec = ROLES[role]
    ns = NamedStyle(name=style_name(role))
    ns.font = spec.font
    ns.alignment = spec.align
    ns.border = spec.border
    ns.number_format = spec.number_format
    if spec.fill is not None:
        ns.fill = spec.fill
    return ns
