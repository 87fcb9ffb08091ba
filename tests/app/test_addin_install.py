"""``perfxl addin install`` and ``perfxl addin doctor``. The Windows checks are pure functions of
injected facts (Facts); nothing pretends the whole process runs on Windows."""

from __future__ import annotations

import dataclasses

import pytest

from perfxl import addin_install, cli
from perfxl.addin_install import Facts
from tests.paths import ROOT


HEALTHY = Facts(
    platform="win32", python_bits=64, xlwings_version="0.37.8", vba_version="0.37.8",
    package_data={"macros": True, "templates": True},
    excel_path=r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE", excel_bits=64,
    interpreter=r"C:\Python311\pythonw.exe", interpreter_exists=True,
    dlls=["xlwings64-0.37.8.dll"], com_error=None,
)

# one fault each: (changes to the healthy PC, words of the problem, words of the one fix)
FAULTS = {
    "store_excel": (
        {"excel_path": r"C:\Program Files\WindowsApps\Microsoft.Office.Desktop.Excel_16\Office16\EXCEL.EXE"},
        "Microsoft Store", "office.com"),
    "no_excel": ({"excel_path": None}, "没有找到 Windows 版 Excel", "安装桌面版"),
    "bitness": ({"excel_bits": 32}, "Excel 是 32 位，Python 是 64 位", "32 位的 Python"),
    "no_config": ({"interpreter": None, "interpreter_exists": None, "dlls": None},
                  "没有加载项设置文件", "perfxl addin install"),
    "interpreter_gone": ({"interpreter_exists": False, "dlls": None},
                         r"解释器不存在：C:\Python311\pythonw.exe", "perfxl addin install"),
    "dll_missing": ({"dlls": []}, "缺少 xlwings64-0.37.8.dll", "--force-reinstall xlwings==0.37.8"),
    "dll_other_version": ({"dlls": ["xlwings64-0.36.0.dll"]}, "找到：xlwings64-0.36.0.dll",
                          "--force-reinstall xlwings==0.37.8"),
    "com_server": ({"com_error": "ModuleNotFoundError: No module named 'pythoncom'"},
                   "Could not activate Python COM server", "pywin32"),
    "xlwings_version": ({"xlwings_version": "0.36.0"}, "xlwings 0.36.0 与加载项的 VBA 模块（xlwings 0.37.8）",
                        "pip install xlwings==0.37.8"),
    "package_data": ({"package_data": {"macros": True, "templates": False}}, "缺少 templates/",
                     "--force-reinstall ."),
}


def test_a_healthy_windows_pc_has_no_problem():
    text, problems = addin_install.doctor(HEALTHY)
    assert problems == []
    assert "未发现问题" in text and "EXCEL.EXE（64 位）" in text and "需要在 Windows" not in text


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_named_with_its_one_fix(fault):
    changes, what, fix = FAULTS[fault]
    facts = dataclasses.replace(HEALTHY, **changes)
    text, problems = addin_install.doctor(facts)
    assert len(problems) == 1, [p.what for p in problems]
    assert what in problems[0].what and fix in problems[0].fix
    assert f"问题 1：{problems[0].what}" in text and f"解决：{problems[0].fix}" in text


def test_linux_checks_what_it_can_and_names_the_windows_checks():
    facts = addin_install.gather_facts()  # this machine: package data, versions, the built file
    assert facts.package_data == {"macros": True, "templates": True}
    assert facts.vba_version == facts.xlwings_version == "0.37.8"
    assert facts.addin_problem is None and facts.excel_path is None
    text, problems = addin_install.doctor(facts)
    assert problems == []
    assert "需要在 Windows 上运行" in text
    assert all(check in text for check in addin_install.WINDOWS_ONLY_CHECKS)


def test_a_broken_macros_folder_is_reported(monkeypatch, tmp_path):
    (tmp_path / "macros").mkdir()
    for name in ("customUI14.xml", "PerfxlRibbon.bas", "Dictionary.cls"):
        (tmp_path / "macros" / name).write_bytes((ROOT / "macros" / name).read_bytes())
    (tmp_path / "macros" / "xlwings.bas").write_text(
        'Attribute VB_Name = "xlwings"\r\nPublic Const XLWINGS_VERSION As String = "0.37.8"\r\n'
        "' \u7ee9\u6548\r\n", encoding="utf-8")  # not ASCII: cannot be stored in code page 1252
    monkeypatch.setattr(addin_install.addin_build, "ROOT", tmp_path)
    monkeypatch.setattr(addin_install.addin_build.resources, "files", lambda pkg: tmp_path / "nowhere")
    facts = addin_install.gather_facts()
    assert facts.addin_problem and "VBA" in facts.addin_problem
    assert any("无法生成加载项" in p.what for p in addin_install.check(facts))


def test_config_file_round_trips_the_interpreter(tmp_path, monkeypatch):
    conf = tmp_path / "perfxl.conf"
    conf.write_text(addin_install.config_lines(r"C:\Program Files\Python311\pythonw.exe"),
                    encoding=addin_install.ansi_encoding())
    assert addin_install._config_interpreter(conf) == r"C:\Program Files\Python311\pythonw.exe"
    assert addin_install._config_interpreter(tmp_path / "missing.conf") is None


