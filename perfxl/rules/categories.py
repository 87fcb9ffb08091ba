"""The indicator categories (一级/二级指标, domain.md §1): the one table every reader, check,
template and summary takes them from.

* **2021 guide** (财预〔2021〕101号, budgets from 2022 on): 成本指标 is a first-level indicator
  (经济成本/社会成本/生态环境成本指标); 效益指标 has 经济效益/社会效益/生态效益/可持续影响指标.
* **older layout** (before 2022; still seen in the 2023 seed self-evaluation): 成本指标 is a
  second-level indicator under 产出指标, and 效益 has only 社会效益/可持续影响指标.
"""

from __future__ import annotations

# (一级, 二级) rows of a blank form, in printed order
CATEGORIES_2021: tuple[tuple[str, str], ...] = (
    ("成本指标", "经济成本指标"), ("成本指标", "社会成本指标"), ("成本指标", "生态环境成本指标"),
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
    ("效益指标", "经济效益指标"), ("效益指标", "社会效益指标"), ("效益指标", "生态效益指标"),
    ("效益指标", "可持续影响指标"), ("满意度指标", "服务对象满意度指标"),
)
CATEGORIES_OLDER: tuple[tuple[str, str], ...] = (
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
    ("产出指标", "成本指标"), ("效益指标", "社会效益指标"), ("效益指标", "可持续影响指标"),
    ("满意度指标", "服务对象满意度指标"),
)

COST = "成本指标"  # a 一级 under the 2021 guide, a 二级 under 产出指标 before it
OLD_COST_PARENT = "产出指标"

LEVEL1: tuple[str, ...] = ("产出指标", "成本指标", "效益指标", "满意度指标")

# 二级 -> its 一级 under the 2021 guide
LEVEL2_PARENT: dict[str, str] = {l2: l1 for l1, l2 in CATEGORIES_2021}

# every 二级 of either layout, grouped by LEVEL1 (the guide's order within a group)
LEVEL2: tuple[str, ...] = tuple(dict.fromkeys(
    l2 for l1 in LEVEL1 for parent, l2 in CATEGORIES_2021 + CATEGORIES_OLDER if parent == l1))


def level2_of(level1: str) -> tuple[str, ...]:
    """The 二级指标 ``level1`` holds in either layout, in :data:`LEVEL2` order."""
    pairs = set(CATEGORIES_2021 + CATEGORIES_OLDER)
    return tuple(l2 for l2 in LEVEL2 if (level1, l2) in pairs)
