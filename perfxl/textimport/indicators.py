"""The indicator table (绩效指标) of both forms, read by content rather than by column.

Three passes over the lines below the table's header:

1. each line is split into category labels, name, target, actual, weight, score and reason by
   what the cells look like (:func:`split_row`); a line with no value at all is a continuation
   of the line above (a cell split across lines);
2. continuations are merged into the row above (:func:`merge_continuation`);
3. level1/level2 are carried forward over merged cells and repaired (:func:`resolve`).

Every guess is reported as an I9xx finding naming the line.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from decimal import Decimal

from perfxl.model import Indicator
from perfxl.rules.categories import COST, LEVEL1, LEVEL2_PARENT, OLD_COST_PARENT

from .cells import (
    CATEGORY_WORDS,
    TABLE_LABEL,
    Cell,
    Line,
    category_prefix_of,
    children,
    is_plain_number,
    joins_to_category,
    label,
    looks_actual,
    looks_target,
    looks_value,
    number,
    value_text,
)
from .rules import Sink


@dataclass
class Columns:
    """Where the table's header puts each column (0-based), for shift detection and routing."""

    l1: int | None = None
    l2: int | None = None
    name: int | None = None
    target: int | None = None
    actual: int | None = None
    weight: int | None = None
    score: int | None = None
    reason: int | None = None


def is_header(line: Line) -> bool:
    labels = set(line.labels)
    return "一级指标" in labels and ("三级指标" in labels or "二级指标" in labels)


def header_columns(line: Line) -> Columns:
    cols = Columns()
    for cell, lab in zip(line.cells, line.labels):
        if lab == "一级指标":
            cols.l1 = cell.col
        elif lab == "二级指标":
            cols.l2 = cell.col
        elif lab == "三级指标":
            cols.name = cell.col
        elif "实际完成" in lab:
            cols.actual = cell.col
        elif "指标值" in lab:
            cols.target = cell.col
        elif lab in ("分值", "分数", "权重"):
            cols.weight = cell.col
        elif lab == "得分":
            cols.score = cell.col
        elif "偏差原因" in lab or lab in ("原因分析", "备注"):
            cols.reason = cell.col
    return cols


@dataclass
class Row:
    """One indicator row as split from its line(s)."""

    line: int
    tokens: list[Cell] = field(default_factory=list)  # complete category words, text = the word
    fragments: list[tuple[Cell, str]] = field(default_factory=list)  # truncated labels
    name: list[Cell] = field(default_factory=list)
    target: Cell | None = None
    actual: Cell | None = None
    weight: Cell | None = None
    score: Cell | None = None
    reason: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # I908 guesses made while splitting
    continued: list[int] = field(default_factory=list)  # lines merged into this row


def split_row(line: Line, kind: str) -> Row | None:
    """Split a line by content; ``None`` when the line only continues the row above."""
    cells = line.cells
    if not any(c.norm in CATEGORY_WORDS for c in cells) and not any(
        looks_value(c.text) for c in cells
    ):
        return None
    row = Row(line.no)
    i = 0
    seen_l2 = False
    while i < len(cells):
        cell, norm = cells[i], cells[i].norm
        if norm == TABLE_LABEL:
            i += 1
            continue
        if norm in CATEGORY_WORDS and not seen_l2:
            row.tokens.append(Cell(cell.col, norm))
            seen_l2 = norm in LEVEL2_PARENT
            i += 1
            continue
        word = category_prefix_of(norm)
        if word and not seen_l2 and i + 1 < len(cells) and not looks_value(cells[i + 1].text):
            row.fragments.append((cell, word))
            i += 1
            continue
        break
    rest = cells[i:]
    if kind == "self":
        _split_self(row, rest)
    else:
        _split_decl(row, rest)
    if len(row.name) > 1:
        row.notes.append(f"三级指标分在{len(row.name)}个单元格中，已连成一个名称")
    return row


_NUMBER_WORDS = re.compile(r"^[0-9０-９.．零〇一二两三四五六七八九十百点分]+$")


def _split_self(row: Row, rest: list[Cell]) -> None:
    # weight and score: the last two consecutive plain numbers (分值, 得分)
    pair = None
    for k in range(len(rest) - 1):
        if is_plain_number(rest[k].text) and is_plain_number(rest[k + 1].text):
            pair = k
    if pair is None:
        nums = [k for k, c in enumerate(rest) if is_plain_number(c.text)]
        if nums:
            pair = nums[-1]
            row.weight = rest[pair]
            after = rest[pair + 1 :]
            if after and _NUMBER_WORDS.match(after[0].norm):
                row.score = after.pop(0)  # unreadable, reported by _decimal
            else:
                row.notes.append(f"只找到一个分数“{rest[pair].text}”，按分值处理，得分为空")
            before, row.reason = rest[:pair], after
        else:
            before = rest
    else:
        row.weight, row.score = rest[pair], rest[pair + 1]
        before, row.reason = rest[:pair], rest[pair + 2 :]
    before = list(before)
    if before and not looks_target(before[-1].text) and (
        looks_actual(before[-1].text) or is_plain_number(before[-1].text)
    ):
        row.actual = before.pop()
    if before and looks_target(before[-1].text):
        row.target = before.pop()
    elif len(before) >= 2:
        row.target = before.pop()
        row.notes.append(f"“{row.target.text}”按位置作为年度指标值")
    row.name = before


