"""perfxl: budget-project performance forms (绩效目标申报表, 绩效自评表) in Excel."""

__version__ = "0.1.0"

from perfxl.rules.targets import parse_target  # noqa: E402  (perfxl.parse_target)
