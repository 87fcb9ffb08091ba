"""H95x: hostile or unsafe files, refused or defused by :mod:`perfxl.safety` and the output policy."""

from __future__ import annotations

from perfxl.severity import Rule, Severity

_SRC = "健壮性与安全：ECMA-376 Part 2（OPC 压缩包）；MS-CFB；MS-OFFCRYPTO"

HOSTILE_RULES: tuple[Rule, ...] = (
    Rule("H950", Severity.ERROR, "不是 Excel 工作簿",
         "文件不是 .xlsx 格式的 Excel 工作簿（不是 zip 压缩包，或缺少工作簿部件），无法读取。"
         "请在 Excel 或 WPS 中打开后“另存为 Excel 工作簿 (.xlsx)”。", _SRC),
    Rule("H951", Severity.ERROR, "文件受密码保护",
         "加密的工作簿以 OLE2 复合文档保存（含 EncryptionInfo 流），不解密无法读取。"
         "请先在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后再试。", _SRC),
    Rule("H952", Severity.ERROR, "旧版 .xls 或其他 OLE2 文件",
         "Excel 97-2003 (.xls) 等旧格式不受支持。请在 Excel 或 WPS 中另存为 .xlsx 后再试。", _SRC),
    Rule("H953", Severity.ERROR, "压缩包异常（疑似 zip 炸弹）",
         "工作簿解压后的大小、部件数量或压缩比超出安全上限。为防止耗尽内存或磁盘，perfxl 在解压前拒绝读取。",
         _SRC),
    Rule("H954", Severity.ERROR, "工作簿超出支持的规模",
         "工作表数量，或工作表中实际写有的行数、列数、单元格数超出 perfxl 支持的上限（按内容计数，不看文件"
         "声明的范围 <dimension>）；绩效表通常每个项目几十行。"
         "请删除多余的工作表或空行后再试。", _SRC),
    Rule("H955", Severity.INFO, "启用宏的工作簿：宏不会运行",
         "perfxl 只读取 .xlsm 中的单元格，从不运行其中的宏；写出的文件一律为不含宏的 .xlsx"
         "（Office 会拦截邮件中的宏，邮件过滤也会删去 .xlsm）。", _SRC + "；design.md §3"),
    Rule("H956", Severity.ERROR, "文件正被其他程序打开",
         "目标文件旁有 Excel/WPS 的锁文件（~$文件名）、LibreOffice 的 .~lock.文件名#、Linux 版 WPS 的 .~文件名，"
         "或文件被其他进程锁定、无法以写方式打开。为免覆盖他人的修改，perfxl 不写入；请先关闭该文件，"
         "或用 -o 写到另一个文件。", _SRC),
    Rule("H957", Severity.INFO, "以 = + - @ 开头的文字按文本保存",
         "单元格中以 =、+、-、@ 开头的文字可能被当作公式执行（公式注入）。perfxl 写出时一律按文本保存，不会变成公式。",
         _SRC + "；OWASP CSV Injection"),
    Rule("H958", Severity.INFO, "输出文件名已改为安全名称",
         "由项目名称生成的文件名中含有路径符号（../、/、\\、:）、控制字符、Windows 保留名（CON、PRN、NUL 等）"
         "或过长，已替换为安全的名称。", _SRC),
    Rule("H959", Severity.ERROR, "工作簿含有 XML 实体声明（疑似 XML 炸弹）",
         "Excel 工作簿的 XML 部件从不含 DOCTYPE/ENTITY 声明；含有它们的文件可能用实体展开耗尽内存"
         "（billion laughs），perfxl 拒绝读取。", _SRC + "；defusedxml"),
    Rule("H960", Severity.ERROR, "原地写入会丢失工作簿中的图片、图表等内容",
         "perfxl 在命令行中用 openpyxl 改写工作簿，openpyxl 不保留图片、图表、形状、切片器、控件、嵌入对象、"
         "自定义 XML 部件、数据透视表、新版批注、VBA、迷你图和引用其他工作表的下拉列表（extLst）。"
         "为免丢失，perfxl 不原地改写含有这些内容的工作簿：请用 -o 写到另一个文件（新文件中不含这些内容），"
         "或在 Excel 中用“绩效”选项卡的按钮（直接作用于打开的工作簿，不会丢失）。", _SRC + "；openpyxl 文档"),
)
