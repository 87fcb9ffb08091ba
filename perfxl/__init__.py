"""perfxl: budget-project performance forms (绩效目标申报表, 绩效自评表) in Excel."""

from perfxl.rules.targets import parse_target

__version__ = "0.1.0"
__all__ = ["parse_target", "__version__"]
