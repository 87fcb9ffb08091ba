"""The gate's zip checks use zipfile's public API only, and still refuse archives whose
headers lie about sizes."""

from __future__ import annotations

import ast
import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from perfxl import safety
from perfxl.safety import HostileFileError, check_workbook
from tests.io.test_hostile import _forge_sizes, _rewrite, _xlsx

SAFETY = Path(safety.__file__)


def test_safety_uses_no_private_names_of_other_modules():
    """No ``x._name`` except on ``self``, no ``getattr(x, "_name")``: private attributes of
    zipfile objects (``_end_offset``, ``_read1``…) change between Python versions."""
    tree = ast.parse(SAFETY.read_text(encoding="utf-8"))
    private = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.endswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                private.append((node.lineno, node.attr))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and str(node.args[1].value).startswith("_"):
                private.append((node.lineno, node.args[1].value))
    assert private == []


def test_struct_reads_only_the_compound_file_header():
    """``struct`` parses MS-CFB (encrypted workbooks, .xls) only, never a zip header."""
    tree = ast.parse(SAFETY.read_text(encoding="utf-8"))
    users = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            if any(isinstance(n, ast.Name) and n.id == "struct" for n in ast.walk(fn)):
                users.add(fn.name)
    assert users == {"_cfb_stream_names", "_cfb_directory"}


def _small_lie(tmp_path: Path, real_bytes: int) -> Path:
    """A workbook whose sheet really unpacks to ``real_bytes`` (a run of spaces: ~1/1000 on
    disk) while the central directory says 2,000 bytes — below every size and ratio limit."""
    src = _xlsx(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    head, _, tail = sheet.partition(b"<sheetData>")
    body = head + b"<sheetData>" + b" " * real_bytes + tail
    honest = _rewrite(src, tmp_path / "honest.xlsx", replace={"xl/worksheets/sheet1.xml": body})
    lie = tmp_path / "lie.xlsx"
    _forge_sizes(honest, lie, "xl/worksheets/sheet1.xml", 2_000)
    return lie


def test_part_larger_than_declared_is_refused_without_unpacking_it(tmp_path):
    bomb = _small_lie(tmp_path, 60 * 2**20)
    assert bomb.stat().st_size < 2**20
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 2_000
    tracemalloc.start()
    try:
        with pytest.raises(HostileFileError) as exc:
            check_workbook(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.value.code == "H950" and "xl/worksheets/sheet1.xml" in str(exc.value)
    assert peak < 8 * 2**20  # the 60 MB the part holds were never unpacked


def test_byte_budget_refuses_a_stream_longer_than_declared(tmp_path, monkeypatch):
    """If zipfile ever handed on more than a part's declared size, the gate's own budget
    refuses it (H953) at the first chunk past it."""
    book = _xlsx(tmp_path / "book.xlsx")
    real_open = zipfile.ZipFile.open

    def longer(self, name, *args, **kwargs):
        fh = real_open(self, name, *args, **kwargs)
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if info.filename != "xl/worksheets/sheet1.xml":
            return fh
        return io.BytesIO(fh.read() + b" " * (3 * 2**20))

    monkeypatch.setattr(zipfile.ZipFile, "open", longer)
    with pytest.raises(HostileFileError) as exc:
        check_workbook(book)
    assert exc.value.code == "H953" and "xl/worksheets/sheet1.xml" in str(exc.value)
    assert "声明" in str(exc.value)


def test_every_xml_part_is_unpacked_once_and_handed_on(tmp_path):
    book = _xlsx(tmp_path / "book.xlsx", rows=50)
    _, package = safety.gate_workbook(book)
    with zipfile.ZipFile(book) as zf:
        xml = {i.filename: zf.read(i) for i in zf.infolist() if i.filename.endswith((".xml", ".rels"))}
    assert package.parts == xml
