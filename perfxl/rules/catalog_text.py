"""I9xx: what the text importer (:mod:`perfxl.textimport`) had to guess, or could not read.

Every guess is an INFO finding that names the line of the text (``第N行``), so a person can look
at the published form and confirm it. Text that cannot be read is a WARNING (that piece is left
out) or an ERROR (nothing usable was found).
"""

from __future__ import annotations

from perfxl.severity import Rule, Severity

_SRC = "domain.md §4（种子文本由已公开的表格提取而来，有错列、拆行等缺陷）"

TEXT_RULES = (
    Rule(
        "I901",
        Severity.INFO,
        "单元格与表头错位，已按内容识别",
        "从PDF提取的文本常把一行整体左移或右移一列，或把空单元格合并掉。导入时不按列号，而是按"
        "内容判断哪个单元格是一级/二级/三级指标、指标值、分值、得分和偏差原因。请核对该行。",
        _SRC + "；表样见 domain.md §1",
    ),
    Rule(
        "I902",
        Severity.INFO,
        "跨行拆分的单元格已合并",
        "提取文本时，一个单元格的内容可能被拆到下一行（如“经济成本”/“指标”、长的三级指标名称）。"
        "导入时把没有指标值的行接到上一行对应的单元格后面。请核对合并后的文字。",
        _SRC,
    ),
    Rule(
        "I903",
        Severity.INFO,
        "一级指标由二级指标推断",
        "跨行合并的一级指标只出现一次，有时出现在该组的中间行，或二级指标被提取到一级指标列。"
        "导入时按二级指标所属的一级指标补全（如“社会效益指标”属于“效益指标”）。",
        _SRC + "；指标体系见 domain.md §1（财预〔2021〕101号）",
    ),
    Rule(
        "I904",
        Severity.INFO,
        "二级指标由上下文推断",
        "某行缺少二级指标时，按该一级指标唯一的二级指标，或按同组后续行出现的二级指标补全；"
        "也包括被截断的标签（如“经济成本”按“经济成本指标”处理）。",
        _SRC + "；指标体系见 domain.md §1（财预〔2021〕101号）",
    ),
    Rule(
        "I905",
        Severity.INFO,
        "年度由上下文推断",
        "表头下未找到“(XXXX年度)”行时，按同一文件中前一张表或计划日期推断年度。",
        _SRC + "；表样见 domain.md §1",
    ),
    Rule(
        "I906",
        Severity.INFO,
        "长文本的归属按位置推断",
        "年度总体目标（预期目标/实际完成情况，或项目总目标/年度总体目标）的文字与表头列不对齐时，"
        "按最近的表头列或出现顺序归属。",
        _SRC + "；表样见 domain.md §1",
    ),
    Rule(
        "I907",
        Severity.INFO,
        "资金数字的归属按位置推断",
        "项目资金行的数字个数与表头不一致，或“其他资金”无法按所在列区分项目资金与年度申请资金时，"
        "按出现顺序归属。",
        _SRC + "；资金栏见 domain.md §1、§3",
    ),
    Rule(
        "I908",
        Severity.INFO,
        "指标行的单元格归属按内容推断",
        "指标行缺少某个单元格（如实际完成值为空被合并掉），或三级指标被拆成多个单元格时，"
        "按内容（比较符+数字+单位、达成程度用语、分值）判断各单元格的含义。",
        _SRC + "；指标值写法见 domain.md §1",
    ),
    Rule(
        "I910",
        Severity.WARNING,
        "无法识别的行，已忽略",
        "该行既不是表头字段、资金、目标，也不是指标行，导入时未使用。请对照原表检查是否漏掉了内容。",
        _SRC,
    ),
    Rule(
        "I911",
        Severity.WARNING,
        "指标行缺少必要内容",
        "指标行缺少三级指标名称、年度指标值、一级/二级指标，或自评表缺少分值/得分；"
        "导入结果中该项为空，请对照原表补全。",
        _SRC + "；表样见 domain.md §1",
    ),
    Rule(
        "I912",
        Severity.WARNING,
        "数值无法读取",
        "金额、分值或日期无法按数字/日期读取（或为负数），导入结果中该项为空。",
        _SRC + "；金额与分值见 domain.md §1、§2",
    ),
    Rule(
        "I913",
        Severity.ERROR,
        "未找到可导入的表",
        "文本中没有“财政项目支出绩效自评表”或“财政项目支出绩效目标申报表”的标题，"
        "或表中缺少项目名称/年度，无法导入。",
        _SRC + "；表样见 domain.md §1",
    ),
    Rule(
        "I914",
        Severity.INFO,
        "舍入方式由表中打印的数推断",
        "表中打印的执行率、执行率得分与总分只有按某一种舍入方式（截断或四舍五入，R6r）才能由表中的"
        "预算数、执行数和各项得分算出；导入时把这种方式设为文件的舍入设置，使评分与原表一致。",
        _SRC + "；domain.md R6r、§5（舍入方式）",
    ),
)
