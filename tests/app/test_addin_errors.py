"""The ribbon handlers show the Chinese message of every error perfxl raises for the user (an
unreadable or refused file, a refused output), not the "意外错误" text meant for bugs."""

from __future__ import annotations

from perfxl.addin import _known_error
from perfxl.errors import HostileFileError, InputError
from perfxl.finalize import FinalizeRefused
from perfxl.forms.workbook import WorkbookReadError
from perfxl.outputs import OutputRefused


def test_user_facing_errors_are_known_by_type():
    for exc in (HostileFileError("H950", "报表.xlsx", "不是 Excel 工作簿"),
                OutputRefused("W731", "汇总.xlsx", "不覆盖不是 perfxl 写出的文件"),
                WorkbookReadError("无法作为 Excel 工作簿打开 报表.xlsx"),
                InputError("找不到文件：报表.xlsx")):
        assert _known_error(exc) == str(exc), type(exc)
    assert _known_error(FinalizeRefused([])).startswith("仍有 0 个错误")


def test_a_bug_is_not_a_known_error():
    assert _known_error(KeyError("x")) is None
    assert _known_error(ValueError("x")) is None
