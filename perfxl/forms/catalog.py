"""W7xx: reading and writing workbooks (``perfxl explain W701``)."""

from __future__ import annotations

from perfxl.findings import RULES, Rule, Severity, register

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
_SRC = "perfxl 工作簿读写（design.md §1 forms；domain.md §1 表样）"

CATALOG: tuple[Rule, ...] = (
    Rule("W701", E, "单元格内容无法读取",
         "应填数字（金额、分值、得分）或日期的单元格中是无法识别的内容、负数或错误值。perfxl 按空白处理"
         "该单元格，表内公式也无法使用它；请改为正确的数字或日期。", _SRC),
    Rule("W702", W, "数字以文本形式存储",
         "单元格中的数字是文本（如从 Word 粘贴或带千位分隔符的文字）。perfxl 能读出它，但 Excel 公式"
         "把文本当作空白，表内的执行率、得分、合计不会计算它；请把单元格改为数值。", _SRC),
    Rule("W703", W, "找不到表格栏目",
         "按标签（如“项目名称”“年初预算数”“三级指标”）查找栏目时没有找到，相应内容按空白处理。"
         "请勿删除或改写表样中的标签文字。", _SRC),
    Rule("W704", E, "项目名称为空", "每张表都应填写项目名称，汇总与跨年度比对都按项目名称对应。", _SRC),
    Rule("W705", W, "设置无法识别",
         "隐藏的“perfxl设置”表中缺少某项设置或其值无法识别，已使用默认值（如舍入方式 truncate）。", _SRC),
    Rule("W706", E, "找不到年度",
         "表头应有“（2023年度）”这样的年度行；没有年度就无法确定是哪一年的申报或自评。", _SRC),
    Rule("W707", W, "应填文字处是公式",
         "一级/二级/三级指标、指标值、实际完成值等应直接填写文字；单元格中的公式（或公式的错误值）已忽略。"
         "按表样输入的 =24.00(小时) 以“=”开头，Excel 当作公式（LibreOffice 显示 Err:509）：请把单元格格式设为"
         "“文本”后重新输入。perfxl 生成的模板中这些单元格已是文本格式。", _SRC),
    Rule("W708", E, "无法读取的表",
         "工作表看起来是绩效目标申报表或绩效自评表，但缺少年度等必要内容，无法读出项目，已跳过。", _SRC),
    Rule("W709", W, "工作簿中没有表样",
         "工作簿中没有找到绩效目标申报表或绩效自评表（按标题和 perfxl 的名称识别）。", _SRC),
    Rule("W710", E, "年度超出范围",
         "表头中的年度（如“（2101年度）”）不在 2000–2100 之内，多为录入错误；该表无法读出项目。"
         "请改正标题中的年度。", _SRC),
    Rule("W750", I, "旧版模板（建议升级）",
         "本表是 perfxl 旧版（v1）模板：年度指标值是一格文字，表内公式逐字解析它。perfxl 仍能读取、检查"
         "和评分；运行 perfxl upgrade 旧文件.xlsx -o 新文件.xlsx 可升级为新版：比较符（下拉）、指标值、"
         "单位分格填写，实际完成值填数值或完成档次，公式不再解析文字，得分不变。", _SRC),
)

register(*(r for r in CATALOG if r.code not in RULES))
