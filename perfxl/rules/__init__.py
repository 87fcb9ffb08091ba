"""The rules layer: parsing targets and actuals, scoring (domain.md R1–R8) and checks.

Pure functions of :mod:`perfxl.model` objects — no I/O, no openpyxl, no xlwings.
"""

from perfxl.rules import catalog  # noqa: F401  (registers every rule in perfxl.findings.RULES)
from perfxl.rules.checks import CHECKS, check_file, check_project, check_scored, check_years
from perfxl.rules.scoring import (
    IndicatorScore,
    ProjectScore,
    band,
    band_top,
    completion_ratio,
    cut2,
    execution_rate,
    execution_score,
    grade,
    in_band,
    score_project,
    suggest_score,
)
from perfxl.rules.targets import (
    Achievement,
    Actual,
    Target,
    format_actual,
    format_target,
    normalize_unit,
    parse_actual,
    parse_level,
    parse_target,
    same_unit,
)

__all__ = [
    "CHECKS",
    "check_file",
    "check_project",
    "check_scored",
    "check_years",
    "Achievement",
    "Actual",
    "IndicatorScore",
    "ProjectScore",
    "Target",
    "band",
    "band_top",
    "completion_ratio",
    "cut2",
    "execution_rate",
    "execution_score",
    "format_actual",
    "format_target",
    "grade",
    "in_band",
    "normalize_unit",
    "parse_actual",
    "parse_level",
    "parse_target",
    "same_unit",
    "score_project",
    "suggest_score",
]
