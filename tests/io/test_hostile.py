"""Hostile files (issue 8): bombs, non-workbooks, encrypted and macro workbooks, formula
injection, path tricks, Excel lock files, and a kill in the middle of a save."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from perfxl.cli import main
from perfxl.outputs import check_unlocked
from perfxl.safety import (
    HostileFileError,
    Limits,
    as_text_cell,
    check_workbook,
    guard_xml,
    output_path,
    safe_filename,
    set_text_cell,
)
from tests.paths import ROOT


def _xlsx(path: Path, rows: int = 3, sheets: int = 1) -> Path:
    wb = openpyxl.Workbook()
    for i in range(sheets):
        ws = wb.active if i == 0 else wb.create_sheet(f"S{i}")
        for r in range(1, rows + 1):
            ws.cell(r, 1, f"r{r}")
            ws.cell(r, 2, r)
    wb.save(path)
    return path


def _rewrite(src: Path, dst: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> Path:
    """Copy a workbook's zip, replacing or adding parts."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def _code(exc_info) -> str:
    return exc_info.value.code


def _cli(capsys, *argv: str) -> tuple[int, str]:
    os.environ.setdefault("PERFXL_HOME", "/tmp/perfxl-test-home")
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


# --- the gate accepts ordinary workbooks -----------------------------------------------------


def test_gate_accepts_plain_workbook(tmp_path):
    assert check_workbook(_xlsx(tmp_path / "ok.xlsx")) == []


# --- not a workbook --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, this is text", b"%PDF-1.7\n", "项目名称,金额\n".encode("gbk"), b"PK\x03\x04garbage"],
    ids=["empty", "text", "pdf", "csv-gbk", "broken-zip"],
)
def test_non_workbook_is_refused_in_chinese(tmp_path, capsys, content):
    p = tmp_path / "x.xlsx"
    p.write_bytes(content)
    with pytest.raises(HostileFileError) as e:
        check_workbook(p)
    assert _code(e) == "H950" and "不是 Excel 工作簿" in str(e.value)
    code, out = _cli(capsys, "check", str(p))
    assert code == 2 and "H950" in out and "Traceback" not in out


