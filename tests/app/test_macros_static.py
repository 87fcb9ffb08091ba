"""Static checks of the add-in source in macros/ (design.md §3): what Linux can check without
Excel — the ribbon XML, the VBA callbacks and their RunPython targets, ASCII-only VBA, and the
xlwings VBA module's version against the pinned xlwings."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import xlwings
from perfxl import addin_build, addin_install
from tests.paths import ROOT

MACROS = ROOT / "macros"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
NS = {"ui": CUSTOMUI_NS}
BUTTONS = ["新建项目", "生成自评表", "校验", "评分", "汇总", "定稿"]

_SUB = re.compile(r"^\s*(?:Public\s+|Private\s+)?Sub\s+(\w+)\s*\(([^)]*)\)", re.M | re.I)
_RUNPYTHON = re.compile(r'RunPython\s+"([^"]*)"')


def _ribbon() -> ET.Element:
    return ET.parse(MACROS / "customUI14.xml").getroot()


def _vba_files() -> list[Path]:
    return sorted(p for p in MACROS.iterdir() if p.suffix.lower() in (".bas", ".cls"))


def _subs() -> dict[str, tuple[str, str]]:
    """Sub name -> (file, parameter list) over every VBA module."""
    subs = {}
    for path in _vba_files():
        for name, params in _SUB.findall(path.read_text(encoding="ascii")):
            subs[name] = (path.name, params)
    return subs


def _ribbon_subs_text() -> str:
    return (MACROS / "PerfxlRibbon.bas").read_text(encoding="ascii")


def _sub_body(text: str, name: str) -> str:
    m = re.search(rf"Sub\s+{name}\s*\(.*?\)(.*?)End Sub", text, re.S)
    assert m, name
    return m.group(1)


def test_ribbon_xml_parses_in_the_2009_customui_namespace():
    root = _ribbon()
    assert root.tag == f"{{{CUSTOMUI_NS}}}customUI"
    tabs = root.findall("ui:ribbon/ui:tabs/ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["绩效"]
    buttons = root.findall(".//ui:button", NS)
    assert sorted(b.get("label") for b in buttons) == sorted(BUTTONS)
    ids = [b.get("id") for b in buttons]
    assert len(set(ids)) == len(ids)
    for b in buttons:
        assert b.get("imageMso"), b.get("label")  # a built-in Office icon
        assert b.get("onAction"), b.get("label")
    # only elements of the customUI schema, no stray namespace
    assert {el.tag.split("}")[0][1:] for el in root.iter()} == {CUSTOMUI_NS}


def test_every_onaction_names_a_ribbon_callback_sub():
    subs = _subs()
    for button in _ribbon().findall(".//ui:button", NS):
        action = button.get("onAction").split(".")[-1]
        assert action in subs, f"{button.get('label')}: no Sub {action}"
        module, params = subs[action]
        assert module == "PerfxlRibbon.bas"
        assert re.fullmatch(r"\s*control\s+As\s+IRibbonControl\s*", params, re.I), params


def test_every_button_runs_one_python_handler_that_exists():
    text = _ribbon_subs_text()
    handlers = set()
    for button in _ribbon().findall(".//ui:button", NS):
        body = _sub_body(text, button.get("onAction"))
        commands = _RUNPYTHON.findall(body)
        assert len(commands) == 1, button.get("label")
        m = re.fullmatch(r"import ([\w.]+) as (\w+); \2\.(\w+)\(\)", commands[0])
        assert m, commands[0]
        module = importlib.import_module(m.group(1))
        func = getattr(module, m.group(3))
        assert callable(func)
        # RunPython calls it without arguments
        assert all(
            p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            for p in inspect.signature(func).parameters.values()
        )
        handlers.add(m.group(3))
    assert len(handlers) == len(BUTTONS)


def test_vba_is_ascii_and_every_runpython_is_a_literal():
    for path in _vba_files():
        data = path.read_bytes()
        bad = [i for i, b in enumerate(data) if b > 127]
        assert not bad, f"{path.name}: non-ASCII byte at {bad[:3]}"
        assert b"\r\n" in data  # VBA's import expects CRLF line ends
    # no RunPython built at run time from pieces
    assert not re.search(r"RunPython\s+[^\"\s]", _ribbon_subs_text())


def test_vba_module_version_equals_the_pinned_and_installed_xlwings():
    pinned = addin_build.pinned_xlwings_version()
    assert addin_build.vba_module_version() == pinned == xlwings.__version__ == "0.37.8"
    text = (MACROS / "xlwings.bas").read_text(encoding="ascii")
    assert f"'Version: {pinned}" in text
    assert f'xlwings64-{pinned}.dll' in text


def test_xlwings_module_is_the_official_custom_addin_module_for_project_perfxl():
    official = (Path(xlwings.__file__).parent / "xlwings_custom_addin.bas").read_bytes()
    ours = (MACROS / "xlwings.bas").read_bytes()
    assert ours == official.replace(
        b'PROJECT_NAME As String = "myaddin"', b'PROJECT_NAME As String = "perfxl"'
    )
    assert b'PROJECT_NAME As String = "perfxl"' in ours


def test_build_imports_xlwings_before_the_ribbon_module():
    names = [p.name for p in addin_build.vba_modules()]
    assert names[0] == "xlwings.bas" and "PerfxlRibbon.bas" in names


def test_config_lines_are_what_the_vba_module_reads():
    text = addin_install.config_lines(r"C:\Python311\python.exe")
    assert text.splitlines() == ['"INTERPRETER_WIN","C:\\Python311\\python.exe"', '"UDF_MODULES","perfxl.udfs"']


@pytest.mark.skipif(sys.platform.startswith("win"), reason="explains itself only off Windows")
def test_addin_install_explains_it_needs_windows(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "perfxl.cli", "addin", "install"],
        capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 2
    assert "Windows" in proc.stderr and "XLSTART" in proc.stderr and "只能" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("*.xlam"))
