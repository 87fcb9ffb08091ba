"""Reading a self-evaluation sheet's indicator table: its header's columns, where it ends (总分,
评分等级), and each row — levels, target and actual, weight, and the score the evaluator gave
(typed, a formula of their own, or perfxl's suggestion)."""

from __future__ import annotations

from decimal import Decimal

from perfxl.forms.grid import CellError, Grid, is_blank, quantize_to_format, ref, to_decimal
from perfxl.forms.reading import RowReader, SheetReader, find_target_cells
from perfxl.forms.self_evaluation.spec import (
    IND_HEADERS, OFF_PRINT_HEADERS, SUB_HEADERS, TEXT_LABELS, SheetMap,
)
from perfxl.forms.targetcells import structured_target, value_cell
from perfxl.model import Indicator, mark_computed, set_location

# fallbacks for headers that other editions of the form word differently
_HEADER_FALLBACKS = {"target": "指标值", "reason": "偏差原因", "actual": "实际完成"}


def find_table(rd: SheetReader, m: SheetMap) -> None:
    """The indicator table's header row and columns (and, on a v2 sheet, the target's and
    actual's cells in the row below), into ``m``; W703 where it or a column is missing."""
    g = rd.g
    hit = g.find("三级指标")
    if hit is None:
        rd.warn("", "找不到绩效指标表头（三级指标），未读取任何指标")
        return
    hr = m.header_row = hit[0]
    for key, label in IND_HEADERS.items():
        h = g.find(label, rows=[hr])
        if h is None and key in _HEADER_FALLBACKS:
            h = g.find(_HEADER_FALLBACKS[key], rows=[hr], exact=False)
        if h:
            m.cols[key] = h[1]
    for key, label in OFF_PRINT_HEADERS.items():
        h = g.find(label, rows=[hr])
        if h:
            m.cols[key] = h[1]
    if v1_helper := g.find("完成比例", rows=[hr]):  # v1's ratio helper (stored values)
        m.cols["ratio"] = v1_helper[1]
    find_target_cells(g, m, SUB_HEADERS)
    missing = [IND_HEADERS[k] for k in ("name", "target") if k not in m.cols]
    if missing:
        rd.warn(ref(hr, 1), "绩效指标表头缺少：" + "、".join(missing))


def find_table_end(g: Grid, m: SheetMap) -> int:
    """The 总分 and 评分等级 rows below the table, into ``m``; the table's last row."""
    end = g.max_row
    first_cols = range(1, (m.cols.get("weight") or 6) + 1)
    below = range(m.header_row + 1, g.max_row + 1)
    total = g.find("总分", "合计", "总计", rows=below, cols=first_cols)
    grade = g.find("评分等级", rows=below, cols=first_cols)
    if total and (grade is None or total[0] <= grade[0]):
        m.total_row = total[0]
        end = m.total_row - 1
    elif grade:
        m.grade_row = grade[0]
        end = m.grade_row - 1
    if m.total_row:
        for r in range(m.total_row, min(m.total_row + 4, g.max_row) + 1):
            if g.find("评分等级", rows=[r], cols=first_cols):
                m.grade_row = r
                break
        if "weight" in m.cols:
            m.total_weight = (m.total_row, m.cols["weight"])
        if "score" in m.cols:
            m.total = (m.total_row, m.cols["score"])
    if m.grade_row:
        h = g.find("评分等级", rows=[m.grade_row])
        if h:
            m.grade = (m.grade_row, g.right_end(*h) + 1)
    return end


def read_indicators(rd: SheetReader, m: SheetMap, end: int) -> list[Indicator]:
    """Every filled row from the table's first row to ``end``; a row with nothing typed but a
    score formula is the template's empty row, skipped."""
    g = rd.g
    score_col = m.cols.get("typed") or m.cols.get("score")
    other_cols = [m.cols[k] for k in ("level1", "level2", "name", "cmp", "target", "tu", "actual",
                                       "weight", "reason") if k in m.cols and m.cols[k] != score_col]
    indicators: list[Indicator] = []
    lvl1 = lvl2 = ""
    for r in range(m.first_row or m.header_row + 1, end + 1):
        if g.row_is_blank(r, other_cols) and (
                score_col is None or g.is_formula(r, score_col) or g.own(r, score_col) in (None, "")):
            continue
        ind = _read_row(rd, m, r, lvl1, lvl2)
        lvl1, lvl2 = ind.level1, ind.level2
        indicators.append(ind)
        m.rows.append(r)
    return indicators


