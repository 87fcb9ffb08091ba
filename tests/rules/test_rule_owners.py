"""One owner per rule: the R6r cut's formula text is written only by rules/scoring.py; every form
and summary formula that cuts to 2 decimals gets it from there."""

from __future__ import annotations

import re

from tests.source_lines import matching_lines

# the shapes of an R6r cut written by hand: TRUNC(ROUND(…,9),2), ROUND(ROUND(…,9)…
CUT_BY_HAND = re.compile(r"TRUNC\(ROUND\(|ROUND\(ROUND\(")


def test_r6r_formula_text_is_written_only_by_scoring():
    assert matching_lines(CUT_BY_HAND, {"rules/scoring.py"}) == []


def test_the_summary_and_the_forms_cut_with_the_same_text():
    from perfxl.forms.formulas import cut2
    from perfxl.rules.scoring import cut2_formula, half_cent_constant

    assert cut2("A1") == "TRUNC(ROUND(ROUND(A1,9)+perfxl_half,9),2)"
    assert cut2_formula("A1", half_cent_constant("half_up")) == "TRUNC(ROUND(ROUND(A1,9)+0.005,9),2)"
    assert cut2_formula("A1", half_cent_constant("truncate")) == "TRUNC(ROUND(ROUND(A1,9)+0,9),2)"
