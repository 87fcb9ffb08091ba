"""The built add-in and macro workbook (workbook/), checked by independent readers: oletools
(module source), olefile in strict mode (the compound file), LibreOffice's importer (modules
and their kinds), and the package parts (ribbon, relationships, content types, code names)."""

from __future__ import annotations

import hashlib

import importlib
import inspect
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import olefile
import pytest
from oletools.olevba import VBA_Parser

import xlwings
from perfxl import addin_build
from tests.paths import ROOT

MACROS = ROOT / "macros"
ADDIN = ROOT / "workbook" / "perfxl.xlam"
WORKBOOK = ROOT / "workbook" / "绩效工作簿.xlsm"
BUILT = [ADDIN, WORKBOOK]
CUSTOMUI_NS = "{http://schemas.microsoft.com/office/2009/07/customui}"
SOURCES = {"xlwings": "xlwings.bas", "PerfxlRibbon": "PerfxlRibbon.bas", "Dictionary": "Dictionary.cls"}


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


def _macros_source(filename: str) -> list[str]:
    """The module as the VBA editor stores it: a class file without its VERSION…END header."""
    lines = _lines((MACROS / filename).read_text(encoding="ascii"))
    if filename.endswith(".cls"):
        assert lines[:4] == ["VERSION 1.0 CLASS", "BEGIN", "  MultiUse = -1  'True", "END"]
        lines = lines[4:]
    return lines


def _modules(path: Path) -> dict[str, str]:
    """Module name -> source, as oletools extracts them in strict mode."""
    parser = VBA_Parser(str(path), relaxed=False)
    try:
        return {Path(stream).name: code for _f, stream, _n, code in parser.extract_macros()}
    finally:
        parser.close()


def _vba_bin(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


@pytest.mark.parametrize("path", BUILT, ids=lambda p: p.name)
def test_committed_file_equals_a_fresh_build(path, tmp_path):
    """macros/, templates/ and workbook/ never drift apart: after changing either, run
    ``perfxl addin build`` and commit workbook/."""
    [out] = addin_build.build(tmp_path / path.name)
    # digests, not the bytes: pytest's explanation of two unequal megabyte strings takes minutes
    fresh, committed = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (out, path))
    assert fresh == committed, "workbook/ 已过期：请运行 perfxl addin build 并提交"


@pytest.mark.parametrize("path,sheets", [(ADDIN, 1), (WORKBOOK, 3)], ids=["xlam", "xlsm"])
def test_oletools_extracts_every_module_equal_to_its_source(path, sheets):
    modules = _modules(path)
    expected_docs = ["ThisWorkbook"] + [f"Sheet{i}" for i in range(1, sheets + 1)]
    assert sorted(modules) == sorted([*SOURCES, *expected_docs])
    for name, filename in SOURCES.items():
        assert _lines(modules[name]) == _macros_source(filename), name
    # attributes are kept: the class's default member and description, the module names
    assert "Attribute Item.VB_UserMemId = 0" in modules["Dictionary"]
    assert 'Attribute VB_Description = "Drop-in replacement' in modules["Dictionary"]
    for doc in expected_docs:
        lines = _lines(modules[doc])
        assert lines[0] == f'Attribute VB_Name = "{doc}"'
        base = "00020819" if doc == "ThisWorkbook" else "00020820"
        assert lines[1] == f'Attribute VB_Base = "0{{{base}-0000-0000-C000-000000000046}}"'


@pytest.mark.parametrize("path", BUILT, ids=lambda p: p.name)
def test_olefile_strict_reads_the_project_as_specified(path):
    with olefile.OleFileIO(_vba_bin(path), raise_defects=olefile.DEFECT_INCORRECT) as ole:
        streams = {"/".join(s) for s in ole.listdir()}
        assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} <= streams
        # version 0xFFFF and no performance cache: Excel compiles from source
        assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("cc61ffff000100")
        project = ole.openstream("PROJECT").read().decode("cp1252")
    lines = project.split("\r\n")
    assert f'ID="{addin_build.PROJECT_ID}"' == lines[0]
    assert 'Name="perfxl"' in lines
    assert {"Module=xlwings", "Module=PerfxlRibbon", "Class=Dictionary",
            "Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000"} <= set(lines)


def test_dir_stream_has_code_page_1252_and_the_office_reference():
    from oletools.olevba import decompress_stream

    with olefile.OleFileIO(_vba_bin(ADDIN), raise_defects=olefile.DEFECT_INCORRECT) as ole:
        dir_ = decompress_stream(bytearray(ole.openstream("VBA/dir").read()))
    assert b"\x03\x00\x02\x00\x00\x00\xe4\x04" in dir_  # PROJECTCODEPAGE 1252
    assert b"*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#" in dir_  # Office: IRibbonControl
    assert b"*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#" in dir_  # stdole


