"""W7xx: reading and writing workbooks and files (``perfxl explain W701``): the forms' reader
(W701–W710) and the output policy of :mod:`perfxl.outputs` (W730–W736)."""

from __future__ import annotations

from perfxl.severity import Rule, Severity

E, W = Severity.ERROR, Severity.WARNING
_SRC = "perfxl 工作簿读写（design.md §1 forms；domain.md §1 表样）"
_OUT = "design.md §5 输出规则（不丢数据、不挂起）"

WORKBOOK_RULES: tuple[Rule, ...] = (
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
)

OUTPUT_RULES: tuple[Rule, ...] = (
    Rule("W730", Severity.ERROR, "输出文件就是输入文件",
         "写出的文件与某个输入是同一个文件（同一路径、链接或同一 inode）。写入会用结果替换输入本身，"
         "perfxl 拒绝写入；请用 -o 指定另一个文件名。只有省略 -o 的 score 才原地写入（并保留备份）。", _OUT),
    Rule("W731", Severity.ERROR, "不覆盖不是 perfxl 写出的文件",
         "输出位置已有一个不是由 perfxl 写出的同类文件（或是文件夹、管道、设备）。perfxl 只替换它自己写出的"
         "同类文件（汇总表只替换汇总表，表单只替换表单，项目 JSON 只替换项目 JSON），并保留备份 NAME.bak；"
         "请换一个文件名，或确认不需要后先删除该文件。", _OUT),
    Rule("W732", Severity.ERROR, "无法写入输出文件",
         "磁盘已满、文件夹只读或没有写入权限，输出未写入；原文件与已有备份保持不变。"
         "请腾出空间或换一个可写的文件夹后重试。", _OUT),
    Rule("W733", Severity.ERROR, "输入不是可读取的普通文件",
         "输入是管道（FIFO）、设备、套接字或文件夹，或路径无法解析（符号链接循环、名称过长）。"
         "perfxl 只读取普通文件：读取管道会一直等待，设备不是工作簿。汇总时该文件单独列为未汇总，不影响其余文件。",
         _OUT),
    Rule("W734", Severity.WARNING, "同一项目出现在两个文件中，只汇总一次",
         "两个文件含有同一年度、同一表单、同名的项目（例如定稿副本、备份或重复发送的回执）。汇总只计入第一个文件中的"
         "项目，另一个文件中的同一项目不再计入合计，并在此列出两个文件，请确认保留哪一份。", _OUT),
    Rule("W735", Severity.WARNING, "文件未汇总：不支持的格式",
         "文件夹中的 .xls、.ods、.csv 等文件不是 perfxl 读取的格式，未计入汇总；请在 Excel 或 WPS 中"
         "另存为 .xlsx 后重新汇总。", _OUT),
    Rule("W736", Severity.WARNING, "控制字符已替换为空格",
         "项目 JSON 的文字中有控制字符（如 \\u0001）或 U+FFFE/U+FFFF。Excel 工作簿的 XML 不能保存它们，"
         "写入后 Excel 与 openpyxl 都打不开该文件；perfxl 读取时把它们换成空格。", _OUT),
)