def test_install_writes_the_shipped_addin_and_the_interpreter_then_runs_doctor(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(addin_install, "on_windows", lambda platform=None: True)
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "me"))
    python = tmp_path / "Python311" / "python.exe"
    python.parent.mkdir()
    python.write_bytes(b"")
    (python.parent / "pythonw.exe").write_bytes(b"")
    monkeypatch.setattr(addin_install.sys, "executable", str(python))
    faulty = dataclasses.replace(HEALTHY, excel_bits=32)
    monkeypatch.setattr(addin_install, "gather_facts", lambda: faulty)

    assert cli.main(["addin", "install"]) == cli.EXIT_FINDINGS  # installed, but the doctor found a problem
    out = capsys.readouterr().out
    xlam = tmp_path / "AppData" / "Microsoft" / "Excel" / "XLSTART" / "perfxl.xlam"
    assert xlam.read_bytes() == (ROOT / "workbook" / "perfxl.xlam").read_bytes()
    conf = tmp_path / "me" / ".perfxl" / "perfxl.conf"
    assert addin_install._config_interpreter(conf) == str(python.parent / "pythonw.exe")
    assert f"已安装加载项：{xlam}" in out and "请重新启动 Excel" in out and "Excel 是 32 位" in out

    monkeypatch.setattr(addin_install, "gather_facts", lambda: HEALTHY)
    assert cli.main(["addin", "install", "--python", r"D:\py\pythonw.exe"]) == cli.EXIT_OK
    assert addin_install._config_interpreter(conf) == r"D:\py\pythonw.exe"


def test_install_of_a_missing_file_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(addin_install, "on_windows", lambda platform=None: True)
    monkeypatch.setenv("APPDATA", str(tmp_path))
    assert cli.main(["addin", "install", str(tmp_path / "nope.xlam")]) == cli.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert "找不到加载项文件" in err and "Traceback" not in err


def _healthy_base() -> Facts:
    return dataclasses.replace(HEALTHY, excel_path=None, excel_bits=None, interpreter=None,
                               interpreter_exists=None, dlls=None, com_error=None)


def test_windows_facts_find_the_dll_beside_the_interpreter_and_a_failing_com_import(tmp_path):
    import os
    import sys

    folder = tmp_path / "Python311"
    folder.mkdir()
    exe = folder / "pythonw.exe"
    os.symlink(sys.executable, exe)  # a real interpreter, without pywin32
    (folder / "xlwings64-0.37.8.dll").write_bytes(b"")
    conf = tmp_path / "perfxl.conf"
    conf.write_text(addin_install.config_lines(str(exe)), encoding=addin_install.ansi_encoding())
    excel = r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE"
    facts = addin_install.windows_facts(_healthy_base(), excel, 64, conf)
    assert (facts.interpreter, facts.interpreter_exists) == (str(exe), True)
    assert facts.dlls == ["xlwings64-0.37.8.dll"]
    assert facts.com_error == "ModuleNotFoundError: No module named 'pythoncom'"
    [problem] = addin_install.check(facts)
    assert "Could not activate Python COM server" in problem.what and "pywin32" in problem.fix


def test_windows_facts_of_a_missing_or_broken_interpreter(tmp_path):
    conf = tmp_path / "perfxl.conf"
    conf.write_text(addin_install.config_lines(str(tmp_path / "gone" / "pythonw.exe")),
                    encoding=addin_install.ansi_encoding())
    facts = addin_install.windows_facts(_healthy_base(), None, None, conf)
    assert facts.interpreter_exists is False and facts.dlls is None
    broken = tmp_path / "pythonw.exe"
    broken.write_bytes(b"MZ not a program")
    conf.write_text(addin_install.config_lines(str(broken)), encoding=addin_install.ansi_encoding())
    facts = addin_install.windows_facts(_healthy_base(), None, None, conf)
    assert facts.com_error and facts.com_error.startswith(("PermissionError", "OSError"))


class _FakeKey:
    def __init__(self, values):
        self.values = values

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _FakeWinreg:
    """The registry of a PC with 32-bit Click-to-Run Office from the Microsoft Store."""

    HKEY_LOCAL_MACHINE = "HKLM"
    KEYS = {
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\excel.exe":
            {None: r"C:\Program Files\WindowsApps\Microsoft.Office.Desktop.Excel_16.0\Office16\EXCEL.EXE"},
        r"SOFTWARE\Microsoft\Office\ClickToRun\Configuration": {"Platform": "x86"},
    }

    @classmethod
    def OpenKey(cls, root, sub):
        if sub not in cls.KEYS:
            raise OSError(2, "not found")
        return _FakeKey(cls.KEYS[sub])

    @staticmethod
    def QueryValue(key, name):
        return key.values[name]

    @staticmethod
    def QueryValueEx(key, name):
        if name not in key.values:
            raise OSError(2, "not found")
        return key.values[name], 1


def test_excel_facts_read_the_registry(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "winreg", _FakeWinreg)
    path, bits = addin_install._excel_facts()
    assert "WindowsApps" in path and bits == 32
    facts = dataclasses.replace(HEALTHY, excel_path=path, excel_bits=bits)
    whats = [p.what for p in addin_install.check(facts)]
    assert any("Microsoft Store" in w for w in whats) and any("32 位" in w for w in whats)