@pytest.mark.libreoffice
def test_libreoffice_lists_the_modules_with_their_kinds(tmp_path):
    """LibreOffice's VBA importer is a reader independent of the writer and of oletools.
    python3-uno belongs to the system Python (.ci/run installs it)."""
    proc = subprocess.run(
        ["/usr/bin/python3", str(ROOT / "tests" / "lo_vba_modules.py"), str(tmp_path / "profile"),
         *map(str, BUILT)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    for path, sheets in [(ADDIN, 1), (WORKBOOK, 3)]:
        modules = found[str(path)]
        kinds = {name: kind for name, (kind, _src) in modules.items()}
        assert kinds == {"xlwings": "standard", "PerfxlRibbon": "standard", "Dictionary": "class",
                         "ThisWorkbook": "document",
                         **{f"Sheet{i}": "document" for i in range(1, sheets + 1)}}
        assert "Sub PerfxlCheck(control As IRibbonControl)" in modules["PerfxlRibbon"][1]


@pytest.mark.parametrize("path", BUILT, ids=lambda p: p.name)
def test_ribbon_part_and_relationship(path):
    with zipfile.ZipFile(path) as z:
        assert z.read("customUI/customUI14.xml") == (MACROS / "customUI14.xml").read_bytes()
        rels = ET.fromstring(z.read("_rels/.rels"))
        targets = [r.get("Target") for r in rels if r.get("Type") == addin_build.RIBBON_REL_TYPE]
        assert targets == ["customUI/customUI14.xml"]
        assert len({r.get("Id") for r in rels}) == len(rels)
        wb_rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        assert [r.get("Target") for r in wb_rels if r.get("Type") == addin_build.VBA_REL_TYPE] == ["vbaProject.bin"]
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("path", BUILT, ids=lambda p: p.name)
def test_every_onaction_is_a_public_ribbon_sub_of_the_stored_project(path):
    ribbon = ET.fromstring((MACROS / "customUI14.xml").read_bytes())
    stored = _modules(path)["PerfxlRibbon"]
    for button in ribbon.iter(f"{CUSTOMUI_NS}button"):
        action = button.get("onAction")
        assert re.search(rf"^Public Sub {action}\(control As IRibbonControl\)\r?$", stored, re.M), action


@pytest.mark.parametrize("path", BUILT, ids=lambda p: p.name)
def test_every_runpython_target_of_the_stored_project_is_a_handler(path):
    stored = _modules(path)["PerfxlRibbon"]
    commands = re.findall(r'RunPython "([^"]*)"', stored)
    assert len(commands) == 6
    for command in commands:
        m = re.fullmatch(r"import ([\w.]+) as (\w+); \2\.(\w+)\(\)", command)
        assert m, command
        func = getattr(importlib.import_module(m.group(1)), m.group(3))
        assert callable(func) and not [
            p for p in inspect.signature(func).parameters.values() if p.default is p.empty]


@pytest.mark.parametrize("path", BUILT, ids=lambda p: p.name)
def test_stored_xlwings_module_is_the_pinned_version(path):
    stored = _modules(path)["xlwings"]
    version = re.search(r'^Public Const XLWINGS_VERSION As String = "([^"]+)"', stored, re.M).group(1)
    assert version == addin_build.pinned_xlwings_version() == xlwings.__version__
    assert f'"xlwings64-{version}.dll"' in stored


def test_addin_and_workbook_content_types_and_code_names():
    for path, content_type, sheets in [
        (ADDIN, addin_build.ADDIN_CONTENT_TYPE, ["perfxl.conf"]),
        (WORKBOOK, addin_build.MACRO_CONTENT_TYPE, ["绩效目标申报表", "绩效自评表", "perfxl设置"]),
    ]:
        with zipfile.ZipFile(path) as z:
            types = ET.fromstring(z.read("[Content_Types].xml"))
            by_part = {t.get("PartName"): t.get("ContentType") for t in types}
            assert by_part["/xl/workbook.xml"] == content_type
            assert by_part["/xl/vbaProject.bin"] == addin_build.VBA_CONTENT_TYPE
            workbook = z.read("xl/workbook.xml").decode()
            assert 'codeName="ThisWorkbook"' in workbook
            assert re.findall(r'<sheet name="([^"]+)"', workbook) == sheets
            for i in range(1, len(sheets) + 1):
                assert f'<sheetPr codeName="Sheet{i}"' in z.read(f"xl/worksheets/sheet{i}.xml").decode()
    with zipfile.ZipFile(ADDIN) as z:
        assert 'visibility="hidden"' in z.read("xl/workbook.xml").decode()


def test_addin_config_sheet_is_what_the_vba_module_reads():
    from python_calamine import CalamineWorkbook  # openpyxl refuses .xlam

    wb = CalamineWorkbook.from_path(str(ADDIN))
    assert wb.sheet_names == [addin_build.CONF_SHEET]
    assert wb.get_sheet_by_name(addin_build.CONF_SHEET).to_python() == [["UDF_MODULES", "perfxl.udfs"]]
    text = (MACROS / "xlwings.bas").read_text(encoding="ascii")
    assert 'Set sht = wb.Sheets(PROJECT_NAME & ".conf")' in text


def test_macro_workbook_holds_the_two_blank_official_forms():
    from perfxl.forms.workbook import read_projects
    from perfxl.model import Form

    pf, _findings = read_projects(WORKBOOK)
    assert [(Form(p.form), p.year) for p in pf.projects] == [
        (Form.DECLARATION, 2026), (Form.SELF_EVALUATION, 2025)]
    assert all(not i.name for p in pf.projects for i in p.indicators)


def test_finalized_copy_of_the_macro_workbook_is_a_macro_free_xlsx(tmp_path):
    import shutil

    from perfxl.finalize import finalize

    src = tmp_path / WORKBOOK.name
    shutil.copyfile(WORKBOOK, src)
    result = finalize(src, tmp_path / "out", force=True)
    assert result.xlsx.suffix == ".xlsx"
    with zipfile.ZipFile(result.xlsx) as z:
        names = z.namelist()
        assert not [n for n in names if "vba" in n.lower() or n.startswith("customUI")]
        assert "macroEnabled" not in z.read("[Content_Types].xml").decode()


def test_build_refuses_an_unknown_suffix_with_a_chinese_message(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "perfxl.cli", "addin", "build", "-o", "x.xlsx"],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert ".xlam" in proc.stderr and "扩展名" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_build_into_a_folder_that_cannot_be_written_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "perfxl.cli", "addin", "build", "-o", str(blocker / "perfxl.xlam")],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert "无法写入" in proc.stderr and "-o" in proc.stderr and "内部错误" not in proc.stderr
