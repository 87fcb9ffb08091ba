"""The one catalogue of rules (``perfxl explain CODE``): the rules :mod:`perfxl.rules.checks`
reports, and :data:`RULES`, the table of every area's rules assembled explicitly at the end.

Each code appears once (:func:`catalogue` refuses a duplicate). Codes are stable: a code is never
reused for a different meaning. Areas: T1xx target/actual text · S2xx scores and weights ·
D3xx deviation reasons (R7) · F4xx funds · X5xx structure · N8xx text · Y6xx across years.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from perfxl.rules.catalog_hostile import HOSTILE_RULES
from perfxl.rules.catalog_text import TEXT_RULES
from perfxl.rules.catalog_workbook import OUTPUT_RULES, WORKBOOK_RULES
from perfxl.severity import Rule, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

# Sources (domain.md §5); the wording of rationales is ours.
_MGMT = "财预〔2020〕10号《项目支出绩效评价管理办法》及其附件项目支出绩效自评表"
_GUIDE = "财预〔2021〕101号《中央部门项目支出核心绩效目标和指标设置及取值指引（试行）》"
_PROV = "省级预算绩效管理系统公开的校验配置"
_PUB = "上海市各区及其他省份公开的绩效自评表"

CATALOG: tuple[Rule, ...] = (
    # --- T1xx: target and actual text --------------------------------------------------------
    Rule("T101", E, "年度指标值无法识别",
         "年度指标值应写成 比较符+数值+单位（如 ≥9.00(人)、≤187.92(万元)），或定性词（如 及时、"
         "健全、有效保障）。无法识别的指标值不能计分，也无法与实际完成值比较。",
         f"domain.md §1；{_GUIDE}（指标值的表述）"),
    Rule("T102", E, "实际完成值无法识别",
         "实际完成值应为与指标值同单位的数值（如 8.00(人)），定性指标则为三档之一：达成年度指标、"
         "部分达成年度指标并具有一定效果、未达成年度指标且效果较差（或上海、安徽的对应表述）。",
         f"domain.md §1、R5；{_MGMT}"),
    Rule("T103", W, "指标值缺少比较符",
         "定量指标值应写明比较符（≥、≤、= 等），否则看不出是越高越好还是越低越好。perfxl 暂按"
         "“=”处理（R2e，按 ≥ 计分），请补上比较符。",
         f"domain.md §1、R2e；{_GUIDE}"),
    Rule("T104", I, "数值缺少小数位",
         "官方表样的数值保留两位小数（如 ≥11000.00(件)）。缺少小数位不影响计分，仅提示统一格式。",
         f"domain.md §3（文字）；{_MGMT}表样"),
    Rule("T105", W, "百分比单位写法不统一",
         "同一项目中“%”与“百分比”混用。两者含义相同，perfxl 按同一单位计算，但表内应统一写法。",
         "domain.md §1、§3（混用单位）"),
    Rule("T106", E, "实际完成值单位与指标值单位不一致",
         "实际完成值应与年度指标值使用同一单位（% 与 百分比 视为相同），否则无法计算完成比例，"
         "也无法给出建议得分。",
         f"domain.md §1、R2；{_MGMT}"),
    Rule("T107", W, "实际完成值与指标值类型不符",
         "定量指标的实际完成值应为数值；定性指标的实际完成值应为三个完成档次之一。类型不符时"
         "无法按 R2/R5 核对得分。",
         f"domain.md R2、R5；{_PROV}"),
    Rule("T108", E, "实际完成值未填写",
         "绩效自评表的每个三级指标都应填写实际完成值，它是计分和偏差分析的依据。",
         f"domain.md §1；{_MGMT}"),
    Rule("T109", W, "百分比指标的实际完成值疑似写成了小数",
         "年度指标值以 % 或 百分比 为单位，实际完成值却是不带单位、不大于 1 的数（如 0.885）：多半是"
         "把 88.5% 写成了小数，或单元格的百分比格式丢失了。perfxl 按写出的数值计分，请改为 88.50% 或 "
         "88.50(百分比)。单元格设置了百分比格式时（Excel、WPS、LibreOffice 中输入 88.5%），perfxl 按 "
         "88.5% 读取，不会报告此项。",
         f"domain.md §1（% 与 百分比）、R2；{_PUB}"),
    Rule("T110", W, "实际完成值带比较符",
         "实际完成值是完成的数量，不应带比较符（如 ≥266米）。perfxl 按其中的数值（266米）读取并计分，"
         "请删去比较符。",
         f"domain.md §5（实际完成值的写法）；{_PUB}"),
    # --- S2xx: weights and scores --------------------------------------------------------------
    Rule("S201", E, "分值合计不等于100",
         "预算执行率分值与全部三级指标分值之和应为 100（总分）。",
         f"domain.md R1；{_MGMT}（自评表总分100分）"),
    Rule("S202", E, "三级指标分值之和与上级指标分值不符",
         "一级或二级指标名称中写明了分值（如“产出指标（50分）”）时，其下三级指标分值之和应等于该分值。",
         f"domain.md R1；{_MGMT}"),
    Rule("S203", I, "分值分配与原则性权重不同",
         "原则上预算执行率 10 分、产出 50 分、效益 30 分、满意度 10 分；各地表样可以不同，"
         "此处仅作提示。",
         f"domain.md R1；{_MGMT}"),
    Rule("S204", E, "得分超出分值范围",
         "三级指标得分应在 0 与其分值之间。",
         f"domain.md R2、§2（评价人评分）；{_PROV}"),
    Rule("S205", E, "定性指标得分与完成档次不符",
         "定性指标按完成档次计分：达成 得分为分值的 80%–100%；部分达成 60%（含）–80%（不含）；"
         "未达成 0–60%（不含）。恰好 80% 属于达成，恰好 60% 属于部分达成。",
         f"domain.md R5；{_MGMT}；{_PROV}（档次区间校验）"),
    Rule("S206", W, "得分高于按规则计算的建议分",
         "定量指标未完成时，按规则应按完成比例计分（R2/R3）；评价人给出的得分高于按规则计算的分数，"
         "请核实。",
         f"domain.md R2、R2e、R3；{_MGMT}"),
    Rule("S207", E, "分值未填写",
         "绩效自评表的每个三级指标都应有分值（权重），否则无法计分和合计。",
         f"domain.md R1；{_MGMT}"),
    Rule("S208", W, "得分未填写",
         "三级指标未填写得分，合计时使用 perfxl 的建议得分；请评价人确认后填写。",
         f"domain.md §2（评价人评分，建议分）；{_MGMT}"),
    Rule("S209", W, "超额完成（指标值可能偏低）",
         "实际完成值达到指标值的 120% 及以上（阈值可设置）：指标值可能定得偏低，评价人应考虑"
         "是否扣分并说明原因。",
         f"domain.md R4；{_PROV}（超额完成 120% 提示）"),
    Rule("S210", W, "表中填写的执行率、执行得分或总分与计算不符",
         "表中直接填写（不是公式）的预算执行率、执行率得分或总分，与由全年预算数、全年执行数和各项得分"
         "按舍入规则（R6r）算出的数不同。perfxl 说明按截断、四舍五入或取整哪一种能得到表中的数，"
         "据此核对舍入方式设置或数据。",
         f"domain.md R6、R6r、§5（表中数与输入不一致）；{_PUB}"),
    # --- D3xx: deviation reasons (R7) ------------------------------------------------------------
    Rule("D301", E, "得分低于分值但未填写偏差原因分析",
         "三级指标得分低于分值时，必须在“偏差原因分析”中说明原因和改进措施。",
         f"domain.md R7；{_MGMT}（偏差原因分析）；{_PROV}（原因必填校验）"),
    Rule("D302", E, "未完成指标值但未填写偏差原因分析",
         "实际完成值未达到年度指标值（或定性指标为部分达成、未达成）时，必须说明偏差原因。",
         f"domain.md R7；{_MGMT}；{_PROV}（原因必填校验）"),
    Rule("D303", E, "超额完成但未填写偏差原因分析",
         "实际完成值达到指标值的 130% 及以上（阈值可设置）时，必须说明超额原因。",
         f"domain.md R4、R7；{_PROV}（超额完成 130% 原因必填）"),
    Rule("D304", W, "预算执行率偏低且未说明原因",
         "预算执行率低于 90%（阈值可设置）时应说明原因。perfxl 认为已说明的条件是：“实际完成情况”"
         "或任一“偏差原因分析”提到 执行率、预算、资金、结余、节约 或 支付。",
         f"domain.md R6、R7；{_MGMT}；{_PUB}"),
    # --- F4xx: funds -------------------------------------------------------------------------------
    Rule("F401", E, "资金合计不符",
         "年度资金总额应等于 当年财政拨款 + 上年结转资金 + 其他资金（年初预算数、全年预算数、"
         "全年执行数各列分别核对）；申报表的项目资金总额应等于 财政资金 + 其他资金。",
         f"domain.md §3（资金）；{_MGMT}"),
    Rule("F402", W, "执行数大于预算数",
         "全年执行数超过全年预算数，请核实（执行率得分以分值为上限）。",
         f"domain.md §3、R6；{_MGMT}"),
    Rule("F403", E, "成本指标上限合计超过资金",
         "经济成本指标（万元）的上限之和超过申请资金（申报表）或预算数（自评表）：成本指标与资金"
         "不一致。按显示精度（两位小数，万元）比较。",
         f"domain.md §3（成本指标与资金）；{_GUIDE}（成本指标）"),
    Rule("F404", W, "成本指标上限合计低于资金",
         "经济成本指标（万元）的上限之和低于申请资金或预算数：部分资金没有对应的成本指标。",
         f"domain.md §3（成本指标与资金）；{_GUIDE}（成本指标）"),
    Rule("F405", W, "单位成本×数量超过申请资金",
         "单位成本指标（元/件、元/小时 等）乘以同单位数量指标的数量（按最保守的配对估算下限），"
         "加上金额成本指标，已超过申请资金。仅在数量指标存在时核对。",
         f"domain.md §3（单位成本）；{_GUIDE}（成本指标）"),
    Rule("F406", W, "年度资金申请总额大于项目资金总额",
         "申报表中年度资金申请总额不应超过项目资金总额。",
         f"domain.md §1；{_MGMT}"),
    Rule("F407", E, "全年预算数或全年执行数未填写",
         "绩效自评表的年度资金总额应填写全年预算数和全年执行数：预算执行率（R6）由它们计算，缺少时"
         "执行率得分无法计算（不是 0 分）。",
         f"domain.md R6；{_MGMT}"),
    # --- X5xx: structure ----------------------------------------------------------------------------
    Rule("X501", E, "申报表缺少一级指标",
         "绩效目标申报表应有产出、效益、满意度指标；2021 年起还应有成本指标（一级，或旧表样中产出指标"
         "下的二级成本指标）。",
         f"domain.md §1、§3（结构）；{_GUIDE}"),
    Rule("X502", W, "自评表缺少一级指标",
         "绩效自评表原则上有产出、效益、满意度指标；个别地方表样不同（如无满意度），此处提示核实。",
         f"domain.md R1、§3；{_MGMT}"),
    Rule("X503", E, "二级指标不属于其一级指标",
         "二级指标须在其一级指标的目录内：产出—数量/质量/时效（旧表样另有成本）；成本—经济成本/"
         "社会成本/生态环境成本；效益—经济效益/社会效益/生态效益/可持续影响；满意度—服务对象满意度。",
         f"domain.md §1；{_GUIDE}；{_MGMT}"),
    Rule("X504", W, "指标名称不在标准目录中",
         "一级或二级指标名称不是标准目录中的名称，请核对是否写错或错位。",
         f"domain.md §1；{_GUIDE}"),
    Rule("X505", E, "成本指标归入了时效指标",
         "以金额（万元、元、元/件等）为单位或名称含“成本”的指标是成本指标，不应放在时效指标下。",
         f"domain.md §3、§4；{_GUIDE}"),
    Rule("X506", E, "指标重复",
         "同一二级指标下出现了名称相同的三级指标。",
         f"domain.md §3（结构）；{_GUIDE}"),
    Rule("X507", W, "三级指标名称重复",
         "不同二级指标下出现了名称相同的三级指标（如数量指标与成本指标同名），容易混淆，建议改名"
         "（如加“成本控制情况”）。",
         f"domain.md §3（结构）；{_GUIDE}"),
    Rule("X508", E, "年度指标值为空",
         "每个三级指标都应有年度指标值。",
         f"domain.md §3（结构）；{_GUIDE}"),
    Rule("X509", E, "三级指标名称为空",
         "每一行绩效指标都应有三级指标名称。",
         f"domain.md §1；{_GUIDE}"),
    Rule("X510", E, "项目重复",
         "同一文件中同一年度、同一表样出现了两个同名项目。",
         "domain.md §1（每个项目每年一张表）"),
    Rule("X511", E, "必填的项目信息未填写",
         "项目名称、主管部门、实施单位（自评表还有年度总体目标的实际完成情况）是表样的必填项，"
         "汇总、跨年度比对和评价都依赖它们。",
         f"domain.md §1、§5（空白的主管部门）；{_MGMT}"),
    Rule("X512", W, "一级指标由二级指标推断",
         "指标行没有一级指标（多为删除了一组的第一行，合并的一级指标单元格随之删除），或沿用的一级"
         "指标与二级指标不符；perfxl 按二级指标所属的一级指标读取。请在表中补上一级指标。",
         f"domain.md §1（指标目录）；{_GUIDE}"),
    # --- N8xx: text ---------------------------------------------------------------------------------
    Rule("N801", W, "疑似重复录入的文字",
         "两个或以上汉字紧接着原样重复（如“防汛防汛”应为“防台防汛”），多为录入错误。",
         "domain.md §3（文字）、§4"),
    # --- Y6xx: across years ---------------------------------------------------------------------------
    Rule("Y601", W, "新年度指标值低于上年实际完成值",
         "同一指标新年度的目标值低于上年已实际完成的数值，目标可能定得偏低，值得复核。指标按名称"
         "（完全相同、规范化后相同或作为组成部分出现）和单位对应。",
         f"domain.md §3（跨年度）；{_GUIDE}（指标取值参考历史数据）"),
)


def catalogue(*groups: Iterable[Rule]) -> Mapping[str, Rule]:
    """One read-only table ``code -> Rule`` of ``groups``; a code given twice raises ValueError."""
    table: dict[str, Rule] = {}
    for group in groups:
        for rule in group:
            if rule.code in table:
                raise ValueError(f"duplicate rule code {rule.code}")
            table[rule.code] = rule
    return MappingProxyType(table)


# The catalogue, every area listed here and nowhere else: the checks' rules above, the workbook
# reader's and the output policy's (W7xx), the safety gate's (H95x), the text importer's (I9xx).
RULES: Mapping[str, Rule] = catalogue(CATALOG, WORKBOOK_RULES, OUTPUT_RULES, HOSTILE_RULES, TEXT_RULES)