def _split_decl(row: Row, rest: list[Cell]) -> None:
    idx = None
    for k, cell in enumerate(rest):
        if looks_target(cell.text):
            idx = k
    if idx is None and len(rest) >= 2:
        idx = len(rest) - 1
        row.notes.append(f"“{rest[idx].text}”按位置作为年度指标值")
    if idx is None:
        row.name = list(rest)
        return
    row.name, row.target = list(rest[:idx]), rest[idx]
    if rest[idx + 1 :]:
        extra = "、".join(f"“{c.text}”" for c in rest[idx + 1 :])
        row.notes.append(f"年度指标值之后的{extra}已并入年度指标值")
        row.target = Cell(row.target.col, row.target.text + "".join(c.text for c in rest[idx + 1 :]))


def merge_continuation(row: Row, line: Line, kind: str, cols: Columns, sink: Sink) -> None:
    """Append a line without values to the row above (a cell split across lines)."""
    pieces = []
    for cell in line.cells:
        for k, (frag, _word) in enumerate(row.fragments):
            word = joins_to_category(frag.norm, cell.norm)
            if word:
                del row.fragments[k]
                if word != TABLE_LABEL:
                    row.tokens.append(Cell(frag.col, word))
                    row.tokens.sort(key=lambda c: c.col)
                    pieces.append(f"“{frag.text}”+“{cell.text}”→“{word}”")
                break
        else:
            if kind == "self" and _nearer_reason(cell.col, cols):
                row.reason.append(cell)
                pieces.append(f"偏差原因分析续接“{cell.text}”")
            else:
                row.name.append(cell)
                pieces.append(f"三级指标续接“{cell.text}”")
    row.continued.append(line.no)
    sink.add(
        "I902",
        line.no,
        f"该行没有指标值，按第{row.line}行被拆开的单元格合并：" + "；".join(pieces),
    )


def _nearer_reason(col: int, cols: Columns) -> bool:
    if cols.reason is None:
        return False
    name_col = cols.name if cols.name is not None else 0
    return abs(col - cols.reason) < abs(col - name_col)


def read_rows(lines: list[Line], kind: str, cols: Columns, sink: Sink) -> list[Row]:
    rows: list[Row] = []
    for line in lines:
        if not line.cells:
            continue
        row = split_row(line, kind)
        if row is None:
            if rows:
                merge_continuation(rows[-1], line, kind, cols, sink)
            else:
                sink.add("I910", line.no, "指标表头后的第一行没有指标值，无法识别，已忽略")
            continue
        rows.append(row)
    return rows


# --- level1/level2 ------------------------------------------------------------------------------


def _roles(row: Row, cols: Columns) -> tuple[Cell | None, Cell | None, list[Cell]]:
    """Which token is the level1 and which the level2; extra tokens are returned too."""
    l1 = l2 = None
    extra = []
    toks = row.tokens
    for k, tok in enumerate(toks):
        word = tok.text
        nxt = toks[k + 1].text if k + 1 < len(toks) else None
        if word == COST:
            as_level1 = nxt in children(COST) or (
                nxt is None and l2 is None and l1 is None and cols.l1 is not None
                and tok.col <= cols.l1
            )
            if as_level1 and l1 is None:
                l1 = tok
            elif l2 is None:
                l2 = tok
            else:
                extra.append(tok)
        elif word in LEVEL1 and l1 is None and l2 is None:
            l1 = tok
        elif word in LEVEL2_PARENT and l2 is None:
            l2 = tok
        else:
            extra.append(tok)
    return l1, l2, extra


def _parent(level2: str) -> str:
    return OLD_COST_PARENT if level2 == COST else LEVEL2_PARENT[level2]


def _shift(row: Row, l1: Cell | None, l2: Cell | None, cols: Columns) -> int:
    checks = [(l1, cols.l1), (l2, cols.l2)]
    checks.append((row.name[0] if row.name else row.target, cols.name if row.name else cols.target))
    for cell, expected in checks:
        if cell is not None and expected is not None and cell.col != expected:
            return cell.col - expected
    return 0


