"""Which indicator layout a form of a given year uses (issue 17; README “各年度的表样”).

* **2021 guide** (财预〔2021〕101号, budgets from 2022 on): 成本指标 is a first-level indicator
  (经济成本/社会成本/生态环境成本指标); 效益指标 has 经济效益/社会效益/生态效益/可持续影响指标.
* **older layout** (before 2022; still seen in the 2023 seed self-evaluation): 成本指标 is a
  second-level indicator under 产出指标, and 效益 has only 社会效益/可持续影响指标.

The blank templates (``perfxl new``, ``perfxl template build``) and ``perfxl carry --next-year``
use the layout of the form's year, so a year's blank form and a carried one look the same.
"""

from __future__ import annotations

#: the first budget year laid out by the 2021 guide
GUIDE_2021_FROM = 2022

CATEGORIES_2021 = (
    ("成本指标", "经济成本指标"), ("成本指标", "社会成本指标"), ("成本指标", "生态环境成本指标"),
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
    ("效益指标", "经济效益指标"), ("效益指标", "社会效益指标"), ("效益指标", "生态效益指标"),
    ("效益指标", "可持续影响指标"), ("满意度指标", "服务对象满意度指标"),
)
CATEGORIES_OLDER = (
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
    ("产出指标", "成本指标"), ("效益指标", "社会效益指标"), ("效益指标", "可持续影响指标"),
    ("满意度指标", "服务对象满意度指标"),
)


def uses_2021_guide(year: int) -> bool:
    return year >= GUIDE_2021_FROM


def categories(year: int) -> tuple[tuple[str, str], ...]:
    """(一级, 二级) rows of a blank form of ``year``, in printed order."""
    return CATEGORIES_2021 if uses_2021_guide(year) else CATEGORIES_OLDER
