"""Which indicator layout a form of a given year uses (README “各年度的表样”); the layouts
themselves are :mod:`perfxl.rules.categories`.

The blank templates (``perfxl new``, ``perfxl template build``) and ``perfxl carry --next-year``
use the layout of the form's year, so a year's blank form and a carried one look the same.
"""

from __future__ import annotations

from perfxl.rules.categories import CATEGORIES_2021, CATEGORIES_OLDER

#: the first budget year laid out by the 2021 guide
GUIDE_2021_FROM = 2022


def uses_2021_guide(year: int) -> bool:
    return year >= GUIDE_2021_FROM


def categories(year: int) -> tuple[tuple[str, str], ...]:
    """(一级, 二级) rows of a blank form of ``year``, in printed order."""
    return CATEGORIES_2021 if uses_2021_guide(year) else CATEGORIES_OLDER