def resolve(rows: list[Row], kind: str, cols: Columns, sink: Sink) -> list[Indicator]:
    """Indicators with level1/level2 carried forward and repaired; guesses reported."""
    indicators: list[Indicator] = []
    cur1 = cur2 = ""
    pending: list[tuple[int, Row]] = []  # rows of the current level1 still without a level2

    def close_pending() -> None:
        for _idx, prow in pending:
            sink.add("I911", prow.line, f"一级指标“{cur1}”下的该行缺少二级指标，导入结果为空")
        pending.clear()

    for row in rows:
        for frag, word in row.fragments:
            if word != TABLE_LABEL:
                row.tokens.append(Cell(frag.col, word))
                sink.add("I904", row.line, f"截断的标签“{frag.text}”按“{word}”处理")
        row.tokens.sort(key=lambda c: c.col)
        l1, l2, extra = _roles(row, cols)
        shift = _shift(row, l1, l2, cols)
        if shift:
            side = "右移" if shift > 0 else "左移"
            what = []
            if l1 is not None:
                what.append(f"一级指标“{l1.text}”")
            if l2 is not None:
                what.append(f"二级指标“{l2.text}”")
            if row.name:
                what.append(f"三级指标“{''.join(c.text for c in row.name)}”")
            sink.add(
                "I901",
                row.line,
                f"单元格与表头错位（约{side}{abs(shift)}列），已按内容识别：" + "、".join(what),
            )
        for tok in extra:
            sink.add("I910", row.line, f"多余的指标类别“{tok.text}”，已忽略")

        if l2 is not None:
            parent = _parent(l2.text)
            if l1 is None:
                if cur1 != parent:
                    if cols.l1 is not None and l2.col == cols.l1:
                        msg = f"“{l2.text}”按二级指标处理，一级指标推断为“{parent}”"
                    else:
                        msg = f"缺少一级指标，按二级指标“{l2.text}”推断为“{parent}”"
                    sink.add("I903", row.line, msg)
                    if cur1:
                        close_pending()
                    cur1 = parent
            else:
                if l1.text != parent:
                    sink.add(
                        "I911",
                        row.line,
                        f"一级指标“{l1.text}”与二级指标“{l2.text}”不对应，按原文保留",
                    )
                if l1.text != cur1:
                    close_pending()
                cur1 = l1.text
            cur2 = l2.text
            for idx, prow in pending:
                indicators[idx].level2 = cur2
                sink.add(
                    "I904",
                    prow.line,
                    f"该行缺少二级指标，按同组第{row.line}行的“{cur2}”处理",
                )
            pending.clear()
        elif l1 is not None and l1.text != cur1:
            close_pending()
            cur1 = l1.text
            kids = children(cur1)
            if len(kids) == 1:
                cur2 = kids[0]
                sink.add("I904", row.line, f"缺少二级指标，按“{cur1}”唯一的二级指标“{cur2}”处理")
            else:
                cur2 = ""
        elif not cur1:
            sink.add("I911", row.line, "该行之前没有一级/二级指标，导入结果为空")

        indicators.append(_indicator(row, kind, cur1, cur2, sink))
        if not cur2 and cur1:
            pending.append((len(indicators) - 1, row))
    close_pending()
    return indicators


def _indicator(row: Row, kind: str, level1: str, level2: str, sink: Sink) -> Indicator:
    for note in row.notes:
        sink.add("I908", row.line, note)
    name = "".join(c.text for c in row.name)
    if not name:
        sink.add("I911", row.line, "未找到三级指标名称")
    if row.target is None:
        sink.add("I911", row.line, f"三级指标“{name}”未找到年度指标值")
    ind = Indicator(
        level1=level1,
        level2=level2,
        name=name,
        target=value_text(row.target.text) if row.target else "",
    )
    if kind == "self":
        if row.actual is None:
            sink.add("I911", row.line, f"三级指标“{name}”未找到实际完成值")
        if row.weight is None or row.score is None:
            sink.add("I911", row.line, f"三级指标“{name}”未找到分值或得分")
        ind.actual = value_text(row.actual.text) if row.actual else None
        ind.weight = _decimal(row.weight, "分值", row.line, sink)
        ind.score = _decimal(row.score, "得分", row.line, sink)
        reason = "".join(c.text for c in row.reason)
        ind.reason = reason or None
    return ind


def _decimal(cell: Cell | None, what: str, line: int, sink: Sink) -> Decimal | None:
    if cell is None:
        return None
    value = number(cell.text)
    if value is None or value < 0:
        sink.add("I912", line, f"{what}“{cell.text}”无法读取")
        return None
    return value


def is_total_row(line: Line) -> bool:
    """总分 row at the bottom of the self-evaluation: only numbers (100, total) or 总分 label."""
    labels = line.labels
    if labels and labels[0] == "总分":
        return True
    return bool(line.cells) and all(is_plain_number(c.text) for c in line.cells)


def is_grade_row(line: Line) -> bool:
    return bool(line.cells) and label(line.cells[0].text) == "评分等级"
