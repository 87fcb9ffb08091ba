"""The indexed label search of :class:`perfxl.forms.grid.Grid` (issue 7's fast form readers)
finds exactly what a plain row-major scan of the sheet finds."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from perfxl.forms.grid import FORMULA, Grid, norm_label

TEXTS = ["项目名称", "项目 名称：", "得分", "建议得分", "（万元）", "(万元)", "其他资金", "其中：其他资金",
         "评分等级", " ", ""]
LABELS = ["项目名称", "得分", "(万元)", "其他资金", "评分", "资金"]


def _scan(g: Grid, labels, rows=None, cols=None, exact=True):
    """find() by its docstring: the first text cell in row-major order (rows and cols in the
    order given) whose normalised text equals (or contains) a label."""
    wanted = [norm_label(x) for x in labels]
    for r in rows if rows is not None else range(1, g.max_row + 1):
        for c in cols if cols is not None else range(1, g.max_col + 1):
            v = g.own(r, c)
            if isinstance(v, str) and not g.is_formula(r, c):
                t = norm_label(v)
                if t in wanted if exact else any(w in t for w in wanted):
                    return r, c
    return None


cells = st.dictionaries(
    st.tuples(st.integers(1, 8), st.integers(1, 8)),
    st.one_of(st.sampled_from(TEXTS), st.integers(0, 9), st.just(FORMULA)),
    max_size=40,
)
lines = st.one_of(st.none(), st.lists(st.integers(1, 9), min_size=1, max_size=5))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(cells, st.integers(1, 8), st.lists(st.sampled_from(LABELS), min_size=1, max_size=2),
       lines, lines, st.booleans())
def test_find_equals_a_row_major_scan(values, max_col, labels, rows, cols, exact):
    formulas = {k for k, v in values.items() if v == FORMULA}
    sheet = SimpleNamespace(title="S")
    # cells right of max_col: as when a sheet's dimension understates its extent
    g = Grid.from_parts(sheet, 8, max_col, [], values, formulas, {})
    expected = _scan(g, labels, rows, cols, exact)
    assert g.find(*labels, rows=rows, cols=cols, exact=exact) == expected
    everything = sorted(k for k in g._values if _scan(g, labels, [k[0]], [k[1]], exact))
    assert g.find_all(*labels, exact=exact) == everything


def test_find_in_one_row_equals_a_row_major_scan():
    """A header row's searches (one row, any column) use the grid's per-row index: random dense
    rows, as a form's header rows are, searched for one to three labels."""
    import random

    rng = random.Random(7)
    differs = 0
    for _ in range(3000):
        values = {(rng.randint(1, 3), rng.randint(1, 8)): rng.choice([*TEXTS, FORMULA])
                  for _ in range(rng.randint(4, 24))}
        formulas = {k for k, v in values.items() if v == FORMULA}
        g = Grid.from_parts(SimpleNamespace(title="S"), 3, rng.randint(1, 8), [], values, formulas, {})
        labels = rng.sample(LABELS, rng.randint(1, 3))
        row, exact = rng.randint(1, 4), rng.random() < 0.5
        kind = rng.choice([list, tuple, range])
        rows = range(row, row + 1) if kind is range else kind([row])
        expected = _scan(g, labels, [row], None, exact)
        assert g.find(*labels, rows=rows, exact=exact) == expected, (values, labels, row, exact)
        differs += expected is not None and len(g.find_all(*labels, exact=exact)) > 1
    assert differs > 300  # rows with several candidates were searched
