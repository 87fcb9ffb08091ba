"""Comments and catalogue texts say what and why, not history: no "issue N", no "as before"."""

from __future__ import annotations

import re
from perfxl.findings import RULES
from tests.source_lines import matching_lines

HISTORY = re.compile(r"\bissues? ?#?\d+|\bas before\b", re.IGNORECASE)


def test_no_history_in_comments_or_docstrings():
    assert matching_lines(HISTORY) == []


def test_no_history_in_what_explain_prints():
    assert [code for code, rule in RULES.items()
            if HISTORY.search(rule.source + rule.rationale + rule.title)] == []
