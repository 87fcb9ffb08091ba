"""Worksheet functions (perfxl.udfs): thin, array-capable wrappers over the rules.

1. On the seed's 热线 indicators they give the scores worked out by hand, one cell at a time
   and as whole columns in one call.
2. On every seed indicator they give what the template's native formulas give after a
   LibreOffice recalculation (design.md §2) — see ``test_udfs_equal_native_formulas``.
"""

from __future__ import annotations


import pytest

from perfxl import udfs


# The 2023 热线服务保障经费 indicators, scored by hand: (suggested score, completion ratio).
HOTLINE_BY_HAND = [
    (5.33, 8 / 9),  # ≥9 人, 8: R2 6 × 8/9 = 5.333 → R6r 5.33
    (7.0, 24582 / 20000),  # met → full weight
    (6.0, 34487 / 28000),
    (5.25, 10518 / 12000),  # R2 6 × 0.8765 = 5.259 → 5.25
    (7.0, 96.70 / 90),
    (6.0, 96.59 / 92),
    (6.0, 1.0),  # =24 小时, 24 (R2e)
    (6.0, 187.63 / 187.92),  # R3: under the ceiling → full weight
    (6.0, ""),  # R5 部分达成, weight 8, band [4.8, 6.4): 6
    (6.0, 0.0),  # ≤2 %, actual 0 → full weight (R3)
    (6.0, ""),  # R5 as above
    (6.0, ""),
    (10.0, 88.38 / 85),
]


def _hotline(self_evaluations):
    project = self_evaluations.projects[0]
    assert project.name == "热线服务保障经费" and len(project.indicators) == len(HOTLINE_BY_HAND)
    return project.indicators


def test_seed_indicators_one_cell_at_a_time(self_evaluations):
    for ind, (score, ratio) in zip(_hotline(self_evaluations), HOTLINE_BY_HAND):
        assert udfs.PERFXL_SCORE(ind.target, ind.actual, float(ind.weight)) == score, ind.name
        assert udfs.PERFXL_RATIO(ind.target, ind.actual) == pytest.approx(ratio), ind.name


def test_seed_columns_in_one_call(self_evaluations):
    rows = _hotline(self_evaluations)
    targets = [[ind.target] for ind in rows]
    actuals = [[ind.actual] for ind in rows]
    weights = [[float(ind.weight)] for ind in rows]
    assert udfs.PERFXL_SCORE(targets, actuals, weights) == [[score] for score, _ in HOTLINE_BY_HAND]
    assert udfs.PERFXL_RATIO(targets, actuals) == [[pytest.approx(r)] for _, r in HOTLINE_BY_HAND]
    # a scalar weight broadcasts over the column: 10 × 8/9 = 8.888 → 8.88 (R6r)
    broadcast = udfs.PERFXL_SCORE(targets, actuals, [[10.0]])
    assert len(broadcast) == len(rows) and broadcast[0] == [8.88]


def test_known_seed_values():
    # 热线派遣人员数量: ≥9.00(人), actual 8.00(人), weight 6 → 6 × 8/9 = 5.333 → 5.33 (R2, R6r)
    assert udfs.PERFXL_SCORE("≥9.00(人)", "8.00(人)", 6.0) == 5.33
    assert udfs.PERFXL_SCORE("≥9.00(人)", "8.00(人)", 6.0, "half_up") == 5.33
    assert udfs.PERFXL_SCORE("≤187.92(万元)", "200(万元)", 10.0) == 9.35  # R3 linear overrun
    assert udfs.PERFXL_SCORE("≤187.92(万元)", "200(万元)", 10.0, None, "ratio") == 9.39
    assert udfs.PERFXL_SCORE("及时", "部分达成年度指标并具有一定效果", 8.0) == 6.0  # R5 band top
    assert udfs.PERFXL_SCORE("≥9.00(人)", None, 6.0) == ""  # no actual yet
    assert udfs.PERFXL_SCORE("≥9.00(人)", "8.00(件)", 6.0) == ""  # units differ
    assert udfs.PERFXL_RATIO("≥28000.00(件)", "34487.00(件)") == pytest.approx(34487 / 28000)
    assert udfs.PERFXL_RATIO("≥28000.00(件)", 34487.0) == pytest.approx(34487 / 28000)  # a number cell


def test_grade_and_target_parser(published):
    totals = [[float(p["total"])] for p in published]
    assert udfs.PERFXL_GRADE(totals) == [["优"]] * 4  # 90.98, 92, 90.91, 92 (domain.md §4)
    assert [udfs.PERFXL_GRADE(x) for x in (90, 89.99, 80, 60, 59.99, None, "")] == [
        "优", "良", "良", "中", "差", "", ""]
    parsed = udfs.PERFXL_TARGET([["≥9.00(人)"], [">=90%"], ["及时"], ["≥(人)"], [None]])
    assert parsed[:3] == [["≥", 9.0, "人", ""], ["≥", 90.0, "%", ""], ["", "", "", "及时"]]
    assert parsed[3][:3] == ["", "", ""] and "无法识别" in parsed[3][3]
    assert parsed[4] == ["", "", "", ""]


