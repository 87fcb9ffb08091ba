"""Printed derived figures (domain.md R6, R6r, §5): a form that carries a typed 执行率, 执行率得分
or 总分 is compared with what its inputs give, and told which rounding would give the printed
figure (``按截断为 86.18，按四舍五入为 86.19，表中为 86.19``). Pure functions, no I/O.

Used by the workbook reader (typed numbers where the template has formulas: S210) and by the
text importer (published forms: I914 names the rounding the printed figures decide).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from perfxl.model import Rounding, SelfEvaluation, Settings
from perfxl.rules.scoring import ProjectScore, score_project
from perfxl.rules.targets import format_number as format_number_plain

__all__ = ["FIGURES", "Comparison", "compare_printed", "decided_rounding"]

#: field -> Chinese name of the printed figure
FIGURES = {"execution_rate": "预算执行率", "execution_score": "执行率得分", "total": "总分"}
_MODE_NAMES = {Rounding.TRUNCATE: "截断", Rounding.HALF_UP: "四舍五入"}
_WHOLE = "取整"
_HUNDRED = Decimal(100)


class Comparison(NamedTuple):
    """One printed figure against the computed ones."""

    field: str  # a key of FIGURES
    printed: Decimal
    computed: Decimal | None  # under the project's rounding setting
    by_mode: dict[str, Decimal]  # "截断" / "四舍五入" / "取整" -> the figure that rounding gives
    matching: tuple[str, ...]  # the roundings that give the printed figure

    @property
    def agrees(self) -> bool:
        return self.computed is not None and self.computed == self.printed

    def message(self, setting: Rounding) -> str:
        name = FIGURES[self.field]
        ways = "，".join(f"按{mode}为 {format(v, 'f') if mode == _WHOLE else format_number_plain(v)}"
                        for mode, v in self.by_mode.items())
        if self.matching:
            why = f"按{'或'.join(self.matching)}可得到表中的数"
        else:
            why = "哪种舍入都得不到表中的数，请核对输入或表中的数"
        return (f"表中{name}为 {format_number_plain(self.printed)}，由输入计算{ways}；{why}"
                f"（当前舍入设置为{_MODE_NAMES[setting]}，R6r）")


def _whole(x: Decimal) -> Decimal:
    return x.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _variants(project: SelfEvaluation, settings: Settings) -> dict[str, ProjectScore]:
    return {_MODE_NAMES[r]: score_project(project, settings.model_copy(update={"rounding": r}))
            for r in Rounding}


def compare_printed(project: SelfEvaluation, printed: dict[str, Decimal],
                    settings: Settings) -> list[Comparison]:
    """Each printed figure (``printed``: a key of :data:`FIGURES` -> the number on the form) with
    the figures each rounding gives from the project's inputs (R6, R6r; 取整, the whole-point
    rounding some forms use, for the execution rate and score)."""
    out = []
    variants = _variants(project, settings)
    current = variants[_MODE_NAMES[settings.rounding]]
    budget, executed = project.funds.total.budget, project.funds.total.executed
    exact_rate = (executed / budget * _HUNDRED) if budget and executed is not None else None
    for fld, value in printed.items():
        if value is None:
            continue
        by_mode = {mode: getattr(ps, fld) for mode, ps in variants.items()
                   if getattr(ps, fld) is not None}
        if exact_rate is not None and fld == "execution_rate":
            by_mode[_WHOLE] = _whole(exact_rate)
        elif exact_rate is not None and fld == "execution_score":
            by_mode[_WHOLE] = _whole(min(exact_rate, _HUNDRED) * project.funds.weight / _HUNDRED)
        if not by_mode:
            continue
        matching = tuple(mode for mode, v in by_mode.items() if v == value)
        out.append(Comparison(fld, value, getattr(current, fld), by_mode, matching))
    return out


def decided_rounding(comparisons: list[Comparison]) -> Rounding | None:
    """The rounding setting the printed figures decide: the figures that tell truncation from
    half-up apart and are given by one of them all name the same one; ``None`` when none does or
    they disagree."""
    modes = {name: r for r, name in _MODE_NAMES.items()}
    decided: set[Rounding] = set()
    for c in comparisons:
        told = [m for m in c.matching if m in modes]
        distinct = len({c.by_mode[m] for m in modes if m in c.by_mode}) > 1
        if distinct and len(told) == 1:  # a figure no rounding gives decides nothing (S210)
            decided.add(modes[told[0]])
    return decided.pop() if len(decided) == 1 else None
