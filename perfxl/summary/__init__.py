"""Cross-project and cross-year summaries.

- :mod:`perfxl.summary.tables` — per-project rows (plain dicts) built from ProjectFiles + scores;
- :mod:`perfxl.summary.matching` — projects and indicators matched across years (项目对照);
- :mod:`perfxl.summary.sheets` — the summary workbook (Excel Tables, native formulas, charts);
- :mod:`perfxl.summary.charts` — PNG export of the same charts (matplotlib);
- :mod:`perfxl.summary.build` — ``build_summary(paths, out)`` for the CLI and
  ``build_summary_sheets(workbook, checked)`` for the 汇总 ribbon button.
"""

from perfxl.summary.build import SummaryResult, build_summary, build_summary_sheets

__all__ = ["SummaryResult", "build_summary", "build_summary_sheets"]
