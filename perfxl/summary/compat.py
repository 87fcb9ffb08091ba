"""The rule functions the summary uses, imported in one place.

Scoring, checks and target parsing belong to :mod:`perfxl.rules`; the summary never recomputes
them (design §1: a value is parsed once, scored once).
"""

from __future__ import annotations

from perfxl.rules.checks import check_file, check_years  # noqa: F401
from perfxl.rules.scoring import completion_ratio, score_project, target_met  # noqa: F401
from perfxl.rules.targets import Achievement, parse_actual, parse_target, same_unit  # noqa: F401