def test_mismatched_shapes_are_refused_in_chinese():
    with pytest.raises(ValueError, match="行列数不一致"):
        udfs.PERFXL_SCORE([["≥1(人)"], ["≥2(人)"]], [["1(人)"], ["1(人)"], ["1(人)"]], [[1.0]])


def test_functions_are_named_for_finalize_to_freeze():
    from perfxl.finalize import is_udf_formula

    for name in ("PERFXL_SCORE", "PERFXL_RATIO", "PERFXL_GRADE", "PERFXL_TARGET"):
        assert callable(getattr(udfs, name))
        assert is_udf_formula(f"={name}(A1,B1,C1)")


# --- 2. against the template's native formulas, recalculated by LibreOffice ----------------------


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """Both seed files written with the template and recalculated by LibreOffice (one soffice
    call): [(ProjectFile read back, sheet maps, recalculated values workbook)]."""
    import openpyxl

    from perfxl.forms.workbook import read_workbook, write_projects
    from perfxl.libreoffice import recalculate
    from tests.conftest import load_seed

    tmp = tmp_path_factory.mktemp("udf")
    written = [write_projects(load_seed(name), tmp / (name.split(".")[0] + ".xlsx"))
               for name in ("self_evaluation_2023.json", "declaration_2026.json")]
    out = []
    for src, calc in zip(written, recalculate(written, tmp / "calc")):
        pf, _findings, maps = read_workbook(openpyxl.load_workbook(src))
        out.append((pf, maps, openpyxl.load_workbook(calc, data_only=True)))
    return out


def _native(value):
    """A recalculated cell as a UDF returns it: blank → "", numbers as float."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return value
    return float(value) if isinstance(value, (int, float)) else value


@pytest.mark.libreoffice
def test_udfs_equal_native_formulas(recalculated):
    """On every seed indicator: PERFXL_TARGET = the v2 cells 比较符/指标值/单位 (or the 定性 word),
    PERFXL_SCORE = 建议得分, PERFXL_RATIO = 完成值 ÷ 指标值 of the cells, PERFXL_GRADE = 评分等级 —
    each UDF called once per column, as a worksheet would."""
    from openpyxl.utils import get_column_letter

    from perfxl.rules.targets import same_unit

    counts = {"score": 0, "ratio": 0, "target": 0, "grade": 0, "numeric_score": 0}
    for pf, maps, values in recalculated:
        s = pf.settings
        for project, m in maps:
            ws = values[m.sheet]
            rows = m.rows
            assert len(rows) == len(project.indicators) > 0

            def col(key):
                return [ws.cell(r, m.cols[key]).value for r in rows]

            where = [f"{m.sheet}!{get_column_letter(m.cols['target'])}{r}" for r in rows]
            targets = [[ind.target] for ind in project.indicators]
            parsed = udfs.PERFXL_TARGET(targets)
            for got, cmp, tv, tu, at in zip(parsed, col("cmp"), col("tv"), col("tu"), where):
                if cmp == "定性":
                    assert got[3] == tv, at
                else:
                    assert got[:2] == [_native(cmp), _native(tv)] and same_unit(got[2], tu), at
                counts["target"] += 1
            if project.form != "self_evaluation":
                continue
            actuals = [[ind.actual] for ind in project.indicators]
            weights = [[float(ind.weight) if ind.weight is not None else None] for ind in project.indicators]
            scores = udfs.PERFXL_SCORE(targets, actuals, weights,
                                       s.rounding.value if hasattr(s.rounding, "value") else s.rounding,
                                       s.overrun_formula.value if hasattr(s.overrun_formula, "value")
                                       else s.overrun_formula)
            ratios = udfs.PERFXL_RATIO(targets, actuals)
            for got, native, at in zip(scores, col("suggested"), where):
                native = _native(native)
                assert got[0] == pytest.approx(native, abs=1e-9) if native != "" else got[0] == "", (at, got, native)
                counts["score"] += 1
                counts["numeric_score"] += native != ""
            for got, a, tv, at in zip(ratios, col("actual"), col("tv"), where):
                cells = a / tv if isinstance(a, (int, float)) and isinstance(tv, (int, float)) and tv else ""
                assert got[0] == pytest.approx(cells, rel=1e-12) if cells != "" else got[0] == "", (at, got, cells)
                counts["ratio"] += 1
            total = ws.cell(*m.total).value
            assert udfs.PERFXL_GRADE(total) == _native(ws.cell(*m.grade).value) != ""
            counts["grade"] += 1
    assert counts["score"] == counts["ratio"] >= 30 and counts["numeric_score"] >= 20, counts
    assert counts["target"] > counts["score"] and counts["grade"] == 4, counts
