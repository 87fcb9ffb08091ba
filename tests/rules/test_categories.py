"""The indicator categories live in one table (perfxl/rules/categories.py); the drop-downs, the
structure checks, the text importer and the summary's counts all take them from there."""

from __future__ import annotations

import ast

from perfxl.forms import settings_sheet, years
from perfxl.rules import categories
from perfxl.rules.checks import LEVEL2_CATALOG
from perfxl.summary import tables
from perfxl.textimport import cells
from tests.paths import PERFXL

LEVEL1 = {"产出指标", "成本指标", "效益指标", "满意度指标"}


def test_no_module_but_the_table_lists_the_categories():
    """A literal tuple, list, set or dict holding two or more 一级指标 names is a copy of the table."""
    copies = []
    for path in sorted(PERFXL.rglob("*.py")):
        if path == PERFXL / "rules" / "categories.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
            if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) and items:
                names = {i.value for i in items if isinstance(i, ast.Constant)} & LEVEL1
                if len(names) >= 2:
                    copies.append(f"{path.relative_to(PERFXL.parent)}:{node.lineno}")
    assert copies == []


def test_everyone_reads_the_same_categories():
    assert set(categories.LEVEL1) == LEVEL1
    # the templates' drop-downs keep their order
    assert settings_sheet.LEVEL1 == ["产出指标", "效益指标", "满意度指标", "成本指标"]
    assert settings_sheet.LEVEL2 == [
        "数量指标", "质量指标", "时效指标", "成本指标", "经济成本指标", "社会成本指标", "生态环境成本指标",
        "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标", "服务对象满意度指标"]
    assert LEVEL2_CATALOG == {
        "产出": {"数量", "质量", "时效", "成本"},
        "成本": {"经济成本", "社会成本", "生态环境成本", "生态成本", "成本"},
        "效益": {"经济效益", "社会效益", "生态效益", "生态环境效益", "可持续影响"},
        "满意度": {"服务对象满意度", "满意度"},
    }
    assert list(LEVEL2_CATALOG) == ["产出", "成本", "效益", "满意度"]
    assert tables.LEVEL1 == {"成本指标": "n_cost", "产出指标": "n_output", "效益指标": "n_benefit",
                             "满意度指标": "n_satisfaction"}
    assert cells.LEVEL2_PARENT["经济成本指标"] == "成本指标" and cells.LEVEL2_PARENT["数量指标"] == "产出指标"
    assert "成本指标" not in cells.LEVEL2_PARENT  # a 二级 only in the older layout (under 产出指标)
    assert years.categories(2026)[0] == ("成本指标", "经济成本指标")
    assert ("产出指标", "成本指标") in years.categories(2021)