def _read_row(rd: SheetReader, m: SheetMap, r: int, lvl1: str, lvl2: str) -> Indicator:
    S = rd.sheet
    row = rd.row(r, m.cols, TEXT_LABELS)
    lvl1, lvl2 = row.levels(lvl1, lvl2)
    weight = None
    if "weight" in m.cols:
        weight = rd.number(r, m.cols["weight"], f"第 {r} 行分值")
        if weight is not None and weight < 0:
            rd.warn(ref(r, m.cols["weight"]), f"分值不能为负数：{weight}", "W701")
            weight = None
    score, score_key, score_formula = _read_score(rd, m, r)
    target, actual = _read_target_actual(row, m)
    ind = Indicator(level1=lvl1, level2=lvl2, name=row.text("name") or "", target=target,
                    actual=actual, weight=weight, score=score, reason=row.text("reason"))
    for key in ("level1", "level2", "name", "target", "actual", "weight", "score", "reason"):
        c = m.cols.get(score_key if key == "score" else key)
        if c is not None:
            set_location(ind, key, S, ref(r, c))
    row.locate(ind, ())
    # 填写得分 where the score is read from the printed 得分: an input finalize leaves editable
    if m.v2 and "typed" in m.cols:
        set_location(ind, "score_typed", S, ref(r, m.cols["typed"]))
    if m.v2 and score_key == "score" and r in m.typed_scores and "typed" in m.cols:
        m.user_scores.add(r)
    if score_formula:  # 得分 shows a formula's result (the suggestion, =建议得分): filled
        mark_computed(ind, "score")
    return ind


def _read_target_actual(row: RowReader, m: SheetMap) -> tuple[str, str | None]:
    """The target and the actual as text: on a v2 sheet the text the cells spell, read by the one
    parser (rules/targets.py); a percent-formatted actual as its percentage, as the formulas
    read it, and a number with the target's unit as printed (8.00(人))."""
    if not m.v2:
        return row.text("target") or "", row.text("actual")
    g, S, r = row.g, row.sheet, row.r
    target, fnd = structured_target(g, S, r, m.cols, row.text, row.text("name") or "")
    row.findings.extend(fnd)
    c = m.cols.get("actual")
    actual = None
    if c is not None:
        actual, fnd = value_cell(g, S, r, c, "实际完成值")
        row.findings.extend(fnd)
    unit = row.text("tu")
    shown = g.result(r, c) if c is not None and g.is_formula(r, c) else g.raw(r, c) if c else None
    if actual and unit and isinstance(shown, (int, float)) and not isinstance(shown, bool):
        actual = f"{actual}({unit})"
    return target, actual


def _read_score(rd: SheetReader, m: SheetMap, r: int) -> tuple[Decimal | None, str, bool]:
    """The row's score, the column it is read from (``typed`` or ``score``), and whether 得分
    shows a formula's result that counts as the suggestion. v2: 填写得分 (a number or a formula)
    unless the printed 得分 no longer shows it; otherwise the printed 得分 — a typed number, or
    the result of a formula of the user's own (stored again after a save: ``formula_scores``)."""
    g = rd.g
    score = None
    typed_col = m.cols.get("typed")
    typed = False
    if (typed_col is not None and not is_blank(g.own(r, typed_col))
            and not _score_replaced(g, m, r, typed_col)):
        if not g.is_formula(r, typed_col):
            score, typed = rd.number(r, typed_col, f"第 {r} 行填写得分"), True
        elif (shown := _formula_score(g, m, r, typed_col)) is not None:
            score, typed = shown, True  # =I14*0.7: its result, as typed
            m.formula_scores[r, typed_col] = shown
    if typed:
        m.typed_scores.add(r)
        return score, "typed", False
    if "score" not in m.cols:
        return score, "score", False
    c = m.cols["score"]
    if not g.is_formula(r, c):
        score = rd.number(r, c, f"第 {r} 行得分")
        if not is_blank(g.own(r, c)):
            m.typed_scores.add(r)
    elif (shown := _formula_score(g, m, r, c)) is not None:
        score = shown  # the user's own formula: its result is the score, as typed
        m.typed_scores.add(r)
        m.formula_scores[r, c] = shown
    elif not is_blank(g.own(r, c)):
        return score, "score", True
    return score, "score", False


def _score_replaced(g: Grid, m: SheetMap, r: int, typed_col: int) -> bool:
    """Whether the printed 得分 cell of a v2 row no longer shows its 填写得分 (N): the user typed a
    number over the 得分 formula, or a formula of their own there (``=I26*0.882``) whose stored
    result differs from N. Then the sheet's 得分 and 总分 show that cell, and so does perfxl."""
    c = m.cols.get("score")
    if c is None:
        return False
    if not g.is_formula(r, c):
        return not is_blank(g.own(r, c))
    shown = g.result(r, c)
    typed = g.result(r, typed_col) if g.is_formula(r, typed_col) else g.own(r, typed_col)
    if shown is None or typed is None:
        return False
    try:
        return (quantize_to_format(to_decimal(shown), g.number_format(r, c))
                != quantize_to_format(to_decimal(typed), g.number_format(r, typed_col)))
    except CellError:
        return False


def _formula_score(g: Grid, m: SheetMap, r: int, c: int) -> Decimal | None:
    """The score a 得分 formula of the user's own shows (``=F13*0.7``: 4.20), from the result the
    office suite stored, at the cell's decimals (the total and grade the workbook shows); None
    for a formula that shows the row's 建议得分 (perfxl's ``=K13``: the same stored result, or
    none stored), which counts as the suggestion."""
    shown = g.result(r, c)
    if shown is None:
        return None
    try:
        d = quantize_to_format(to_decimal(shown), g.number_format(r, c))
    except CellError:
        return None
    sc = m.cols.get("suggested")
    suggested = g.result(r, sc) if sc is not None else None
    if suggested is not None:
        try:
            if quantize_to_format(to_decimal(suggested), g.number_format(r, sc)) == d:
                return None
        except CellError:
            pass
    return d