def test_zip_without_workbook_part_and_truncated_workbook(tmp_path):
    docx = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(HostileFileError) as e:
        check_workbook(docx)
    assert _code(e) == "H950" and "xl/workbook.xml" in str(e.value)

    good = _xlsx(tmp_path / "good.xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(HostileFileError) as e:
        check_workbook(cut)
    assert _code(e) == "H950"


# --- encrypted and legacy OLE2 files ---------------------------------------------------------


def _cfb(stream_names: list[str]) -> bytes:
    """A minimal, valid compound file (MS-CFB v3): FAT in sector 0, directory in sector 1."""
    free, end, fatsect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # FAT sectors
    struct.pack_into("<I", header, 0x30, 1)  # first directory sector
    struct.pack_into("<I", header, 0x38, 4096)
    struct.pack_into("<IIII", header, 0x3C, end, 0, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([free] * 108))
    fat = struct.pack("<128I", fatsect, end, *([free] * 126))
    entries = []
    for i, name in enumerate(["Root Entry", *stream_names][:4]):
        e = bytearray(128)
        raw = (name + "\0").encode("utf-16-le")
        e[: len(raw)] = raw
        struct.pack_into("<H", e, 0x40, len(raw))
        e[0x42] = 5 if i == 0 else 2
        struct.pack_into("<III", e, 0x44, free, free, 1 if i == 0 and stream_names else free)
        if i == 1 and len(stream_names) > 1:
            struct.pack_into("<I", e, 0x48, 2)  # right sibling
        struct.pack_into("<I", e, 0x74, end)
        entries.append(bytes(e))
    directory = b"".join(entries).ljust(512, b"\0")
    return bytes(header) + fat + directory


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_crafted_encrypted_cfb_gets_password_message(tmp_path, capsys, suffix):
    p = tmp_path / f"secret{suffix}"
    p.write_bytes(_cfb(["EncryptionInfo", "EncryptedPackage"]))
    with pytest.raises(HostileFileError) as e:
        check_workbook(p)
    assert _code(e) == "H951"
    assert "文件受密码保护，请先在 Excel 中取消密码后再试" in str(e.value)
    code, out = _cli(capsys, "check", str(p))
    assert code == 2 and "文件受密码保护" in out


def test_crafted_cfb_is_valid_for_olefile(tmp_path):
    olefile = pytest.importorskip("olefile")
    p = tmp_path / "secret.xlsx"
    p.write_bytes(_cfb(["EncryptionInfo", "EncryptedPackage"]))
    assert olefile.isOleFile(str(p))


def test_really_encrypted_workbook(tmp_path):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _xlsx(tmp_path / "plain.xlsx")
    enc = tmp_path / "encrypted.xlsx"
    with plain.open("rb") as fin, enc.open("wb") as fout:
        OOXMLFile(fin).encrypt("secret", fout)
    assert msoffcrypto  # used
    with pytest.raises(HostileFileError) as e:
        check_workbook(enc)
    assert _code(e) == "H951" and "取消密码" in str(e.value)


def test_legacy_xls_asks_to_save_as_xlsx(tmp_path):
    p = tmp_path / "old.xlsx"  # renamed .xls
    p.write_bytes(_cfb(["Workbook"]))
    with pytest.raises(HostileFileError) as e:
        check_workbook(p)
    assert _code(e) == "H952" and ".xls" in str(e.value) and "另存为" in str(e.value)


def test_garbled_cfb_still_refused_cleanly(tmp_path):
    p = tmp_path / "bad.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 100)
    with pytest.raises(HostileFileError) as e:
        check_workbook(p)
    assert _code(e) in ("H951", "H952")


# --- zip bombs -------------------------------------------------------------------------------


def test_real_zip_bomb_refused_before_unpacking(tmp_path, capsys):
    src = _xlsx(tmp_path / "src.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    _rewrite(src, bomb)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/pad.bin", "w") as fh:
        chunk = b"\0" * 2**20
        for _ in range(70):  # 70 MB of zeros, ~70 KB on disk
            fh.write(chunk)
    assert bomb.stat().st_size < 2**20
    t0 = time.perf_counter()
    with pytest.raises(HostileFileError) as e:
        check_workbook(bomb)
    assert time.perf_counter() - t0 < 1.0
    assert _code(e) == "H953" and "zip 炸弹" in str(e.value)
    code, out = _cli(capsys, "check", str(bomb))
    assert code == 2 and "H953" in out


def _forge_sizes(src: Path, dst: Path, member: str, size: int) -> None:
    """Rewrite the central directory so ``member`` claims ``size`` uncompressed bytes."""
    data = bytearray(src.read_bytes())
    name = member.encode()
    pos = data.rfind(b"PK\x01\x02" + b"\0" * 0)  # search every central record
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", data, pos + 24, size)
        pos += 4
    dst.write_bytes(bytes(data))


def test_lying_central_directory_refused(tmp_path):
    src = _xlsx(tmp_path / "src.xlsx")
    dst = tmp_path / "lie.xlsx"
    _forge_sizes(src, dst, "xl/worksheets/sheet1.xml", 4_000_000_000)
    with pytest.raises(HostileFileError) as e:
        check_workbook(dst)
    assert _code(e) == "H953"


@pytest.mark.parametrize(
    "limits, text",
    [
        (Limits(max_members=5), "部件过多"),
        (Limits(max_total_bytes=1000), "解压后共"),
        (Limits(max_member_bytes=100), "超过上限"),
        (Limits(ratio_floor=10, max_ratio=2), "压缩比"),
    ],
)
def test_each_zip_limit(tmp_path, limits, text):
    p = _xlsx(tmp_path / "w.xlsx", rows=200)
    with pytest.raises(HostileFileError) as e:
        check_workbook(p, limits)
    assert _code(e) == "H953" and text in str(e.value)


# --- XML bombs -------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + ']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)


def test_defusedxml_is_installed_and_used_by_openpyxl():
    import defusedxml  # noqa: F401  (a hard dependency: pyproject [project] dependencies)
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    deps = (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[project.optional-dependencies]")[0]
    assert '"defusedxml' in deps


def test_billion_laughs_refused_by_gate_and_by_defusedxml(tmp_path, capsys):
    from defusedxml import DefusedXmlException

    src = _xlsx(tmp_path / "src.xlsx")
    bomb = _rewrite(src, tmp_path / "lol.xlsx", replace={"xl/worksheets/sheet1.xml": BILLION_LAUGHS.encode()})
    with pytest.raises(HostileFileError) as e:
        check_workbook(bomb)
    assert _code(e) == "H959"
    # Second line of defence: openpyxl itself, without the gate, refuses through defusedxml.
    t0 = time.perf_counter()
    with pytest.raises(ValueError) as raw:
        openpyxl.load_workbook(bomb)
    assert isinstance(raw.value.__cause__, DefusedXmlException)
    assert time.perf_counter() - t0 < 5
    with pytest.raises(HostileFileError) as e, guard_xml(bomb):
        openpyxl.load_workbook(bomb)
    assert _code(e) == "H959"
    code, out = _cli(capsys, "check", str(bomb))
    assert code == 2 and "H959" in out


def test_dtd_hidden_past_the_sniffed_prefix_still_caught(tmp_path):
    from defusedxml import DefusedXmlException

    padded = BILLION_LAUGHS.replace("<!DOCTYPE", "<!--" + "x" * 8000 + "-->\n<!DOCTYPE", 1)
    src = _xlsx(tmp_path / "src.xlsx")
    bomb = _rewrite(src, tmp_path / "lol2.xlsx", replace={"xl/worksheets/sheet1.xml": padded.encode()})
    assert check_workbook(bomb) == []  # the gate only sniffs the first 4 KB…
    with pytest.raises(HostileFileError) as e, guard_xml(bomb):  # …defusedxml catches the rest
        openpyxl.load_workbook(bomb)
    assert isinstance(e.value.__cause__.__cause__, DefusedXmlException)
    assert _code(e) == "H959"


# --- size limits -----------------------------------------------------------------------------


def test_declared_dimension_is_ignored_real_rows_are_counted(tmp_path, capsys):
    """issue 15: the gate measures the cells there, not the declared <dimension>."""
    src = _xlsx(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:B3"' in xml
    # declared huge, an empty last row as LibreOffice writes after deleting rows: accepted
    lo = xml.replace('<dimension ref="A1:B3"', '<dimension ref="A1:XFD1048576"').replace(
        "</sheetData>", '<row r="1048576" customFormat="false" ht="12.8" hidden="false"/></sheetData>')
    declared = _rewrite(src, tmp_path / "declared.xlsx", replace={"xl/worksheets/sheet1.xml": lo.encode()})
    assert check_workbook(declared) == []
    code, out = _cli(capsys, "check", str(declared))
    assert "H954" not in out
    # one real cell in row 1048576 of a sheet that is counted: refused, whatever the dimension says
    counted = Limits(count_above_bytes=0)
    assert check_workbook(declared, counted) == []
    far = xml.replace("</sheetData>", '<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row></sheetData>')
    big = _rewrite(src, tmp_path / "big.xlsx", replace={"xl/worksheets/sheet1.xml": far.encode()})
    with pytest.raises(HostileFileError) as e:
        check_workbook(big, counted)
    assert _code(e) == "H954" and "1048576" in str(e.value)
    wide = xml.replace("</sheetData>", '<row r="4"><c r="ZZZ4"><v>1</v></c></row></sheetData>')
    with pytest.raises(HostileFileError) as e:
        check_workbook(_rewrite(src, tmp_path / "wide.xlsx", replace={"xl/worksheets/sheet1.xml": wide.encode()}),
                       counted)
    assert _code(e) == "H954" and "18278 列" in str(e.value)
    with pytest.raises(HostileFileError) as e:
        check_workbook(declared, Limits(count_above_bytes=0, max_cells=5))
    assert _code(e) == "H954" and "超过 5 个单元格" in str(e.value)


def test_big_sheet_with_lying_or_missing_dimension_refused_quickly(tmp_path):
    """issue 15: a ~60 MB sheet whose <dimension> lies small (or is missing) is refused by the
    gate after counting, without reading the whole sheet."""
    src = _xlsx(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    head, tail = xml.split("</sheetData>")
    head = head.replace("<sheetData/>", "<sheetData>")
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="n"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>x{r % 97}</t>'
                   f'</is></c></row>' for r in range(4, 540_000))
    for name, sheet in (("lying", head + rows + "</sheetData>" + tail),
                        ("missing", re.sub(r"<dimension [^>]*/>", "", head) + rows + "</sheetData>" + tail)):
        data = sheet.encode()
        assert 55 * 2**20 < len(data) < 64 * 2**20  # under the part-size limit: only counting refuses it
        big = _rewrite(src, tmp_path / f"{name}.xlsx", replace={"xl/worksheets/sheet1.xml": data})
        t0 = time.perf_counter()
        with pytest.raises(HostileFileError) as e:
            check_workbook(big)
        elapsed = time.perf_counter() - t0
        assert _code(e) == "H954" and "20001" in str(e.value), name
        assert elapsed < 5, (name, elapsed)


def test_too_many_sheets(tmp_path):
    p = _xlsx(tmp_path / "many.xlsx", rows=1, sheets=6)
    with pytest.raises(HostileFileError) as e:
        check_workbook(p, Limits(max_sheets=5))
    assert _code(e) == "H954" and "工作表过多" in str(e.value)


# --- macro workbooks -------------------------------------------------------------------------


def _macro_workbook(tmp_path: Path) -> Path:
    src = _xlsx(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as z:
        ct = z.read("[Content_Types].xml").decode()
    ct = ct.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    marker = tmp_path / "EXECUTED"
    vba = b"\xd0\xcf\x11\xe0 fake vba project: Shell(\"touch " + str(marker).encode() + b"\")"
    return _rewrite(src, tmp_path / "macro.xlsm", replace={"[Content_Types].xml": ct.encode()}, add={"xl/vbaProject.bin": vba})


def test_macro_workbook_passes_gate_with_info(tmp_path):
    p = _macro_workbook(tmp_path)
    findings = check_workbook(p)
    assert [f.code for f in findings] == ["H955"]
    assert "不运行宏" in findings[0].message
    assert not (tmp_path / "EXECUTED").exists()


def test_outputs_are_never_macro_workbooks(tmp_path):
    assert output_path(tmp_path / "a.xlsm") == tmp_path / "a.xlsx"
    assert output_path(tmp_path / "a.xlsm", tmp_path / "b.XLSM") == tmp_path / "b.xlsx"
    assert output_path(tmp_path / "a.xlsx", tmp_path / "out.xlsx") == tmp_path / "out.xlsx"
    assert output_path(tmp_path / "a.xlsx") == tmp_path / "a.xlsx"


# --- formula injection -----------------------------------------------------------------------

INJECTIONS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\",\"y\")", "#N/A", "＝1+1"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_set_text_cell_never_makes_a_formula(tmp_path, text):
    wb = openpyxl.Workbook()
    set_text_cell(wb.active["A1"], text)
    p = tmp_path / "inj.xlsx"
    wb.save(p)
    with zipfile.ZipFile(p) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and 't="e"' not in xml
    ws = openpyxl.load_workbook(p).active
    assert ws["A1"].value == text and ws["A1"].data_type == "s"


def test_as_text_cell_for_live_excel():
    assert as_text_cell("=1+1") == "'=1+1"
    assert as_text_cell("@x") == "'@x"
    assert as_text_cell("'quoted") == "''quoted"
    assert as_text_cell("普通文字") == "普通文字"
    assert as_text_cell("a\x00b") == "a b"


# --- path tricks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, want",
    [
        ("../../etc/passwd", "etc_passwd"),
        ("CON", "_CON"),
        ("nul.xlsx", "_nul.xlsx"),
        ("com1", "_com1"),
        ("a/b\\c:d*e?f", "a_b_c_d_e_f"),
        ("绿化市容行政服务工作经费", "绿化市容行政服务工作经费"),
        ("项目\n名称\t", "项目_名称"),
        ("..", "未命名项目"),
        ("", "未命名项目"),
        ("  . ", "未命名项目"),
    ],
)
def test_safe_filename(name, want):
    assert safe_filename(name) == want


def test_safe_filename_stays_inside_directory(tmp_path):
    for name in ["../../x", "/etc/passwd", "C:\\Windows\\x", "\\\\server\\share", "a" * 500, "项" * 300, "LPT9.txt"]:
        stem = safe_filename(name)
        target = (tmp_path / (stem + ".xlsx")).resolve()
        assert target.parent == tmp_path.resolve()
        assert len(stem.encode()) <= 150 and stem


# --- Excel lock files ------------------------------------------------------------------------


def test_lock_file_refuses_overwrite(tmp_path):
    p = _xlsx(tmp_path / "自评表.xlsx")
    check_unlocked(p)  # no lock: fine
    (tmp_path / "~$自评表.xlsx").write_bytes(b"owner")
    with pytest.raises(HostileFileError) as e:
        check_unlocked(p)
    assert _code(e) == "H956" and "~$自评表.xlsx" in str(e.value) and "关闭" in str(e.value)


def test_lock_file_for_long_names(tmp_path):
    p = _xlsx(tmp_path / "2023年绩效自评表.xlsx")
    (tmp_path / "~$23年绩效自评表.xlsx").write_bytes(b"owner")  # Excel trims long names
    with pytest.raises(HostileFileError):
        check_unlocked(p)


def test_every_atomic_save_refuses_a_locked_file(tmp_path, capsys):
    from perfxl.atomic import atomic_save

    p = _xlsx(tmp_path / "book.xlsx")
    before = p.read_bytes()
    (tmp_path / "~$book.xlsx").write_bytes(b"owner")
    with pytest.raises(HostileFileError) as e:
        atomic_save(p, lambda tmp: tmp.write_bytes(b"new"))
    assert _code(e) == "H956" and p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir() if q.name.startswith(".")] == []  # no temp left


def test_unwritable_file_reported(tmp_path, monkeypatch):
    """The operating system refuses to open the file for writing (read-only, or held by another
    program); simulated, because root may write a read-only file."""
    p = _xlsx(tmp_path / "ro.xlsx")
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if Path(path) == p and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(HostileFileError) as e:
        check_unlocked(p)
    assert _code(e) == "H956"
    assert "文件无法写入" in str(e.value)


# --- kill during save ------------------------------------------------------------------------

_SAVER = textwrap.dedent(
    """
    import sys, openpyxl
    from perfxl.atomic import atomic_save
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 2001):
        ws.append([f"新内容{r}", r, r * 1.5, "绩效指标说明文字" * 3])
    atomic_save(sys.argv[1], wb.save, backup=True)
    print("saved", flush=True)
    """
)

KILL_STAGES = ("written", "synced", "backed-up", "replaced")


@pytest.mark.parametrize("stage", KILL_STAGES)
def test_kill_during_save_keeps_original(tmp_path, stage):
    """SIGKILL from inside the save (PERFXL_TEST_KILL_AT), at each of its moments: the name
    holds the old file or the complete new one, the backup is whole, and the next save in the
    folder removes the dead run's temp file."""
    target = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "原始内容"
    wb.active["B2"] = 12345
    wb.save(target)
    original = target.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PERFXL_TEST_KILL_AT": stage}
    proc = subprocess.run([sys.executable, "-c", _SAVER, str(target)], capture_output=True, env=env, cwd=tmp_path)
    assert proc.returncode == -signal.SIGKILL and b"saved" not in proc.stdout
    ws = openpyxl.load_workbook(target).active
    if stage == "replaced":
        assert ws["A1"].value == "新内容1"
        assert (tmp_path / "book.bak.xlsx").read_bytes() == original
    else:
        assert target.read_bytes() == original and ws["B2"].value == 12345
    if stage in ("backed-up", "replaced"):
        assert (tmp_path / "book.bak.xlsx").read_bytes() == original
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert len(leftovers) == (0 if stage == "replaced" else 1)  # the killed run's hidden temp file
    env.pop("PERFXL_TEST_KILL_AT")
    proc = subprocess.run([sys.executable, "-c", _SAVER, str(target)], capture_output=True, env=env, cwd=tmp_path)
    assert b"saved" in proc.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert {p.name for p in tmp_path.iterdir()} <= {"book.xlsx", "book.bak.xlsx", "book.orig.xlsx"}


# --- the adapters keep text as text ----------------------------------------------------------

ADAPTER_TEXTS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "#N/A", "#DIV/0!", "'quoted", "≥9.00(人)"]


def test_file_adapter_writes_text_as_text(tmp_path):
    from perfxl.adapters import file as file_adapter
    from perfxl.patch import Patch, Write

    wb = openpyxl.Workbook()
    sheet = wb.active.title
    patch = Patch()
    for i, text in enumerate([*ADAPTER_TEXTS, "控制\x01字符"], start=1):
        patch.add(Write(sheet, f"A{i}", text))
    file_adapter.apply_patch(wb, patch)
    p = tmp_path / "adapter.xlsx"
    wb.save(p)
    ws = openpyxl.load_workbook(p).active
    got = [(ws[f"A{i}"].value, ws[f"A{i}"].data_type) for i in range(1, len(ADAPTER_TEXTS) + 2)]
    assert got == [(t, "s") for t in ADAPTER_TEXTS] + [("控制 字符", "s")]


def test_live_adapter_quotes_formula_like_text():
    from perfxl.adapters import live
    for text in ["=1+1", "+1+1", "-2+3", "@SUM(A1)"]:
        assert live.excel_value(text) == "'" + text, text
    assert live.excel_value("普通") == "普通"
